package io.crmhub.mappings.model;

import java.time.Instant;
import java.util.Objects;

/** The value of one profile attribute together with where and when it came from. */
public record AttributeValue(String value, String source, Instant at) {
    public AttributeValue {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(at, "at");
    }
}
