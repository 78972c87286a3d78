package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.AttributeValue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Decides which value of a profile attribute survives when a new one arrives.
 * <p>
 * Sources are ranked by a configured priority list, highest first; sources not on the list rank
 * below every listed one (and equal to each other). Between values of equal rank the more recent
 * observation wins. A tie on rank and time keeps the current value, so replaying a record is a
 * no-op. Source names are compared case-insensitively.
 */
public final class SurvivorshipRules {

    private final List<String> priority;
    private final Map<String, Integer> rank;

    /** @param priority source names, highest priority first (may be empty: recency only) */
    public SurvivorshipRules(List<String> priority) {
        List<String> copy = new ArrayList<>();
        Map<String, Integer> r = new HashMap<>();
        if (priority != null) {
            for (String s : priority) {
                if (s == null || s.isBlank()) {
                    continue;
                }
                String key = s.trim().toLowerCase(Locale.ROOT);
                if (!r.containsKey(key)) {
                    r.put(key, priority.size() - copy.size());
                    copy.add(s.trim());
                }
            }
        }
        this.priority = Collections.unmodifiableList(copy);
        this.rank = Map.copyOf(r);
    }

    /** Recency only: every source ranks the same. */
    public static SurvivorshipRules recencyOnly() {
        return new SurvivorshipRules(List.of());
    }

    /** Parses a comma separated list, highest first, e.g. {@code "crm,erp,shop"}. */
    public static SurvivorshipRules parse(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return recencyOnly();
        }
        return new SurvivorshipRules(List.of(commaSeparated.split(",")));
    }

    public List<String> priority() {
        return priority;
    }

    /** Rank of a source: higher wins; 0 for sources not on the list. */
    public int rank(String source) {
        if (source == null) {
            return 0;
        }
        return rank.getOrDefault(source.trim().toLowerCase(Locale.ROOT), 0);
    }

    /**
     * True when {@code incoming} should replace {@code current}: no current value, a higher
     * ranked source, or an equally ranked source that observed it strictly later.
     */
    public boolean incomingWins(AttributeValue current, AttributeValue incoming) {
        Objects.requireNonNull(incoming, "incoming");
        if (current == null || current.value() == null) {
            return incoming.value() != null;
        }
        int c = rank(current.source());
        int i = rank(incoming.source());
        if (i != c) {
            return i > c;
        }
        return incoming.at().isAfter(current.at());
    }

    @Override
    public String toString() {
        return "SurvivorshipRules" + priority;
    }
}
