package io.crmhub.mappings.email;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A token the hub puts into the subject of mail it sends, e.g. {@code [CRM:0001234]} for format
 * {@code [CRM:%07d]}: a fixed text around one {@code %d} (optionally zero-padded, {@code %07d}).
 * A reply that keeps the subject carries the token back; {@link #find} reads it, tolerating
 * case changes and the padding being lost.
 */
public final class TrackingToken {

    private static final Pattern NUMBER = Pattern.compile("%(0?\\d*)d");

    private final String format;
    private final Pattern pattern;

    public TrackingToken(String format) {
        Objects.requireNonNull(format, "format");
        Matcher m = NUMBER.matcher(format);
        if (!m.find()) {
            throw new IllegalArgumentException("token format needs one %d (e.g. [CRM:%07d]): " + format);
        }
        String before = format.substring(0, m.start());
        String after = format.substring(m.end());
        if (NUMBER.matcher(after).find() || before.isBlank() && after.isBlank()) {
            throw new IllegalArgumentException("token format needs exactly one %d and some text around it: " + format);
        }
        this.format = format;
        this.pattern = Pattern.compile(Pattern.quote(before) + "\\s*(\\d{1,18})\\s*" + Pattern.quote(after),
                Pattern.CASE_INSENSITIVE);
    }

    public String format(long number) {
        return String.format(Locale.ROOT, format, number);
    }

    /** The number of the first token in the text, if any. */
    public Optional<Long> find(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    /** The text without any token of this format (for a clean subject). */
    public String strip(String text) {
        return text == null ? null : pattern.matcher(text).replaceAll("").replaceAll("\\s{2,}", " ").trim();
    }

    @Override
    public String toString() {
        return format;
    }
}
