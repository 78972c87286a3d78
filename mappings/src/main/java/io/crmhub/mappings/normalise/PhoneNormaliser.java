package io.crmhub.mappings.normalise;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;

import java.util.Locale;
import java.util.Objects;

/**
 * Phone numbers to E.164 ({@code +49301234567}) with libphonenumber. Numbers without a country
 * code are read in the default region; {@code +49 (0)30 ...}, {@code 0049 ...}, {@code tel:} URIs
 * and vanity letters are understood; extensions ({@code ext. 12}, {@code x12}) are dropped because
 * E.164 has none. Numbers libphonenumber does not consider valid for their region are rejected.
 * Thread-safe.
 */
public final class PhoneNormaliser {

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    private final String defaultRegion;

    /** @param defaultRegion ISO 3166-1 alpha-2 region for numbers without country code, e.g. "DE" */
    public PhoneNormaliser(String defaultRegion) {
        this.defaultRegion = checkRegion(defaultRegion);
    }

    public String defaultRegion() {
        return defaultRegion;
    }

    public Result<String> normalise(String raw) {
        return normalise(raw, defaultRegion);
    }

    /**
     * The number of a person of {@code country} (ISO 3166-1 alpha-2, may be null): read in that country first — a
     * list row with Country "United States" and {@code (415) 555-0100} is a US number — then, when it is no valid
     * number there, in the default region (a German mobile of someone living in France).
     */
    public Result<String> normaliseFor(String raw, String country) {
        if (country != null && country.length() == 2 && !country.equalsIgnoreCase(defaultRegion)
                && UTIL.getSupportedRegions().contains(country.toUpperCase(Locale.ROOT))) {
            Result<String> there = normalise(raw, country);
            if (there.isOk()) {
                return there;
            }
        }
        return normalise(raw, defaultRegion);
    }

    /** Like {@link #normalise(String)} but with another region for numbers without country code. */
    public Result<String> normalise(String raw, String region) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        int digits = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '@') {
                return Result.invalid("not a phone number (looks like an e-mail address)");
            }
        }
        if (digits < 3) {
            return Result.invalid("not a phone number (too few digits)");
        }
        String r = region == null ? defaultRegion : region.length() == 2 ? region.toUpperCase(Locale.ROOT) : region;
        if (digits >= 10 && "0".equals(UTIL.getNddPrefixForRegion(r, true))) {
            // a number with its country code but without the "+" (a spreadsheet cell 491711234567, Brevo's SMS
            // column 33612345678): where numbers are written nationally with a leading 0, one that starts with
            // another digit and is a valid number once "+" is put before it is that number
            String plain = raw.replaceAll("[\\s().\\-/]", "");
            if (plain.length() == digits && plain.charAt(0) != '0') {
                PhoneNumber intl = parse("+" + plain, r);
                if (intl != null && UTIL.isValidNumber(intl)) {
                    return Result.ok(UTIL.format(intl, PhoneNumberFormat.E164));
                }
            }
        }
        PhoneNumber number;
        try {
            number = UTIL.parse(raw, r);
        } catch (NumberParseException e) {
            // libphonenumber signals unparsable input only by exception; the digit pre-check above
            // keeps obvious garbage off this path.
            return Result.invalid(switch (e.getErrorType()) {
                case INVALID_COUNTRY_CODE -> "phone number has no valid country code";
                case TOO_SHORT_AFTER_IDD, TOO_SHORT_NSN -> "phone number too short";
                case TOO_LONG -> "phone number too long";
                default -> "not a phone number";
            });
        }
        if (!UTIL.isValidNumber(number)) {
            // "0049..." typed by a German for a region whose international prefix is not 00
            String stripped = Text.strip(raw);
            if (stripped.startsWith("00")) {
                PhoneNumber retry = parse("+" + stripped.substring(2), r);
                if (retry != null && UTIL.isValidNumber(retry)) {
                    return Result.ok(UTIL.format(retry, PhoneNumberFormat.E164));
                }
            }
            return Result.invalid(invalidReason(number, r));
        }
        return Result.ok(UTIL.format(number, PhoneNumberFormat.E164));
    }

    private static PhoneNumber parse(String raw, String region) {
        try {
            return UTIL.parse(raw, region);
        } catch (NumberParseException e) {
            return null;
        }
    }

    private static String invalidReason(PhoneNumber number, String region) {
        String numberRegion = UTIL.getRegionCodeForCountryCode(number.getCountryCode());
        String where = PhoneNumberUtil.REGION_CODE_FOR_NON_GEO_ENTITY.equals(numberRegion) ? "+" + number.getCountryCode()
                : "ZZ".equals(numberRegion) ? null : numberRegion;
        if (where == null) {
            return "unknown country calling code +" + number.getCountryCode();
        }
        return switch (UTIL.isPossibleNumberWithReason(number)) {
            case TOO_SHORT -> "phone number too short for " + where;
            case TOO_LONG -> "phone number too long for " + where;
            case INVALID_LENGTH -> "phone number has an invalid length for " + where;
            case INVALID_COUNTRY_CODE -> "unknown country calling code +" + number.getCountryCode();
            default -> "not a valid phone number for " + where
                    + (where.equals(region) ? "" : " (default region " + region + ")");
        };
    }

    private static String checkRegion(String region) {
        Objects.requireNonNull(region, "region");
        String r = region.trim().toUpperCase(Locale.ROOT);
        if (!UTIL.getSupportedRegions().contains(r)) {
            throw new IllegalArgumentException("unsupported phone region '" + region + "'");
        }
        return r;
    }
}
