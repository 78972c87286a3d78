package io.crmhub.mappings.normalise;

import java.util.Objects;

/**
 * One value that failed normalisation and was dropped (or, in strict mode, made the record fail).
 *
 * @param field         {@code identity.EMAIL}, {@code identity.MEMBER_ID} ... for identities, the
 *                      attribute name ({@code birthDate}, {@code country} ...) for attributes,
 *                      {@code identities} for a record without any valid identity
 * @param rejectedValue the raw value as received (may be {@code null}); personal data, so do not log
 *                      it carelessly
 * @param reason        human-readable explanation
 */
public record FieldError(String field, String rejectedValue, String reason) {
    public FieldError {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
    }
}
