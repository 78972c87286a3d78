package io.crmhub.routes.kafka;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.logging.LoggingSystem;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded broker falls silent when the application closes; the hub's own Kafka clients do not. */
class EmbeddedKafkaInitializerTest {

    @AfterEach
    void restoreLevels() {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        for (String name : EmbeddedKafkaInitializer.BROKER_LOGGERS) {
            logging.setLogLevel(name, null);
        }
    }

    @Test
    void theBrokersLoggersAreSilencedAndTheClientsAreNot() {
        assertThat(LoggerFactory.getLogger("kafka.server.ReplicaManager").isErrorEnabled()).isTrue();
        EmbeddedKafkaInitializer.quietBroker();
        assertThat(LoggerFactory.getLogger("kafka.server.ReplicaManager").isErrorEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.apache.kafka.storage.internals.log.LogDirFailureChannel").isErrorEnabled())
                .isFalse();
        assertThat(LoggerFactory.getLogger("state.change.logger").isWarnEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.springframework.kafka.test.EmbeddedKafkaKraftBroker").isWarnEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.apache.kafka.clients.producer.KafkaProducer").isWarnEnabled()).isTrue();
        assertThat(LoggerFactory.getLogger("io.crmhub.routes.outbox.OutboxRelay").isWarnEnabled()).isTrue();
    }
}
