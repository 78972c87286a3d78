package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.clickstream.TrackingPlan;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.peers.KafkaBrokerProcess;
import io.crmhub.routes.peers.ScratchPostgres;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Nothing lost, nothing counted twice: a consumer of its own (own topic, group and connection pool
 * on the IT schema of the real PostgreSQL) under load while its database goes away — connections
 * refused for a while, then its server-side sessions killed mid-transaction — and while it
 * "crashes" between the database commit and the offset commit. Exact counts afterwards.
 */
@HubIntegrationTest
class ClickstreamOutageIT {

    @Autowired
    HubProperties hub;
    @Autowired
    ObjectMapper json;
    @Autowired
    TrackingPlan plan;
    @Autowired
    ClickstreamProperties clickstream;
    @Value("${spring.datasource.url}")
    String url;

    /** The database as the consumer sees it: refuses connections while {@code down}. */
    static final class SwitchableDataSource extends DelegatingDataSource {
        final AtomicBoolean down = new AtomicBoolean();

        SwitchableDataSource(javax.sql.DataSource target) {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (down.get()) {
                throw new SQLTransientConnectionException("database unavailable (outage test)", "08001");
            }
            return super.getConnection();
        }
    }

    private HikariDataSource pool(String app) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url + "&ApplicationName=" + app);
        cfg.setUsername("postgres");
        cfg.setPassword("");
        cfg.setMaximumPoolSize(3);
        cfg.setConnectionTimeout(2000);
        cfg.setPoolName(app);
        return new HikariDataSource(cfg);
    }

    private String topic(String name) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, hub.getKafka().getBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, 3, (short) 1))).all().get(20, TimeUnit.SECONDS);
        }
        return name;
    }

    private long committed(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, hub.getKafka().getBootstrapServers()))) {
            Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            return offsets.values().stream().filter(java.util.Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private ClickstreamStore store(javax.sql.DataSource ds, JdbcCrmStore crm) {
        return new ClickstreamStore(ds, crm, new RecordNormaliser(new NormaliserSettings("DE", ZoneId.of("Europe/Berlin"),
                true, false)), ClickstreamStore.Settings.defaults(), Clock.systemUTC());
    }

    private static JdbcCrmStore crm(javax.sql.DataSource ds, ObjectMapper json) {
        return new JdbcCrmStore(ds, SurvivorshipRules.parse("crm,clickstream"), new ConsentRules(), IdentityPolicy.defaults(),
                json);
    }

    private long pageViews(JdbcTemplate sql, String prefix) {
        Long n = sql.queryForObject("SELECT COALESCE(SUM(s.page_views), 0) FROM click_profile_stats s JOIN identity i"
                + " ON i.profile_id = s.profile_id WHERE i.type = 'ANONYMOUS_ID' AND i.\"value\" LIKE ?", Long.class, prefix + "%");
        return n == null ? 0 : n;
    }

    @Test
    void databaseOutageUnderLoadLosesNothingAndCountsNothingTwice() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = topic("it.clickstream.outage." + u);
        String group = "it-outage-" + u;
        String app = "cs-outage-" + u;
        int distinct = 3000;
        try (HikariDataSource real = pool(app); HikariDataSource admin = pool("cs-outage-admin-" + u)) {
            SwitchableDataSource ds = new SwitchableDataSource(real);
            JdbcCrmStore crm = crm(ds, json);
            ClickstreamConsumer consumer = consumer(hub.getKafka().getBootstrapServers(), topic, group, 2, 200, 50, 400, store(ds, crm), crm);
            JdbcTemplate sql = new JdbcTemplate(admin);
            AtomicInteger sent = new AtomicInteger();
            Thread load = new Thread(() -> {
                try (KafkaProducer<String, String> p = producer()) {
                    for (int i = 0; i < distinct; i++) {
                        String anon = "out-" + u + "-" + (i % 150);
                        String e = "{\"type\":\"page\",\"messageId\":\"" + u + "-" + i + "\",\"anonymousId\":\"" + anon
                                + "\",\"category\":\"it-outage\"}";
                        p.send(new ProducerRecord<>(topic, anon, e));
                        if (i % 10 == 0) {
                            p.send(new ProducerRecord<>(topic, anon, e));      // at-least-once producers re-send
                        }
                        sent.incrementAndGet();
                        if (i % 100 == 0) {
                            p.flush();
                            Thread.sleep(20);
                        }
                    }
                    p.flush();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "outage-load");
            consumer.start();
            try {
                load.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> pageViews(sql, "out-" + u) > 200);

                // 1. the database refuses connections: nothing is committed to Kafka meanwhile
                ds.down.set(true);
                Thread.sleep(400);
                long offsetsDuringOutage = committed(group);
                Thread.sleep(1500);
                assertThat(committed(group)).as("no offset commit while the database is away").isEqualTo(offsetsDuringOutage);
                ds.down.set(false);

                // 2. the database kills the consumer's sessions mid-transaction, a few times, under load
                for (int k = 0; k < 4; k++) {
                    sql.queryForList("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?", app);
                    Thread.sleep(300);
                }
                load.join(120_000);
                assertThat(sent.get()).isEqualTo(distinct);

                long produced = distinct + distinct / 10;
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
                        .until(() -> committed(group) == produced);
                assertThat(pageViews(sql, "out-" + u)).as("every distinct event exactly once").isEqualTo(distinct);
                assertThat(consumer.failedBatches()).as("the outage did hit batches").isGreaterThan(0);
                assertThat(sql.queryForObject("SELECT COUNT(*) FROM identity WHERE type = 'ANONYMOUS_ID' AND \"value\" LIKE ?",
                        Long.class, "out-" + u + "%")).isEqualTo(150);
            } finally {
                consumer.stop();
            }
        }
    }

    @Test
    void crashBetweenDatabaseCommitAndOffsetCommitIsDeduplicated() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = topic("it.clickstream.crash." + u);
        String group = "it-crash-" + u;
        try (HikariDataSource ds = pool("cs-crash-" + u)) {
            JdbcCrmStore crm = crm(ds, json);
            AtomicInteger crashes = new AtomicInteger();
            // committed in the database, offsets not
            ClickstreamStore crashing = failingAfterCommit(ds, crm, crashes, 3,
                    () -> new IllegalStateException("crash before the offset commit (test)"));
            producePageViews(topic, "c" + u, "crash-" + u, 500, 20);
            ClickstreamConsumer consumer = consumer(hub.getKafka().getBootstrapServers(), topic, group, 1, 100, 20, 100, crashing, crm);
            consumer.start();
            try {
                JdbcTemplate sql = new JdbcTemplate(ds);
                await().atMost(Duration.ofSeconds(60)).until(() -> committed(group) == 500);
                assertThat(crashes.get()).isGreaterThan(3);
                assertThat(pageViews(sql, "crash-" + u)).isEqualTo(500);
            } finally {
                consumer.stop();
            }
        }
    }

    /**
     * A failure that escapes the batch's own handling (here an {@link AssertionError} thrown after the
     * database commit, as a bug would) does not end the stream: the worker closes its consumer, a new
     * one rejoins the group, reads on from the committed offsets, and the batch applied twice in the
     * database is counted once.
     */
    @Test
    void unexpectedFailureRestartsTheConsumerAndCountsNothingTwice() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = topic("it.clickstream.restart." + u);
        String group = "it-restart-" + u;
        try (HikariDataSource ds = pool("cs-restart-" + u)) {
            JdbcCrmStore crm = crm(ds, json);
            ClickstreamStore failing = failingAfterCommit(ds, crm, new AtomicInteger(), 2,
                    () -> new AssertionError("unexpected failure after the database commit (test)"));
            producePageViews(topic, "r" + u, "restart-" + u, 300, 15);
            ClickstreamConsumer consumer = consumer(hub.getKafka().getBootstrapServers(), topic, group, 1, 100, 20, 100, failing, crm);
            consumer.start();
            try {
                await().atMost(Duration.ofSeconds(90)).until(() -> committed(group) == 300);
                assertThat(consumer.restarts()).isEqualTo(2);
                assertThat(consumer.aliveWorkers()).isEqualTo(1);
                assertThat(consumer.lastFailure()).contains("unexpected failure after the database commit");
                assertThat(pageViews(new JdbcTemplate(ds), "restart-" + u)).isEqualTo(300);
            } finally {
                consumer.stop();
            }
        }
    }

    /**
     * The broker process killed ({@code kill -9}) under load from the REST intake and the consumer,
     * then started again on its data: clients that got 503 send the same events again (as Segment
     * clients do), the consumer rejoins, and every distinct event is counted exactly once.
     */
    @Test
    void brokerKilledAndRestartedUnderLoadLosesNothingAndCountsNothingTwice() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = "it.clickstream.broker." + u;
        String group = "it-broker-" + u;
        int perClient = 1500;
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(); HikariDataSource ds = pool("cs-broker-" + u)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(20, TimeUnit.SECONDS);
            }
            JdbcCrmStore crm = crm(ds, json);
            ClickstreamConsumer consumer = consumer(broker.bootstrapServers(), topic, group, 2, 200, 50, 500, store(ds, crm), crm);
            JdbcTemplate sql = new JdbcTemplate(ds);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<Thread> clients = new java.util.ArrayList<>();
            try (EventPublisher publisher = new EventPublisher(broker.bootstrapServers(), topic, Duration.ofSeconds(2))) {
                EventIntake intake = new EventIntake(json, publisher, clickstream.getRest());
                for (int c = 0; c < 2; c++) {
                    int client = c;
                    clients.add(new Thread(() -> {
                        int i = 0;
                        while (i < perClient) {
                            // alternately one event and a batch of 10, as SDKs send them
                            int n = (i / 10) % 2 == 0 ? 1 : Math.min(10, perClient - i);
                            StringBuilder body = new StringBuilder(n > 1 ? "{\"batch\":[" : "");
                            for (int k = 0; k < n; k++) {
                                int seq = i + k;
                                body.append(k > 0 ? "," : "").append("{\"type\":\"page\",\"messageId\":\"b").append(u)
                                        .append('-').append(client).append('-').append(seq).append("\",\"anonymousId\":\"brk-")
                                        .append(u).append('-').append(seq % 100).append("\",\"name\":\"home\"}");
                            }
                            body.append(n > 1 ? "]}" : "");
                            byte[] bytes = body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                            while (true) {
                                try {
                                    intake.accept(bytes, "203.0.113.7");
                                    break;
                                } catch (EventPublisher.BrokerUnavailableException e) {
                                    refused.incrementAndGet();       // 503: the client sends the same events again
                                    try {
                                        Thread.sleep(200);
                                    } catch (InterruptedException ie) {
                                        return;
                                    }
                                }
                            }
                            accepted.addAndGet(n);
                            i += n;
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException ie) {
                                return;
                            }
                        }
                    }, "broker-restart-client-" + c));
                }
                consumer.start();
                try {
                    clients.forEach(Thread::start);
                    await().atMost(Duration.ofSeconds(60)).until(() -> pageViews(sql, "brk-" + u) > 300);

                    broker.kill();
                    await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() > 0);
                    int acceptedWhileDown = accepted.get();
                    Thread.sleep(2000);
                    assertThat(accepted.get()).as("no 202 while the broker is down").isLessThanOrEqualTo(acceptedWhileDown + 20);
                    broker.up();

                    for (Thread t : clients) {
                        t.join(180_000);
                    }
                    assertThat(accepted.get()).isEqualTo(2 * perClient);
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                            .until(() -> pageViews(sql, "brk-" + u) >= 2L * perClient);
                    Thread.sleep(1500);
                    assertThat(pageViews(sql, "brk-" + u)).as("every distinct event exactly once").isEqualTo(2L * perClient);
                    assertThat(refused.get()).as("the intake answered 503 while the broker was away").isPositive();
                    assertThat(consumer.isRunning()).isTrue();
                } finally {
                    clients.forEach(Thread::interrupt);
                    consumer.stop();
                }
            }
        }
    }

    /**
     * A PostgreSQL server of the test's own stopped like a crash ({@code pg_ctl stop -m immediate})
     * under load and started again (crash recovery): the consumer waits, takes its batches again,
     * and every distinct event is counted exactly once.
     */
    @Test
    void databaseServerCrashAndRestartUnderLoadLosesNothingAndCountsNothingTwice() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String topic = topic("it.clickstream.pgrestart." + u);
        String group = "it-pgrestart-" + u;
        int distinct = 4000;
        try (ScratchPostgres pg = ScratchPostgres.start()) {
            HikariConfig cfg = new HikariConfig();
            cfg.setJdbcUrl(pg.jdbcUrl() + "?currentSchema=crm");
            cfg.setUsername("postgres");
            cfg.setMaximumPoolSize(3);
            cfg.setConnectionTimeout(1000);
            try (HikariDataSource ds = new HikariDataSource(cfg)) {
                io.crmhub.connectors.crm.Migrations.migrate(ds, "crm");
                JdbcCrmStore crm = crm(ds, json);
                ClickstreamConsumer consumer = consumer(hub.getKafka().getBootstrapServers(), topic, group, 2, 200, 50, 500, store(ds, crm), crm);
                JdbcTemplate sql = new JdbcTemplate(ds);
                Thread load = new Thread(() -> {
                    try (KafkaProducer<String, String> p = producer()) {
                        for (int i = 0; i < distinct; i++) {
                            String anon = "pgr-" + u + "-" + (i % 120);
                            p.send(new ProducerRecord<>(topic, anon, "{\"type\":\"page\",\"messageId\":\"p" + u + "-" + i
                                    + "\",\"anonymousId\":\"" + anon + "\"}"));
                            if (i % 100 == 0) {
                                p.flush();
                                Thread.sleep(15);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "pg-restart-load");
                consumer.start();
                try {
                    load.start();
                    await().atMost(Duration.ofSeconds(60)).until(() -> pageViews(sql, "pgr-" + u) > 300);
                    pg.crash();
                    long during = committed(group);
                    Thread.sleep(2500);
                    assertThat(committed(group)).as("no offset commit while the database is down").isEqualTo(during);
                    pg.up();
                    load.join(120_000);
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                            .until(() -> committed(group) == distinct);
                    assertThat(pageViews(sql, "pgr-" + u)).as("every distinct event exactly once").isEqualTo(distinct);
                    assertThat(consumer.failedBatches()).as("the restart did hit batches").isPositive();
                } finally {
                    consumer.stop();
                }
            }
        }
    }

    /**
     * A store whose first {@code times} batches fail with {@code failure} after their database commit
     * (as a crash or bug between the commit and the offset commit would); {@code calls} counts the batches.
     */
    private ClickstreamStore failingAfterCommit(javax.sql.DataSource ds, JdbcCrmStore crm, AtomicInteger calls, int times,
                                                java.util.function.Supplier<? extends Throwable> failure) {
        return new ClickstreamStore(ds, crm, new RecordNormaliser(new NormaliserSettings("DE", ZoneId.of("Europe/Berlin"),
                true, false)), ClickstreamStore.Settings.defaults(), Clock.systemUTC()) {
            @Override
            public Report apply(List<ClickEvent> events) {
                Report r = super.apply(events);
                if (calls.getAndIncrement() < times) {
                    Throwable t = failure.get();
                    if (t instanceof Error e) {
                        throw e;
                    }
                    throw (RuntimeException) t;
                }
                return r;
            }
        };
    }

    /** Produces {@code n} page views (message ids {@code idPrefix-i}) of {@code users} anonymous ids {@code anonPrefix-k}. */
    private void producePageViews(String topic, String idPrefix, String anonPrefix, int n, int users) {
        try (KafkaProducer<String, String> p = producer()) {
            for (int i = 0; i < n; i++) {
                String anon = anonPrefix + "-" + (i % users);
                p.send(new ProducerRecord<>(topic, anon, "{\"type\":\"page\",\"messageId\":\"" + idPrefix + "-" + i
                        + "\",\"anonymousId\":\"" + anon + "\"}"));
            }
        }
    }

    /** A consumer of its own (topic, group, store), polling every 100 ms, with the given retry back-off. */
    private ClickstreamConsumer consumer(String bootstrap, String topic, String group, int threads, int batchSize,
                                         long retryInitialMs, long retryMaxMs, ClickstreamStore store, JdbcCrmStore crm) {
        return new ClickstreamConsumer(new ClickstreamConsumer.Source(bootstrap, topic, group, threads, batchSize,
                Duration.ofMillis(100), 64 * 1024, Duration.ofMillis(200), Duration.ofMillis(retryInitialMs), Duration.ofMillis(retryMaxMs)), store, plan, crm,
                json, null);
    }

    private KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, hub.getKafka().getBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    static Instant now() {
        return Instant.now();
    }
}
