package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.email.MailParser;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.connectors.email.MalformedMailException;
import io.crmhub.connectors.email.ParsedMail;
import io.crmhub.connectors.email.UnsubscribeTokens;
import io.crmhub.mappings.email.LoopGuard;
import io.crmhub.mappings.email.ReplyText;
import io.crmhub.mappings.email.TrackingToken;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.InteractionType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.profiles.ProfileService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What one inbound message does, in one transaction with its de-duplication row: a bounce marks
 * addresses; an opt-out reply records the opt-out; a reply to a case joins the case; new mail to a
 * support mailbox opens a case and queues the auto-response; mail to a tracking mailbox lands on
 * the matched profile's timeline, or in the unmatched list (or as a lead).
 */
public class InboundMailService {

    private static final Logger LOG = LoggerFactory.getLogger(InboundMailService.class);
    public static final String SOURCE = "email";
    public static final String BOUNCE = "email.bounce";

    private final MailProperties props;
    private final MailParser parser;
    private final MailStore mail;
    private final CrmStore crm;
    private final ProfileService profiles;
    private final OutboundMailService outbound;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final TrackingToken token;
    private final TrackingToken caseToken;
    private final LoopGuard loopGuard;
    private final UnsubscribeTokens unsubscribeTokens;

    public InboundMailService(MailProperties props, MailParser parser, MailStore mail, CrmStore crm,
                              ProfileService profiles, OutboundMailService outbound, TransactionTemplate tx,
                              ObjectMapper json, UnsubscribeTokens unsubscribeTokens) {
        this.props = props;
        this.parser = parser;
        this.mail = mail;
        this.crm = crm;
        this.profiles = profiles;
        this.outbound = outbound;
        this.tx = tx;
        this.json = json;
        this.token = new TrackingToken(props.getTokenFormat());
        this.caseToken = new TrackingToken(props.getCaseTokenFormat());
        List<String> own = new ArrayList<>(props.getOwnAddresses());
        own.add(OutboundMailService.address(props.getSmtp().getFrom()));
        this.loopGuard = new LoopGuard(own);
        this.unsubscribeTokens = unsubscribeTokens;
    }

    /** The result of one message: what it became, on which profile and case. */
    public record Outcome(String outcome, UUID profileId, Long caseId, String detail) {
        static Outcome of(String outcome, UUID profileId, Long caseId, String detail) {
            return new Outcome(outcome, profileId, caseId, detail);
        }
    }

    /**
     * Handles one raw message of a mailbox. Throws {@link MalformedMailException} for unusable
     * mail (the route quarantines it); a message handled before answers {@code DUPLICATE}.
     */
    public Outcome handle(String mailboxName, byte[] raw) {
        long start = System.nanoTime();
        MailProperties.Inbox inbox = props.inbox(mailboxName);
        ParsedMail m = parser.parse(raw);
        Outcome o = tx.execute(status -> {
            if (!mail.claim(inbox.getName(), m.messageId(), m.sentAt())) {
                return Outcome.of("DUPLICATE", null, null, "handled before");
            }
            Outcome result = decide(inbox, m);
            mail.finish(inbox.getName(), m.messageId(), result.outcome(), result.profileId(), result.caseId(),
                    m.from(), ReplyText.snippet(m.subject(), 500), result.detail());
            return result;
        });
        LOG.info("Mail {} in {} from {}: {}{} in {} ms", m.messageId(), inbox.getName(), m.from(), o.outcome(),
                o.detail() == null ? "" : " (" + o.detail() + ")", (System.nanoTime() - start) / 1_000_000);
        return o;
    }

    private Outcome decide(MailProperties.Inbox inbox, ParsedMail m) {
        Instant at = timeOf(m);
        if (m.isBounce()) {
            return bounce(inbox, m, at);
        }
        // --- correlation: case token, tracking token, In-Reply-To/References, then the sender ---
        Correlation c = correlate(m);
        boolean automatic = LoopGuard.isAutomatic(m.autoSubmitted());

        if (isUnsubscribe(m)) {
            return optOut(inbox, m, c, at);
        }
        if (c.caseId != null) {
            mail.appendToCase(c.caseId, at);
            UUID profile = c.profileId != null ? c.profileId : lookup(m.from());
            if (profile != null) {
                // staff answering on the case (support address in copy) is outbound to the customer
                timeline(profile, inbox, m, at, isInternal(m.from()) ? "outbound" : "inbound", c, null);
            }
            return Outcome.of("CASE_REPLY", profile, c.caseId, "matched by " + c.matchedBy);
        }
        if (inbox.getRole() == MailProperties.Role.SUPPORT) {
            return openCase(inbox, m, c, at);
        }
        // --- tracking mailbox ---
        String counterpart = m.from();
        String direction = "inbound";
        if (isInternal(m.from())) {
            direction = "outbound";
            counterpart = m.to().stream().filter(a -> !isInternal(a)).findFirst()
                    .orElse(m.cc().stream().filter(a -> !isInternal(a)).findFirst().orElse(null));
        }
        UUID profile = c.profileId;
        if (profile == null && counterpart != null) {
            profile = lookup(counterpart);
            if (profile != null) {
                c.matchedBy = "outbound".equals(direction) ? "recipient" : "sender";
            }
        }
        if (profile == null) {
            if (props.getUnmatched() == MailProperties.Unmatched.CREATE_LEAD && counterpart != null) {
                profile = upsertPerson(counterpart, "inbound".equals(direction) ? m.fromName() : null, at);
                c.matchedBy = "new lead";
                timeline(profile, inbox, m, at, direction, c, null);
                return Outcome.of("LEAD", profile, null, "lead created for " + counterpart);
            }
            mail.addUnmatched(new MailStore.Unmatched(0, inbox.getName(), m.messageId(), m.from(), m.fromName(),
                    ReplyText.snippet(m.subject(), 500), snippet(m), at, null, details(inbox, m, direction, c, null).toString()));
            return Outcome.of("UNMATCHED", null, null, "no profile for " + counterpart);
        }
        timeline(profile, inbox, m, at, direction, c, null);
        if (c.campaign != null && "inbound".equals(direction)) {
            long campaignId = crm.campaign(c.campaign, null, "EMAIL").id();
            crm.addCampaignResponse(campaignId, profile, automatic ? "auto-reply" : "reply", at, SOURCE);
            return Outcome.of("CAMPAIGN_REPLY", profile, null, "campaign " + c.campaign + ", matched by " + c.matchedBy);
        }
        return Outcome.of("TRACKED", profile, null, direction + ", matched by " + c.matchedBy);
    }

    // --- correlation ----------------------------------------------------------------------------

    static final class Correlation {
        UUID profileId;
        Long caseId;
        String campaign;
        Long outboundId;
        String matchedBy;
    }

    private Correlation correlate(ParsedMail m) {
        Correlation c = new Correlation();
        Optional<Long> caseNo = caseToken.find(m.subject());
        if (caseNo.isPresent() && mail.findCase(caseNo.get()).isPresent()) {
            c.caseId = caseNo.get();
            c.matchedBy = "case token";
        }
        Optional<MailStore.Outbound> sent = token.find(m.subject()).flatMap(mail::outbound);
        if (sent.isPresent()) {
            c.matchedBy = c.matchedBy == null ? "tracking token" : c.matchedBy;
        } else {
            List<String> refs = new ArrayList<>();
            if (m.inReplyTo() != null) {
                refs.add(m.inReplyTo());
            }
            List<String> r = new ArrayList<>(m.references());
            java.util.Collections.reverse(r);
            refs.addAll(r);
            for (String id : refs) {
                sent = mail.outboundByMessageId(id);
                if (sent.isPresent()) {
                    c.matchedBy = c.matchedBy == null ? "In-Reply-To" : c.matchedBy;
                    break;
                }
            }
        }
        sent.ifPresent(o -> {
            c.outboundId = o.id();
            c.profileId = o.profileId();
            c.campaign = o.campaignCode();
            if (c.caseId == null) {
                c.caseId = o.caseId();
            }
        });
        if (c.profileId == null && c.caseId != null) {
            c.profileId = mail.findCase(c.caseId).map(MailStore.ServiceCase::profileId).orElse(null);
        }
        return c;
    }

    // --- the outcomes ---------------------------------------------------------------------------

    private Outcome bounce(MailProperties.Inbox inbox, ParsedMail m, Instant at) {
        ParsedMail.DeliveryReport dsn = m.dsn();
        if (dsn.recipients().isEmpty()) {
            throw new MalformedMailException("delivery status report without any recipient (Final-Recipient)");
        }
        MailStore.Outbound original = null;
        if (dsn.originalMessageId() != null) {
            original = mail.outboundByMessageId(dsn.originalMessageId()).orElse(null);
        }
        if (original == null && dsn.originalHubToken() != null) {
            original = token.find(dsn.originalHubToken()).flatMap(mail::outbound).orElse(null);
        }
        List<String> parts = new ArrayList<>();
        UUID lastProfile = null;
        int hard = 0;
        for (ParsedMail.Recipient r : dsn.recipients()) {
            if (!r.hard() && !r.soft()) {
                parts.add(r.address() + " " + r.action());
                continue;
            }
            mail.recordBounce(r.address(), r.hard(), r.status(), r.diagnostic(), at);
            hard += r.hard() ? 1 : 0;
            UUID profile = original != null && original.to().equalsIgnoreCase(r.address()) && original.profileId() != null
                    ? original.profileId() : lookup(r.address());
            parts.add(r.address() + (r.hard() ? " hard " : " soft ") + r.status());
            if (profile != null) {
                lastProfile = profile;
                ObjectNode d = json.createObjectNode();
                d.put("direction", "inbound");
                d.put("mailbox", inbox.getName());
                d.put("messageId", m.messageId());
                d.put("address", r.address());
                d.put("bounce", r.hard() ? "hard" : "soft");
                d.put("status", r.status());
                d.put("action", r.action());
                d.put("diagnostic", r.diagnostic());
                d.put("originalMessageId", dsn.originalMessageId());
                String summary = (r.hard() ? "Hard bounce " : "Soft bounce ") + r.status() + " for " + r.address();
                crm.addInteraction(profile, new Interaction(BOUNCE, at, SOURCE, "email",
                        original == null ? null : original.campaignCode(), null, null, summary,
                        m.messageId() + "#" + r.address(), d.toString()));
                if (original != null && original.campaignCode() != null) {
                    long campaignId = crm.campaign(original.campaignCode(), null, "EMAIL").id();
                    crm.addCampaignResponse(campaignId, profile, r.hard() ? "bounce.hard" : "bounce.soft", at, SOURCE);
                }
            }
        }
        return Outcome.of(hard > 0 ? "BOUNCE_HARD" : "BOUNCE_SOFT", lastProfile, null, String.join("; ", parts));
    }

    private boolean isUnsubscribe(ParsedMail m) {
        String mailto = props.getUnsubscribe().getMailto();
        if (mailto != null && !mailto.isBlank() && (m.to().contains(mailto.toLowerCase(Locale.ROOT))
                || m.cc().contains(mailto.toLowerCase(Locale.ROOT)))) {
            return true;
        }
        return ReplyText.isUnsubscribeRequest(m.subject(), m.text(), props.getUnsubscribe().getKeywords());
    }

    private Outcome optOut(MailProperties.Inbox inbox, ParsedMail m, Correlation c, Instant at) {
        // a mailto: link carries the one-click token in its subject
        String campaign = c.campaign;
        UUID profile = c.profileId;
        for (String word : m.subject() == null ? new String[0] : m.subject().split("\\s+")) {
            Optional<Long> id = unsubscribeTokens.verify(word.strip());
            if (id.isPresent()) {
                Optional<MailStore.Outbound> o = mail.outbound(id.get());
                if (o.isPresent() && o.get().profileId() != null) {
                    profile = o.get().profileId();
                    campaign = o.get().campaignCode();
                    c.matchedBy = "unsubscribe token";
                }
            }
        }
        if (profile == null) {
            profile = lookup(m.from());
            c.matchedBy = "sender";
        }
        String evidence = "unsubscribe reply " + m.messageId() + " from " + m.from() + " to mailbox " + inbox.getName();
        // the statement counts from when we received it (a Date header can be anything the client set)
        Consent optOut = new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, SOURCE, Instant.now(), evidence, true);
        if (profile == null) {
            // keep the refusal: a profile carrying the opt-out, so no later import mails this address
            profile = profiles.upsertLenient(new ProfileRecord(SOURCE, at, List.of(Identity.of(IdentityType.EMAIL, m.from())),
                    m.fromName() == null ? Map.of() : Map.of("fullName", m.fromName()), List.of(optOut))).result().profileId();
            c.matchedBy = "new profile";
        } else {
            crm.setConsent(profile, optOut);
        }
        c.campaign = campaign;
        timeline(profile, inbox, m, at, "inbound", c, "unsubscribe");
        if (campaign != null) {
            crm.addCampaignResponse(crm.campaign(campaign, null, "EMAIL").id(), profile, "unsubscribe", at, SOURCE);
        }
        return Outcome.of("OPT_OUT", profile, null, "EMAIL opt-out, matched by " + c.matchedBy);
    }

    private Outcome openCase(MailProperties.Inbox inbox, ParsedMail m, Correlation c, Instant at) {
        UUID profile = c.profileId != null ? c.profileId : lookup(m.from());
        Optional<String> refused = loopGuard.refuse(signals(m));
        boolean machine = refused.isPresent() && refused.get().startsWith("sender is");
        if (profile == null && !machine) {
            // a person writing to support becomes a profile; daemons and our own address do not
            profile = upsertPerson(m.from(), m.fromName(), at);
        }
        String subject = ReplyText.snippet(caseToken.strip(token.strip(m.subject())), 500);
        long caseId = mail.openCase(inbox.getName(), subject, profile, m.from(), m.messageId(), at);
        c.caseId = caseId;
        c.matchedBy = c.matchedBy == null ? "sender" : c.matchedBy;
        String caseNo = caseToken.format(caseId);
        if (profile != null) {
            crm.addInteraction(profile, new Interaction(InteractionType.CASE, at, SOURCE, "email", null, null, null,
                    "Case " + caseNo + " opened: " + subject, "case:" + caseId,
                    json.createObjectNode().put("caseId", caseId).put("caseToken", caseNo).put("subject", subject)
                            .put("status", "OPEN").put("mailbox", inbox.getName()).put("messageId", m.messageId()).toString()));
            timeline(profile, inbox, m, at, "inbound", c, null);
        }

        String detail;
        if (!props.getSupport().isAutoResponse()) {
            detail = "auto-response off";
        } else if (refused.isPresent()) {
            detail = "no auto-response: " + refused.get();
        } else if (!mail.reserveAutoResponse(m.from(), props.getSupport().getAutoResponseWindow())) {
            detail = "no auto-response: one was sent to " + m.from() + " within " + human(props.getSupport().getAutoResponseWindow());
        } else {
            Map<String, String> model = new HashMap<>();
            model.put("caseNumber", String.format(Locale.ROOT, "%06d", caseId));
            model.put("caseToken", caseNo);
            model.put("subject", subject);
            model.put("fromName", m.fromName() == null ? "" : m.fromName());
            long id = outbound.queue(new OutboundMailService.Request(OutboundMailService.Kind.AUTO_RESPONSE, profile,
                    m.from(), props.getSupport().getAutoResponseTemplate(), model, null, caseId, m.messageId()));
            detail = "auto-response queued (" + id + ")";
        }
        return Outcome.of("CASE_OPENED", profile, caseId, detail);
    }

    // --- helpers --------------------------------------------------------------------------------

    private void timeline(UUID profile, MailProperties.Inbox inbox, ParsedMail m, Instant at, String direction,
                          Correlation c, String action) {
        ObjectNode d = details(inbox, m, direction, c, action);
        String type = "outbound".equals(direction) ? InteractionType.EMAIL_OUT : InteractionType.EMAIL_IN;
        crm.addInteraction(profile, new Interaction(type, at, SOURCE, "email", c.campaign, null, null,
                ReplyText.snippet(m.subject().isEmpty() ? "(no subject)" : m.subject(), 300), m.messageId(), d.toString()));
    }

    private ObjectNode details(MailProperties.Inbox inbox, ParsedMail m, String direction, Correlation c, String action) {
        ObjectNode d = json.createObjectNode();
        d.put("direction", direction);
        d.put("mailbox", inbox.getName());
        d.put("role", inbox.getRole().name().toLowerCase(Locale.ROOT));
        d.put("subject", m.subject());
        d.put("snippet", snippet(m));
        d.put("messageId", m.messageId());
        d.put("from", m.from());
        if (m.fromName() != null) {
            d.put("fromName", m.fromName());
        }
        ArrayNode to = d.putArray("to");
        m.to().forEach(to::add);
        if (!m.cc().isEmpty()) {
            ArrayNode cc = d.putArray("cc");
            m.cc().forEach(cc::add);
        }
        if (m.inReplyTo() != null) {
            d.put("inReplyTo", m.inReplyTo());
        }
        ArrayNode att = d.putArray("attachments");
        for (ParsedMail.Attachment a : m.attachments()) {
            att.addObject().put("name", a.name()).put("contentType", a.contentType()).put("size", a.size());
        }
        if (c.matchedBy != null) {
            d.put("matchedBy", c.matchedBy);
        }
        if (c.caseId != null) {
            d.put("caseId", c.caseId);
            d.put("caseToken", caseToken.format(c.caseId));
        }
        if (c.campaign != null) {
            d.put("campaign", c.campaign);
        }
        if (c.outboundId != null) {
            d.put("replyToOutboundId", c.outboundId);
        }
        if (action != null) {
            d.put("action", action);
        }
        if (LoopGuard.isAutomatic(m.autoSubmitted())) {
            d.put("autoSubmitted", m.autoSubmitted());
        }
        if (m.htmlOnly()) {
            d.put("htmlOnly", true);
        }
        if (!m.warnings().isEmpty()) {
            ArrayNode w = d.putArray("warnings");
            m.warnings().forEach(w::add);
        }
        d.put("size", m.size());
        return d;
    }

    private String snippet(ParsedMail m) {
        return ReplyText.snippet(ReplyText.newPart(m.text()), props.getSnippetLength());
    }

    private UUID lookup(String address) {
        if (address == null) {
            return null;
        }
        return crm.lookup(Identity.of(IdentityType.EMAIL, address.toLowerCase(Locale.ROOT))).orElse(null);
    }

    private UUID upsertPerson(String address, String name, Instant at) {
        Map<String, String> attrs = new HashMap<>();
        if (name != null && !name.contains("@") && !name.isBlank()) {
            attrs.put("fullName", name);
            // "Nina Weber" or "Weber, Nina": a first and last name a template can greet by
            String[] parts = name.contains(",") ? name.split("\\s*,\\s*") : name.strip().split("\\s+");
            if (parts.length == 2 && !parts[0].isBlank() && !parts[1].isBlank()) {
                attrs.put("firstName", name.contains(",") ? parts[1] : parts[0]);
                attrs.put("lastName", name.contains(",") ? parts[0] : parts[1]);
            }
        }
        return profiles.upsertLenient(new ProfileRecord(SOURCE, at, List.of(Identity.of(IdentityType.EMAIL, address)),
                attrs, List.of())).result().profileId();
    }

    private boolean isInternal(String address) {
        if (address == null || !address.contains("@")) {
            return false;
        }
        String domain = address.substring(address.indexOf('@') + 1);
        return props.getInternalDomains().stream().anyMatch(d -> d.equalsIgnoreCase(domain))
                || props.getOwnAddresses().stream().anyMatch(a -> a.equalsIgnoreCase(address));
    }

    private static LoopGuard.Signals signals(ParsedMail m) {
        return new LoopGuard.Signals(m.from(), m.autoSubmitted(), m.precedence(), m.autoResponseSuppress(),
                m.listId(), m.returnPath());
    }

    /** The message's Date when plausible (not more than a day ahead), else now. */
    private static Instant timeOf(ParsedMail m) {
        Instant now = Instant.now();
        if (m.sentAt() == null || m.sentAt().isAfter(now.plus(Duration.ofDays(1)))) {
            return now;
        }
        return m.sentAt();
    }

    private static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
