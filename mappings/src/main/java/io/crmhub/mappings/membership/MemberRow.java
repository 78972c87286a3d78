package io.crmhub.mappings.membership;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One member as read from a membership database, before mapping: its id in that database, the
 * time it last changed there (the watermark column; null when the source has none), the columns
 * read (by name; profile property bags raw, claims as {@code claim.<type>}), and its role names.
 * Never carries password hashes, salts, security stamps or password answers: readers do not select them.
 */
public record MemberRow(String memberId, Instant changedAt, Map<String, String> fields, List<String> roles) {

    public MemberRow {
        Objects.requireNonNull(memberId, "memberId");
        fields = fields == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
        roles = roles == null ? List.of() : List.copyOf(roles);
    }

    public String field(String name) {
        return fields.get(name);
    }
}
