package io.crmhub.routes.membership;

import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.routes.errors.FlowErrorHandling;
import io.crmhub.routes.errors.QuarantineProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Membership databases → CRM. Per source: a poll timer (incremental pass from the watermark; the
 * first pass is the initial full sync) and a reconciliation timer (deletions, changes no
 * watermark sees). A quarantined member is replayed through {@value #REPLAY}: it is read again
 * from its source and applied. The operations API ({@code /api/v1/membership/**}) is {@link MembershipApi}.
 */
@Component
public class MembershipRoutes extends RouteBuilder {

    public static final String REPLAY = "direct:membership-replay";

    private final MembershipSources sources;
    private final MembershipProperties props;

    public MembershipRoutes(MembershipSources sources, MembershipProperties props) {
        this.sources = sources;
        this.props = props;
    }

    @Override
    public void configure() {
        for (MembershipSync sync : sources.all()) {
            MembershipProperties.Source cfg = sources.config(sync.name());
            long poll = Math.max(100, cfg.getPollInterval().toMillis());
            from("timer:membership-" + sync.name() + "?synchronous=true&delay=2000&period=" + poll)
                    .routeId("membership." + sync.name() + ".poll")
                    .autoStartup(props.isEnabled() && !cfg.getPollInterval().isZero())
                    .bean(sync, "poll");
            long reconcile = cfg.getReconcileInterval().toMillis();
            from("timer:membership-" + sync.name() + "-reconcile?synchronous=true&delay=" + Math.max(60_000, reconcile) + "&period="
                    + Math.max(1000, reconcile))
                    .routeId("membership." + sync.name() + ".reconcile")
                    .autoStartup(props.isEnabled() && reconcile > 0)
                    .bean(sync, "reconcile");
        }

        from(REPLAY)
                .routeId("membership-replay")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(REPLAY))
                .setProperty(QuarantineProcessor.SOURCE, simple("membership:${header." + MembershipSync.HEADER_SOURCE + "}"))
                .process(this::replay);

    }

    private void replay(Exchange exchange) {
        String source = exchange.getIn().getHeader(MembershipSync.HEADER_SOURCE, String.class);
        String member = exchange.getIn().getHeader(MembershipSync.HEADER_MEMBER, String.class);
        if (source == null || member == null) {
            throw new IllegalArgumentException("a membership replay needs the headers " + MembershipSync.HEADER_SOURCE
                    + " and " + MembershipSync.HEADER_MEMBER);
        }
        MembershipSync sync = sources.get(source).orElseThrow(() ->
                new IllegalArgumentException("no membership source '" + source + "' is configured"));
        exchange.getMessage().setBody(sync.replay(member));
    }

}
