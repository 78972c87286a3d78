package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.clickstream.TrackingPlan;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.InvalidEventException;
import io.crmhub.mappings.clickstream.IpAddresses;
import io.crmhub.mappings.clickstream.SegmentMapper;
import io.crmhub.routes.errors.TransientFaults;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Folds the clickstream topic into profiles in micro-batches, with manual offset commits: a poll's
 * records are mapped, checked against the tracking plan, applied in ONE database transaction
 * ({@link ClickstreamStore#apply}), unusable ones quarantined with the reason — and only then are
 * the offsets committed. When the database is away, the batch is not committed: the consumer seeks
 * back, waits (back-off) and takes the same records again; a batch committed in the database whose
 * offsets were not (crash in between) is delivered again and de-duplicated by messageId. So nothing
 * is lost and nothing is counted twice.
 */
public class ClickstreamConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamConsumer.class);
    public static final String ROUTE = "clickstream.consumer";
    public static final String REPLAY = "direct:clickstream-replay";
    /** Non-transient failures of a whole batch before it is applied one event at a time. */
    static final int POISON_ATTEMPTS = 3;

    /** Where the consumer reads. */
    public record Source(String bootstrapServers, String topic, String groupId, int threads, int batchSize,
                         Duration pollTimeout, int fetchMinBytes, Duration fetchMaxWait,
                         Duration retryInitialDelay, Duration retryMaxDelay) {
        public Source {
            // the broker holds a fetch at most fetch-max-wait; the consumer's requests time out after 30 s
            if (fetchMinBytes < 1 || fetchMinBytes > 50 * 1024 * 1024) {
                throw new IllegalArgumentException("hub.clickstream.consumer.fetch-min-bytes must be between 1 and "
                        + 50 * 1024 * 1024 + " (50 MB), is " + fetchMinBytes);
            }
            if (fetchMaxWait.isNegative() || fetchMaxWait.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("hub.clickstream.consumer.fetch-max-wait must be between 0 and 10s, is "
                        + fetchMaxWait);
            }
        }
    }

    private final Source source;
    private final ClickstreamStore store;
    private final TrackingPlan plan;
    private final CrmStore crm;
    private final ObjectMapper json;
    private final SegmentMapper mapper = new SegmentMapper();
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private final Counter applied;
    private final Counter duplicates;
    private final Counter quarantined;
    private final Counter anonymousOnly;
    private final Counter droppedTraits;
    private final Counter rejected;
    private final Counter failedBatches;
    private final Timer batchTimer;
    private final Counter restarts;
    private final AtomicLong committedBatches = new AtomicLong();
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean running;

    public ClickstreamConsumer(Source source, ClickstreamStore store, TrackingPlan plan, CrmStore crm, ObjectMapper json,
                               MeterRegistry meters) {
        this.source = source;
        this.store = store;
        this.plan = plan;
        this.crm = crm;
        this.json = json;
        MeterRegistry m = meters == null ? new SimpleMeterRegistry() : meters;
        this.applied = m.counter("hub.clickstream.events", "outcome", "applied");
        this.duplicates = m.counter("hub.clickstream.events", "outcome", "duplicate");
        this.quarantined = m.counter("hub.clickstream.events", "outcome", "quarantined");
        this.anonymousOnly = m.counter("hub.clickstream.events", "outcome", "anonymous_only");
        this.droppedTraits = m.counter("hub.clickstream.traits.dropped");
        this.rejected = m.counter("hub.clickstream.events", "outcome", "rejected");
        this.failedBatches = m.counter("hub.clickstream.batches.failed");
        this.batchTimer = m.timer("hub.clickstream.batch");
        this.restarts = m.counter("hub.clickstream.consumer.restarts");
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (int i = 0; i < Math.max(1, source.threads()); i++) {
            Worker w = new Worker(i);
            workers.add(w);
            Thread t = new Thread(w, "clickstream-consumer-" + i);
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
        LOG.info("Clickstream consumer started on {} (group {}, {} thread(s), batches of up to {})", source.topic(),
                source.groupId(), workers.size(), source.batchSize());
    }

    public synchronized void stop() {
        running = false;
        for (Worker w : workers) {
            w.consumer.wakeup();
        }
        for (Worker w : workers) {
            try {
                w.thread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.clear();
    }

    public boolean isRunning() {
        return running;
    }

    /** Batches that failed and were taken again (database away, crash ...). */
    public long failedBatches() {
        return (long) failedBatches.count();
    }

    /** Consumers replaced after an unexpected failure so far. */
    public long restarts() {
        return (long) restarts.count();
    }

    /** Batches failed in a row since the last committed one (0 while all goes well). */
    public long consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** When and why the last batch or consumer failed; null when nothing failed yet. */
    public String lastFailure() {
        return lastFailure;
    }

    /** Worker threads alive (each restarts its consumer itself; fewer than started means a thread ended). */
    public int aliveWorkers() {
        int alive = 0;
        for (Worker w : workers) {
            if (w.thread != null && w.thread.isAlive()) {
                alive++;
            }
        }
        return alive;
    }

    /** Worker threads started. */
    public int workers() {
        return workers.size();
    }

    /** Batches whose offsets were committed so far. */
    public long committedBatches() {
        return committedBatches.get();
    }

    private final class Worker implements Runnable {
        private final int n;
        volatile KafkaConsumer<String, byte[]> consumer;
        Thread thread;

        Worker(int n) {
            this.n = n;
            this.consumer = newConsumer();
        }

        private KafkaConsumer<String, byte[]> newConsumer() {
            Map<String, Object> cfg = new HashMap<>();
            cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers());
            cfg.put(ConsumerConfig.GROUP_ID_CONFIG, source.groupId());
            cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            cfg.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, source.batchSize());
            cfg.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, source.fetchMinBytes());
            cfg.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) source.fetchMaxWait().toMillis());
            cfg.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
            cfg.put(ConsumerConfig.CLIENT_ID_CONFIG, "crm-hub-clickstream-" + n);
            return new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer());
        }

        /**
         * Runs consumer sessions until stopped: a session that ends with an unexpected exception (a Kafka
         * client error outside a batch, a bug) is logged, its consumer closed without committing, and a new
         * consumer joins the group after the back-off; it reads on from the committed offsets, so what the
         * broken session had not committed is taken again (and de-duplicated by messageId).
         */
        @Override
        public void run() {
            long backoff = source.retryInitialDelay().toMillis();
            try {
                while (running) {
                    long committedBefore = committedBatches.get();
                    try {
                        session();
                        return;
                    } catch (WakeupException e) {
                        return;
                    } catch (RuntimeException | Error e) {
                        // an Error too (a bug's AssertionError, an OutOfMemoryError of one huge batch): the
                        // batch is dropped from memory and read again by the new consumer
                        restarts.increment();
                        lastFailure = Instant.now() + ": " + e;
                        if (committedBatches.get() > committedBefore) {
                            backoff = source.retryInitialDelay().toMillis();   // the session had worked: start over
                        }
                        LOG.error("Clickstream consumer {} failed; a new consumer takes over in {} ms", n, backoff, e);
                        closeQuietly(consumer);
                        pause(backoff);
                        backoff = Math.min(source.retryMaxDelay().toMillis(), backoff * 2);
                        if (running) {
                            consumer = newConsumer();
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(consumer);
            }
        }

        /** Polls, applies and commits until stopped; retries failed batches itself. */
        private void session() throws InterruptedException {
            long backoff = source.retryInitialDelay().toMillis();
            int failures = 0;
            consumer.subscribe(List.of(source.topic()));
            while (running) {
                long t0 = System.nanoTime();
                ConsumerRecords<String, byte[]> records = consumer.poll(source.pollTimeout());
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    long t1 = System.nanoTime();
                    handle(records, failures >= POISON_ATTEMPTS);
                    long t2 = System.nanoTime();
                    consumer.commitSync(next(records));
                    if (LOG.isDebugEnabled()) {
                        LOG.debug("poll of {} records: poll {} ms, handle {} ms, offset commit {} ms", records.count(),
                                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
                    }
                    committedBatches.incrementAndGet();
                    backoff = source.retryInitialDelay().toMillis();
                    failures = 0;
                    consecutiveFailures.set(0);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    failedBatches.increment();
                    consecutiveFailures.incrementAndGet();
                    lastFailure = Instant.now() + ": " + e;
                    // a fault that passes (database, network) is retried as long as it lasts; anything
                    // else is retried a few times, then the batch is applied event by event
                    failures = retryable(e) ? 0 : failures + 1;
                    rewind(records);
                    LOG.warn("Clickstream batch of {} events not committed ({}); taken again in {} ms: {}",
                            records.count(), retryable(e) ? "transient" : "failed", backoff, e.toString());
                    pause(backoff);
                    backoff = Math.min(source.retryMaxDelay().toMillis(), backoff * 2);
                }
            }
        }

        private void rewind(ConsumerRecords<String, byte[]> records) {
            // a partition taken away meanwhile (a rebalance: the broker came back, an instance joined) is read
            // again by its new owner from its committed offset; seeking it here would throw and end this thread
            java.util.Set<TopicPartition> mine = consumer.assignment();
            for (TopicPartition tp : records.partitions()) {
                if (mine.contains(tp)) {
                    consumer.seek(tp, records.records(tp).get(0).offset());
                }
            }
        }
    }

    /** Sleeps for the back-off, cut short when the consumer is stopped. */
    private void pause(long millis) throws InterruptedException {
        long until = System.currentTimeMillis() + millis;
        while (running && System.currentTimeMillis() < until) {
            Thread.sleep(Math.min(100, Math.max(1, until - System.currentTimeMillis())));
        }
    }

    private static void closeQuietly(KafkaConsumer<String, byte[]> consumer) {
        try {
            consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.debug("closing a clickstream consumer: {}", e.toString());
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> next(ConsumerRecords<String, byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> list = records.records(tp);
            out.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
        }
        return out;
    }

    /**
     * One unusable record, kept until the batch is in the database; {@code messageId} (null when it has none) makes
     * the same event sent again one quarantine entry.
     */
    private record Bad(ConsumerRecord<String, byte[]> record, String payload, String reason, String messageId) {
    }

    /** Maps, checks, applies one poll's records; throws when the batch must be taken again. */
    void handle(ConsumerRecords<String, byte[]> records, boolean oneByOne) {
        Timer.Sample sample = Timer.start();
        long started = System.nanoTime();
        List<ClickEvent> events = new ArrayList<>(records.count());
        List<Bad> bad = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            Instant received = Instant.ofEpochMilli(r.timestamp());
            JsonNode root;
            try {
                root = json.readTree(r.value());
            } catch (Exception e) {
                bad.add(new Bad(r, r.value() == null ? null
                        : IpAddresses.redactText(new String(r.value(), StandardCharsets.UTF_8)),
                        "not JSON: " + IpAddresses.redactText(e.getMessage()), null));
                continue;
            }
            List<JsonNode> items = new ArrayList<>();
            if (root != null && root.isObject() && root.has("batch") && root.get("batch").isArray()) {
                for (JsonNode item : root.get("batch")) {
                    if (item instanceof ObjectNode o) {
                        SegmentMapper.inheritFromBatch(o, root);   // the batch's context and sentAt
                    }
                    items.add(item);
                }
            } else {
                items.add(root);
            }
            for (JsonNode item : items) {
                try {
                    ClickEvent e = mapper.map(item, received);
                    plan.check(e);
                    events.add(e);
                } catch (InvalidEventException e) {
                    JsonNode id = item == null ? null : item.get("messageId");
                    bad.add(new Bad(r, redact(item), e.getMessage(),
                            id != null && id.isTextual() && !id.asText().isBlank() ? id.asText() : null));
                }
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} records read and checked in {} ms", records.count(), (System.nanoTime() - started) / 1_000_000);
        }
        ClickstreamStore.Report report;
        if (!oneByOne) {
            report = store.apply(events);
        } else {
            report = new ClickstreamStore.Report(0, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of());
            for (ClickEvent e : events) {
                try {
                    ClickstreamStore.Report one = store.apply(List.of(e));
                    report = sum(report, one);
                } catch (RuntimeException ex) {
                    if (retryable(ex)) {
                        throw ex;
                    }
                    ConsumerRecord<String, byte[]> from = source(records, e);
                    bad.add(new Bad(from, payloadOf(from), "event " + e.messageId() + " cannot be applied: " + ex,
                            e.messageId()));
                }
            }
        }
        for (Bad b : bad) {
            quarantine(b);
        }
        applied.increment(report.attached());
        duplicates.increment(report.duplicates());
        anonymousOnly.increment(report.anonymousOnly());
        rejected.increment(report.rejected());
        quarantined.increment(bad.size());
        if (!report.rejections().isEmpty()) {
            LOG.warn("Clickstream: {} event(s) not attached to a profile: {}", report.rejected(),
                    report.rejections().subList(0, Math.min(5, report.rejections().size())));
        }
        if (!report.droppedTraits().isEmpty()) {
            // the rest of their traits and their events are applied; the invalid values are not kept anywhere
            droppedTraits.increment(report.droppedTraits().size());
            LOG.warn("Clickstream: {} person(s) had traits that are not valid values, not taken: {}",
                    report.droppedTraits().size(),
                    report.droppedTraits().subList(0, Math.min(5, report.droppedTraits().size())));
        }
        sample.stop(batchTimer);
    }

    /**
     * Faults that pass: the shared {@link TransientFaults}, plus a transaction that could not be
     * committed or a connection that broke (SQL states 08, 57P, 53, 40) anywhere in the cause chain.
     */
    static boolean retryable(Throwable e) {
        if (TransientFaults.isTransient(e)) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.springframework.transaction.TransactionException
                    || t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.startsWith("40")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static ClickstreamStore.Report sum(ClickstreamStore.Report a, ClickstreamStore.Report b) {
        List<String> rejections = new ArrayList<>(a.rejections());
        rejections.addAll(b.rejections());
        List<String> dropped = new ArrayList<>(a.droppedTraits());
        dropped.addAll(b.droppedTraits());
        return new ClickstreamStore.Report(a.received() + b.received(), a.duplicates() + b.duplicates(),
                a.attached() + b.attached(), a.anonymousOnly() + b.anonymousOnly(), a.rejected() + b.rejected(),
                a.profilesTouched() + b.profilesTouched(), a.profilesCreated() + b.profilesCreated(),
                a.merges() + b.merges(), rejections, dropped);
    }

    private String payloadOf(ConsumerRecord<String, byte[]> r) {
        try {
            return redact(json.readTree(r.value()));
        } catch (Exception e) {
            return r.value() == null ? null : IpAddresses.redactText(new String(r.value(), StandardCharsets.UTF_8));
        }
    }

    /** The record an event came from (first of the poll when it cannot be told). */
    private static ConsumerRecord<String, byte[]> source(ConsumerRecords<String, byte[]> records, ClickEvent e) {
        ConsumerRecord<String, byte[]> first = null;
        for (ConsumerRecord<String, byte[]> r : records) {
            if (first == null) {
                first = r;
            }
            if (r.value() != null && new String(r.value(), StandardCharsets.UTF_8).contains(e.messageId())) {
                return r;
            }
        }
        return first;
    }

    /** The event as JSON text with its IP addresses truncated (the quarantine keeps no full IP address). */
    private String redact(JsonNode item) {
        if (item != null && item.isContainerNode()) {
            JsonNode copy = item.deepCopy();
            IpAddresses.redactEveryAddress(copy);
            if (copy instanceof ObjectNode o) {
                o.remove("writeKey");      // a Segment source's credential: not kept
            }
            return copy.toString();
        }
        return item == null ? null : IpAddresses.redactText(item.toString());
    }

    private void quarantine(Bad b) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (b.record().key() != null) {
            headers.put("kafka.KEY", b.record().key());
        }
        headers.put("kafka.TOPIC", b.record().topic());
        headers.put("kafka.PARTITION", Integer.toString(b.record().partition()));
        headers.put("kafka.OFFSET", Long.toString(b.record().offset()));
        Instant now = Instant.now();
        long id = crm.quarantine(new CrmStore.QuarantineEntry(0, ROUTE, "kafka:" + source.topic(), REPLAY, b.payload(),
                headers, "InvalidEventException: " + b.reason(), 1, now, now, "OPEN"),
                b.messageId() == null ? null : "messageId\u0000" + b.messageId());
        LOG.warn("Quarantined clickstream event {} ({}-{}@{}): {}", id, b.record().topic(), b.record().partition(),
                b.record().offset(), b.reason());
    }
}
