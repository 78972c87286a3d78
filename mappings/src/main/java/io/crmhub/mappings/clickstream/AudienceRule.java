package io.crmhub.mappings.clickstream;

import java.time.LocalDate;
import java.time.Period;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who belongs to an audience segment, from configuration: interests (any of, with a minimum decayed
 * score), campaigns touched (any of), and demographics (age range, genders, countries, regions).
 * Empty criteria do not restrict. Also the cell an audience member is counted in
 * (age band × gender × region × interest).
 *
 * @param name          segment name as used in the URL
 * @param interests     content categories (lower-case); any one is enough
 * @param minScore      minimum decayed interest score for an interest to count
 * @param campaigns     campaign codes (lower-case); any one touched is enough
 * @param minAge        inclusive, null for none
 * @param maxAge        inclusive, null for none
 * @param genders       gender attribute values (FEMALE, MALE, DIVERSE ...)
 * @param countries     ISO alpha-2 country codes
 * @param regions       region attribute values
 * @param kFloor        smallest cell (and match list) published; smaller cells are suppressed
 */
public record AudienceRule(String name, Set<String> interests, double minScore, Set<String> campaigns,
                           Integer minAge, Integer maxAge, Set<String> genders, Set<String> countries,
                           Set<String> regions, int kFloor) {

    /** Age bands of the cells. */
    public static final List<String> AGE_BANDS = List.of("18-24", "25-34", "35-44", "45-54", "55-64", "65+");
    public static final String UNKNOWN = "unknown";

    public AudienceRule {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("audience segment name '" + name
                    + "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        interests = lower(interests);
        campaigns = lower(campaigns);
        genders = upper(genders);
        countries = upper(countries);
        regions = regions == null ? Set.of() : Set.copyOf(regions);
        if (kFloor < 1) {
            throw new IllegalArgumentException("audience '" + name + "': the k-anonymity floor must be at least 1");
        }
        if (minAge != null && maxAge != null && minAge > maxAge) {
            throw new IllegalArgumentException("audience '" + name + "': min-age is above max-age");
        }
    }

    /** What is known about one profile, for matching and for its cell. */
    public record Member(Map<String, Double> interestScores, Set<String> campaigns, String birthDate,
                         String gender, String country, String region) {
    }

    /** The cell of a member: age band, gender, region, interest. */
    public record Cell(String ageBand, String gender, String region, String interest) {
    }

    /** Whether the member belongs to the segment at {@code today}. */
    public boolean matches(Member m, LocalDate today) {
        if (!interests.isEmpty() && topInterest(m) == null) {
            return false;
        }
        if (!campaigns.isEmpty() && m.campaigns().stream().noneMatch(campaigns::contains)) {
            return false;
        }
        if (minAge != null || maxAge != null) {
            Integer age = age(m.birthDate(), today);
            if (age == null || (minAge != null && age < minAge) || (maxAge != null && age > maxAge)) {
                return false;
            }
        }
        if (!genders.isEmpty() && (m.gender() == null || !genders.contains(m.gender().toUpperCase(Locale.ROOT)))) {
            return false;
        }
        if (!countries.isEmpty() && (m.country() == null || !countries.contains(m.country().toUpperCase(Locale.ROOT)))) {
            return false;
        }
        return regions.isEmpty() || (m.region() != null && regions.contains(m.region()));
    }

    /** The member's cell; its interest is the strongest of the segment's interests (or of all, when none). */
    public Cell cellOf(Member m, LocalDate today) {
        String interest = topInterest(m);
        String region = m.region() != null ? m.region() : m.country() != null ? m.country() : UNKNOWN;
        String gender = m.gender() == null ? UNKNOWN : m.gender().toUpperCase(Locale.ROOT);
        return new Cell(ageBand(age(m.birthDate(), today)), gender, region, interest == null ? UNKNOWN : interest);
    }

    private String topInterest(Member m) {
        String best = null;
        double bestScore = -1;
        for (Map.Entry<String, Double> e : m.interestScores().entrySet()) {
            if (e.getValue() < minScore || (!interests.isEmpty() && !interests.contains(e.getKey()))) {
                continue;
            }
            if (e.getValue() > bestScore || (e.getValue() == bestScore && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                bestScore = e.getValue();
            }
        }
        return best;
    }

    /** Whole years between an ISO birth date and today; null when unknown or unparseable. */
    public static Integer age(String birthDate, LocalDate today) {
        if (birthDate == null || birthDate.isBlank()) {
            return null;
        }
        try {
            return Period.between(LocalDate.parse(birthDate.trim()), today).getYears();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    public static String ageBand(Integer age) {
        if (age == null || age < 18) {
            return UNKNOWN;         // minors are never profiled into a band
        }
        if (age >= 65) {
            return "65+";
        }
        int[] lows = {18, 25, 35, 45, 55};
        for (int i = lows.length - 1; i >= 0; i--) {
            if (age >= lows[i]) {
                return AGE_BANDS.get(i);
            }
        }
        return UNKNOWN;
    }

    private static Set<String> lower(Set<String> s) {
        return s == null ? Set.of() : s.stream().map(x -> x.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    private static Set<String> upper(Set<String> s) {
        return s == null ? Set.of() : s.stream().map(x -> x.trim().toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
}
