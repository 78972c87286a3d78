package io.crmhub.routes;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prod profile refuses to start without admin credentials of its own. */
class ProdProfileRefusalTest {

    @Test
    void prodWithoutAdminCredentialsDoesNotStart() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(CrmHubApplication.class)
                .profiles("prod")
                // command-line arguments: they outrank config/application*.yml as the environment would
                .run("--spring.config.additional-location=optional:file:../config/",
                        "--HUB_DB_URL=jdbc:postgresql://127.0.0.1:5432/test?currentSchema=crmhub_prod_refusal",
                        "--HUB_DB_USER=postgres", "--HUB_DB_PASSWORD=",
                        "--HUB_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1", "--hub.kafka.create-topics=false",
                        "--spring.flyway.enabled=false", "--server.port=0")
                .close())
                .hasStackTraceContaining("HUB_ADMIN");
    }
}
