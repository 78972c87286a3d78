package io.crmhub.mappings.normalise;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A record was rejected by {@link RecordNormaliser}. Carries every {@link FieldError} found.
 * The message names the fields and reasons only, never the rejected values (they are personal
 * data and exception messages end up in logs).
 */
public class ValidationException extends RuntimeException {

    private final List<FieldError> errors;

    public ValidationException(List<FieldError> errors) {
        super(message(errors), null, false, false);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    private static String message(List<FieldError> errors) {
        return "record rejected: " + errors.stream()
                .map(e -> e.field() + ": " + e.reason())
                .collect(Collectors.joining("; "));
    }
}
