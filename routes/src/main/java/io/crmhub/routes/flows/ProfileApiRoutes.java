package io.crmhub.routes.flows;

import io.crmhub.routes.api.OpenApiRequestValidator;
import io.crmhub.routes.api.ProfileApi;
import io.crmhub.routes.errors.ApiErrorHandling;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * The profile API, contract first: {@code openapi/crm-hub-api.json} defines every operation and is
 * served at {@code /api/v1/openapi.json} by {@link io.crmhub.routes.api.ContractController}; each operation arrives at {@code direct:<operationId>}.
 * Requests are validated against the contract before they get here.
 */
@Component
public class ProfileApiRoutes extends RouteBuilder {

    private final ProfileApi api;

    public ProfileApiRoutes(ProfileApi api) {
        this.api = api;
    }

    @Override
    public void configure() {
        rest().clientRequestValidation(true)
                .openApi()
                    .specification(OpenApiRequestValidator.CONTRACT)
                    .missingOperation("fail");

        operation("upsertProfile").bean(api, "upsert");
        operation("lookupProfile").bean(api, "lookup");
        operation("getProfile").bean(api, "get");
        operation("eraseProfile").bean(api, "erase");
        operation("getTimeline").bean(api, "timeline");
        operation("putConsent").bean(api, "putConsent");
        operation("unmergeProfile").bean(api, "unmerge");
        operation("listQuarantine").bean(api, "listQuarantine");
        operation("replayQuarantine").bean(api, "replayQuarantine");
        operation("discardQuarantine").bean(api, "discardQuarantine");
    }

    private org.apache.camel.model.RouteDefinition operation(String operationId) {
        return from("direct:" + operationId).routeId("api." + operationId)
                .routeConfigurationId(ApiErrorHandling.ID);
    }
}
