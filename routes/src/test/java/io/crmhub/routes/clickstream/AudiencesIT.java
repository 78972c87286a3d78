package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.clickstream.MatchKeys;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Audiences out: aggregates with the k-anonymity floor, hashed match lists with ads consent, the export. */
@HubIntegrationTest
class AudiencesIT {

    @LocalServerPort
    int port;
    @Autowired
    HubProperties hub;
    @Autowired
    ClickstreamProperties props;
    @Autowired
    CrmStore crm;
    @Autowired
    ClickstreamStore clicks;
    @Autowired
    AudienceExporter exporter;

    private record Person(String userId, String email, String phone, String birthDate, String gender, String country,
                          ConsentStatus ads) {
    }

    @Test
    void segmentAggregateMatchListAndExport() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 6);
        ApiClient api = new ApiClient(port, ApiClient.DEV_KEY);
        List<Person> people = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            people.add(new Person("aud-" + u + "-f" + i, i == 0 ? "Jane.Doe." + u + "@GMail.com" : "f" + i + "." + u + "@example.com",
                    i == 0 ? "030 1234" + (500 + i) : null, "1996-06-01", "female", "DE", ConsentStatus.OPT_IN));
        }
        people.add(new Person("aud-" + u + "-m0", "m0." + u + "@example.com", null, "1978-01-01", "male", "FR", ConsentStatus.OPT_IN));
        people.add(new Person("aud-" + u + "-m1", "m1." + u + "@example.com", null, "1978-03-01", "male", "FR", ConsentStatus.OPT_IN));
        people.add(new Person("aud-" + u + "-nc", "nc." + u + "@example.com", null, "1996-01-01", "female", "DE", null));
        people.add(new Person("aud-" + u + "-out", "out." + u + "@example.com", null, "1996-01-01", "female", "DE",
                ConsentStatus.OPT_OUT));
        // a child whose parents' device said yes to ads: counted in the aggregate (no age band), never matched
        people.add(new Person("aud-" + u + "-kid", "kid." + u + "@example.com", null, "2016-01-01", "female", "DE",
                ConsentStatus.OPT_IN));
        Instant t = Instant.now();
        for (Person p : people) {
            List<Consent> consents = p.ads() == null ? List.of()
                    : List.of(new Consent(Channel.ADS, p.ads(), "web", t, "consent banner", true));
            List<Identity> ids = new ArrayList<>(List.of(Identity.of(IdentityType.EXTERNAL_ID, "web", p.userId()),
                    Identity.of(IdentityType.EMAIL, p.email().toLowerCase())));
            if (p.phone() != null) {
                ids.add(Identity.of(IdentityType.PHONE, "+49" + p.phone().substring(1).replace(" ", "")));
            }
            crm.upsert(new ProfileRecord("crm", t, ids, Map.of("birthDate", p.birthDate(), "gender", p.gender().toUpperCase(),
                    "country", p.country()), consents));
            StringBuilder batch = new StringBuilder("{\"batch\":[");
            for (int k = 0; k < 2; k++) {
                batch.append(k == 0 ? "" : ",").append("{\"type\":\"page\",\"userId\":\"").append(p.userId())
                        .append("\",\"category\":\"it-sports\"}");
            }
            assertThat(api.post("/api/v1/events", batch.append("]}").toString()).status()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(40)).until(() -> people.stream().filter(p -> p.ads() != ConsentStatus.OPT_OUT)
                .allMatch(p -> crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", p.userId()))
                        .flatMap(clicks::engagement).map(ClickstreamStore.Engagement::pageViews).orElse(0L) == 2));

        JsonNode agg = api.get("/api/v1/audiences/it-sports").json();
        assertThat(agg.get("members").asLong()).as("in published cells; the opted-out person is never in a segment")
                .isEqualTo(6);
        assertThat(agg.get("kFloor").asInt()).isEqualTo(3);
        assertThat(agg.get("cells")).hasSize(1);
        assertThat(agg.at("/cells/0/cell/ageBand").asText()).isEqualTo("25-34");
        assertThat(agg.at("/cells/0/cell/gender").asText()).isEqualTo("FEMALE");
        assertThat(agg.at("/cells/0/cell/region").asText()).isEqualTo("DE");
        assertThat(agg.at("/cells/0/cell/interest").asText()).isEqualTo("it-sports");
        assertThat(agg.at("/cells/0/count").asLong()).isEqualTo(6);
        assertThat(agg.get("suppressedCells").asInt()).as("45-54 MALE FR has 2 < 3, the child's 1").isEqualTo(2);
        assertThat(agg.has("suppressedMembers")).as("no count that tells a suppressed cell's size").isFalse();

        JsonNode floor = api.get("/api/v1/audiences/it-floor").json();
        assertThat(floor.get("kFloor").asInt()).as("the default floor").isEqualTo(100);
        assertThat(floor.get("cells")).isEmpty();
        assertThat(floor.get("members").asLong()).isZero();
        assertThat(floor.get("suppressedCells").asInt()).isEqualTo(3);

        ApiClient.Response list = api.get("/api/v1/audiences/it-sports/match-list");
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        JsonNode ml = list.json();
        assertThat(ml.get("consentingMembers").asLong()).as("only ADS opt-ins").isEqualTo(7);
        assertThat(ml.get("suppressed").asBoolean()).isFalse();
        List<String> emails = ml.get("entries").findValuesAsText("hashedEmails").isEmpty() ? List.of() : new ArrayList<>();
        ml.get("entries").forEach(e -> e.get("hashedEmails").forEach(h -> emails.add(h.asText())));
        assertThat(emails).hasSize(7)
                .contains(MatchKeys.sha256("janedoe" + u + "@gmail.com"))
                .doesNotContain(MatchKeys.sha256("nc." + u + "@example.com"), MatchKeys.sha256("out." + u + "@example.com"),
                        MatchKeys.sha256("kid." + u + "@example.com"));
        assertThat(ml.toString()).contains(MatchKeys.sha256("+49301234500")).doesNotContain("@example.com");
        assertThat(api.get("/api/v1/audiences/it-floor/match-list").json().get("suppressed").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/audiences/it-floor/match-list").json().has("consentingMembers")).isFalse();
        assertThat(api.get("/api/v1/audiences/it-floor/match-list").json().get("entries")).isEmpty();

        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/audiences/it-sports").status()).isEqualTo(403);
        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/audiences/it-sports/match-list").status()).isEqualTo(403);
        ApiClient.Response missing = api.get("/api/v1/audiences/nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("detail").asText()).contains("it-sports");

        // scheduled export: files (atomic) and the audiences topic
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, hub.getKafka().getBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(props.getAudiences().getExport().getTopic()));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                c.poll(Duration.ofMillis(200));
                return !c.assignment().isEmpty();
            });
            List<Path> files = exporter.exportAll();
            assertThat(files).anySatisfy(f -> assertThat(f.getFileName().toString()).startsWith("it-sports.aggregate."));
            Path matchFile = files.stream().filter(f -> f.getFileName().toString().startsWith("it-sports.match-list."))
                    .findFirst().orElseThrow();
            assertThat(Files.readString(matchFile)).contains(MatchKeys.sha256("janedoe" + u + "@gmail.com"));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
                assertThat(got).anySatisfy(r -> {
                    assertThat(r.key()).isEqualTo("it-sports");
                    assertThat(new String(r.headers().lastHeader("hub_audience_kind").value())).isEqualTo("match-list");
                });
            });
        }
    }
}
