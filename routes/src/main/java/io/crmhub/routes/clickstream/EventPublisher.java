package io.crmhub.routes.clickstream;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes events to the clickstream topic; a send is done only when the broker acknowledged every one
 * of its events with {@code acks=all} (idempotent producer), and fails with
 * {@link BrokerUnavailableException} once the produce timeout has passed. Thread-safe (one shared producer).
 */
public class EventPublisher implements AutoCloseable {

    /** The broker did not take (all of) the events in time; the caller answers 503. */
    public static class BrokerUnavailableException extends RuntimeException {
        public BrokerUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One event: key (per-person order) and JSON bytes. */
    public record Message(String key, byte[] value) {
    }

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final Duration timeout;

    /** Kafka's compression types (compression.type of a producer). */
    static final java.util.Set<String> COMPRESSIONS = java.util.Set.of("none", "gzip", "snappy", "lz4", "zstd");

    public EventPublisher(String bootstrapServers, String topic, Duration timeout) {
        this(bootstrapServers, topic, timeout, Duration.ofMillis(2), "lz4");
    }

    public EventPublisher(String bootstrapServers, String topic, Duration timeout, Duration linger, String compression) {
        if (!COMPRESSIONS.contains(compression)) {
            throw new IllegalArgumentException("hub.clickstream.rest.compression must be one of " + new java.util.TreeSet<>(COMPRESSIONS)
                    + ", is '" + compression + "'");
        }
        this.topic = topic;
        this.timeout = timeout;
        long ms = Math.max(1000, timeout.toMillis());
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, (int) linger.toMillis(),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, compression,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, ms / 2,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (ms / 2),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ms,
                ProducerConfig.CLIENT_ID_CONFIG, "crm-hub-clickstream-rest"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends all messages and waits for every acknowledgement. */
    public void publish(List<Message> messages) {
        await(publishAsync(messages));
    }

    /**
     * Waits for a send of {@link #publishAsync} (or what follows from it) a little longer than the producer's
     * delivery timeout, which bounds it; any failure is a {@link BrokerUnavailableException}.
     */
    public <T> T await(CompletableFuture<T> stored) {
        try {
            return stored.get(timeout.toNanos() + 1_000_000_000L, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted while waiting for the broker", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BrokerUnavailableException b ? b
                    : new BrokerUnavailableException("the broker did not store the events: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw notAcknowledged(e);
        }
    }

    /**
     * Sends all messages; the future completes once the broker acknowledged every one of them, or
     * fails with {@link BrokerUnavailableException} on the first that it did not store (the producer's
     * delivery timeout bounds the wait). It completes on the producer's network thread: what runs on
     * it must be short and must not block.
     */
    public CompletableFuture<Void> publishAsync(List<Message> messages) {
        CompletableFuture<Void> stored = new CompletableFuture<>();
        if (messages.isEmpty()) {
            stored.complete(null);
            return stored;
        }
        AtomicInteger pending = new AtomicInteger(messages.size());
        Callback acknowledged = (metadata, e) -> {
            if (e != null) {
                stored.completeExceptionally(new BrokerUnavailableException("the broker did not store the events: "
                        + e.getMessage(), e));
            } else if (pending.decrementAndGet() == 0) {
                stored.complete(null);
            }
        };
        try {
            for (Message m : messages) {
                producer.send(new ProducerRecord<>(topic, m.key(), m.value()), acknowledged);
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            stored.completeExceptionally(new BrokerUnavailableException("the broker cannot take events: " + e.getMessage(), e));
        }
        return stored;
    }

    /** The failure of a send that was neither acknowledged nor refused in time. */
    public BrokerUnavailableException notAcknowledged(Throwable cause) {
        return new BrokerUnavailableException("the broker did not acknowledge the events within " + timeout, cause);
    }

    /** How long a send may take before it fails (the producer's delivery timeout is about this). */
    public Duration timeout() {
        return timeout;
    }

    public String topic() {
        return topic;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
