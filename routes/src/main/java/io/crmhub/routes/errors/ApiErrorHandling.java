package io.crmhub.routes.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.ErasedIdentityException;
import io.crmhub.connectors.crm.NoSuchProfileException;
import io.crmhub.mappings.normalise.ValidationException;
import io.crmhub.routes.api.ApiException;
import io.crmhub.routes.api.Problem;
import io.crmhub.routes.security.BodySizeLimitFilter;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * Error handling of the synchronous API routes ({@code routeConfigurationId("api-errors")}): the
 * caller gets an {@code application/problem+json} answer with the right status and, for bad input,
 * one entry per field. Nothing is quarantined here: the caller holds the message and is told why.
 */
@Component
public class ApiErrorHandling extends RouteConfigurationBuilder {

    public static final String ID = "api-errors";
    private static final Logger LOG = LoggerFactory.getLogger(ApiErrorHandling.class);

    private final ObjectMapper mapper;

    public ApiErrorHandling(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void configuration() {
        routeConfiguration(ID)
                .onException(Exception.class)
                    .handled(true)
                    .process(this::toProblem)
                .end();
    }

    void toProblem(Exchange exchange) throws Exception {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Problem problem = problemFor(error);
        if (problem.status() >= 500) {
            LOG.error("API request {} {} failed", exchange.getIn().getHeader(Exchange.HTTP_METHOD),
                    exchange.getIn().getHeader(Exchange.HTTP_PATH), error);
        }
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, problem.status());
        msg.setHeader(Exchange.CONTENT_TYPE, Problem.MEDIA_TYPE);
        msg.setBody(mapper.writeValueAsString(problem.at(exchange.getIn().getHeader(Exchange.HTTP_PATH, String.class))));
    }

    static Problem problemFor(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ApiException api) {
                return Problem.of(api.status(), api.title(), api.getMessage());
            }
            if (t instanceof ValidationException v) {
                List<Problem.FieldProblem> fields = v.errors().stream()
                        .map(f -> new Problem.FieldProblem(f.field(), f.rejectedValue(), f.reason())).toList();
                return Problem.of(400, "Bad Request", v.getMessage(), fields);
            }
            if (t instanceof NoSuchProfileException missing) {
                return Problem.of(404, "Not Found", missing.getMessage());
            }
            if (t instanceof ErasedIdentityException erased) {
                return Problem.of(409, "Conflict", erased.getMessage());
            }
            if (t instanceof BodySizeLimitFilter.PayloadTooLargeException tooLarge) {
                return Problem.of(413, "Payload Too Large", tooLarge.getMessage());
            }
            if (t instanceof JsonProcessingException json) {
                return Problem.of(400, "Bad Request", "Malformed JSON: " + json.getOriginalMessage());
            }
            if (t instanceof IllegalArgumentException iae) {
                return Problem.of(400, "Bad Request", iae.getMessage());
            }
        }
        if (TransientFaults.isTransient(error)) {
            return Problem.of(503, "Service Unavailable", "A backing service is unavailable; retry later.");
        }
        return Problem.of(500, "Internal Server Error", "The request failed; the error is logged.");
    }
}
