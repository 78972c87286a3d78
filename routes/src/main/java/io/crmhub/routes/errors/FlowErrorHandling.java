package io.crmhub.routes.errors;

import io.crmhub.routes.config.HubProperties;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.springframework.stereotype.Component;

/**
 * The error handling every asynchronous flow uses ({@code routeConfigurationId("flow-errors")}):
 * transient faults (database, broker, network) are retried with exponential back-off, a bounded
 * number of times; then, and at once for anything else (bad input), the message goes to the
 * quarantine table with its reason, from where it can be replayed.
 */
@Component
public class FlowErrorHandling extends RouteConfigurationBuilder {

    public static final String ID = "flow-errors";

    private final HubProperties props;
    private final QuarantineProcessor quarantine;

    public FlowErrorHandling(HubProperties props, QuarantineProcessor quarantine) {
        this.props = props;
        this.quarantine = quarantine;
    }

    @Override
    public void configuration() {
        HubProperties.Errors e = props.getErrors();
        routeConfiguration(ID)
                .onException(Exception.class)
                    .onWhen(exchange -> TransientFaults.isTransient(exchange.getException()))
                    .maximumRedeliveries(e.getMaxRetries())
                    .redeliveryDelay(e.getInitialDelay().toMillis())
                    .useExponentialBackOff()
                    .backOffMultiplier(e.getBackoffMultiplier())
                    .maximumRedeliveryDelay(e.getMaxDelay().toMillis())
                    .retryAttemptedLogLevel(LoggingLevel.WARN)
                    .handled(true)
                    .process(quarantine)
                .end()
                .onException(Exception.class)
                    .handled(true)
                    .process(quarantine)
                .end();
    }
}
