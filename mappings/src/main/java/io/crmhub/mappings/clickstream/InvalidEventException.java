package io.crmhub.mappings.clickstream;

import java.util.List;

/** An event that cannot be used, with every violation found (field as JSON pointer, reason). */
public class InvalidEventException extends IllegalArgumentException {

    /** One violation: where in the event (JSON pointer) and why. */
    public record Violation(String field, String reason) {
        @Override
        public String toString() {
            return (field == null || field.isEmpty() ? "" : field + ": ") + reason;
        }
    }

    private final List<Violation> violations;

    public InvalidEventException(List<Violation> violations) {
        super(violations.stream().map(Violation::toString).reduce((a, b) -> a + "; " + b).orElse("invalid event"));
        this.violations = List.copyOf(violations);
    }

    public InvalidEventException(String field, String reason) {
        this(List.of(new Violation(field, reason)));
    }

    public List<Violation> violations() {
        return violations;
    }
}
