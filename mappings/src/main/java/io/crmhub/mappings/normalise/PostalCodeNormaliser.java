package io.crmhub.mappings.normalise;

import java.util.Locale;

/**
 * Postal codes: trimmed, whitespace collapsed, upper case ("sw1a  1aa" → "SW1A 1AA"). A trailing
 * {@code .0} left by spreadsheets that stored the code as a number is removed ("10115.0" → "10115").
 * Only letters, digits, spaces and hyphens are accepted. Leading zeros lost by spreadsheets cannot be
 * restored without the country and are not guessed. Thread-safe.
 */
public final class PostalCodeNormaliser {

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
