package io.crmhub.routes.clickstream;

/**
 * The clickstream consumer in JMX ({@code io.crmhub:type=clickstream,name=consumer}), shown by Hawtio's
 * JMX tab: its state and counters, and {@code pause} / {@code resume} of this instance's fold (during
 * database maintenance, say). A paused instance leaves the consumer group, so other instances take its
 * partitions; what it had not committed is read again by whoever takes them.
 */
public interface ClickstreamConsumerControlMBean {

    boolean isRunning();

    int getWorkers();

    int getAliveWorkers();

    long getCommittedBatches();

    long getFailedBatches();

    long getFailedInARow();

    long getRestarts();

    String getLastFailure();

    /** Stops this instance's fold (its worker threads finish their batch and leave the group). */
    void pause();

    /** Starts this instance's fold again (no-op while it runs). */
    void resume();
}
