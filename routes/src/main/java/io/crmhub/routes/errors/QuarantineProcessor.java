package io.crmhub.routes.errors;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.config.HubProperties;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Puts a message that failed for good into the quarantine table: route, source, the flow's entry
 * endpoint (for replay), payload up to the configured cap, headers, the error and the attempts.
 */
@Component
public class QuarantineProcessor implements Processor {

    /** Exchange property a flow sets to name the endpoint a replay must go back to. */
    public static final String REPLAY_URI = "hub.replayUri";
    /** Exchange property a flow sets to name the source system of the message. */
    public static final String SOURCE = "hub.source";

    private static final Logger LOG = LoggerFactory.getLogger(QuarantineProcessor.class);

    private final CrmStore store;
    private final HubProperties props;

    public QuarantineProcessor(CrmStore store, HubProperties props) {
        this.store = store;
        this.props = props;
    }

    @Override
    public void process(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String routeId = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        if (routeId == null) {
            routeId = exchange.getFromRouteId();
        }
        String endpoint = exchange.getProperty(REPLAY_URI, String.class);
        if (endpoint == null && exchange.getFromEndpoint() != null) {
            endpoint = exchange.getFromEndpoint().getEndpointUri();
        }
        String source = exchange.getProperty(SOURCE, String.class);
        Integer redeliveries = exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
        int attempts = 1 + (redeliveries == null ? 0 : redeliveries);
        String payload = capped(exchange.getIn().getBody(String.class));
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getIn().getHeaders().forEach((k, v) -> {
            if (v != null && !k.startsWith("Camel") && (v instanceof CharSequence || v instanceof Number
                    || v instanceof Boolean || v instanceof byte[])) {
                headers.put(k, v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : v.toString());
            }
        });
        String reason = error == null ? "unknown error" : describe(error);
        Instant now = Instant.now();
        long id = store.quarantine(new CrmStore.QuarantineEntry(0, routeId, source, endpoint, payload, headers,
                reason, attempts, now, now, "OPEN"));
        exchange.setProperty("hub.quarantineId", id);
        LOG.warn("Quarantined message {} from route {} after {} attempt(s): {}", id, routeId, attempts, reason);
    }

    private String capped(String payload) {
        int cap = props.getErrors().getQuarantinePayloadCap();
        if (payload == null || payload.length() <= cap) {
            return payload;
        }
        return payload.substring(0, cap);
    }

    static String describe(Throwable error) {
        StringBuilder sb = new StringBuilder(error.getClass().getSimpleName()).append(": ").append(error.getMessage());
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != error) {
            sb.append(" (caused by ").append(root.getClass().getSimpleName()).append(": ")
                    .append(root.getMessage()).append(')');
        }
        return sb.toString();
    }
}
