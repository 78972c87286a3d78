package io.crmhub.routes.clickstream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes events to the clickstream topic and returns only when the broker acknowledged every one
 * of them with {@code acks=all} (idempotent producer), or throws {@link BrokerUnavailableException}
 * once the produce timeout has passed. Thread-safe (one shared producer).
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

    public EventPublisher(String bootstrapServers, String topic, Duration timeout) {
        this(bootstrapServers, topic, timeout, Duration.ofMillis(2));
    }

    public EventPublisher(String bootstrapServers, String topic, Duration timeout, Duration linger) {
        this.topic = topic;
        this.timeout = timeout;
        long ms = Math.max(1000, timeout.toMillis());
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, (int) linger.toMillis(),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, ms / 2,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (ms / 2),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ms,
                ProducerConfig.CLIENT_ID_CONFIG, "crm-hub-clickstream-rest"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends all messages and waits for every acknowledgement. */
    public void publish(List<Message> messages) {
        long deadline = System.nanoTime() + timeout.toNanos() + 1_000_000_000L;
        List<Future<RecordMetadata>> acks = new ArrayList<>(messages.size());
        try {
            for (Message m : messages) {
                acks.add(producer.send(new ProducerRecord<>(topic, m.key(), m.value())));
            }
            for (Future<RecordMetadata> f : acks) {
                long left = Math.max(1, deadline - System.nanoTime());
                f.get(left, TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted while waiting for the broker", e);
        } catch (ExecutionException e) {
            throw new BrokerUnavailableException("the broker did not store the events: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new BrokerUnavailableException("the broker did not acknowledge the events within " + timeout, e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new BrokerUnavailableException("the broker cannot take events: " + e.getMessage(), e);
        }
    }

    public String topic() {
        return topic;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
