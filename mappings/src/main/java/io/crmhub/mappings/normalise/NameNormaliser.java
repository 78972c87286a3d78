package io.crmhub.mappings.normalise;

import java.util.Locale;
import java.util.Set;

/**
 * Person names (first, last, full): Unicode NFC, trimmed, whitespace collapsed. Input written
 * entirely in upper or entirely in lower case ("ANN O'BRIEN", "jean-luc van der berg") is put
 * into proper case; mixed-case input is trusted as written ("DeVito", "McDONALD" stay).
 * <p>
 * Proper casing: first letter of every word and of every part after a hyphen or apostrophe
 * upper case (Jean-Luc, O'Brien, D'Angelo); {@code Mc} prefixes (McDonald; {@code Mac} is left
 * alone because of Mack, Macy, Machado ...); name particles such as van, der, de, von, da, di, la,
 * le, y lower case unless they are the last word ("van der Berg", but "Le" alone or "Thi Le");
 * the generational suffixes II, III, IV upper case after the first word.
 * <p>
 * Values without any letter, with digits, or with an '@' are rejected as not being names.
 * Thread-safe.
 */
public final class NameNormaliser {

    private static final Set<String> PARTICLES = Set.of(
            "van", "von", "der", "den", "dem", "des", "de", "del", "della", "delle", "dei", "degli", "di", "da",
            "das", "dos", "do", "du", "la", "le", "les", "lo", "ten", "ter", "te", "zu", "zum", "zur", "vom",
            "y", "e", "af", "av", "op", "bin", "binti", "ibn", "bint");

    private static final Set<String> ROMAN_SUFFIXES = Set.of("ii", "iii", "iv");

    public Result<String> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.squish(Text.nfc(raw));
        boolean hasUpper = false;
        boolean hasLower = false;
        boolean hasLetter = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetter(cp)) {
                hasLetter = true;
                if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                    hasUpper = true;
                } else if (Character.isLowerCase(cp) && cp != 'ß') {
                    // ß has no single-letter upper case in most data, so it appears in upper-case names too
                    hasLower = true;
                }
            } else if (Character.isDigit(cp)) {
                return Result.invalid("a name cannot contain digits");
            } else if (cp == '@') {
                return Result.invalid("a name cannot contain '@' (looks like an e-mail address)");
            }
        }
        if (!hasLetter) {
            return Result.invalid("a name must contain letters");
        }
        if (hasUpper && hasLower) {
            return Result.ok(s);
        }
        return Result.ok(properCase(s));
    }

    static String properCase(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        int wordCount = 1;
        for (int i = 0; i < lower.length(); i++) {
            if (lower.charAt(i) == ' ') {
                wordCount++;
            }
        }
        int wordIndex = 0;
        int start = 0;
        while (start <= lower.length()) {
            int end = lower.indexOf(' ', start);
            if (end < 0) {
                end = lower.length();
            }
            String word = lower.substring(start, end);
            if (wordIndex > 0) {
                out.append(' ');
            }
            if (wordIndex < wordCount - 1 && PARTICLES.contains(word)) {
                out.append(word);
            } else if (wordIndex > 0 && ROMAN_SUFFIXES.contains(word)) {
                out.append(word.toUpperCase(Locale.ROOT));
            } else {
                capitaliseWord(word, out);
            }
            wordIndex++;
            start = end + 1;
        }
        return out.toString();
    }

    private static void capitaliseWord(String word, StringBuilder out) {
        boolean startOfPart = true;
        int partStart = out.length();
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            i += Character.charCount(cp);
            if (startOfPart && Character.isLetter(cp)) {
                out.appendCodePoint(Character.toTitleCase(cp));
                startOfPart = false;
                continue;
            }
            out.appendCodePoint(cp);
            if (cp == '-' || cp == '\u2010' || cp == '\u2011' || (cp < 0x10000 && Text.isApostrophe((char) cp))) {
                startOfPart = true;
                partStart = out.length();
            } else if (Character.isLetter(cp) && out.length() - partStart == 2
                    && out.charAt(partStart) == 'M' && out.charAt(partStart + 1) == 'c') {
                // "Mc" just completed: McDonald, McArthur (only when more letters follow)
                startOfPart = i < word.length() && Character.isLetter(word.codePointAt(i));
            }
        }
    }
}
