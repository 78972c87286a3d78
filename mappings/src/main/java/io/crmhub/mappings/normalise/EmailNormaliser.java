package io.crmhub.mappings.normalise;

import org.apache.commons.validator.routines.EmailValidator;

import java.util.Locale;

/**
 * Canonical e-mail addresses: trimmed, display name and angle brackets removed
 * ({@code "Ann Smith" <Ann@X.com>} → {@code ann@x.com}), a {@code mailto:} prefix and surrounding
 * quotes removed, the whole address lower-cased, syntax checked with commons-validator
 * ({@code allowLocal=false}, so {@code ann@localhost} is rejected).
 * <p>
 * Lower-casing the local part is technically lossy (RFC 5321 allows case-sensitive local parts),
 * but no mail provider in practice distinguishes them and identity matching needs one form.
 * Thread-safe.
 */
public final class EmailNormaliser {

    private static final EmailValidator VALIDATOR = EmailValidator.getInstance(false, false);

    /** Canonical address, or why it was rejected; empty for null/blank input. */
    public Result<String> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.strip(raw);
        // Display name form: Ann Smith <ann@x.com>, "Smith, Ann" <ann@x.com>, <ann@x.com>
        if (s.charAt(s.length() - 1) == '>') {
            int open = s.lastIndexOf('<');
            if (open < 0) {
                return Result.invalid("unbalanced '>' in e-mail address");
            }
            s = Text.strip(s.substring(open + 1, s.length() - 1));
        }
        if (s.regionMatches(true, 0, "mailto:", 0, 7)) {
            s = Text.strip(s.substring(7));
        }
        s = unquote(s);
        if (s.isEmpty()) {
            return Result.invalid("e-mail address is empty");
        }
        int at = s.indexOf('@');
        if (at < 0) {
            return Result.invalid("e-mail address has no '@'");
        }
        if (at == 0) {
            return Result.invalid("e-mail address has no local part before '@'");
        }
        if (at == s.length() - 1) {
            return Result.invalid("e-mail address has no domain after '@'");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Text.isSpace(s.charAt(i))) {
                return Result.invalid("e-mail address contains whitespace");
            }
        }
        String lower = s.toLowerCase(Locale.ROOT);
        if (!VALIDATOR.isValid(lower)) {
            return Result.invalid(s.indexOf('@', at + 1) >= 0
                    ? "e-mail address has more than one '@'"
                    : "invalid e-mail address syntax");
        }
        return Result.ok(lower);
    }

    /**
     * Key for matching the same mailbox written differently, e.g. for Google Customer Match
     * hashing: the canonical address, and for {@code gmail.com}/{@code googlemail.com} the dots and
     * any {@code +tag} removed from the local part ({@code J.Doe+news@gmail.com} → {@code jdoe@gmail.com}).
     * The domain is kept as written. Other providers' addresses are returned canonical but
     * unchanged (dots and plus signs can be significant there).
     */
    public Result<String> matchKey(String raw) {
        Result<String> canonical = normalise(raw);
        if (!canonical.isOk()) {
            return canonical;
        }
        String email = canonical.value();
        int at = email.lastIndexOf('@');
        String domain = email.substring(at + 1);
        if (!domain.equals("gmail.com") && !domain.equals("googlemail.com")) {
            return canonical;
        }
        StringBuilder local = new StringBuilder(at);
        for (int i = 0; i < at; i++) {
            char c = email.charAt(i);
            if (c == '+') {
                break;
            }
            if (c != '.') {
                local.append(c);
            }
        }
        if (local.length() == 0) {
            return Result.invalid("e-mail address has no local part before '+'");
        }
        return Result.ok(local.append('@').append(domain).toString());
    }

    private static String unquote(String s) {
        while (s.length() >= 2) {
            char first = s.charAt(0);
            char last = s.charAt(s.length() - 1);
            if ((first == '"' || first == '\'') && last == first && s.indexOf(first, 1) == s.length() - 1) {
                s = Text.strip(s.substring(1, s.length() - 1));
            } else {
                break;
            }
        }
        return s;
    }
}
