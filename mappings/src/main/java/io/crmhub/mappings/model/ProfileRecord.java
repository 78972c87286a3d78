package io.crmhub.mappings.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One incoming record about a person, as any channel delivers it after mapping: the source
 * system, when the source observed it, the identifiers, attribute values and consents it carries.
 * Identity resolution turns it into an upsert of exactly one profile.
 * <p>
 * Values here are raw (as mapped); {@code io.crmhub.mappings.normalise.RecordNormaliser}
 * produces the normalised copy the store works with.
 */
public record ProfileRecord(String source, Instant observedAt, List<Identity> identities,
                            Map<String, String> attributes, List<Consent> consents) {

    public ProfileRecord {
        Objects.requireNonNull(source, "source");
        observedAt = observedAt == null ? Instant.now() : observedAt;
        identities = identities == null ? List.of() : List.copyOf(identities);
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        consents = consents == null ? List.of() : List.copyOf(consents);
    }
}
