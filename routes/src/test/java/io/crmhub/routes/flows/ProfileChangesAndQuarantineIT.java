package io.crmhub.routes.flows;

import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Changes leave through the outbox to Kafka; records arrive from Kafka; bad ones are quarantined and replayed. */
@HubIntegrationTest
class ProfileChangesAndQuarantineIT {

    @LocalServerPort
    int port;
    @Autowired
    HubProperties props;
    ApiClient api;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    @Test
    void everyChangeReachesTheProfileChangesTopicKeyedByProfile() {
        String email = "out." + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        String id = api.post("/api/v1/profiles", ProfileApiIT.record("crm", email, null, "Out"))
                .json().get("profileId").asText();
        api.put("/api/v1/profiles/" + id + "/consents/SMS", "{\"status\":\"OPT_OUT\",\"source\":\"crm\"}");

        // a fresh group reads the topic from the start and keeps this profile's events; delivery is
        // at least once, so consumers de-duplicate by hub_outbox_id as documented
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.subscribe(List.of(props.getKafka().getTopics().getProfileChanges()));
            Map<String, ConsumerRecord<String, String>> byOutboxId = new LinkedHashMap<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (id.equals(r.key())) {
                        byOutboxId.putIfAbsent(header(r, "hub_outbox_id"), r);
                    }
                });
                assertThat(byOutboxId.values()).extracting(r -> header(r, "hub_event_type"))
                        .contains("profile.created", "consent.changed");
            });
            List<ConsumerRecord<String, String>> mine = new ArrayList<>(byOutboxId.values());
            assertThat(mine).extracting(r -> header(r, "hub_event_type"))
                    .as("in the order they happened").containsExactly("profile.created", "consent.changed");
            assertThat(mine.get(0).value()).contains(id);
            assertThat(byOutboxId.keySet()).doesNotContainNull();
            assertThat(mine.stream().map(ConsumerRecord::partition).distinct()).as("one partition per profile").hasSize(1);
        }
    }

    @Test
    void recordsFromKafkaAreUpsertedAndBadOnesQuarantinedThenReplayed() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = props.getKafka().getTopics().getProfileRecords();
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "k1", "{\"source\":\"membership\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"in."
                    + u + "@example.com\"}],\"attributes\":{\"lastName\":\"MÜLLER\"}}")).get();
            // no identities: unusable, must be quarantined with the reason
            producer.send(new ProducerRecord<>(topic, "k2", "{\"source\":\"membership\",\"identities\":[],\"attributes\":{\"note\":\"" + u + "\"}}")).get();
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(api.get("/api/v1/profiles?email=in." + u + "%40example.com").status()).isEqualTo(200));
        assertThat(api.get("/api/v1/profiles?email=in." + u + "%40example.com").json().at("/attributes/lastName/value").asText())
                .isEqualTo("Müller");

        var entry = await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (var e : api.get("/api/v1/quarantine?status=OPEN&limit=1000").json().get("entries")) {
                if (e.get("payload").asText().contains(u)) {
                    return e;
                }
            }
            return null;
        }, e -> e != null);
        assertThat(entry.get("error").asText()).contains("no identities");
        assertThat(entry.get("routeId").asText()).isEqualTo("profile-intake");

        // the operator cannot fix the payload in place here; replaying it unchanged fails again and is re-quarantined,
        // and the replayed entry is no longer OPEN
        long qid = entry.get("id").asLong();
        var replay = api.post("/api/v1/quarantine/" + qid + "/replay", null);
        assertThat(replay.status()).as(replay.body()).isEqualTo(202);
        assertThat(api.post("/api/v1/quarantine/" + qid + "/replay", null).status()).isEqualTo(409);
        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/quarantine").status()).isEqualTo(403);
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private KafkaConsumer<String, String> consumer() {
        return io.crmhub.routes.KafkaTestClients.consumer(props);
    }

    private KafkaProducer<String, String> producer() {
        return io.crmhub.routes.KafkaTestClients.producer(props);
    }
}
