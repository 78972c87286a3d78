package io.crmhub.routes.api;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.spi.RestClientRequestValidator;
import org.apache.camel.support.MessageHelper;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates every API request against the OpenAPI contract (parameters, content type, body schema)
 * before it reaches a route, and answers a failure with 400 problem+json listing each field.
 * <p>
 * Camel's REST binding picks this bean up as its {@link RestClientRequestValidator}; the validator
 * is built once from the contract (the stock one rebuilds it per request).
 */
@Component
public class OpenApiRequestValidator implements RestClientRequestValidator {

    public static final String CONTRACT = ApiContract.MAIN;

    private final OpenApiInteractionValidator validator;
    private final ObjectMapper mapper;

    public OpenApiRequestValidator(ObjectMapper mapper, ApiContract contract) {
        this.mapper = mapper;
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(contract.json())
                .withLevelResolver(LevelResolver.create()
                        // authentication is Spring Security's job (X-API-Key filter), not the contract's
                        .withLevel("validation.request.security", ValidationReport.Level.IGNORE)
                        .build())
                .build();
    }

    @Override
    public ValidationError validate(Exchange exchange, ValidationContext context) {
        var msg = exchange.getMessage();
        String method = msg.getHeader(Exchange.HTTP_METHOD, String.class);
        String path = msg.getHeader(Exchange.HTTP_PATH, String.class);
        if (path == null) {
            path = msg.getHeader(Exchange.HTTP_URI, String.class);
        }
        SimpleRequest.Builder request = new SimpleRequest.Builder(Request.Method.valueOf(method), path, false);
        String contentType = msg.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType != null) {
            request.withContentType(contentType);
        }
        String body = MessageHelper.extractBodyAsString(exchange.getIn());
        if (body != null && !body.isEmpty()) {
            request.withBody(body);
        }
        String query = msg.getHeader(Exchange.HTTP_QUERY, String.class);
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                request.withQueryParam(key, value);
            }
        }
        ValidationReport report = validator.validateRequest(request.build());
        if (!report.hasErrors()) {
            return null;
        }
        List<Problem.FieldProblem> errors = new ArrayList<>();
        for (ValidationReport.Message m : report.getMessages()) {
            if (m.getLevel() != ValidationReport.Level.ERROR) {
                continue;
            }
            String field = m.getContext()
                    .flatMap(c -> c.getPointers().map(p -> p.getInstance())
                            .or(() -> c.getParameter().map(p -> p.getIn() + ":" + p.getName())))
                    .orElse(null);
            errors.add(new Problem.FieldProblem(field == null || field.isEmpty() ? null : field, null, m.getMessage()));
        }
        Problem problem = Problem.of(400, "Bad Request", "The request does not match the API contract.", errors)
                .at(path);
        msg.setHeader(Exchange.CONTENT_TYPE, Problem.MEDIA_TYPE);
        try {
            return new ValidationError(400, mapper.writeValueAsString(problem));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
