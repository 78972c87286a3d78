package io.crmhub.mappings.normalise;

import java.util.Locale;

/**
 * Postal codes: trimmed, whitespace collapsed, upper case ("sw1a  1aa" → "SW1A 1AA"). A trailing
 * {@code .0} left by spreadsheets that stored the code as a number is removed ("10115.0" → "10115").
 * Only letters, digits, spaces and hyphens are accepted. Leading zeros lost by spreadsheets are restored
 * only where the country is known and its codes are five digits ({@link #normalise(String, String)}: Dresden's
 * "1067" in Germany is "01067", Boston's "2141" in the US "02141"); without the country they are not guessed
 * (four digits are a whole code in Austria or Switzerland). Thread-safe.
 */
public final class PostalCodeNormaliser {

    /** Countries whose postal codes are exactly five digits, leading zeros included. */
    static final java.util.Set<String> FIVE_DIGITS = java.util.Set.of("DE", "FR", "IT", "ES", "US", "FI", "HR", "EE",
            "MY", "MX");

    /** As {@link #normalise(String)}, and for a country of five-digit codes, a code of 3-4 digits gets its zeros back. */
    public Result<String> normalise(String raw, String country) {
        Result<String> r = normalise(raw);
        if (r.isOk() && country != null && FIVE_DIGITS.contains(country)) {
            String v = r.value();
            if ((v.length() == 4 || v.length() == 3) && allDigits(v, v.length())) {
                return Result.ok("0".repeat(5 - v.length()) + v);
            }
        }
        return r;
    }

    public Result<String> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.squish(raw);
        int len = s.length();
        if (len > 2 && s.charAt(len - 2) == '.' && s.charAt(len - 1) == '0' && allDigits(s, len - 2)) {
            s = s.substring(0, len - 2);
        }
        boolean hasAlnum = false;
        boolean hasLower = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                hasAlnum = true;
                hasLower |= Character.isLowerCase(c);
            } else if (c != ' ' && c != '-') {
                return Result.invalid("postal code may only contain letters, digits, spaces and hyphens");
            }
        }
        if (!hasAlnum) {
            return Result.invalid("postal code contains no letters or digits");
        }
        if (s.length() > 16) {
            return Result.invalid("postal code too long");
        }
        return Result.ok(hasLower ? s.toUpperCase(Locale.ROOT) : s);
    }

    private static boolean allDigits(String s, int end) {
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
