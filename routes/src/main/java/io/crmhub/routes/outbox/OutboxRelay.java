package io.crmhub.routes.outbox;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.config.HubProperties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves committed outbox rows to Kafka. One hub instance at a time holds the relay lease, so
 * changes of one profile leave in commit order (key = profile id keeps them in one partition);
 * rows are marked sent only after the broker acknowledged them all (at least once).
 */
public class OutboxRelay {

    static final String LEASE = "outbox-relay";
    static final String BATCH_IDS = "hub.outboxIds";
    static final int PURGE_BATCH = 10_000;
    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private final CrmStore store;
    private final HubProperties props;
    private final CamelContext camel;

    public OutboxRelay(CrmStore store, HubProperties props, CamelContext camel) {
        this.store = store;
        this.props = props;
        this.camel = camel;
    }

    /** Takes or renews the relay lease for this instance. */
    public boolean holdsLease() {
        return store.acquireLease(LEASE, props.getInstanceId(), props.getOutbox().getLeaseTtl());
    }

    /**
     * The next batch as Kafka messages (body = JSON event, key = profile id, header {@code hub_outbox_id}
     * = the event's de-duplication key); the ids of their rows on the exchange.
     */
    public List<Message> nextBatch(Exchange exchange) {
        List<CrmStore.OutboxEvent> events = store.pendingOutbox(props.getOutbox().getBatchSize());
        List<Message> messages = new ArrayList<>(events.size());
        java.util.LinkedHashSet<Long> ids = new java.util.LinkedHashSet<>();
        for (CrmStore.OutboxEvent e : events) {
            Message m = new DefaultMessage(camel);
            m.setHeader(KafkaConstants.KEY, e.profileId() == null ? null : e.profileId().toString());
            m.setHeader("hub_event_type", e.eventType());
            m.setHeader("hub_outbox_id", e.key());
            m.setBody(e.payload());
            messages.add(m);
            ids.add(e.id());
        }
        exchange.setProperty(BATCH_IDS, new ArrayList<>(ids));
        return messages;
    }

    @SuppressWarnings("unchecked")
    public void markSent(Exchange exchange) {
        List<Long> ids = exchange.getProperty(BATCH_IDS, List.class);
        if (ids != null && !ids.isEmpty()) {
            store.markSent(ids);
        }
    }

    /**
     * Deletes the changes sent longer ago than the retention, in statements of {@value #PURGE_BATCH}
     * rows, when this instance holds the relay lease; returns how many.
     */
    public int purge() {
        Duration keep = props.getOutbox().getRetention();
        if (keep == null || keep.isZero() || keep.isNegative() || !holdsLease()) {
            return 0;
        }
        Instant before = Instant.now().minus(keep);
        int total = 0;
        int n;
        do {
            n = store.purgeSentOutbox(before, PURGE_BATCH);
            total += n;
        } while (n == PURGE_BATCH);
        if (total > 0) {
            log.info("Outbox: deleted {} changes sent before {} (retention {})", total, before, keep);
        }
        return total;
    }

    public void release() {
        store.releaseLease(LEASE, props.getInstanceId());
    }
}
