package io.crmhub.routes.email;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.connectors.email.MailTemplates;
import io.crmhub.connectors.email.SmtpSender;
import io.crmhub.connectors.email.UnsubscribeTokens;
import io.crmhub.mappings.email.TrackingToken;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.InteractionType;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The hub's outbound mail. Callers {@link #queue} a mail in their own transaction; the outbound
 * route calls {@link #sendDue} on a timer, which passes each mail through the consent gate
 * (opted out, no opt-in for campaign mail, or an undeliverable address: not sent, recorded as
 * SUPPRESSED with the reason and on the timeline), renders its template for the profile, sends it
 * by SMTP and records the outbound interaction. Failed sends are retried with back-off.
 */
public class OutboundMailService {

    private static final Logger LOG = LoggerFactory.getLogger(OutboundMailService.class);
    public static final String LEASE = "mail-outbound";
    public static final String SUPPRESSED = "email.suppressed";

    public enum Kind { AUTO_RESPONSE, CAMPAIGN, MESSAGE }

    /** A mail to queue: to a profile (its address when {@code to} is null) or to an address. */
    public record Request(Kind kind, UUID profileId, String to, String template, Map<String, String> model,
                          String campaign, Long caseId, String inReplyTo) {
    }

    private final MailProperties props;
    private final MailStore mail;
    private final CrmStore crm;
    private final MailTemplates templates;
    private final SmtpSender sender;
    private final UnsubscribeTokens unsubscribe;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final String instanceId;
    private final TrackingToken token;
    private final TrackingToken caseToken;
    private final String domain;

    public OutboundMailService(MailProperties props, MailStore mail, CrmStore crm, MailTemplates templates,
                               SmtpSender sender, UnsubscribeTokens unsubscribe, TransactionTemplate tx,
                               ObjectMapper json, String instanceId) {
        this.props = props;
        this.mail = mail;
        this.crm = crm;
        this.templates = templates;
        this.sender = sender;
        this.unsubscribe = unsubscribe;
        this.tx = tx;
        this.json = json;
        this.instanceId = instanceId;
        this.token = new TrackingToken(props.getTokenFormat());
        this.caseToken = new TrackingToken(props.getCaseTokenFormat());
        String d = props.getSmtp().getMessageIdDomain();
        if (d == null || d.isBlank()) {
            String from = address(props.getSmtp().getFrom());
            d = from.contains("@") ? from.substring(from.indexOf('@') + 1) : "crm-hub.local";
        }
        this.domain = d;
    }

    /** The bare address of "Name <address>" (lower case). */
    static String address(String nameAndAddress) {
        if (nameAndAddress == null) {
            return "";
        }
        try {
            return new InternetAddress(nameAndAddress).getAddress().toLowerCase(Locale.ROOT);
        } catch (AddressException e) {
            return nameAndAddress.strip().toLowerCase(Locale.ROOT);
        }
    }

    public boolean sending() {
        return sender != null;
    }

    /** Queues a mail (joins the caller's transaction); answers its outbound id. */
    public long queue(Request r) {
        String to = r.to();
        if (to == null && r.profileId() != null) {
            to = crm.find(r.profileId(), 0).flatMap(p -> p.identities().stream()
                    .filter(i -> i.type() == io.crmhub.mappings.model.IdentityType.EMAIL).map(i -> i.value()).findFirst())
                    .orElseThrow(() -> new IllegalArgumentException("profile " + r.profileId() + " has no e-mail address"));
        }
        if (to == null) {
            throw new IllegalArgumentException("a mail needs a profile or an address");
        }
        String model;
        try {
            model = r.model() == null || r.model().isEmpty() ? null : json.writeValueAsString(r.model());
        } catch (Exception e) {
            throw new IllegalArgumentException("model is not serialisable", e);
        }
        String messageId = "<" + UUID.randomUUID() + "@" + domain + ">";
        return mail.enqueue(r.kind().name(), r.profileId(), to.toLowerCase(Locale.ROOT), r.template(), model,
                r.campaign(), r.caseId(), r.inReplyTo(), messageId);
    }

    /** Sends what is due; answers how many mails were handled (sent, suppressed or failed). */
    public int sendDue() {
        if (sender == null) {
            return 0;
        }
        MailProperties.Smtp s = props.getSmtp();
        // a cheap indexed look first: the lease (a write) is only taken when there is work
        if (mail.due(1).isEmpty() || !crm.acquireLease(LEASE, instanceId, s.getLeaseTtl())) {
            return 0;
        }
        List<MailStore.Outbound> due = mail.due(s.getBatchSize());
        for (MailStore.Outbound o : due) {
            sendOne(o);
        }
        return due.size();
    }

    private void sendOne(MailStore.Outbound o) {
        CustomerProfile profile = o.profileId() == null ? null : crm.find(o.profileId(), 0).orElse(null);
        Optional<String> suppress = gate(o, profile);
        if (suppress.isPresent()) {
            String reason = suppress.get();
            tx.executeWithoutResult(st -> {
                mail.markSuppressed(o.id(), reason);
                if (profile != null) {
                    ObjectNode d = base(o);
                    d.put("reason", reason);
                    crm.addInteraction(profile.id(), new Interaction(SUPPRESSED, Instant.now(), InboundMailService.SOURCE,
                            "email", o.campaignCode(), null, null, "Mail not sent (" + reason + ")",
                            "suppressed:" + o.messageId(), d.toString()));
                }
            });
            LOG.info("Outbound mail {} to {} suppressed: {}", o.id(), o.to(), reason);
            return;
        }
        SmtpSender.Outgoing out;
        try {
            out = render(o, profile);
        } catch (RuntimeException e) {
            mail.markAttemptFailed(o.id(), "cannot render: " + e.getMessage(), null);
            LOG.warn("Outbound mail {} failed for good: cannot render template {}: {}", o.id(), o.template(), e.getMessage());
            return;
        }
        try {
            sender.send(out);
        } catch (MessagingException | RuntimeException e) {
            boolean last = o.attempts() + 1 >= props.getSmtp().getMaxAttempts();
            Duration wait = props.getSmtp().getRetryDelay().multipliedBy(1L << Math.min(10, o.attempts()));
            String reason = "SMTP: " + e.getClass().getSimpleName() + ": " + e.getMessage();
            mail.markAttemptFailed(o.id(), reason, last || permanent(e) ? null : wait);
            LOG.warn("Outbound mail {} to {} not sent (attempt {}): {}", o.id(), o.to(), o.attempts() + 1, reason);
            return;
        }
        tx.executeWithoutResult(st -> {
            mail.markSent(o.id(), out.subject());
            if (o.profileId() != null) {
                ObjectNode d = base(o);
                d.put("subject", out.subject());
                d.put("from", address(out.from()));
                crm.addInteraction(o.profileId(), new Interaction(InteractionType.EMAIL_OUT, Instant.now(),
                        InboundMailService.SOURCE, "email", o.campaignCode(), null, null, out.subject(), o.messageId(),
                        d.toString()));
                if (o.campaignCode() != null) {
                    crm.addCampaignResponse(crm.campaign(o.campaignCode(), null, "EMAIL").id(), o.profileId(), "sent",
                            Instant.now(), InboundMailService.SOURCE);
                }
            }
        });
    }

    private static boolean permanent(Exception e) {
        // 5xx from the server for this message (e.g. 550 mailbox unknown, 552 too large): retrying will not help
        String m = String.valueOf(e.getMessage());
        return e instanceof jakarta.mail.SendFailedException && m.matches("(?s).*\\b55\\d\\b.*");
    }

    /** Empty when the mail may go out, else why not. */
    Optional<String> gate(MailStore.Outbound o, CustomerProfile profile) {
        Optional<MailStore.AddressStatus> status = mail.addressStatus(o.to());
        if (status.isPresent() && status.get().undeliverable()) {
            return Optional.of("address undeliverable (hard bounce " + status.get().lastStatus() + ")");
        }
        if (profile != null) {
            Consent c = profile.consents().get(Channel.EMAIL);
            if (c != null && c.status() == ConsentStatus.OPT_OUT) {
                return Optional.of("opted out of EMAIL (" + c.source() + ", " + c.at() + ")");
            }
            if (Kind.CAMPAIGN.name().equals(o.kind()) && props.getCampaign().isRequireOptIn()
                    && (c == null || c.status() != ConsentStatus.OPT_IN)) {
                return Optional.of("no EMAIL opt-in for campaign mail");
            }
        } else if (Kind.CAMPAIGN.name().equals(o.kind())) {
            return Optional.of("campaign mail needs a profile");
        }
        return Optional.empty();
    }

    SmtpSender.Outgoing render(MailStore.Outbound o, CustomerProfile profile) {
        Map<String, String> model = new HashMap<>();
        if (profile != null) {
            profile.attributes().forEach((k, v) -> model.put(k, v.value()));
            model.put("profileId", profile.id().toString());
        }
        model.put("email", o.to());
        if (o.model() != null) {
            try {
                model.putAll(json.readValue(o.model(), new TypeReference<Map<String, String>>() { }));
            } catch (Exception e) {
                throw new IllegalArgumentException("stored model is not a JSON object of strings");
            }
        }
        String trackingToken = token.format(o.id());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-CRM-Hub-Token", trackingToken);
        boolean campaign = Kind.CAMPAIGN.name().equals(o.kind());
        if (campaign) {
            String t = unsubscribe.issue(o.id());
            String url = props.getUnsubscribe().getBaseUrl() + t;
            model.put("unsubscribeUrl", url);
            StringBuilder lu = new StringBuilder();
            String mailto = props.getUnsubscribe().getMailto();
            if (mailto != null && !mailto.isBlank()) {
                lu.append("<mailto:").append(mailto).append("?subject=")
                        .append(URLEncoder.encode("unsubscribe " + t, StandardCharsets.UTF_8).replace("+", "%20")).append(">, ");
            }
            lu.append('<').append(url).append('>');
            headers.put("List-Unsubscribe", lu.toString());
            headers.put("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            headers.put("Precedence", "bulk");
            headers.put("X-Campaign", o.campaignCode());
        }
        if (Kind.AUTO_RESPONSE.name().equals(o.kind())) {
            // RFC 3834: mark it automatic so the other side's robots do not answer it
            headers.put("Auto-Submitted", "auto-replied");
            headers.put("X-Auto-Response-Suppress", "All");
        }
        if (o.caseId() != null) {
            model.putIfAbsent("caseToken", caseToken.format(o.caseId()));
            model.putIfAbsent("caseNumber", String.format(Locale.ROOT, "%06d", o.caseId()));
        }
        model.put("trackingToken", trackingToken);
        MailTemplates.Rendered r = templates.render(o.template(), model);
        String subject = r.subject();
        if (o.caseId() != null && caseToken.find(subject).isEmpty()) {
            subject = subject + " " + caseToken.format(o.caseId());
        } else if (o.caseId() == null && (!campaign || props.getCampaign().isSubjectToken()) && token.find(subject).isEmpty()) {
            subject = subject + " " + trackingToken;
        }
        return new SmtpSender.Outgoing(props.getSmtp().getFrom(), o.to(), subject, r.text(), r.html(), o.messageId(),
                o.inReplyTo(), headers);
    }

    private ObjectNode base(MailStore.Outbound o) {
        ObjectNode d = json.createObjectNode();
        d.put("direction", "outbound");
        d.put("kind", o.kind().toLowerCase(Locale.ROOT));
        d.put("to", o.to());
        d.put("template", o.template());
        d.put("messageId", o.messageId());
        d.put("outboundId", o.id());
        if (o.caseId() != null) {
            d.put("caseId", o.caseId());
            d.put("caseToken", caseToken.format(o.caseId()));
        }
        if (o.campaignCode() != null) {
            d.put("campaign", o.campaignCode());
        }
        if (o.inReplyTo() != null) {
            d.put("inReplyTo", o.inReplyTo());
        }
        return d;
    }

    /** One-click unsubscribe (RFC 8058) from the mail {@code outboundId}: records the EMAIL opt-out with evidence. */
    public Optional<UUID> unsubscribe(long outboundId, String via, String remote) {
        Optional<MailStore.Outbound> o = mail.outbound(outboundId);
        if (o.isEmpty() || o.get().profileId() == null) {
            return Optional.empty();
        }
        MailStore.Outbound m = o.get();
        Instant now = Instant.now();
        String evidence = via + " for mail " + m.messageId() + (m.campaignCode() == null ? "" : " of campaign " + m.campaignCode())
                + " to " + m.to() + (remote == null ? "" : " from " + remote) + " at " + now;
        tx.executeWithoutResult(st -> {
            CrmStore.ConsentChange change = crm.setConsent(m.profileId(),
                    new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, InboundMailService.SOURCE, now, evidence, true));
            if (change.changed()) {
                ObjectNode d = base(m);
                d.put("direction", "inbound");
                d.put("action", "unsubscribe");
                d.put("via", via);
                crm.addInteraction(m.profileId(), new Interaction(InteractionType.CONSENT_CHANGED, now, InboundMailService.SOURCE,
                        "email", m.campaignCode(), null, null, "Unsubscribed from e-mail (" + via + ")",
                        "unsubscribe:" + m.id(), d.toString()));
                if (m.campaignCode() != null) {
                    crm.addCampaignResponse(crm.campaign(m.campaignCode(), null, "EMAIL").id(), m.profileId(),
                            "unsubscribe", now, InboundMailService.SOURCE);
                }
            }
        });
        return Optional.of(m.profileId());
    }
}
