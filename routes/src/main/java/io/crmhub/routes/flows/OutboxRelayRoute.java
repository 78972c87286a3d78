package io.crmhub.routes.flows;

import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.outbox.OutboxRelay;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * Profile changes out: every committed change in the outbox goes to the Kafka topic
 * {@code crm.profile.changes}, key = profile id, in commit order per profile, at least once.
 */
@Component
public class OutboxRelayRoute extends RouteBuilder {

    private final OutboxRelay relay;
    private final HubProperties props;

    public OutboxRelayRoute(OutboxRelay relay, HubProperties props) {
        this.relay = relay;
        this.props = props;
    }

    @Override
    public void configure() {
        // synchronous: the timer waits for a round to finish (Kafka acknowledged, rows marked sent)
        // before the next tick; asynchronous rounds overlapped and sent the same rows many times over
        from("timer:outbox-relay?synchronous=true&delay=1000&period=" + props.getOutbox().getPollInterval().toMillis())
                .routeId("outbox-relay")
                .autoStartup(props.getOutbox().isEnabled())
                .onException(Exception.class)
                    // the rows stay unsent and go out on a later round; nothing to quarantine
                    .handled(true)
                    .log(org.apache.camel.LoggingLevel.WARN, "Outbox relay round failed, will retry: ${exception.message}")
                .end()
                .filter(method(relay, "holdsLease"))
                .loopDoWhile(simple("${body} == null || ${body.size} > 0"))
                    .bean(relay, "nextBatch")
                    .filter(simple("${body.size} > 0"))
                        .to("kafka:" + props.getKafka().getTopics().getProfileChanges() + "?batchWithIndividualHeaders=true")
                        .bean(relay, "markSent")
                    .end()
                .end();

        // sent changes are kept for the retention (hub.outbox.retention), then deleted
        Duration retention = props.getOutbox().getRetention();
        from("timer:outbox-purge?synchronous=true&delay=60000&period=" + props.getOutbox().getPurgeInterval().toMillis())
                .routeId("outbox-purge")
                .autoStartup(props.getOutbox().isEnabled() && retention != null && !retention.isNegative() && !retention.isZero())
                .onException(Exception.class)
                    .handled(true)
                    .log(org.apache.camel.LoggingLevel.WARN, "Outbox purge failed, will retry: ${exception.message}")
                .end()
                .bean(relay, "purge");
    }
}
