package io.crmhub.mappings.normalise;

import java.time.ZoneId;
import java.util.Locale;
import java.util.Objects;

/**
 * Configuration of the normalisers.
 *
 * @param defaultRegion ISO 3166-1 alpha-2 region used for phone numbers written without a country
 *                      code ("030 1234567" with "DE")
 * @param defaultZone   zone for timestamps without offset or zone, and for "today" when checking
 *                      birth dates
 * @param dayFirst      how an ambiguous slash/dash date such as 03/04/2024 is read: {@code true}
 *                      day first (3 April), {@code false} month first (March 4)
 * @param strict        {@code true}: any invalid field rejects the whole record (REST API);
 *                      {@code false}: invalid fields are dropped and reported, the record is kept
 *                      as long as one valid identity remains (bulk imports)
 */
public record NormaliserSettings(String defaultRegion, ZoneId defaultZone, boolean dayFirst, boolean strict) {

    public NormaliserSettings {
        Objects.requireNonNull(defaultRegion, "defaultRegion");
        Objects.requireNonNull(defaultZone, "defaultZone");
        defaultRegion = defaultRegion.trim().toUpperCase(Locale.ROOT);
    }

    /** DE, Europe/Berlin, day first, lenient. */
    public static NormaliserSettings defaults() {
        return new NormaliserSettings("DE", ZoneId.of("Europe/Berlin"), true, false);
    }

    public NormaliserSettings withDefaultRegion(String region) {
        return new NormaliserSettings(region, defaultZone, dayFirst, strict);
    }

    public NormaliserSettings withDefaultZone(ZoneId zone) {
        return new NormaliserSettings(defaultRegion, zone, dayFirst, strict);
    }

    public NormaliserSettings withDayFirst(boolean dayFirst) {
        return new NormaliserSettings(defaultRegion, defaultZone, dayFirst, strict);
    }

    public NormaliserSettings withStrict(boolean strict) {
        return new NormaliserSettings(defaultRegion, defaultZone, dayFirst, strict);
    }
}
