package io.crmhub.mappings.ecommerce;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Promotion rules (from {@code config/promotions.yml}): which offer a person gets, by RFM segment,
 * RFM scores, lifetime value, order count and favourite categories, within a validity window.
 * Generic offers go to everyone (and are all a person without personalisation consent gets).
 */
public final class Promotions {

    /** One rule; null conditions do not restrict. */
    public record Rule(String id, String title, String code, String description, boolean generic,
                       Set<String> segments, Integer minRecency, Integer maxRecency, Integer minFrequency,
                       Integer maxFrequency, Integer minMonetary, Integer maxMonetary, BigDecimal minLtv,
                       Integer minOrders, Set<String> categories, Instant validFrom, Instant validUntil) {
        public Rule {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("promotion without id");
            }
            if (code == null || code.isBlank()) {
                throw new IllegalArgumentException("promotion " + id + " has no offer code");
            }
            if (validFrom != null && validUntil != null && !validUntil.isAfter(validFrom)) {
                throw new IllegalArgumentException("promotion " + id + ": validUntil must be after validFrom");
            }
            segments = segments == null ? Set.of() : lower(segments);
            categories = categories == null ? Set.of() : lower(categories);
        }

        boolean validAt(Instant now) {
            return (validFrom == null || !now.isBefore(validFrom)) && (validUntil == null || now.isBefore(validUntil));
        }

        boolean matches(Map<String, String> computed) {
            if (generic) {
                return true;
            }
            String segment = computed.get(OrderMetrics.SEGMENT);
            if (!segments.isEmpty() && (segment == null || !segments.contains(segment.toLowerCase(Locale.ROOT)))) {
                return false;
            }
            if (!within(computed.get(OrderMetrics.RECENCY), minRecency, maxRecency)
                    || !within(computed.get(OrderMetrics.FREQUENCY), minFrequency, maxFrequency)
                    || !within(computed.get(OrderMetrics.MONETARY), minMonetary, maxMonetary)) {
                return false;
            }
            if (minOrders != null && number(computed.get(OrderMetrics.ORDER_COUNT)).compareTo(BigDecimal.valueOf(minOrders)) < 0) {
                return false;
            }
            if (minLtv != null && number(computed.get(OrderMetrics.LTV)).compareTo(minLtv) < 0) {
                return false;
            }
            if (!categories.isEmpty()) {
                String fav = computed.get(OrderMetrics.CATEGORIES);
                if (fav == null) {
                    return false;
                }
                return Arrays.stream(fav.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).anyMatch(categories::contains);
            }
            return true;
        }

        private static boolean within(String score, Integer min, Integer max) {
            if (min == null && max == null) {
                return true;
            }
            if (score == null) {
                return false;
            }
            int s = Integer.parseInt(score);
            return (min == null || s >= min) && (max == null || s <= max);
        }

        private static BigDecimal number(String s) {
            try {
                return s == null ? BigDecimal.ZERO : new BigDecimal(s);
            } catch (NumberFormatException e) {
                return BigDecimal.ZERO;
            }
        }

        private static Set<String> lower(Set<String> in) {
            return in.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        }
    }

    /** An offer as the shop gets it. */
    public record Offer(String id, String title, String code, String description, boolean personalised,
                        Instant validUntil) {
    }

    private final List<Rule> rules;

    public Promotions(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        Set<String> ids = new java.util.HashSet<>();
        for (Rule r : rules) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("promotion id " + r.id() + " is defined twice");
            }
        }
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Generic offers valid now. */
    public List<Offer> generic(Instant now) {
        List<Offer> out = new ArrayList<>();
        for (Rule r : rules) {
            if (r.generic() && r.validAt(now)) {
                out.add(offer(r, false));
            }
        }
        return out;
    }

    /** The offers for a person with these computed fields, valid now: personalised matches first, then generic ones. */
    public List<Offer> forProfile(Map<String, String> computed, Instant now) {
        List<Offer> out = new ArrayList<>();
        for (Rule r : rules) {
            if (!r.generic() && r.validAt(now) && r.matches(computed)) {
                out.add(offer(r, true));
            }
        }
        out.addAll(generic(now));
        return out;
    }

    private static Offer offer(Rule r, boolean personalised) {
        return new Offer(r.id(), r.title(), r.code(), r.description(), personalised, r.validUntil());
    }
}
