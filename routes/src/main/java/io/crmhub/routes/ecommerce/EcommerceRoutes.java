package io.crmhub.routes.ecommerce;

import io.crmhub.connectors.ecommerce.EcommerceStore;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.errors.FlowErrorHandling;
import io.crmhub.routes.errors.QuarantineProcessor;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

import java.time.Clock;

/**
 * The e-commerce flow.
 * <pre>
 *  Shopify ──HMAC──► ShopifyWebhookController ─┐
 *  POST /ecommerce/orders (Segment spec) ──────┼─► Kafka hub.ecommerce.orders ──► ecommerce-intake
 *  shops publishing directly ──────────────────┘        (resolve buyer → order version → timeline →
 *                                                         computed fields → promotion state) ──► crm.promotions
 *  crm.profile.changes (consent, merge, unmerge, erase) ──► ecommerce-profile-changes ──► crm.promotions
 * </pre>
 * Unusable events go to the quarantine with the reason and can be replayed.
 */
@Component
public class EcommerceRoutes extends RouteBuilder {

    public static final String INTAKE = "direct:ecommerce-intake";
    public static final String PROFILE_CHANGES = "direct:ecommerce-profile-changes";

    private final EcommerceProperties props;
    private final HubProperties hub;
    private final EcommerceService service;
    private final PromotionService promotions;
    private final ProfileChangeListener listener;
    private final EcommerceStore store;
    private final Clock clock;

    public EcommerceRoutes(EcommerceProperties props, HubProperties hub, EcommerceService service,
                           PromotionService promotions, ProfileChangeListener listener, EcommerceStore store, Clock ecommerceClock) {
        this.props = props;
        this.hub = hub;
        this.service = service;
        this.promotions = promotions;
        this.listener = listener;
        this.store = store;
        this.clock = ecommerceClock;
    }

    @Override
    public void configure() {
        // order events: webhooks persisted by the controller, Segment events, shops publishing directly
        from("kafka:" + props.getOrdersTopic() + "?groupId=crm-hub.ecommerce&autoOffsetReset=earliest&breakOnFirstError=true"
                + "&maxPollRecords=50&consumersCount=" + Math.max(1, props.getConsumers()))
                .routeId("ecommerce-intake.kafka")
                .to(INTAKE);

        from(INTAKE)
                .routeId("ecommerce-intake")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(INTAKE))
                .setProperty(QuarantineProcessor.SOURCE, constant("kafka:" + props.getOrdersTopic()))
                .bean(service, "accept");

        // what changes promotions without an order
        from("kafka:" + hub.getKafka().getTopics().getProfileChanges()
                + "?groupId=crm-hub.ecommerce-promotions&autoOffsetReset=earliest&breakOnFirstError=true")
                .routeId("ecommerce-profile-changes.kafka")
                .filter(exchange -> ProfileChangeListener.relevant(exchange.getIn().getHeader("hub_event_type", String.class)))
                .to(PROFILE_CHANGES);

        from(PROFILE_CHANGES)
                .routeId("ecommerce-profile-changes")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(PROFILE_CHANGES))
                .setProperty(QuarantineProcessor.SOURCE, constant("kafka:" + hub.getKafka().getTopics().getProfileChanges()))
                .bean(listener, "on");

        // promotion states not yet on Kafka (Kafka was away when they changed)
        from("timer:ecommerce-promotions-publisher?synchronous=true&delay=5000&period=" + props.getPublishInterval().toMillis())
                .routeId("ecommerce-promotions-publisher")
                .onException(Exception.class)
                    .handled(true)
                    .log(LoggingLevel.WARN, "Promotions publisher round failed, will retry: ${exception.message}")
                .end()
                .process(exchange -> promotions.publishAllPending(500));

        // forget webhook ids after the retention (Shopify stops retrying after 4 hours)
        from("timer:ecommerce-receipts-purge?synchronous=true&delay=60000&period=3600000")
                .routeId("ecommerce-receipts-purge")
                .onException(Exception.class)
                    .handled(true)
                    .log(LoggingLevel.WARN, "Webhook receipt purge failed, will retry: ${exception.message}")
                .end()
                .process(exchange -> store.purgeReceipts(clock.instant().minus(props.getShopify().getDedupRetention())));
    }

}
