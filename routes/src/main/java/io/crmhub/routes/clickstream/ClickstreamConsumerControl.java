package io.crmhub.routes.clickstream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/** {@link ClickstreamConsumerControlMBean}, registered in the platform MBean server while the app runs. */
public class ClickstreamConsumerControl implements ClickstreamConsumerControlMBean, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamConsumerControl.class);
    public static final String NAME = "io.crmhub:type=clickstream,name=consumer";

    private final ClickstreamConsumer consumer;
    private final ObjectName name;

    public ClickstreamConsumerControl(ClickstreamConsumer consumer) {
        this.consumer = consumer;
        try {
            this.name = new ObjectName(NAME);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (server.isRegistered(name)) {
                server.unregisterMBean(name);      // a previous context in the same JVM (tests)
            }
            server.registerMBean(this, name);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + NAME, e);
        }
    }

    @Override
    public boolean isRunning() {
        return consumer.isRunning();
    }

    @Override
    public int getWorkers() {
        return consumer.workers();
    }

    @Override
    public int getAliveWorkers() {
        return consumer.aliveWorkers();
    }

    @Override
    public long getCommittedBatches() {
        return consumer.committedBatches();
    }

    @Override
    public long getFailedBatches() {
        return consumer.failedBatches();
    }

    @Override
    public long getFailedInARow() {
        return consumer.consecutiveFailures();
    }

    @Override
    public long getRestarts() {
        return consumer.restarts();
    }

    @Override
    public String getLastFailure() {
        return consumer.lastFailure();
    }

    @Override
    public void pause() {
        LOG.info("Clickstream consumer paused (JMX)");
        consumer.stop();
    }

    @Override
    public void resume() {
        LOG.info("Clickstream consumer resumed (JMX)");
        consumer.start();
    }

    @Override
    public void close() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (JMException e) {
            LOG.debug("unregistering {}: {}", NAME, e.toString());
        }
    }
}
