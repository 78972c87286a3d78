package io.crmhub.routes.outbox;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.config.HubProperties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;

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

    /** The next batch as Kafka messages (body = JSON event, key = profile id); their ids on the exchange. */
    public List<Message> nextBatch(Exchange exchange) {
        List<CrmStore.OutboxEvent> events = store.pendingOutbox(props.getOutbox().getBatchSize());
        List<Message> messages = new ArrayList<>(events.size());
        List<Long> ids = new ArrayList<>(events.size());
        for (CrmStore.OutboxEvent e : events) {
            Message m = new DefaultMessage(camel);
            m.setHeader(KafkaConstants.KEY, e.profileId() == null ? null : e.profileId().toString());
            m.setHeader("hub_event_type", e.eventType());
            m.setHeader("hub_outbox_id", String.valueOf(e.id()));
            m.setBody(e.payload());
            messages.add(m);
            ids.add(e.id());
        }
        exchange.setProperty(BATCH_IDS, ids);
        return messages;
    }

    @SuppressWarnings("unchecked")
    public void markSent(Exchange exchange) {
        List<Long> ids = exchange.getProperty(BATCH_IDS, List.class);
        if (ids != null && !ids.isEmpty()) {
            store.markSent(ids);
        }
    }

    public void release() {
        store.releaseLease(LEASE, props.getInstanceId());
    }
}
