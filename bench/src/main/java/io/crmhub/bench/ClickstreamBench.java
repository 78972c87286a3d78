package io.crmhub.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario "clickstream" (issue 4), both paths, each against its baseline in the same run:
 * <ol>
 *   <li>Kafka path: N generated events (300–500 bytes, U distinct users) on the topic; Kafka's own
 *       {@code kafka-consumer-perf-test} ({@code org.apache.kafka.tools.ConsumerPerformance}) reads
 *       them; then the hub (the real jar, on PostgreSQL) folds them into profile aggregates — rate
 *       from its committed offsets, first commit to last; exact counts checked in the database.</li>
 *   <li>REST path: single events against {@code POST /api/v1/events} vs the bare endpoint of the same
 *       app ({@code /api/v1/events/_bare}, 202 without Kafka); batches of 100; then single events at
 *       half the maximum rate with latency percentiles; then the same with the hub's fold paused.
 *       Concurrency 128 by default: a single event waits for the broker's acknowledgement (the producer's
 *       linger and a round trip, ~3 ms), so 32 connections capped single events at 32 in flight ÷ ~3 ms
 *       whatever the hub could do; 128 saturates both endpoints on 2 cores (256 was slower for both).</li>
 * </ol>
 * Arguments: hubJar events users consumerThreads restSeconds concurrency jdbcUrl user password
 */
public final class ClickstreamBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] CATEGORIES = {"sports", "travel", "news", "fashion", "tech", "food", "finance", "auto",
            "music", "games", "health", "home"};
    private static final String[] CAMPAIGNS = {"winter-sale", "spring-launch", "newsletter-12", "retargeting-a", "brand"};
    private static final String KEY = "dev-key-change-me";

    public static void main(String[] args) throws Exception {
        String jar = arg(args, 0, "routes/target/crm-hub.jar");
        int events = Integer.parseInt(arg(args, 1, "1000000"));
        int users = Integer.parseInt(arg(args, 2, "200000"));
        int threads = Integer.parseInt(arg(args, 3, "2"));
        int restSeconds = Integer.parseInt(arg(args, 4, "20"));
        int concurrency = Integer.parseInt(arg(args, 5, "128"));
        String url = arg(args, 6, "jdbc:postgresql://127.0.0.1:5432/test");
        String user = arg(args, 7, "postgres");
        String password = arg(args, 8, "");
        String schema = "crmhub_bench_click";
        String topic = "hub.clickstream";

        System.out.printf("scenario clickstream: %,d events, %,d users, hub consumer threads %d, REST %d s at concurrency %d%n",
                events, users, threads, restSeconds, concurrency);
        EmbeddedKafkaKraftBroker broker = broker();
        String bs = broker.getBrokersAsString();
        Process hub = null;
        try {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bs))) {
                admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1), new NewTopic("hub.audiences", 3, (short) 1)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            // ---- produce ------------------------------------------------------------------------
            Random rnd = new Random(42);
            long t0 = System.nanoTime();
            long[] produced = produce(bs, topic, events, users, rnd);
            long bytes = produced[0];
            long nonIdentity = produced[1];
            double produceRate = events / secs(t0);
            System.out.printf("produced  %,d events (avg %d bytes) at %,.0f events/s (acks=all)%n", events, bytes / events,
                    produceRate);

            // ---- baseline: kafka-consumer-perf-test on the same topic ------------------------------
            double[] perf = consumerPerfTest(bs, topic, events);
            System.out.printf("baseline  kafka-consumer-perf-test: %,.0f events/s (%,.0f events/s fetch only)%n",
                    perf[0], perf[1]);

            // ---- the hub --------------------------------------------------------------------------
            try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
            int port = 18089;
            // BENCH_HUB_JVM: more JVM options for the hub (an A/B of a JVM setting, e.g. -XX:MaxGCPauseMillis=20)
            List<String> cmd = new ArrayList<>(List.of("java", "-Xmx1g"));
            String jvm = System.getenv("BENCH_HUB_JVM");
            if (jvm != null && !jvm.isBlank()) {
                cmd.addAll(List.of(jvm.trim().split("\\s+")));
                System.out.println("hub       extra JVM options: " + jvm.trim());
            }
            cmd.addAll(List.of("-jar", jar,
                    "--server.port=" + port,
                    "--hub.kafka.embedded.enabled=false", "--hub.kafka.bootstrap-servers=" + bs,
                    "--spring.datasource.url=" + url + "?currentSchema=" + schema + "&reWriteBatchedInserts=true",
                    "--spring.datasource.username=" + user, "--spring.datasource.password=" + password,
                    "--spring.datasource.hikari.maximum-pool-size=" + (threads + 6),
                    "--spring.flyway.schemas=" + schema,
                    "--hub.clickstream.consumer.threads=" + threads,
                    "--hub.clickstream.rest.bare-endpoint=true",
                    "--hub.outbox.enabled=false",
                    "--logging.level.root=WARN", "--logging.level.io.crmhub=INFO",
                    "--logging.level.io.crmhub.connectors.clickstream.ClickstreamStore=DEBUG"));
            // BENCH_HUB_ARGS: more hub arguments for an A/B of a setting (e.g. --hub.clickstream.rest.compression=none)
            String extra = System.getenv("BENCH_HUB_ARGS");
            if (extra != null && !extra.isBlank()) {
                cmd.addAll(List.of(extra.trim().split("\\s+")));
                System.out.println("hub       extra arguments: " + extra.trim());
            }
            File log = new File("bench/target/clickstream-hub.log");
            long started = System.nanoTime();
            hub = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
            waitHealthy(port, hub);
            System.out.printf("hub       up in %.1f s (log %s)%n", secs(started), log);
            String group = "crm-hub.clickstream";
            long first = -1;
            long firstCount = 0;
            long committed = 0;
            long last = System.nanoTime();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bs))) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
                while (committed < events && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                    committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                            .values().stream().filter(java.util.Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
                    if (committed > 0 && first < 0) {
                        first = System.nanoTime();
                        firstCount = committed;
                    }
                    last = System.nanoTime();
                    if (!hub.isAlive()) {
                        throw new IllegalStateException("the hub died, see " + log);
                    }
                }
            }
            double hubRate = (committed - firstCount) / secs(first, last);
            long folded;
            long profiles;
            try (Connection c = DriverManager.getConnection(url + "?currentSchema=" + schema, user, password);
                 Statement s = c.createStatement()) {
                ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(events), 0), COUNT(*) FROM click_profile_stats");
                rs.next();
                folded = rs.getLong(1);
                profiles = rs.getLong(2);
            }
            // the baseline once more, right after the hub, to bracket a load that changes meanwhile
            double[] after = consumerPerfTest(bs, topic, events);
            double baseline = (perf[0] + after[0]) / 2;
            System.out.printf("baseline  kafka-consumer-perf-test again: %,.0f events/s (mean of both runs %,.0f events/s)%n",
                    after[0], baseline);
            System.out.printf("hub       folded %,d events into %,d profiles at %,.0f events/s (first to last offset commit)"
                    + " = %.2f x kafka-consumer-perf-test (mean); exact: %s%n", committed, profiles, hubRate, hubRate / baseline,
                    folded == nonIdentity ? "yes (" + folded + " engagement events)" : "NO: " + folded + " of " + nonIdentity);

            // ---- REST ------------------------------------------------------------------------------
            if (restSeconds <= 0) {
                System.out.println("REST      skipped (restSeconds 0)");
                return;
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + port + "/api/v1/events";
            // closed loops: wrk when it is installed (a C load generator takes far less of the 2 cores than
            // the JDK client, which shares a JVM with the broker), else the JDK HttpClient
            boolean wrk = wrkAvailable();
            System.out.printf("REST      load generator: %s%n", wrk ? "wrk (2 threads)" : "JDK HttpClient (install wrk for less overhead)");
            Loop loop = wrk ? (u, b, c, t) -> wrkLoop(u, b, c, t, rnd) : (u, b, c, t) -> closedLoop(http, u, b, c, t, rnd);
            // warm-up of both paths first: the JIT takes tens of seconds to settle (in one run without it the
            // bare endpoint went 5.2K -> 17.9K -> 20.1K requests/s over three 15 s rounds)
            Load bareWarm = loop.run(base + "/_bare", 1, concurrency, Math.max(10, restSeconds));
            Load singleWarm = loop.run(base, 1, concurrency, Math.max(10, restSeconds));
            waitCaughtUp(bs, group, topic, 600);
            System.out.printf("REST      warm-up: bare %,.0f requests/s, single %,.0f events/s%n", bareWarm.eventsPerSecond(),
                    singleWarm.eventsPerSecond());
            // bare and single in alternating rounds: the machine's speed drifts between phases (a run's bare
            // figure moved 4.4K-7.5K requests/s), and the ratio is meant to compare like with like; the events
            // just posted are folded behind the answers, so the next bare round starts once the fold caught up
            Rounds folding = rounds(loop, base, concurrency, restSeconds, () -> waitCaughtUp(bs, group, topic, 600));
            Load bare = folding.bare();
            Load single = folding.single();
            Load batched = loop.run(base, 100, Math.max(2, concurrency / 4), restSeconds);
            // the batches just posted are folded behind the acknowledgements: let the consumer catch up first,
            // so that the latency at half the max rate is the REST path's, not that of a backlog being folded
            double caughtUp = waitCaughtUp(bs, group, topic, 600);
            Load halfBare = openLoop(port, "/api/v1/events/_bare", single.eventsPerSecond() / 2, restSeconds, concurrency, rnd);
            Load half = openLoop(port, "/api/v1/events", single.eventsPerSecond() / 2, restSeconds, concurrency, rnd);
            System.out.printf("REST      bare endpoint (baseline): %,.0f requests/s (mean of the rounds), p50 %.1f ms, p99 %.1f ms (highest)%n",
                    bare.eventsPerSecond(), bare.p50(), bare.p99());
            System.out.printf("REST      single events:            %,.0f events/s = %.2f x bare, p50 %.1f ms, p99 %.1f ms, errors %d%n",
                    single.eventsPerSecond(), single.eventsPerSecond() / bare.eventsPerSecond(), single.p50(), single.p99(),
                    single.errors());
            System.out.printf("REST      rounds (single/bare):        %s%n", folding.text());
            System.out.printf("REST      batches of 100:           %,.0f events/s, p50 %.1f ms, p99 %.1f ms per batch, errors %d%n",
                    batched.eventsPerSecond(), batched.p50(), batched.p99(), batched.errors());
            System.out.printf("REST      (the fold caught up with the posted batches in %.1f s)%n", caughtUp);
            System.out.printf("REST      bare at that rate (%,.0f/s):  achieved %,.0f/s, p50 %.1f ms, p99 %.1f ms, errors %d%n",
                    single.eventsPerSecond() / 2, halfBare.eventsPerSecond(), halfBare.p50(), halfBare.p99(), halfBare.errors());
            System.out.printf("REST      single at half max (%,.0f/s): achieved %,.0f/s, p50 %.1f ms, p99 %.1f ms, errors %d%n",
                    single.eventsPerSecond() / 2, half.eventsPerSecond(), half.p50(), half.p99(), half.errors());
            // the REST path alone: the same rounds with this instance's fold paused (JMX, as an operator would
            // in Hawtio), so that the single-event phases do not share the cores with folding their own events
            jolokia(http, port, "pause");
            Rounds alone = rounds(loop, base, concurrency, restSeconds, () -> 0);
            // and the latency at the same half rate as above with nothing folded meanwhile: the REST path's own,
            // as on an instance that only takes events (hub.clickstream.consumer.enabled=false)
            Load halfAlone = openLoop(port, "/api/v1/events", single.eventsPerSecond() / 2, restSeconds, concurrency, rnd);
            jolokia(http, port, "resume");
            double caughtUpAgain = waitCaughtUp(bs, group, topic, 600);
            Load bareAlone = alone.bare();
            Load singleAlone = alone.single();
            System.out.printf("REST      fold paused: bare %,.0f requests/s, single %,.0f events/s = %.2f x bare (p50 %.1f ms,"
                            + " p99 %.1f ms), errors %d; rounds %s; after resume the fold caught up in %.1f s%n",
                    bareAlone.eventsPerSecond(), singleAlone.eventsPerSecond(),
                    singleAlone.eventsPerSecond() / bareAlone.eventsPerSecond(), singleAlone.p50(), singleAlone.p99(),
                    singleAlone.errors() + bareAlone.errors(), alone.text(), caughtUpAgain);
            System.out.printf("REST      fold paused: single at half max (%,.0f/s): achieved %,.0f/s, p50 %.1f ms, p99 %.1f ms,"
                            + " errors %d%n", single.eventsPerSecond() / 2, halfAlone.eventsPerSecond(), halfAlone.p50(),
                    halfAlone.p99(), halfAlone.errors());
            if (bareWarm.errors() > 0) {
                System.out.println("(warm-up errors: " + bareWarm.errors() + ")");
            }
        } finally {
            if (hub != null) {
                hub.destroy();
                hub.waitFor(30, TimeUnit.SECONDS);
                hub.destroyForcibly();
            }
            broker.destroy();
        }
    }

    /** messageIds as SDKs send them (random UUIDs, analytics.js and RudderStack), from a generator of their own. */
    private static final Random MESSAGE_IDS = new Random(7);

    private static String messageId() {
        long hi = (MESSAGE_IDS.nextLong() & ~0xF000L) | 0x4000L;
        long lo = (MESSAGE_IDS.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(hi, lo).toString();
    }

    /** A KRaft broker with the settings of the benches (one node, offsets topic of 3 partitions). */
    static EmbeddedKafkaKraftBroker broker() {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3);
        broker.brokerProperty("offsets.topic.replication.factor", "1");
        broker.brokerProperty("offsets.topic.num.partitions", "3");
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("log.retention.bytes", "-1");
        broker.afterPropertiesSet();
        return broker;
    }

    /**
     * Produces the bench's events (acks=all, keyed by anonymousId: 1% identify calls, the rest page and track calls);
     * returns {bytes, events that are not identify calls}.
     */
    static long[] produce(String bs, String topic, int events, int users, Random rnd) {
        long bytes = 0;
        long nonIdentity = 0;
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262144,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                int who = rnd.nextInt(users);
                boolean identify = rnd.nextInt(100) == 0;
                byte[] e = event(i, who, identify, rnd).getBytes(StandardCharsets.UTF_8);
                if (!identify) {
                    nonIdentity++;
                }
                bytes += e.length;
                p.send(new ProducerRecord<>(topic, "anon-" + who, e));
            }
            p.flush();
        }
        return new long[]{bytes, nonIdentity};
    }

    private static String event(int i, int who, boolean identify, Random rnd) {
        String anon = "anon-" + who;
        String mid = messageId();
        String ts = Instant.parse("2026-11-01T00:00:00Z").plusSeconds(i / 10).toString();
        if (identify) {
            return "{\"type\":\"identify\",\"messageId\":\"" + mid + "\",\"anonymousId\":\"" + anon + "\",\"userId\":\"u-" + who
                    + "\",\"timestamp\":\"" + ts + "\",\"traits\":{\"email\":\"user" + who + "@example.com\"},"
                    + "\"context\":{\"ip\":\"203.0.113.0\",\"locale\":\"de-DE\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\"}}";
        }
        String category = CATEGORIES[rnd.nextInt(CATEGORIES.length)];
        String campaign = rnd.nextInt(4) == 0 ? ",\"campaign\":{\"name\":\"" + CAMPAIGNS[rnd.nextInt(CAMPAIGNS.length)]
                + "\",\"source\":\"newsletter\",\"medium\":\"email\"}" : "";
        String pad = "x".repeat(rnd.nextInt(120));
        if (rnd.nextInt(3) == 0) {
            return "{\"type\":\"track\",\"event\":\"Product Viewed\",\"messageId\":\"" + mid + "\",\"anonymousId\":\"" + anon
                    + "\",\"timestamp\":\"" + ts + "\",\"properties\":{\"product_id\":\"p-" + rnd.nextInt(5000)
                    + "\",\"category\":\"" + category + "\",\"price\":" + rnd.nextInt(200) + ".99,\"name\":\"" + pad + "\"},"
                    + "\"context\":{\"ip\":\"198.51.100.0\",\"locale\":\"de-DE\"" + campaign + "}}";
        }
        return "{\"type\":\"page\",\"name\":\"Article\",\"category\":\"" + category + "\",\"messageId\":\"" + mid
                + "\",\"anonymousId\":\"" + anon + "\",\"timestamp\":\"" + ts + "\",\"properties\":{\"path\":\"/a/" + i
                + "\",\"title\":\"" + pad + "\",\"url\":\"https://www.example.com/a/" + i + "\"},"
                + "\"context\":{\"ip\":\"198.51.100.0\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\"" + campaign + "}}";
    }

    /** Runs Kafka's ConsumerPerformance; returns {nMsg.sec, fetch.nMsg.sec}. */
    static double[] consumerPerfTest(String bs, String topic, int events) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            org.apache.kafka.tools.ConsumerPerformance.main(new String[]{"--bootstrap-server", bs, "--topic", topic,
                    "--messages", Integer.toString(events), "--group", "perf-" + System.nanoTime(), "--timeout", "120000"});
        } finally {
            System.setOut(out);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).trim().split("\n");
        String[] header = lines[0].split(",\\s*");
        String[] values = lines[lines.length - 1].split(",\\s*");
        double rate = Double.parseDouble(values[Arrays.asList(header).indexOf("nMsg.sec")].trim());
        double fetch = Double.parseDouble(values[Arrays.asList(header).indexOf("fetch.nMsg.sec")].trim());
        return new double[]{rate, fetch};
    }

    private static void waitHealthy(int port, Process hub) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!hub.isAlive()) {
                throw new IllegalStateException("the hub did not start, see bench/target/clickstream-hub.log");
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode h = JSON.readTree(r.body());
                if ("UP".equals(h.path("status").asText())) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the hub did not get healthy within 10 minutes");
    }

    record Load(double eventsPerSecond, double p50, double p99, long errors) {
    }

    /** Runs an operation of the hub's clickstream consumer MBean over Jolokia (admin login of the default config). */
    private static void jolokia(HttpClient http, int port, String operation) throws Exception {
        String auth = "Basic " + java.util.Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/actuator/jolokia/exec/io.crmhub:type=clickstream,name=consumer/" + operation))
                .header("Authorization", auth).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || JSON.readTree(r.body()).path("status").asInt() != 200) {
            throw new IllegalStateException("consumer " + operation + " over Jolokia failed: " + r.statusCode() + " " + r.body());
        }
    }

    /** Bare and single closed loops in {@link #ROUNDS} alternating rounds: their means and each round's ratio. */
    record Rounds(Load bare, Load single, String text) {
    }

    interface Pause {
        double await() throws Exception;
    }

    private static Rounds rounds(Loop loop, String base, int concurrency, int seconds, Pause afterSingle) throws Exception {
        List<Load> bares = new ArrayList<>();
        List<Load> singles = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < ROUNDS; r++) {
            Load b = loop.run(base + "/_bare", 1, concurrency, seconds);
            Load o = loop.run(base, 1, concurrency, seconds);
            afterSingle.await();
            bares.add(b);
            singles.add(o);
            text.append(r == 0 ? "" : ", ").append(String.format("%,.0f/%,.0f = %.2f", o.eventsPerSecond(),
                    b.eventsPerSecond(), o.eventsPerSecond() / b.eventsPerSecond()));
        }
        return new Rounds(mean(bares), mean(singles), text.toString());
    }

    /** Rounds of each closed loop, alternating bare and single. */
    static final int ROUNDS = 3;

    /** A closed loop: url, events per request, connections, seconds. */
    interface Loop {
        Load run(String url, int batch, int concurrency, int seconds) throws Exception;
    }

    /** Mean rate and p50 of the rounds, their highest p99, all their errors. */
    static Load mean(List<Load> rounds) {
        return new Load(rounds.stream().mapToDouble(Load::eventsPerSecond).average().orElse(0),
                rounds.stream().mapToDouble(Load::p50).average().orElse(0),
                rounds.stream().mapToDouble(Load::p99).max().orElse(0), rounds.stream().mapToLong(Load::errors).sum());
    }

    private static String restEvent(Random rnd) {
        return "{\"type\":\"page\",\"category\":\"" + CATEGORIES[rnd.nextInt(CATEGORIES.length)] + "\",\"anonymousId\":\"rest-"
                + rnd.nextInt(50_000) + "\",\"properties\":{\"path\":\"/p\",\"title\":\"" + "t".repeat(rnd.nextInt(200))
                + "\"},\"context\":{\"ip\":\"198.51.100.7\",\"userAgent\":\"bench\"}}";
    }

    private static String body(int batch, Random rnd) {
        if (batch == 1) {
            return restEvent(rnd);
        }
        StringBuilder sb = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < batch; i++) {
            sb.append(i == 0 ? "" : ",").append(restEvent(rnd));
        }
        return sb.append("]}").toString();
    }

    /** {@code concurrency} requests in flight for {@code seconds}. */
    private static Load closedLoop(HttpClient http, String url, int batch, int concurrency, int seconds, Random rnd)
            throws Exception {
        Semaphore inFlight = new Semaphore(concurrency);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long t0 = System.nanoTime();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            bodies.add(body(batch, rnd));
        }
        int i = 0;
        while (System.nanoTime() < end) {
            inFlight.acquire();
            long start = System.nanoTime();
            send(http, url, bodies.get(i++ % bodies.size())).whenComplete((status, ex) -> {
                if (ex != null || status != 202) {
                    errors.incrementAndGet();
                } else {
                    latencies.add(System.nanoTime() - start);
                }
                inFlight.release();
            });
        }
        inFlight.acquire(concurrency);
        double elapsed = secs(t0);
        return summary(latencies, batch, elapsed, errors.get());
    }

    private static boolean wrkAvailable() {
        try {
            Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
            return true;
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    /**
     * {@code concurrency} connections of wrk (2 threads) for {@code seconds}, each request one of 200
     * generated bodies (a Lua script reads them from a file); rate from the requests answered 2xx.
     */
    private static Load wrkLoop(String url, int batch, int concurrency, int seconds, Random rnd) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of("bench/target/wrk"));
        java.nio.file.Path bodies = dir.resolve("bodies-" + batch + ".txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(body(batch, rnd));
        }
        java.nio.file.Files.write(bodies, lines);
        java.nio.file.Path script = dir.resolve("post.lua");
        java.nio.file.Files.writeString(script, """
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "application/json"
                wrk.headers["X-API-Key"] = "%s"
                local bodies = {}
                for line in io.lines("%s") do bodies[#bodies + 1] = line end
                local i = 0
                request = function()
                  i = i %% #bodies + 1
                  return wrk.format(nil, nil, nil, bodies[i])
                end
                """.formatted(KEY, bodies.toAbsolutePath()));
        Process p = new ProcessBuilder("wrk", "-t2", "-c" + Math.max(2, concurrency), "-d" + seconds + "s", "--latency",
                "-s", script.toString(), url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("(\\d+) requests in ([\\d.]+)(ms|s|m)").matcher(out);
        if (!total.find()) {
            throw new IllegalStateException("unexpected wrk output: " + out);
        }
        long requests = Long.parseLong(total.group(1));
        double elapsed = Double.parseDouble(total.group(2)) * switch (total.group(3)) {
            case "ms" -> 0.001;
            case "m" -> 60;
            default -> 1;
        };
        long errors = 0;
        java.util.regex.Matcher non2xx = java.util.regex.Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        java.util.regex.Matcher socket = java.util.regex.Pattern
                .compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(out);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new Load((requests - errors) * (double) batch / elapsed, wrkPercentile(out, "50"), wrkPercentile(out, "99"),
                errors);
    }

    /** A percentile of wrk's latency distribution, in ms. */
    private static double wrkPercentile(String out, String pct) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s" + pct + "%\\s+([\\d.]+)(us|ms|s)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no " + pct + "% latency in wrk output: " + out);
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }

    /**
     * Single events due at a fixed rate for {@code seconds} (open loop, {@link OpenLoop}: plain sockets,
     * latency from when each request was due), over up to {@code connections} connections.
     */
    private static Load openLoop(int port, String path, double rate, int seconds, int connections, Random rnd)
            throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            bodies.add(restEvent(rnd).getBytes(StandardCharsets.UTF_8));
        }
        OpenLoop.Result r = OpenLoop.post("127.0.0.1", port, path, Map.of("X-API-Key", KEY, "Content-Type",
                "application/json"), bodies, rate, seconds, connections);
        return new Load(r.rate(), r.p(50), r.p(99), r.errors());
    }

    /** Waits until the group's committed offsets reach the end of the topic; returns the seconds waited. */
    private static double waitCaughtUp(String bs, String group, String topic, int maxSeconds) throws Exception {
        long t0 = System.nanoTime();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bs))) {
            while (secs(t0) < maxSeconds) {
                Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
                committed.keySet().stream().filter(tp -> tp.topic().equals(topic))
                        .forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
                long lag = 0;
                for (var e : admin.listOffsets(latest).all().get().entrySet()) {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    lag += e.getValue().offset() - (c == null ? 0 : c.offset());
                }
                if (lag <= 0) {
                    break;
                }
                Thread.sleep(500);
            }
        }
        return secs(t0);
    }

    private static CompletableFuture<Integer> send(HttpClient http, String url, String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).header("X-API-Key", KEY)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
    }

    private static Load summary(ConcurrentLinkedQueue<Long> latencies, int batch, double elapsed, long errors) {
        long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double p50 = l.length == 0 ? 0 : l[(int) (l.length * 0.50)] / 1e6;
        double p99 = l.length == 0 ? 0 : l[Math.min(l.length - 1, (int) (l.length * 0.99))] / 1e6;
        return new Load(l.length * (double) batch / elapsed, p50, p99, errors);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double secs(long from, long to) {
        return Math.max(1e-3, (to - from) / 1e9);
    }

    private static String arg(String[] args, int i, String def) {
        return args.length > i && !args[i].isBlank() ? args[i] : def;
    }
}
