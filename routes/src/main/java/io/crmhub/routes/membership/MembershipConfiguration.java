package io.crmhub.routes.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.profiles.ProfileService;
import io.crmhub.routes.security.ApiAccessRules;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;

import javax.sql.DataSource;

import static io.crmhub.routes.security.ApiAccessRules.paths;

/** Wires the membership flow: sources from {@code hub.membership}, its API and access rules. */
@Configuration
public class MembershipConfiguration {

    @Bean(destroyMethod = "close")
    @DependsOnDatabaseInitialization
    MembershipSources membershipSources(MembershipProperties props, HubProperties hub, CrmStore crm, DataSource dataSource,
                                        ProfileService profiles, ObjectMapper json, ResourceLoader resources) {
        return new MembershipSources(props, hub.getInstanceId(), crm, dataSource, profiles.strictNormaliser(), json, resources);
    }

    /** /api/v1/membership/** is operations: scope admin. */
    @Bean
    ApiAccessRules membershipAccessRules() {
        return rules -> rules.requestMatchers(paths("/api/v1/membership/**")).hasAuthority("SCOPE_admin");
    }
}
