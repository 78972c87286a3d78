package io.crmhub.routes.clickstream;

import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.errors.FlowErrorHandling;
import io.crmhub.routes.errors.QuarantineProcessor;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;

/**
 * The clickstream flow's Camel side (the event intake is {@link ClickstreamController}, the
 * Kafka fold {@link ClickstreamConsumer}):
 * <ul>
 *   <li>{@code clickstream.projection}: changed engagement → the profiles' computed fields;</li>
 *   <li>{@code clickstream.housekeeping}: purge messageIds past the retention, fold engagement of
 *       profiles merged elsewhere into their survivor, drop engagement of erased profiles;</li>
 *   <li>{@code clickstream.audience-export}: every segment to the folder and the audiences topic
 *       (one instance at a time, lease {@code clickstream-audience-export});</li>
 *   <li>{@code clickstream.replay}: a quarantined event replayed goes back onto the topic.</li>
 * </ul>
 */
@Component
public class ClickstreamRoutes extends RouteBuilder {

    private final ClickstreamProperties props;
    private final HubProperties hub;
    private final ClickstreamStore store;
    private final CrmStore crm;
    private final AudienceExporter exporter;

    public ClickstreamRoutes(ClickstreamProperties props, HubProperties hub, ClickstreamStore store, CrmStore crm,
                             AudienceExporter exporter) {
        this.props = props;
        this.hub = hub;
        this.store = store;
        this.crm = crm;
        this.exporter = exporter;
    }

    @Override
    public void configure() {
        if (!props.isEnabled()) {
            return;
        }
        from(ClickstreamConsumer.REPLAY)
                .routeId("clickstream.replay")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(ClickstreamConsumer.REPLAY))
                .to("kafka:" + props.getTopic());

        from("timer:clickstream-projection?synchronous=true&period=" + props.getProjection().getInterval().toMillis() + "&delay=2000")
                .routeId("clickstream.projection")
                .onException(Exception.class).handled(true)
                    .log(LoggingLevel.WARN, "clickstream projection failed, retried next round: ${exception.message}")
                .end()
                .process(e -> {
                    // a round projects what was queued when it began: a profile changed again during the round
                    // is queued behind its end and waits for the next one, so under load its changes go together
                    int batch = props.getProjection().getBatchSize();
                    long end = store.queueEnd();
                    ClickstreamStore.Projected step;
                    do {
                        step = store.project(end, batch, props.getProjection().getTopInterests());
                    } while (step.more());
                });

        from("timer:clickstream-housekeeping?synchronous=true&period=" + props.getProjection().getHousekeepingInterval().toMillis()
                + "&delay=5000")
                .routeId("clickstream.housekeeping")
                .onException(Exception.class).handled(true)
                    .log(LoggingLevel.WARN, "clickstream housekeeping failed, retried next round: ${exception.message}")
                .end()
                .process(e -> {
                    int purged = store.purgeSeen(Instant.now().minus(props.getDedupRetention()));
                    int reconciled = store.reconcile();
                    e.getMessage().setBody("purged " + purged + " messageIds, reconciled " + reconciled + " profiles");
                })
                .log(LoggingLevel.DEBUG, "clickstream housekeeping: ${body}");

        ClickstreamProperties.Export export = props.getAudiences().getExport();
        if (export.isEnabled() && !props.getAudiences().getSegments().isEmpty()) {
            Duration ttl = export.getInterval().multipliedBy(2);
            from("timer:clickstream-audience-export?synchronous=true&period=" + export.getInterval().toMillis() + "&delay="
                    + export.getInterval().toMillis())
                    .routeId("clickstream.audience-export")
                    .onException(Exception.class).handled(true)
                        .log(LoggingLevel.WARN, "audience export failed, retried next round: ${exception.message}")
                    .end()
                    .filter(e -> crm.acquireLease("clickstream-audience-export", hub.getInstanceId(), ttl))
                    .process(e -> exporter.exportAll())
                    .end();
        }
    }
}
