package io.crmhub.routes.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * An RFC 9457 problem detail ({@code application/problem+json}), with field-level errors for
 * validation failures.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, String instance,
                      List<FieldProblem> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** One field that failed: where (JSON pointer or parameter name), what was sent, why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FieldProblem(String field, String rejectedValue, String reason) {
    }

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, null, List.of());
    }

    public static Problem of(int status, String title, String detail, List<FieldProblem> errors) {
        return new Problem("about:blank", title, status, detail, null, errors == null ? List.of() : errors);
    }

    public Problem at(String instance) {
        return new Problem(type, title, status, detail, instance, errors);
    }
}
