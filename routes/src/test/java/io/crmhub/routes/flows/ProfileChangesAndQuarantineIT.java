package io.crmhub.routes.flows;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.outbox.OutboxRelay;
import org.apache.camel.CamelContext;
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
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
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
    @Autowired
    CrmStore store;
    @Autowired
    OutboxRelay relay;
    @Autowired
    DataSource core;
    @Autowired
    CamelContext camel;
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
    void sentChangesArePurgedAfterTheRetentionAndUnsentOnesKept() {
        String email = "purge." + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        UUID id = UUID.fromString(api.post("/api/v1/profiles", ProfileApiIT.record("crm", email, null, "Purge"))
                .json().get("profileId").asText());
        JdbcTemplate sql = new JdbcTemplate(core);
        await().atMost(Duration.ofSeconds(30)).until(() -> sql.queryForObject(
                "SELECT COUNT(*) FROM outbox WHERE profile_id = ? AND sent_at IS NOT NULL", Integer.class, id) == 1);
        // as if it had been sent eight days ago
        sql.update("UPDATE outbox SET sent_at = ?, created_at = ? WHERE profile_id = ?",
                java.sql.Timestamp.from(Instant.now().minus(Duration.ofDays(8))),
                java.sql.Timestamp.from(Instant.now().minus(Duration.ofDays(8))), id);
        try {
            // an unsent change of the same age stays (should the relay send it meanwhile, it was sent just now: kept too)
            sql.update("INSERT INTO outbox (profile_id, event_type, payload, created_at) VALUES (?, 'test.unsent', '{}', ?)",
                    id, java.sql.Timestamp.from(Instant.now().minus(Duration.ofDays(8))));
            assertThat(camel.getRouteController().getRouteStatus("outbox-purge").isStarted()).isTrue();
            assertThat(props.getOutbox().getRetention()).isEqualTo(Duration.ofDays(7));
            assertThat(relay.purge()).isGreaterThanOrEqualTo(1);
            assertThat(sql.queryForList("SELECT event_type FROM outbox WHERE profile_id = ?", String.class, id))
                    .containsExactly("test.unsent");
        } finally {
            sql.update("DELETE FROM outbox WHERE event_type = 'test.unsent'");
        }
    }

    /**
     * A burst of changes bigger than one relay round: every change leaves once. (Camel's timer hands
     * its exchange on asynchronously; while the Kafka send of one round was in flight, the next tick
     * started another round over the same unsent rows, so a burst went out many times over and the
     * rounds piled up in memory.) Each new profile's two events (created, consent) share an outbox
     * row: they leave as two messages, in order, with keys {@code <row>} and {@code <row>.1}.
     */
    @Test
    void aBurstOfChangesLeavesOnceEach() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int n = 3 * props.getOutbox().getBatchSize() + 17;
        RecordNormaliser normaliser = new RecordNormaliser(NormaliserSettings.defaults().withStrict(false));
        List<ProfileRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(normaliser.normalise(new ProfileRecord("crm", null,
                    List.of(Identity.of(IdentityType.EMAIL, "burst." + run + "." + i + "@example.com")),
                    Map.of("lastName", "Burst"), List.of(new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "crm",
                    Instant.now(), "burst", true)))).record());
        }
        Set<String> profiles = new HashSet<>();
        for (CrmStore.BatchItem item : store.upsertAll(records)) {
            assertThat(item.ok()).isTrue();
            profiles.add(item.result().profileId().toString());
        }
        assertThat(profiles).hasSize(n);

        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.subscribe(List.of(props.getKafka().getTopics().getProfileChanges()));
            Map<String, Integer> timesByOutboxId = new HashMap<>();
            Map<String, List<String>> eventsByProfile = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (profiles.contains(r.key())) {
                        timesByOutboxId.merge(header(r, "hub_outbox_id"), 1, Integer::sum);
                        eventsByProfile.computeIfAbsent(r.key(), k -> new ArrayList<>())
                                .add(header(r, "hub_event_type") + " " + header(r, "hub_outbox_id"));
                    }
                });
                assertThat(eventsByProfile.values()).filteredOn(l -> l.size() == 2).hasSize(n);
            });
            eventsByProfile.values().forEach(l -> {
                String row = l.get(0).substring("profile.created ".length());
                assertThat(l).as("one row, two events in order").containsExactly("profile.created " + row,
                        "consent.changed " + row + ".1");
            });
            // a few more rounds of the relay: nothing of the burst may come again
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (profiles.contains(r.key())) {
                        timesByOutboxId.merge(header(r, "hub_outbox_id"), 1, Integer::sum);
                    }
                });
            }
            assertThat(timesByOutboxId).hasSize(2 * n);
            assertThat(timesByOutboxId.entrySet()).filteredOn(e -> e.getValue() > 1).as("sent more than once").isEmpty();
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

        // the replay's new entry is the newest: first in the list; an entry that will never succeed is discarded
        var again = await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/api/v1/quarantine?status=OPEN&limit=1")
                .json().at("/entries/0"), e -> e.path("payload").asText().contains(u));
        long newer = again.get("id").asLong();
        assertThat(newer).isGreaterThan(qid);
        var discard = api.post("/api/v1/quarantine/" + newer + "/discard", null);
        assertThat(discard.status()).as(discard.body()).isEqualTo(200);
        assertThat(discard.json().get("status").asText()).isEqualTo("DISCARDED");
        assertThat(api.post("/api/v1/quarantine/" + newer + "/discard", null).status()).isEqualTo(409);
        assertThat(api.post("/api/v1/quarantine/" + newer + "/replay", null).status()).isEqualTo(409);
        assertThat(api.post("/api/v1/quarantine/999999999/discard", null).status()).isEqualTo(404);
        assertThat(api.withKey(ApiClient.READER_KEY).post("/api/v1/quarantine/" + newer + "/discard", null).status())
                .isEqualTo(403);
        assertThat(api.get("/api/v1/quarantine?status=DISCARDED&limit=1000").json().get("entries").findValuesAsText("id"))
                .contains(Long.toString(newer));
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
