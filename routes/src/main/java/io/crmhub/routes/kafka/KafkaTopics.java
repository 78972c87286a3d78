package io.crmhub.routes.kafka;

import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the hub's topics exist before its consumers start, so that consumers are ready at
 * once and producers do not depend on broker-side auto-creation. Off with
 * {@code hub.kafka.create-topics=false} where topics are managed elsewhere.
 */
public class KafkaTopics {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

    private final HubProperties props;

    public KafkaTopics(HubProperties props) {
        this.props = props;
    }

    /** Creates those of {@code topics} that are missing; tolerates a concurrent creation by another instance. */
    public void ensure(Collection<String> topics) {
        if (!props.getKafka().isCreateTopics() || topics.isEmpty()) {
            return;
        }
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.getKafka().getBootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                AdminClientConfig.CLIENT_ID_CONFIG, "crm-hub-topics"))) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : topics) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, props.getKafka().getTopicPartitions(),
                            props.getKafka().getTopicReplication()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(15, TimeUnit.SECONDS);
                    LOG.info("Created Kafka topic {}", entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create the Kafka topics " + topics + " at "
                    + props.getKafka().getBootstrapServers() + ": " + e.getMessage()
                    + " (set hub.kafka.create-topics=false if topics are managed elsewhere)", e);
        }
    }
}
