package io.crmhub.mappings.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Lenient readers for shop JSON: numbers may come as strings, "null" strings mean null. */
final class Json {

    private Json() {
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        if (v == null || v.isNull() || v.isMissingNode() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText().trim();
        return s.isEmpty() || s.equalsIgnoreCase("null") ? null : s;
    }

    static BigDecimal money(JsonNode n, String field, String what) {
        String s = text(n, field);
        if (s == null) {
            return null;
        }
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": " + field + " is not a number: '" + s + "'");
        }
    }

    static Instant time(JsonNode n, String field, String what) {
        String s = text(n, field);
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(what + ": " + field + " is not an ISO-8601 time with offset: '" + s + "'");
            }
        }
    }

    static int integer(JsonNode n, String field, int dflt) {
        String s = text(n, field);
        if (s == null) {
            return dflt;
        }
        try {
            return new BigDecimal(s).intValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(field + " is not a whole number: '" + s + "'");
        }
    }

    static boolean bool(JsonNode n, String field) {
        String s = text(n, field);
        return s != null && s.equalsIgnoreCase("true");
    }

    static JsonNode obj(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() || !v.isObject() ? null : v;
    }

    static Iterable<JsonNode> array(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || !v.isArray() ? java.util.List.of() : v;
    }

    static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
