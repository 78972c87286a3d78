package io.crmhub.mappings.normalise;

import io.crmhub.mappings.model.ProfileRecord;

import java.util.List;
import java.util.Objects;

/**
 * The normalised copy of a {@link ProfileRecord} plus the values that were dropped on the way
 * (always empty for records that passed a strict normalisation).
 */
public record NormalisedRecord(ProfileRecord record, List<FieldError> errors) {

    public NormalisedRecord {
        Objects.requireNonNull(record, "record");
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }
}
