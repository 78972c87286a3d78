package io.crmhub.mappings.normalise;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Gender and salutation values in English, German, French and Spanish to {@link Gender}:
 * m/male/man/herr/mr/monsieur/señor → MALE; f/female/w/weiblich/frau/mrs/ms/miss/madame/señora → FEMALE;
 * d/divers/x/other/non-binary → OTHER; u/unknown/unbekannt/n/a/keine Angabe/prefer not to say → UNKNOWN.
 * Case, accents and dots are ignored ("Mrs.", "MÄNNLICH"). Numeric codes are not accepted because
 * sources disagree on them (ISO 5218 1/2 vs 0/1). Anything else is invalid. Thread-safe.
 */
public final class GenderNormaliser {

    private static final Map<String, Gender> VALUES;

    static {
        Map<String, Gender> m = new HashMap<>();
        put(m, Gender.MALE, "m", "male", "man", "men", "mann", "männlich", "maennlich", "herr", "hr", "mr", "mister",
                "sir", "monsieur", "homme", "masculin", "señor", "sr", "hombre", "masculino", "boy", "junge");
        put(m, Gender.FEMALE, "f", "female", "woman", "women", "w", "weiblich", "frau", "fr", "mrs", "ms", "miss", "mss",
                "madam", "madame", "mme", "mademoiselle", "mlle", "femme", "féminin", "feminin", "señora", "sra",
                "señorita", "srta", "mujer", "femenino", "girl", "mädchen", "fräulein", "frl");
        put(m, Gender.OTHER, "d", "divers", "diverse", "x", "o", "other", "others", "non binary", "nonbinary", "nb",
                "enby", "genderqueer", "andere", "anderes", "autre", "otro", "otra", "no binario", "non binaire", "inter");
        put(m, Gender.UNKNOWN, "u", "unknown", "unbekannt", "unspecified", "not specified", "n a", "na", "none",
                "prefer not to say", "prefer not to answer", "keine angabe", "k a", "ka", "ohne angabe", "inconnu",
                "non specifie", "desconocido", "no especificado", "not known", "undisclosed", "?",
                // salutations of couples and families say nothing about one person's gender
                "familie", "family", "famille", "familia", "eheleute", "herr und frau", "mr and mrs", "mr mrs");
        VALUES = Map.copyOf(m);
    }

    /** Academic titles that may follow a salutation ("Herr Dr.", "Frau Prof. Dr. med."). */
    private static final Set<String> TITLES = Set.of("dr", "prof", "med", "dent", "vet", "dipl", "ing", "phil",
            "rer", "nat", "jur", "mag", "phd", "rev", "dres", "h", "c", "hc");

    private static void put(Map<String, Gender> m, Gender g, String... keys) {
        for (String k : keys) {
            String folded = Text.fold(k);
            m.put(folded.isEmpty() ? k : folded, g);
        }
    }

    public Result<Gender> normalise(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.strip(raw);
        String key = Text.fold(s);
        Gender g = VALUES.get(key.isEmpty() ? s : key);
        if (g == null && key.indexOf(' ') > 0) {
            g = VALUES.get(withoutTitles(key));
        }
        return g != null ? Result.ok(g) : Result.invalid("unknown gender value");
    }

    private static String withoutTitles(String key) {
        StringBuilder sb = new StringBuilder(key.length());
        for (String word : key.split(" ")) {
            if (!TITLES.contains(word)) {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(word);
            }
        }
        return sb.toString();
    }
}
