package io.crmhub.routes.flows;

import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.errors.FlowErrorHandling;
import io.crmhub.routes.errors.QuarantineProcessor;
import io.crmhub.routes.profiles.ProfileIntake;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Profile records from systems that publish to Kafka ({@code hub.kafka.topics.profile-records}),
 * in the same JSON as {@code POST /api/v1/profiles}: normalise, resolve, upsert. A record that
 * cannot be used goes to the quarantine with its reason and can be replayed after a fix.
 */
@Component
public class ProfileIntakeRoute extends RouteBuilder {

    public static final String ENTRY = "direct:profile-intake";

    private final HubProperties props;
    private final ProfileIntake intake;

    public ProfileIntakeRoute(HubProperties props, ProfileIntake intake) {
        this.props = props;
        this.intake = intake;
    }

    @Override
    public void configure() {
        from("kafka:" + props.getKafka().getTopics().getProfileRecords()
                + "?groupId=crm-hub.profile-intake&autoOffsetReset=earliest&breakOnFirstError=true")
                .routeId("profile-intake.kafka")
                .to(ENTRY);

        from(ENTRY)
                .routeId("profile-intake")
                .routeConfigurationId(FlowErrorHandling.ID)
                .setProperty(QuarantineProcessor.REPLAY_URI, constant(ENTRY))
                .setProperty(QuarantineProcessor.SOURCE, constant("kafka:" + props.getKafka().getTopics().getProfileRecords()))
                .bean(intake, "accept");
    }
}
