package io.crmhub.routes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded default as the README runs it: no external service, the CRM core in an H2 file,
 * Kafka in-process. A profile round-trips over HTTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.additional-location=optional:file:../config/"})
class EmbeddedDefaultSmokeIT {

    @TempDir
    static Path data;

    @DynamicPropertySource
    static void embeddedDatabaseInTempDir(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:file:" + data.resolve("crmhub")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
    }

    @LocalServerPort
    int port;

    @Test
    void aProfileRoundTripsOverHttp() {
        ApiClient api = new ApiClient(port, ApiClient.DEV_KEY);
        var created = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"Smoke@Example.com\"},"
                + "{\"type\":\"PHONE\",\"value\":\"030 1234567\"}],\"attributes\":{\"firstName\":\"smoke\",\"country\":\"Deutschland\"}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("profileId").asText();

        var found = api.get("/api/v1/profiles?phone=%2B49301234567");
        assertThat(found.status()).as(found.body()).isEqualTo(200);
        assertThat(found.json().get("id").asText()).isEqualTo(id);
        assertThat(found.json().at("/attributes/country/value").asText()).isEqualTo("DE");
        assertThat(Files.exists(data.resolve("crmhub.mv.db"))).isTrue();

        assertThat(new ApiClient(port, null).get("/actuator/health").json().at("/components/kafka/status").asText())
                .isEqualTo("UP");
    }
}
