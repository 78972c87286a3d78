package io.crmhub.mappings.normalise;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Countries to ISO 3166-1 alpha-2 ("DE") from alpha-2 or alpha-3 codes (any case) and from
 * country names in English, German, French and Spanish as {@link Locale} knows them, plus common
 * aliases (UK, USA, U.S.A., United States of America, Holland, England, Ivory Coast ...).
 * Names are matched ignoring case, accents, punctuation, a leading "the", "St."/"Saint" and the
 * conjunctions and/und/et/y/&, so "Bosnia and Herzegovina", "Bosnia &amp; Herzegovina" and
 * "BOSNIE-HERZÉGOVINE" all give BA.
 * <p>
 * The lookup tables are built once per JVM from the JDK's ISO data. Thread-safe.
 */
public final class CountryNormaliser {

    private static final Locale[] NAME_LANGUAGES = {Locale.ENGLISH, Locale.GERMAN, Locale.FRENCH, new Locale("es")};

    /** Upper-case alpha-2 and alpha-3 code → alpha-2. */
    private static final Map<String, String> CODES;
    /** Folded name (see {@link #nameKey}) → alpha-2. */
    private static final Map<String, String> NAMES;

    private static final String[][] ALIASES = {
            {"UK", "GB"}, {"Great Britain", "GB"}, {"Britain", "GB"}, {"England", "GB"}, {"Scotland", "GB"},
            {"Wales", "GB"}, {"Northern Ireland", "GB"}, {"United Kingdom of Great Britain and Northern Ireland", "GB"},
            {"Grossbritannien", "GB"}, {"Großbritannien", "GB"}, {"Grande-Bretagne", "GB"}, {"Gran Bretaña", "GB"},
            {"Inglaterra", "GB"}, {"Angleterre", "GB"},
            {"USA", "US"}, {"U.S.", "US"}, {"United States of America", "US"},
            {"Vereinigte Staaten von Amerika", "US"}, {"Etats-Unis d'Amérique", "US"},
            {"EE.UU.", "US"}, {"Estados Unidos de América", "US"},
            {"Deutschland", "DE"}, {"BRD", "DE"}, {"Bundesrepublik Deutschland", "DE"},
            {"Federal Republic of Germany", "DE"},
            {"Holland", "NL"}, {"The Netherlands", "NL"}, {"Nederland", "NL"},
            {"Österreich", "AT"}, {"Schweiz", "CH"}, {"Suisse", "CH"}, {"Svizzera", "CH"}, {"Switzerland", "CH"},
            {"Italia", "IT"}, {"España", "ES"}, {"Polska", "PL"}, {"Danmark", "DK"}, {"Sverige", "SE"},
            {"Norge", "NO"}, {"Suomi", "FI"}, {"Belgie", "BE"}, {"België", "BE"}, {"Portugal", "PT"},
            {"Česko", "CZ"}, {"Czech Republic", "CZ"}, {"Tschechische Republik", "CZ"}, {"République tchèque", "CZ"},
            {"República Checa", "CZ"},
            {"Türkiye", "TR"},
            {"Russian Federation", "RU"}, {"Korea", "KR"}, {"Republic of Korea", "KR"},
            {"Democratic People's Republic of Korea", "KP"},
            {"Ivory Coast", "CI"}, {"Cote d Ivoire", "CI"},
            {"Burma", "MM"}, {"Swaziland", "SZ"}, {"Macedonia", "MK"}, {"Republic of North Macedonia", "MK"},
            {"Vatican", "VA"}, {"Holy See", "VA"},
            {"Hong Kong", "HK"}, {"Hongkong", "HK"}, {"Macau", "MO"}, {"Macao", "MO"},
            {"Palestine", "PS"}, {"State of Palestine", "PS"},
            {"Democratic Republic of the Congo", "CD"}, {"DR Congo", "CD"}, {"DRC", "CD"},
            {"Republic of the Congo", "CG"}, {"Congo", "CG"},
            {"UAE", "AE"}, {"Emirates", "AE"}, {"Cape Verde", "CV"}, {"East Timor", "TL"},
            {"Persia", "IR"}, {"Iran, Islamic Republic of", "IR"}, {"Syrian Arab Republic", "SY"},
            {"Viet Nam", "VN"}, {"Lao People's Democratic Republic", "LA"}, {"Brunei Darussalam", "BN"},
            {"Moldova, Republic of", "MD"}, {"Republic of Moldova", "MD"}, {"Tanzania, United Republic of", "TZ"},
            {"Taiwan, Province of China", "TW"}, {"Bolivia, Plurinational State of", "BO"},
            {"Venezuela, Bolivarian Republic of", "VE"}, {"Micronesia", "FM"}, {"Falklands", "FK"},
    };

    private static final Set<String> DROPPED_WORDS = Set.of("the", "and", "und", "et", "y");

    static {
        Map<String, String> codes = new HashMap<>(600);
        Set<String> alpha2 = new HashSet<>(Set.of(Locale.getISOCountries()));
        for (String a2 : alpha2) {
            codes.put(a2, a2);
            String a3 = new Locale("", a2).getISO3Country();
            if (!a3.isEmpty()) {
                codes.put(a3, a2);
            }
        }
        codes.put("UK", "GB");
        CODES = Map.copyOf(codes);

        Map<String, String> names = new HashMap<>(2000);
        // Explicit aliases first so they win over accidental collisions of generated names.
        for (String[] alias : ALIASES) {
            names.putIfAbsent(nameKey(alias[0]), alias[1]);
        }
        for (Locale language : NAME_LANGUAGES) {
            for (String a2 : alpha2) {
                addName(names, new Locale("", a2).getDisplayCountry(language), a2);
            }
        }
        NAMES = Map.copyOf(names);
    }

    private static void addName(Map<String, String> names, String display, String a2) {
        if (display == null || display.isEmpty() || display.equals(a2)) {
            return;
        }
        names.putIfAbsent(nameKey(display), a2);
        if (hasUmlaut(display)) {
            // Österreich → Oesterreich, Türkei → Tuerkei
            names.putIfAbsent(nameKey(display.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
                    .replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")), a2);
        }
        int paren = display.indexOf('(');
        if (paren > 0) {
            // "Myanmar (Burma)": also "Myanmar" and "Burma"
            names.putIfAbsent(nameKey(display.substring(0, paren)), a2);
            int close = display.indexOf(')', paren);
            if (close > paren + 1) {
                names.putIfAbsent(nameKey(display.substring(paren + 1, close)), a2);
            }
        }
    }

    private static boolean hasUmlaut(String s) {
        for (int i = 0; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case 'ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü':
                    return true;
                default:
                    break;
            }
        }
        return false;
    }

    /** Folded lookup key of a country name. */
    static String nameKey(String name) {
        String folded = Text.fold(name);
        if (folded.indexOf(' ') < 0) {
            return folded;
        }
        StringBuilder sb = new StringBuilder(folded.length());
        int start = 0;
        while (start <= folded.length()) {
            int end = folded.indexOf(' ', start);
            if (end < 0) {
                end = folded.length();
            }
            String word = folded.substring(start, end);
            if (!DROPPED_WORDS.contains(word)) {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(word.equals("st") ? "saint" : word);
            }
            start = end + 1;
        }
        return sb.toString();
    }

    public Result<String> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.strip(raw);
        int len = s.length();
        if ((len == 2 || len == 3) && isAsciiLetters(s)) {
            String code = CODES.get(s.toUpperCase(Locale.ROOT));
            if (code != null) {
                return Result.ok(code);
            }
        }
        String key = nameKey(s);
        if (!hasLetter(key)) {
            return Result.invalid("country contains no letters");
        }
        String code = NAMES.get(key);
        if (code != null) {
            return Result.ok(code);
        }
        if ((len == 2 || len == 3) && isAsciiLetters(s)) {
            return Result.invalid("unknown ISO 3166-1 country code");
        }
        return Result.invalid("unknown country");
    }

    private static boolean isAsciiLetters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = (char) (s.charAt(i) | 0x20);
            if (c < 'a' || c > 'z') {
                return false;
            }
        }
        return true;
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
