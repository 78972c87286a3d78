package io.crmhub.routes.ecommerce;

import io.crmhub.mappings.ecommerce.Promotions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the promotion rules from {@code hub.ecommerce.promotions-file} (YAML, see
 * {@code config/promotions.yml}). A missing file means no promotions (logged); a malformed one stops
 * the hub at start with the reason.
 */
public final class PromotionCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(PromotionCatalog.class);
    private static final Set<String> RULE_KEYS = Set.of("id", "title", "code", "description", "generic", "when", "validFrom", "validUntil");
    private static final Set<String> WHEN_KEYS = Set.of("segments", "minRecency", "maxRecency", "minFrequency", "maxFrequency",
            "minMonetary", "maxMonetary", "minLtv", "minOrders", "categories");

    private PromotionCatalog() {
    }

    public static Promotions load(ResourceLoader loader, String location) {
        String where = location.contains(":") ? location : "file:" + location;
        Resource r = loader.getResource(where);
        if (!r.exists()) {
            LOG.warn("No promotion rules at {}: every answer is the empty generic offer list", where);
            return new Promotions(List.of());
        }
        try (InputStream in = r.getInputStream()) {
            Promotions p = parse(in, where);
            LOG.info("Loaded {} promotion rules from {}", p.rules().size(), where);
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read promotion rules " + where + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Promotions parse(InputStream in, String where) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        if (doc == null) {
            return new Promotions(List.of());
        }
        if (!(doc instanceof Map<?, ?> root) || !(root.get("promotions") instanceof List<?> list)) {
            throw new IllegalStateException(where + ": expected a top-level 'promotions:' list");
        }
        List<Promotions.Rule> rules = new ArrayList<>();
        int i = 0;
        for (Object o : list) {
            String at = where + " promotions[" + i++ + "]";
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalStateException(at + ": expected a mapping");
            }
            try {
                rules.add(rule((Map<String, Object>) m, at));
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IllegalStateException(at + ": " + e.getMessage(), e);
            }
        }
        try {
            return new Promotions(rules);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Promotions.Rule rule(Map<String, Object> m, String at) {
        unknown(m, RULE_KEYS, at);
        Map<String, Object> when = m.get("when") == null ? Map.of() : (Map<String, Object>) m.get("when");
        unknown(when, WHEN_KEYS, at + ".when");
        return new Promotions.Rule(str(m.get("id")), str(m.get("title")), str(m.get("code")), str(m.get("description")),
                Boolean.TRUE.equals(m.get("generic")), strings(when.get("segments")), integer(when.get("minRecency")),
                integer(when.get("maxRecency")), integer(when.get("minFrequency")), integer(when.get("maxFrequency")),
                integer(when.get("minMonetary")), integer(when.get("maxMonetary")),
                when.get("minLtv") == null ? null : new BigDecimal(when.get("minLtv").toString()), integer(when.get("minOrders")),
                strings(when.get("categories")), time(m.get("validFrom"), "validFrom"), time(m.get("validUntil"), "validUntil"));
    }

    private static void unknown(Map<String, Object> m, Set<String> allowed, String at) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalStateException(at + ": unknown key '" + k + "' (allowed: " + allowed + ")");
            }
        }
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static Integer integer(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number n) {
            return n.intValue();
        }
        return Integer.parseInt(o.toString().trim());
    }

    private static Set<String> strings(Object o) {
        if (o == null) {
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> out.add(x.toString()));
        } else {
            out.add(o.toString());
        }
        return out;
    }

    private static Instant time(Object o, String field) {
        if (o == null) {
            return null;
        }
        if (o instanceof Date d) {
            return d.toInstant();
        }
        try {
            return OffsetDateTime.parse(o.toString()).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " must be an ISO-8601 time with offset, got '" + o + "'");
        }
    }
}
