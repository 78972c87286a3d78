package io.crmhub.routes.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import io.crmhub.routes.api.ProfileApi;
import io.crmhub.routes.kafka.KafkaTopics;
import io.crmhub.routes.outbox.OutboxRelay;
import io.crmhub.routes.profiles.ProfileIntake;
import io.crmhub.routes.profiles.ProfileService;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;

import javax.sql.DataSource;
import java.time.ZoneId;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** Wires the plain-Java mappings and connectors into the application from {@code hub.*}. */
@Configuration
public class HubBeans {

    /**
     * Spring MVC's controllers are looked up before Camel's platform-http routes. Camel registers its
     * mapping at order -1, in front of Spring MVC's (0), and finds a request by matching the path
     * against every one of its REST routes' patterns; a request for a controller (POST /api/v1/events,
     * the list uploads, the shop's webhooks) paid that scan twice (Spring Security's handler look-up,
     * then the dispatcher's), about a tenth of the request's CPU in a profile of the event intake,
     * before Spring MVC found it by its direct path. The two serve disjoint paths (Camel: profiles,
     * quarantine, mail, unsubscribe; Spring MVC: the rest), so the order decides only what is tried
     * first; a Camel request now first misses Spring MVC's few mappings.
     */
    @Bean
    static org.springframework.beans.factory.config.BeanPostProcessor mvcBeforeCamelHandlerMapping() {
        return new org.springframework.beans.factory.config.BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if ("requestMappingHandlerMapping".equals(beanName)
                        && bean instanceof org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping m) {
                    m.setOrder(-2);
                }
                return bean;
            }
        };
    }

    @Bean
    SurvivorshipRules survivorshipRules(HubProperties props) {
        return new SurvivorshipRules(props.getSurvivorship().getSourcePriority());
    }

    @Bean
    ConsentRules consentRules() {
        return new ConsentRules();
    }

    @Bean
    IdentityPolicy identityPolicy(HubProperties props) {
        HubProperties.Identity id = props.getIdentity();
        Set<IdentityType> unique = id.getUniquePerProfileTypes().stream()
                .map(t -> IdentityType.valueOf(t.trim().toUpperCase(Locale.ROOT)))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        return IdentityPolicy.defaults()
                .withRoleMailboxes(id.getRoleMailboxes())
                .withMaxProfilesPerIdentifier(id.getMaxProfilesPerIdentifier())
                .withUniquePerProfileTypes(unique);
    }

    @Bean
    @DependsOnDatabaseInitialization
    CrmStore crmStore(DataSource dataSource, SurvivorshipRules survivorship, ConsentRules consent,
                      IdentityPolicy policy, ObjectMapper mapper) {
        return new JdbcCrmStore(dataSource, survivorship, consent, policy, mapper);
    }

    /** ANALYZE of the hub's tables that bulk work has grown (PostgreSQL); without a timer when switched off. */
    @Bean(destroyMethod = "close")
    @DependsOnDatabaseInitialization
    io.crmhub.connectors.jdbc.StatisticsKeeper statisticsKeeper(DataSource dataSource, HubProperties props) {
        java.time.Duration every = props.getStatistics().getCheckInterval();
        return every == null || every.isZero() || every.isNegative()
                ? io.crmhub.connectors.jdbc.StatisticsKeeper.manual(dataSource)
                : io.crmhub.connectors.jdbc.StatisticsKeeper.start(dataSource, every);
    }

    @Bean
    ProfileService profileService(CrmStore store, HubProperties props) {
        HubProperties.Normalise n = props.getNormalise();
        ZoneId zone = ZoneId.of(n.getDefaultZone());
        return new ProfileService(store,
                new RecordNormaliser(new NormaliserSettings(n.getDefaultRegion(), zone, n.isDayFirst(), true)),
                new RecordNormaliser(new NormaliserSettings(n.getDefaultRegion(), zone, n.isDayFirst(), false)));
    }

    @Bean
    ProfileApi profileApi(ProfileService profiles, ObjectMapper mapper, ProducerTemplate producer) {
        return new ProfileApi(profiles, mapper, producer);
    }

    @Bean
    ProfileIntake profileIntake(ProfileService profiles, ObjectMapper mapper) {
        return new ProfileIntake(profiles, mapper);
    }

    @Bean
    KafkaTopics kafkaTopics(HubProperties props) {
        return new KafkaTopics(props);
    }

    /**
     * The topics of the backbone, created (when missing) just before Camel starts its routes: late, so
     * that the rest of the context is built while an embedded broker is still starting.
     */
    @Bean
    CamelContextConfiguration backboneTopics(KafkaTopics topics, HubProperties props) {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camelContext) {
                topics.ensure(List.of(props.getKafka().getTopics().getProfileChanges(),
                        props.getKafka().getTopics().getProfileRecords()));
            }

            @Override
            public void afterApplicationStart(CamelContext camelContext) {
            }
        };
    }

    @Bean
    OutboxRelay outboxRelay(CrmStore store, HubProperties props, CamelContext camel) {
        return new OutboxRelay(store, props, camel);
    }
}
