package io.crmhub.mappings.email;

import java.text.Normalizer;

/**
 * An attachment name that is safe to show and store: no directories ({@code ../../etc/passwd}
 * becomes {@code passwd}), no control or bidirectional-override characters (the
 * {@code invoice\u202Efdp.exe} trick), no leading dots, at most 120 characters; empty names become
 * {@code unnamed}.
 */
public final class SafeFileName {

    public static final int MAX = 120;

    private SafeFileName() {
    }

    public static String of(String name) {
        if (name == null) {
            return "unnamed";
        }
        String s = Normalizer.normalize(name, Normalizer.Form.NFC);
        int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        if (slash >= 0) {
            s = s.substring(slash + 1);
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            int type = Character.getType(cp);
            boolean bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F;
            if (type == Character.CONTROL || type == Character.FORMAT || bidi || cp == ':' || cp == '*' || cp == '?'
                    || cp == '"' || cp == '<' || cp == '>' || cp == '|') {
                b.append('_');
            } else {
                b.appendCodePoint(cp);
            }
        });
        s = b.toString().strip();
        while (s.startsWith(".")) {
            s = s.substring(1);
        }
        if (s.codePointCount(0, s.length()) > MAX) {
            s = s.substring(0, s.offsetByCodePoints(0, MAX));
        }
        return s.isBlank() ? "unnamed" : s;
    }
}
