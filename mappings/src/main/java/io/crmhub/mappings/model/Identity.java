package io.crmhub.mappings.model;

import java.util.Objects;

/**
 * One identifier of a customer: its type, the namespace that qualifies it (empty for unqualified
 * types) and its normalised value. Unique per (type, namespace, value) across all profiles.
 */
public record Identity(IdentityType type, String namespace, String value) {

    public Identity {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        namespace = namespace == null ? "" : namespace;
    }

    public static Identity of(IdentityType type, String value) {
        return new Identity(type, "", value);
    }

    public static Identity of(IdentityType type, String namespace, String value) {
        return new Identity(type, namespace, value);
    }

    /** {@code TYPE:value} or {@code TYPE:namespace:value}; the form used in URLs and logs. */
    public String key() {
        return namespace.isEmpty() ? type + ":" + value : type + ":" + namespace + ":" + value;
    }

    /**
     * Parses the {@link #key()} form. For qualified types the namespace is the part before the
     * first colon of the remainder.
     */
    public static Identity parseKey(String key) {
        int first = key == null ? -1 : key.indexOf(':');
        if (first <= 0) {
            throw new IllegalArgumentException("identity must be TYPE:value, got '" + key + "'");
        }
        IdentityType type;
        try {
            type = IdentityType.valueOf(key.substring(0, first).trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown identity type in '" + key + "'");
        }
        String rest = key.substring(first + 1);
        if (type.qualified()) {
            int second = rest.indexOf(':');
            if (second <= 0) {
                throw new IllegalArgumentException(type + " needs a namespace: " + type + ":namespace:value");
            }
            return new Identity(type, rest.substring(0, second), rest.substring(second + 1));
        }
        return new Identity(type, "", rest);
    }

    @Override
    public String toString() {
        return key();
    }
}
