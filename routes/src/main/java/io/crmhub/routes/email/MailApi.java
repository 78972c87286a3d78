package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.connectors.email.MailTemplates;
import io.crmhub.connectors.email.UnsubscribeTokens;
import io.crmhub.mappings.email.TrackingToken;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.routes.api.ApiException;
import org.apache.camel.Exchange;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The email flow's REST operations (contract: openapi/flows/email.json). */
public class MailApi {

    private final MailStore mail;
    private final CrmStore crm;
    private final OutboundMailService outbound;
    private final MailTemplates templates;
    private final UnsubscribeTokens tokens;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final TrackingToken caseToken;

    public MailApi(MailStore mail, CrmStore crm, OutboundMailService outbound, MailTemplates templates,
                   UnsubscribeTokens tokens, TransactionTemplate tx, ObjectMapper json, MailProperties props) {
        this.mail = mail;
        this.crm = crm;
        this.outbound = outbound;
        this.templates = templates;
        this.tokens = tokens;
        this.tx = tx;
        this.json = json;
        this.caseToken = new TrackingToken(props.getCaseTokenFormat());
    }

    public void listUnmatched(Exchange exchange) throws Exception {
        String mailbox = exchange.getIn().getHeader("mailbox", String.class);
        Long before = exchange.getIn().getHeader("before", Long.class);
        int limit = exchange.getIn().getHeader("limit", 50, Integer.class);
        List<MailStore.Unmatched> page = mail.unmatched(mailbox, before, limit);
        List<Map<String, Object>> items = new ArrayList<>();
        for (MailStore.Unmatched u : page) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", u.id());
            m.put("mailbox", u.mailbox());
            m.put("messageId", u.messageId());
            m.put("from", u.from());
            m.put("fromName", u.fromName());
            m.put("subject", u.subject());
            m.put("snippet", u.snippet());
            m.put("receivedAt", u.receivedAt());
            m.put("recordedAt", u.recordedAt());
            if (u.details() != null) {
                JsonNode d = json.readTree(u.details());
                m.put("attachments", d.path("attachments"));
            }
            items.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        if (page.size() == limit && !page.isEmpty()) {
            body.put("next", "/api/v1/mail/unmatched?limit=" + limit + "&before=" + page.get(page.size() - 1).id()
                    + (mailbox == null ? "" : "&mailbox=" + java.net.URLEncoder.encode(mailbox, java.nio.charset.StandardCharsets.UTF_8)));
        }
        respond(exchange, 200, body);
    }

    public void getCase(Exchange exchange) throws Exception {
        long id = exchange.getIn().getHeader("caseId", Long.class);
        MailStore.ServiceCase c = mail.findCase(id).orElseThrow(() -> ApiException.notFound("No case " + id + "."));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", c.id());
        body.put("number", String.format(Locale.ROOT, "%06d", c.id()));
        body.put("token", caseToken.format(c.id()));
        body.put("mailbox", c.mailbox());
        body.put("subject", c.subject());
        body.put("status", c.status());
        body.put("profileId", c.profileId());
        body.put("customerAddress", c.customerAddress());
        body.put("messageCount", c.messageCount());
        body.put("openedAt", c.openedAt());
        body.put("updatedAt", c.updatedAt());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (MailStore.Handled h : mail.caseMessages(id)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", "inbound");
            m.put("messageId", h.messageId());
            m.put("from", h.from());
            m.put("subject", h.subject());
            m.put("outcome", h.outcome());
            m.put("at", h.processedAt());
            messages.add(m);
        }
        for (MailStore.Outbound o : mail.outboundOfCase(id)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", "outbound");
            m.put("messageId", o.messageId());
            m.put("to", o.to());
            m.put("subject", o.subject());
            m.put("status", o.status());
            m.put("at", o.sentAt() != null ? o.sentAt() : o.createdAt());
            messages.add(m);
        }
        messages.sort(Comparator.comparing(m -> m.get("at").toString()));
        body.put("messages", messages);
        respond(exchange, 200, body);
    }

    public void queue(Exchange exchange) throws Exception {
        JsonNode req = json.readTree(exchange.getIn().getBody(String.class));
        String template = req.path("template").asText();
        if (!templates.exists(template)) {
            throw ApiException.badRequest("No template '" + template + "' in " + templates.dir() + ".");
        }
        String campaign = req.hasNonNull("campaign") ? req.get("campaign").asText() : null;
        Map<String, String> model = new LinkedHashMap<>();
        req.path("model").fields().forEachRemaining(e -> model.put(e.getKey(), e.getValue().asText()));
        List<Map<String, Object>> queued = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        List<UUID> targets = new ArrayList<>();
        for (JsonNode id : req.path("profileIds")) {
            UUID p = UUID.fromString(id.asText());
            if (crm.find(p, 0).isPresent()) {
                targets.add(p);
            } else {
                skipped.add(Map.of("profileId", p.toString(), "reason", "no such profile"));
            }
        }
        for (JsonNode e : req.path("emails")) {
            String email = e.asText().strip().toLowerCase(Locale.ROOT);
            Optional<UUID> p = crm.lookup(Identity.of(IdentityType.EMAIL, email));
            if (p.isPresent()) {
                targets.add(p.get());
            } else {
                skipped.add(Map.of("email", email, "reason", "no profile with this address"));
            }
        }
        if (targets.isEmpty() && skipped.isEmpty()) {
            throw ApiException.badRequest("Give profileIds or emails.");
        }
        if (campaign != null) {
            crm.campaign(campaign, req.hasNonNull("campaignName") ? req.get("campaignName").asText() : campaign, "EMAIL");
        }
        OutboundMailService.Kind kind = campaign == null ? OutboundMailService.Kind.MESSAGE : OutboundMailService.Kind.CAMPAIGN;
        tx.executeWithoutResult(st -> {
            for (UUID p : targets) {
                try {
                    long id = outbound.queue(new OutboundMailService.Request(kind, p, null, template, model, campaign, null, null));
                    Map<String, Object> q = new LinkedHashMap<>();
                    q.put("outboundId", id);
                    q.put("profileId", p);
                    q.put("to", mail.outbound(id).map(MailStore.Outbound::to).orElse(null));
                    queued.add(q);
                } catch (IllegalArgumentException e) {
                    skipped.add(Map.of("profileId", p.toString(), "reason", e.getMessage()));
                }
            }
        });
        respond(exchange, 202, Map.of("queued", queued, "skipped", skipped));
    }

    public void getMessage(Exchange exchange) throws Exception {
        long id = exchange.getIn().getHeader("outboundId", Long.class);
        MailStore.Outbound o = mail.outbound(id).orElseThrow(() -> ApiException.notFound("No outbound mail " + id + "."));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", o.id());
        body.put("kind", o.kind());
        body.put("profileId", o.profileId());
        body.put("to", o.to());
        body.put("template", o.template());
        body.put("campaign", o.campaignCode());
        body.put("caseId", o.caseId());
        body.put("messageId", o.messageId());
        body.put("subject", o.subject());
        body.put("status", o.status());
        body.put("reason", o.reason());
        body.put("attempts", o.attempts());
        body.put("createdAt", o.createdAt());
        body.put("sentAt", o.sentAt());
        respond(exchange, 200, body);
    }

    public void unsubscribe(Exchange exchange) throws Exception {
        long id = verified(exchange);
        String remote = exchange.getIn().getHeader("X-Forwarded-For", String.class);
        String accept = exchange.getIn().getHeader("Accept", String.class);
        boolean browser = accept != null && accept.contains("text/html");
        outbound.unsubscribe(id, browser ? "unsubscribe page button" : "one-click unsubscribe (RFC 8058 List-Unsubscribe-Post)", remote)
                .orElseThrow(() -> ApiException.notFound("This unsubscribe link is not valid."));
        if (browser) {
            // a person pressed the button on the page: answer with a page, not JSON
            var msg = exchange.getMessage();
            msg.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            msg.setHeader(Exchange.CONTENT_TYPE, "text/html; charset=utf-8");
            msg.setBody("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>"
                    + "<body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>You are unsubscribed.</h1>"
                    + "<p>You will get no more of these e-mails.</p></body></html>");
            return;
        }
        respond(exchange, 200, Map.of("status", "unsubscribed", "channel", "EMAIL"));
    }

    public void unsubscribePage(Exchange exchange) {
        verified(exchange);
        String token = exchange.getIn().getHeader("token", String.class);
        String html = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
                <title>Unsubscribe</title></head>
                <body style="font-family:sans-serif;max-width:32em;margin:3em auto">
                <h1>Unsubscribe from our e-mails?</h1>
                <form method="post" action="%s">
                <input type="hidden" name="List-Unsubscribe" value="One-Click">
                <button type="submit">Unsubscribe</button>
                </form></body></html>
                """.formatted(MailTemplatesEscape.escape(token));
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        msg.setHeader(Exchange.CONTENT_TYPE, "text/html; charset=utf-8");
        msg.setBody(html);
    }

    private long verified(Exchange exchange) {
        String token = exchange.getIn().getHeader("token", String.class);
        return tokens.verify(token).orElseThrow(() -> ApiException.notFound("This unsubscribe link is not valid."));
    }

    private void respond(Exchange exchange, int status, Object body) throws Exception {
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, "application/json");
        msg.setBody(json.writeValueAsString(body));
    }

    /** HTML escaping for the one value the page shows. */
    static final class MailTemplatesEscape {
        static String escape(String s) {
            return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("\"", "&quot;").replace("'", "&#39;");
        }
    }
}
