package io.crmhub.routes.kafka;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.crmhub.routes.config.HubProperties;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.util.concurrent.CompletableFuture;

/**
 * The embedded default: when {@code hub.kafka.embedded.enabled} is true, starts a real Kafka broker
 * (KRaft, no ZooKeeper) inside the hub, and points {@code hub.kafka.bootstrap-servers} at it, so
 * that every route talks Kafka exactly as it does against a production cluster. The broker listens
 * on a free port (logged, and shown in {@code /actuator/health}); it stops with the application.
 * <p>
 * The broker starts in the background while Spring builds the context. Nothing waits for it until
 * it is used: {@link HubProperties.Kafka#getBootstrapServers()} and Camel's
 * {@code camel.component.kafka.brokers} (read when Camel starts, after the rest of the context) block
 * until it is ready; binding the settings does not.
 */
public class EmbeddedKafkaInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaInitializer.class);
    static final String CAMEL_BROKERS = "camel.component.kafka.brokers";
    static final String EMBEDDED_BOOTSTRAP = "hub.kafka.embedded.bootstrap-servers";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        if (!env.getProperty("hub.kafka.embedded.enabled", Boolean.class, true) || context.getParent() != null) {
            return;
        }
        int partitions = env.getProperty("hub.kafka.embedded.partitions", Integer.class, 3);
        CompletableFuture<EmbeddedKafkaKraftBroker> broker = new CompletableFuture<>();
        Thread starter = new Thread(() -> {
            try {
                broker.complete(start(partitions));
            } catch (Throwable e) {
                broker.completeExceptionally(e);
            }
        }, "embedded-kafka-start");
        starter.setDaemon(true);
        starter.start();

        env.getPropertySources().addFirst(new EnumerablePropertySource<>("embeddedKafka", broker) {
            @Override
            public String[] getPropertyNames() {
                return new String[] {CAMEL_BROKERS, EMBEDDED_BOOTSTRAP};
            }

            @Override
            public Object getProperty(String name) {
                return CAMEL_BROKERS.equals(name) || EMBEDDED_BOOTSTRAP.equals(name)
                        ? getSource().join().getBrokersAsString() : null;
            }
        });
        context.getBeanFactory().addBeanPostProcessor(new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof HubProperties props) {
                    props.getKafka().useEmbeddedBroker(() -> broker.join().getBrokersAsString());
                }
                return bean;
            }
        });
        context.addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent) {
                quietBroker();
            }
        });
        if (context.getBeanFactory() instanceof DefaultListableBeanFactory factory) {
            // registered first, destroyed last: after Camel has stopped its consumers and producers
            factory.registerDisposableBean("embeddedKafkaBroker", (DisposableBean) () -> {
                if (!broker.isCompletedExceptionally()) {
                    broker.join().destroy();
                }
            });
        }
    }

    /** The embedded broker's loggers (the hub's own Kafka clients log under org.apache.kafka.clients). */
    static final String[] BROKER_LOGGERS = {"kafka", "state.change.logger", "org.apache.kafka.storage",
            "org.apache.kafka.server", "org.apache.kafka.raft", "org.apache.kafka.controller", "org.apache.kafka.metadata",
            "org.apache.kafka.image", "org.apache.kafka.coordinator", "org.apache.kafka.queue", "org.springframework.kafka.test"};

    /**
     * Silences the embedded broker once the application is closing. Kafka's test kit deletes the broker's
     * temporary directory from a JVM shutdown hook of its own, which runs beside Spring's: for its last second the
     * broker logged some forty warnings and errors about files that were gone (and tried to halt the JVM) at every
     * stop of the embedded default, all about data that is thrown away with the run.
     */
    static void quietBroker() {
        LoggingSystem logging = LoggingSystem.get(EmbeddedKafkaInitializer.class.getClassLoader());
        for (String name : BROKER_LOGGERS) {
            logging.setLogLevel(name, LogLevel.OFF);
        }
    }

    private static EmbeddedKafkaKraftBroker start(int partitions) {
        long started = System.nanoTime();
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions);
        broker.brokerProperty("auto.create.topics.enable", "true");
        broker.brokerProperty("num.partitions", String.valueOf(partitions));
        broker.brokerProperty("offsets.topic.replication.factor", "1");
        broker.brokerProperty("offsets.topic.num.partitions", "5");
        broker.brokerProperty("transaction.state.log.replication.factor", "1");
        broker.brokerProperty("transaction.state.log.min.isr", "1");
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.afterPropertiesSet();
        LOG.info("Embedded Kafka broker (KRaft) ready at {} in {} ms", broker.getBrokersAsString(),
                (System.nanoTime() - started) / 1_000_000);
        return broker;
    }
}
