package io.crmhub.routes.ecommerce;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One idempotent Kafka producer (acks=all) for the flow: webhooks are persisted through it before
 * Shopify gets its 200, promotions are published through it. Sends wait for the broker's
 * acknowledgement.
 */
public class EcommerceKafka implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;

    public EcommerceKafka(String bootstrapServers) {
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                ProducerConfig.CLIENT_ID_CONFIG, "crm-hub-ecommerce"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Makes sure {@code topic} has at least {@code partitions} partitions (creates it, or adds
     * partitions): the orders topic's partitions bound how many consumers work in parallel.
     */
    public static void ensurePartitions(String bootstrapServers, String topic, int partitions, short replication) {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000,
                org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                org.apache.kafka.clients.admin.AdminClientConfig.CLIENT_ID_CONFIG, "crm-hub-ecommerce-topics"))) {
            if (!admin.listTopics().names().get(15, TimeUnit.SECONDS).contains(topic)) {
                try {
                    admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(topic, partitions, replication)))
                            .all().get(15, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw e;
                    }
                }
            }
            int current = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS)
                    .get(topic).partitions().size();
            if (current < partitions) {
                admin.createPartitions(Map.of(topic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(partitions)))
                        .all().get(15, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing topic " + topic, e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot prepare the Kafka topic " + topic + " with " + partitions + " partitions at "
                    + bootstrapServers + ": " + e.getMessage() + " (set hub.kafka.create-topics=false if topics are managed elsewhere)", e);
        }
    }

    /** Sends without waiting; the future completes with the broker's acknowledgement. */
    public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> sendAsync(String topic, String key, byte[] value,
                                                                                                Map<String, String> headers) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        headers.forEach((k, v) -> {
            if (v != null) {
                record.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8)));
            }
        });
        return producer.send(record);
    }

    /** Sends and waits for the acknowledgement; throws when the broker did not acknowledge within {@code timeout}. */
    public void send(String topic, String key, byte[] value, Map<String, String> headers, Duration timeout) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        headers.forEach((k, v) -> {
            if (v != null) {
                record.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8)));
            }
        });
        try {
            producer.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing to " + topic, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka did not accept the message for " + topic + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge within " + timeout.toMillis() + " ms (" + topic + ")", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
