package io.crmhub.routes.clickstream;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Actuator health of the clickstream consumer ({@code clickstreamConsumer} in {@code /actuator/health}):
 * DOWN when one of its worker threads has ended, UP otherwise — with the batches committed and failed,
 * the batches failed in a row (a database outage shows here while the consumer waits it out), the
 * consumers replaced after an unexpected failure, and the last failure. UNKNOWN while it is not started
 * (switched off in config).
 */
public class ClickstreamConsumerHealth extends AbstractHealthIndicator {

    private final ClickstreamConsumer consumer;

    public ClickstreamConsumerHealth(ClickstreamConsumer consumer) {
        super("Clickstream consumer health check failed");
        this.consumer = consumer;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (!consumer.isRunning()) {
            builder.unknown().withDetail("running", false);
            return;
        }
        int alive = consumer.aliveWorkers();
        (alive < consumer.workers() ? builder.down() : builder.up())
                .withDetail("workers", consumer.workers())
                .withDetail("aliveWorkers", alive)
                .withDetail("committedBatches", consumer.committedBatches())
                .withDetail("failedBatches", consumer.failedBatches())
                .withDetail("failedInARow", consumer.consecutiveFailures())
                .withDetail("restarts", consumer.restarts());
        if (consumer.lastFailure() != null) {
            builder.withDetail("lastFailure", consumer.lastFailure());
        }
    }
}
