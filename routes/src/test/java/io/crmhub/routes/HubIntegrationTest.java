package io.crmhub.routes;

import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The whole hub against the real PostgreSQL on 127.0.0.1:5432 and a real in-process Kafka broker,
 * configured by the shipped {@code config/application.yml} plus {@code application-it.yml}.
 * All classes carrying this annotation share one application context (one broker, one schema).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.additional-location=optional:file:../config/,classpath:/it/")
@ActiveProfiles("it")
@AutoConfigureObservability(tracing = false)
@Import(HubIntegrationTest.CleanSchema.class)
public @interface HubIntegrationTest {

    /** Starts every test run on an empty schema. */
    @TestConfiguration
    class CleanSchema {
        @Bean
        FlywayMigrationStrategy cleanThenMigrate() {
            return (Flyway flyway) -> {
                flyway.clean();
                flyway.migrate();
            };
        }
    }
}
