package io.crmhub.routes.email;

import io.crmhub.connectors.email.MalformedMailException;
import io.crmhub.routes.errors.ApiErrorHandling;
import io.crmhub.routes.errors.FlowErrorHandling;
import io.crmhub.routes.errors.QuarantineProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mail.MailEndpoint;
import org.apache.camel.component.mail.microsoft.authenticator.MicrosoftExchangeOnlineOAuth2MailAuthenticator;
import org.springframework.stereotype.Component;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * The email flow:
 * <ul>
 *   <li>{@code mail-in.<name>}: one IMAP consumer per configured mailbox ({@link MailboxConsumer}).
 *       Messages are fetched in batches as raw bytes and handed to {@code mail-inbound} one by one;
 *       only those whose exchange returned (effect committed, or quarantined) are then moved to the
 *       processed folder, together.</li>
 *   <li>{@code mail-inbound}: parse, de-duplicate by Message-ID, and apply (timeline, case,
 *       auto-response, opt-out, bounce); unusable mail goes to the quarantine with its reason.</li>
 *   <li>{@code mail-outbound}: sends queued mail through the consent gate by SMTP.</li>
 *   <li>{@code api.mail*}: the REST operations of openapi/flows/email.json.</li>
 * </ul>
 */
@Component
public class MailRoutes extends RouteBuilder {

    public static final String ENTRY = "direct:mail-inbound";
    public static final String MAILBOX = "HubMailbox";
    public static final String OVERSIZE = "HubMailOversize";
    public static final String CONTRACT = "openapi/flows/email.json";

    private final MailProperties props;
    private final InboundMailService inbound;
    private final OutboundMailService outbound;
    private final MailApi api;

    private final io.crmhub.routes.config.HubProperties hub;
    private final io.crmhub.connectors.email.MailStore mailStore;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper;

    public MailRoutes(MailProperties props, InboundMailService inbound, OutboundMailService outbound, MailApi api,
                      io.crmhub.routes.config.HubProperties hub, io.crmhub.connectors.email.MailStore mailStore,
                      com.fasterxml.jackson.databind.ObjectMapper mapper) {
        this.hub = hub;
        this.mailStore = mailStore;
        this.mapper = mapper;
        this.props = props;
        this.inbound = inbound;
        this.outbound = outbound;
        this.api = api;
    }

    @Override
    public void configure() throws Exception {
        // REST DSL on its own paths (the profile API's rest-openapi consumer holds /api/v1/ as a prefix;
        // a second rest-openapi consumer on the same base path is refused by Camel). Requests are
        // validated against the merged contract, which includes openapi/flows/email.json.
        rest("/mail").clientRequestValidation(true)
                .get("/unmatched").routeId("rest.mailListUnmatched").to("direct:mailListUnmatched")
                .get("/cases/{caseId}").routeId("rest.mailGetCase").to("direct:mailGetCase")
                .post("/messages").routeId("rest.mailQueue").to("direct:mailQueue")
                .get("/messages/{outboundId}").routeId("rest.mailGetMessage").to("direct:mailGetMessage");
        rest("/unsubscribe").clientRequestValidation(true)
                .post("/{token}").routeId("rest.mailUnsubscribe").to("direct:mailUnsubscribe")
                .get("/{token}").routeId("rest.mailUnsubscribePage").to("direct:mailUnsubscribePage");
        operation("mailListUnmatched").bean(api, "listUnmatched");
        operation("mailGetCase").bean(api, "getCase");
        operation("mailQueue").bean(api, "queue");
        operation("mailGetMessage").bean(api, "getMessage");
        operation("mailUnsubscribe").bean(api, "unsubscribe");
        operation("mailUnsubscribePage").bean(api, "unsubscribePage");

        for (MailProperties.Inbox inbox : props.getInboxes()) {
            if (!inbox.isEnabled()) {
                continue;
            }
            from(mailbox(inbox))
                    .routeId("mail-in." + inbox.getName())
                    .to(ENTRY);
        }

        from(ENTRY)
                .routeId("mail-inbound")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(ENTRY))
                .setProperty(QuarantineProcessor.SOURCE, simple("mail:${header." + MAILBOX + "}"))
                .process(this::handle);

        // GDPR erasure reaches the flow's own tables: on profile.erased (no PII in the event) the
        // person's addresses, subjects and case data are scrubbed; idempotent, so at-least-once is fine
        from("kafka:" + hub.getKafka().getTopics().getProfileChanges()
                + "?groupId=crm-hub.mail-erasure&autoOffsetReset=earliest&breakOnFirstError=true")
                .routeId("mail-erasure")
                .filter(e -> {
                    Object h = e.getIn().getHeader("hub_event_type");
                    String type = h instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(h);
                    return "profile.erased".equals(type);
                })
                .process(e -> {
                    String id = mapper.readTree(e.getIn().getBody(String.class)).path("profileId").asText();
                    java.util.Map<String, Integer> n = mailStore.erase(java.util.UUID.fromString(id));
                    log.info("Erased the email flow's data of profile {}: {}", id, n);
                });

        if (outbound.sending()) {
            long period = Math.max(50, props.getSmtp().getPollInterval().toMillis());
            from("timer:mail-outbound?synchronous=true&delay=" + period + "&period=" + period)
                    .routeId("mail-outbound")
                    .process(e -> outbound.sendDue());
        }
    }

    private org.apache.camel.model.RouteDefinition operation(String operationId) {
        return from("direct:" + operationId).routeId("api." + operationId).routeConfigurationId(ApiErrorHandling.ID);
    }

    private void handle(Exchange e) {
        String mailbox = e.getIn().getHeader(MAILBOX, String.class);
        Object size = e.getIn().getHeader(OVERSIZE);
        if (size != null) {
            throw new MalformedMailException("message of " + size + " bytes is over the size cap of "
                    + props.getMaxMessageBytes() + " bytes (hub.mail.max-message-bytes); its headers are kept");
        }
        Object body = e.getIn().getBody();
        byte[] raw = body instanceof byte[] b ? b : e.getIn().getBody(String.class).getBytes(StandardCharsets.ISO_8859_1);
        InboundMailService.Outcome o = inbound.handle(mailbox, raw);
        e.getIn().setHeader("HubMailOutcome", o.outcome());
    }

    /**
     * The consuming endpoint of a mailbox: Camel's mail endpoint for the connection (URI, login or
     * OAuth2 authenticator, {@code options}) with the hub's {@link MailboxConsumer}.
     */
    private MailboxEndpoint mailbox(MailProperties.Inbox inbox) {
        MailEndpoint configured = getContext().getEndpoint(endpoint(inbox), MailEndpoint.class);
        Duration poll = inbox.getPollInterval() != null ? inbox.getPollInterval() : props.getPollInterval();
        MailboxEndpoint ep = new MailboxEndpoint(configured, new MailboxConsumer.Settings(inbox.getName(), inbox.getFolder(),
                inbox.getProcessedFolder(), props.getMaxMessagesPerPoll(), props.getBatchSize(), props.getMaxMessageBytes()));
        ep.setDelay(poll.toMillis());
        ep.setInitialDelay(Math.min(1000, poll.toMillis()));
        return ep;
    }

    /** The Camel mail endpoint URI of a mailbox (its connection). */
    String endpoint(MailProperties.Inbox inbox) {
        StringBuilder uri = new StringBuilder(inbox.getUri().strip());
        uri.append(uri.indexOf("?") < 0 ? '?' : '&');
        // connection settings only: what is read and where it goes is MailboxConsumer's (Settings)
        uri.append("folderName=").append(enc(inbox.getFolder()));
        if (inbox.getUsername() != null) {
            uri.append("&username=").append(enc(inbox.getUsername()));
        }
        if (inbox.getAuth() == MailProperties.Auth.EXCHANGE_OAUTH2) {
            MailProperties.Exchange x = inbox.getExchange();
            if (blank(x.getTenantId()) || blank(x.getClientId()) || blank(x.getClientSecret()) || blank(inbox.getUsername())) {
                throw new IllegalStateException("hub.mail.inboxes[" + inbox.getName() + "]: auth EXCHANGE_OAUTH2 needs "
                        + "exchange.tenant-id, exchange.client-id, exchange.client-secret and username (the mailbox address)");
            }
            String bean = "mailAuth-" + inbox.getName();
            getContext().getRegistry().bind(bean, new MicrosoftExchangeOnlineOAuth2MailAuthenticator(
                    x.getTenantId(), x.getClientId(), x.getClientSecret(), inbox.getUsername()));
            String proto = inbox.getUri().toLowerCase(Locale.ROOT).startsWith("imaps") ? "imaps" : "imap";
            uri.append("&authenticator=#").append(bean)
                    .append("&mail.").append(proto).append(".auth.mechanisms=XOAUTH2")
                    .append("&mail.").append(proto).append(".auth.login.disable=true")
                    .append("&mail.").append(proto).append(".auth.plain.disable=true");
        } else if (inbox.getPassword() != null) {
            uri.append("&password=RAW(").append(inbox.getPassword()).append(')');
        }
        if (inbox.getOptions() != null && !inbox.getOptions().isBlank()) {
            uri.append('&').append(inbox.getOptions().strip().replaceFirst("^[?&]", ""));
        }
        return uri.toString();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
