package io.crmhub.mappings.normalise;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Languages to ISO 639-1 ("de") from two- and three-letter codes (639-1, 639-2/T and 639-2/B:
 * de, deu, ger), language tags and locales (de-DE, de_AT, zh-Hant-TW, an Accept-Language header's
 * first entry) and language names in English, German, French, Spanish and the language itself
 * (German, Deutsch, allemand, alemán). Legacy codes iw/in/ji give he/id/yi. Languages without a
 * 639-1 code are rejected. The tables are built once per JVM from {@link Locale}. Thread-safe.
 */
public final class LanguageNormaliser {

    private static final Locale[] NAME_LANGUAGES = {Locale.ENGLISH, Locale.GERMAN, Locale.FRENCH, new Locale("es")};

    /** Lower-case 2- and 3-letter code → ISO 639-1. */
    private static final Map<String, String> CODES;
    /** Folded name → ISO 639-1. */
    private static final Map<String, String> NAMES;

    /** ISO 639-2/B codes that differ from the 639-2/T ones the JDK reports. */
    private static final String[][] BIBLIOGRAPHIC = {
            {"alb", "sq"}, {"arm", "hy"}, {"baq", "eu"}, {"bur", "my"}, {"chi", "zh"}, {"cze", "cs"}, {"dut", "nl"},
            {"fre", "fr"}, {"geo", "ka"}, {"ger", "de"}, {"gre", "el"}, {"ice", "is"}, {"mac", "mk"}, {"mao", "mi"},
            {"may", "ms"}, {"per", "fa"}, {"rum", "ro"}, {"slo", "sk"}, {"tib", "bo"}, {"wel", "cy"},
    };

    private static final String[][] ALIASES = {
            {"farsi", "fa"}, {"mandarin", "zh"}, {"castellano", "es"}, {"castilian", "es"}, {"flemish", "nl"},
            {"vlaams", "nl"}, {"flamisch", "nl"}, {"schweizerdeutsch", "de"}, {"swiss german", "de"},
            {"hochdeutsch", "de"}, {"moldovan", "ro"}, {"brazilian portuguese", "pt"}, {"brasilianisch", "pt"},
            {"bokmal", "nb"}, {"nynorsk", "nn"}, {"gaelic", "gd"}, {"irish gaelic", "ga"}, {"scottish gaelic", "gd"},
    };

    static {
        Map<String, String> codes = new HashMap<>(600);
        Map<String, String> names = new HashMap<>(2000);
        for (String[] alias : ALIASES) {
            names.put(Text.fold(alias[0]), alias[1]);
        }
        for (String iso : Locale.getISOLanguages()) {
            Locale locale = new Locale(iso);
            String code = locale.getLanguage(); // maps legacy iw, in, ji to he, id, yi
            if (code.length() != 2) {
                continue;
            }
            codes.put(iso, code);
            codes.put(code, code);
            String iso3 = locale.getISO3Language();
            if (iso3.length() == 3) {
                codes.putIfAbsent(iso3, code);
            }
            for (Locale in : NAME_LANGUAGES) {
                addName(names, locale.getDisplayLanguage(in), code, false);
            }
            addName(names, locale.getDisplayLanguage(locale), code, false);
        }
        // Second pass, lower priority: "Norwegisch (Bokmål)" also as "Norwegisch", unless that is
        // already the full name of another language (no).
        for (String iso : Locale.getISOLanguages()) {
            Locale locale = new Locale(iso);
            for (Locale in : NAME_LANGUAGES) {
                addName(names, locale.getDisplayLanguage(in), locale.getLanguage(), true);
            }
        }
        for (String[] b : BIBLIOGRAPHIC) {
            codes.putIfAbsent(b[0], b[1]);
        }
        CODES = Map.copyOf(codes);
        NAMES = Map.copyOf(names);
    }

    private static void addName(Map<String, String> names, String display, String code, boolean prefixOnly) {
        if (code.length() != 2 || display == null || display.isEmpty() || display.equalsIgnoreCase(code)) {
            return;
        }
        if (!prefixOnly) {
            names.putIfAbsent(Text.fold(display), code);
            return;
        }
        int paren = display.indexOf('(');
        if (paren > 0) {
            names.putIfAbsent(Text.fold(display.substring(0, paren)), code);
        }
    }

    public Result<String> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.strip(raw);
        // Accept-Language: "de-DE,de;q=0.9,en;q=0.8" → first entry
        int cut = firstIndexOf(s, ',', ';');
        if (cut >= 0) {
            s = Text.strip(s.substring(0, cut));
        }
        // tag or locale: primary subtag before '-' or '_'
        int sep = firstIndexOf(s, '-', '_');
        String primary = sep > 0 ? s.substring(0, sep) : s;
        if ((primary.length() == 2 || primary.length() == 3) && isAsciiLetters(primary)) {
            String code = CODES.get(primary.toLowerCase(Locale.ROOT));
            if (code != null) {
                return Result.ok(code);
            }
        }
        String key = Text.fold(s);
        if (!hasLetter(key)) {
            return Result.invalid("language contains no letters");
        }
        String code = NAMES.get(key);
        if (code == null) {
            int paren = s.indexOf('(');
            if (paren > 0) {
                // "English (United States)", "Chinese (Simplified)"
                code = NAMES.get(Text.fold(s.substring(0, paren)));
            }
        }
        if (code != null) {
            return Result.ok(code);
        }
        return Result.invalid(primary.length() <= 3 && isAsciiLetters(primary)
                ? "unknown language code or language without an ISO 639-1 code"
                : "unknown language");
    }

    private static int firstIndexOf(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == a || c == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isAsciiLetters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = (char) (s.charAt(i) | 0x20);
            if (c < 'a' || c > 'z') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static boolean hasLetter(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isLetter(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
