package io.crmhub.mappings.normalise;

import java.text.Normalizer;

/** Small string helpers shared by the normalisers; all return the input instance when nothing changes. */
final class Text {

    private Text() {
    }

    static boolean isBlank(String s) {
        if (s == null) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whitespace including no-break and other Unicode spaces, which {@link String#trim()} misses. */
    static boolean isSpace(char c) {
        return c <= ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\uFEFF';
    }

    /** Trims (Unicode aware) and collapses every run of whitespace to one ASCII space. */
    static String squish(String s) {
        int len = s.length();
        int start = 0;
        int end = len;
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        boolean clean = true;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (isSpace(c) && (c != ' ' || isSpace(s.charAt(i + 1)))) {
                clean = false;
                break;
            }
        }
        if (clean) {
            return start == 0 && end == len ? s : s.substring(start, end);
        }
        StringBuilder sb = new StringBuilder(end - start);
        boolean pendingSpace = false;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (isSpace(c)) {
                pendingSpace = true;
            } else {
                if (pendingSpace) {
                    sb.append(' ');
                    pendingSpace = false;
                }
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Unicode aware trim. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return start == 0 && end == s.length() ? s : s.substring(start, end);
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    static String nfc(String s) {
        return isAscii(s) || Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
    }

    static boolean isApostrophe(char c) {
        return c == '\'' || c == '\u2019' || c == '\u02BC' || c == '`' || c == '\u00B4' || c == '\u2018';
    }

    /**
     * Lookup key for names of things (countries, languages, genders): lower case, accents removed,
     * dots and apostrophes dropped ("U.S.A." → "usa"), every other run of non letters/digits turned
     * into a single space, trimmed.
     */
    static String fold(String s) {
        String src = isAscii(s) ? s : Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder(src.length());
        boolean pendingSpace = false;
        for (int i = 0; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '.' || isApostrophe(c)) {
                continue;
            }
            int type = Character.getType(c);
            if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                    || type == Character.COMBINING_SPACING_MARK) {
                continue;
            }
            String mapped = switch (c) {
                case 'ß', 'ẞ' -> "ss";
                case 'ø', 'Ø' -> "o";
                case 'æ', 'Æ' -> "ae";
                case 'œ', 'Œ' -> "oe";
                case 'ł', 'Ł' -> "l";
                case 'đ', 'Đ' -> "d";
                case 'ı' -> "i";
                default -> null;
            };
            if (mapped == null && !Character.isLetterOrDigit(c)) {
                pendingSpace = sb.length() > 0;
                continue;
            }
            if (pendingSpace) {
                sb.append(' ');
                pendingSpace = false;
            }
            if (mapped != null) {
                sb.append(mapped);
            } else {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }
}
