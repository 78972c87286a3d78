package io.crmhub.routes.kafka;

import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Actuator health of the Kafka cluster: up when the cluster answers a describe within 3 s. */
@Component("kafka")
public class KafkaHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

    private final HubProperties props;
    private volatile Admin admin;

    public KafkaHealthIndicator(HubProperties props) {
        super("Kafka health check failed");
        this.props = props;
    }

    private Admin admin() {
        if (admin == null) {
            synchronized (this) {
                if (admin == null) {
                    admin = Admin.create(Map.of(
                            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.getKafka().getBootstrapServers(),
                            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000,
                            AdminClientConfig.CLIENT_ID_CONFIG, "crm-hub-health"));
                }
            }
        }
        return admin;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        var cluster = admin().describeCluster(new DescribeClusterOptions().timeoutMs(3000));
        String clusterId = cluster.clusterId().get(3, TimeUnit.SECONDS);
        int nodes = cluster.nodes().get(3, TimeUnit.SECONDS).size();
        builder.up().withDetail("clusterId", clusterId).withDetail("brokers", nodes)
                .withDetail("bootstrapServers", props.getKafka().getBootstrapServers());
    }

    @Override
    public void destroy() {
        if (admin != null) {
            admin.close();
        }
    }
}
