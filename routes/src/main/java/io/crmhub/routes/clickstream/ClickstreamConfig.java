package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.clickstream.AudienceStore;
import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.clickstream.TrackingPlan;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.kafka.KafkaTopics;
import io.crmhub.routes.profiles.ProfileService;
import io.crmhub.routes.security.ApiAccessRules;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.crmhub.routes.security.ApiAccessRules.paths;

/** Wires the clickstream flow from {@code hub.clickstream.*}. */
@Configuration
@EnableConfigurationProperties(ClickstreamProperties.class)
public class ClickstreamConfig {

    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamConfig.class);

    @Bean
    ApiAccessRules clickstreamAccessRules() {
        return a -> a
                .requestMatchers(paths(HttpMethod.POST, "/api/v1/events", "/api/v1/events/**")).hasAuthority("SCOPE_events:write")
                .requestMatchers(paths(HttpMethod.GET, "/api/v1/audiences/*/match-list")).hasAuthority("SCOPE_admin")
                .requestMatchers(paths(HttpMethod.GET, "/api/v1/audiences/**")).hasAuthority("SCOPE_audiences:read");
    }

    @Bean
    TrackingPlan clickstreamTrackingPlan(ClickstreamProperties props, ObjectMapper json) {
        Path folder = Path.of(props.getTrackingPlan().getFolder());
        TrackingPlan plan = TrackingPlan.load(folder, props.getTrackingPlan().isAllowUnplanned(), json);
        if (plan.planned().isEmpty()) {
            LOG.warn("Clickstream tracking plan: no schemas in {} — every event is accepted", folder.toAbsolutePath());
        } else {
            LOG.info("Clickstream tracking plan: {} event schemas from {} ({}; unplanned track events {})",
                    plan.planned().size(), folder, plan.files(),
                    props.getTrackingPlan().isAllowUnplanned() ? "accepted" : "quarantined");
        }
        return plan;
    }

    @Bean
    @DependsOnDatabaseInitialization
    ClickstreamStore clickstreamStore(DataSource dataSource, CrmStore crm, ProfileService profiles,
                                      ClickstreamProperties props) {
        Map<ClickEvent.Type, Double> weights = new EnumMap<>(ClickEvent.Type.class);
        props.getInterestWeights().forEach((k, v) -> {
            try {
                weights.put(ClickEvent.Type.valueOf(k.trim().toUpperCase(Locale.ROOT).replace('-', '_')), v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("hub.clickstream.interest-weights: unknown event type '" + k
                        + "' (page, screen, track, ad_click, ad_impression)");
            }
        });
        return new ClickstreamStore(dataSource, crm, profiles.strictNormaliser(),
                new ClickstreamStore.Settings(props.getUserIdNamespace(), props.getSessionTimeout(),
                        props.getInterestHalfLife(), weights), Clock.systemUTC());
    }

    @Bean
    @DependsOnDatabaseInitialization
    Audiences clickstreamAudiences(DataSource dataSource, ClickstreamProperties props, HubProperties hub) {
        return new Audiences(props.getAudiences(), new AudienceStore(dataSource, props.getInterestHalfLife(),
                hub.getNormalise().getDefaultRegion(), Clock.systemUTC()));
    }

    @Bean(destroyMethod = "close")
    EventPublisher clickstreamPublisher(ClickstreamProperties props, HubProperties hub, KafkaTopics topics) {
        if (props.isEnabled()) {
            topics.ensure(List.of(props.getTopic(), props.getAudiences().getExport().getTopic()));
        }
        return new EventPublisher(hub.getKafka().getBootstrapServers(), props.getTopic(), props.getRest().getProduceTimeout(),
                props.getRest().getLinger(), props.getRest().getCompression());
    }

    @Bean
    EventIntake clickstreamIntake(ObjectMapper json, EventPublisher publisher, ClickstreamProperties props,
                                  io.crmhub.routes.config.HubProperties hub) {
        // every request to /api/v1 is held to hub.api.max-body-bytes first: a larger batch limit would never apply
        new io.crmhub.routes.config.SettingChecks().check(props.getRest().getMaxBatchBytes() <= hub.getApi().getMaxBodyBytes(),
                "hub.clickstream.rest.max-batch-bytes (" + props.getRest().getMaxBatchBytes() + ") is above"
                        + " hub.api.max-body-bytes (" + hub.getApi().getMaxBodyBytes() + "), which every request to /api/v1"
                        + " is held to first: raise hub.api.max-body-bytes too").verify();
        return new EventIntake(json, publisher, props.getRest());
    }

    @Bean
    ClickstreamConsumer clickstreamConsumer(ClickstreamProperties props, HubProperties hub, ClickstreamStore store,
                                            TrackingPlan plan, CrmStore crm, ObjectMapper json,
                                            ObjectProvider<MeterRegistry> meters) {
        ClickstreamProperties.Consumer c = props.getConsumer();
        return new ClickstreamConsumer(new ClickstreamConsumer.Source(hub.getKafka().getBootstrapServers(),
                props.getTopic(), c.getGroupId(), c.getThreads(), c.getBatchSize(), c.getPollTimeout(),
                c.getFetchMinBytes(), c.getFetchMaxWait(), c.getRetryInitialDelay(), c.getRetryMaxDelay()),
                store, plan, crm, json, meters.getIfAvailable());
    }

    /** Shown as {@code clickstreamConsumer} in /actuator/health (the suffix is dropped). */
    @Bean
    ClickstreamConsumerHealth clickstreamConsumerHealthIndicator(ClickstreamConsumer consumer) {
        return new ClickstreamConsumerHealth(consumer);
    }

    /** Pause / resume and the counters in JMX (Hawtio's JMX tab): {@value ClickstreamConsumerControl#NAME}. */
    @Bean(destroyMethod = "close")
    ClickstreamConsumerControl clickstreamConsumerControl(ClickstreamConsumer consumer) {
        return new ClickstreamConsumerControl(consumer);
    }

    /** Starts the consumer after everything else (Camel included) and stops it first. */
    @Bean
    SmartLifecycle clickstreamConsumerLifecycle(ClickstreamConsumer consumer, ClickstreamProperties props) {
        return new SmartLifecycle() {
            @Override
            public void start() {
                if (props.isEnabled() && props.getConsumer().isEnabled()) {
                    consumer.start();
                }
            }

            @Override
            public void stop() {
                consumer.stop();
            }

            @Override
            public boolean isRunning() {
                return consumer.isRunning();
            }

            @Override
            public int getPhase() {
                return Integer.MAX_VALUE - 100;
            }
        };
    }

    @Bean
    AudienceExporter clickstreamAudienceExporter(Audiences audiences, ClickstreamProperties props, ObjectMapper json,
                                                 ProducerTemplate producer) {
        return new AudienceExporter(audiences, props.getAudiences().getExport(), json, producer);
    }
}
