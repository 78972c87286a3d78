package io.crmhub.connectors.lists;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The header alias table ({@code config/mappings/list-columns.yml}): target field → header names.
 * Headers and aliases are compared by {@link #key(String)}: lower case, accents removed, everything
 * but letters and digits dropped ("E-Mail Address" and "email address" are the same). A target's aliases are
 * listed most specific first: when two headers of a file map to the same target, the one matching the earlier
 * alias takes it (Outlook's "Job Title" over its "Title", which there is the salutation).
 */
public final class ColumnAliases {

    private final Map<String, String> byKey;
    private final Map<String, Integer> rankByKey;

    private ColumnAliases(Map<String, String> byKey, Map<String, Integer> rankByKey) {
        this.byKey = Map.copyOf(byKey);
        this.rankByKey = Map.copyOf(rankByKey);
    }

    public static ColumnAliases of(Map<String, ? extends Collection<String>> targets) {
        Map<String, String> m = new HashMap<>();
        Map<String, Integer> rank = new HashMap<>();
        targets.forEach((target, aliases) -> {
            String t = ListColumns.canonicalTarget(target);
            if (m.putIfAbsent(key(target), t) == null) {
                rank.put(key(target), 0);
            }
            int r = 1;
            for (String a : aliases) {
                if (m.putIfAbsent(key(a), t) == null) {
                    rank.put(key(a), r);
                }
                r++;
            }
        });
        return new ColumnAliases(m, rank);
    }

    public static ColumnAliases load(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        }
    }

    /** The table shipped in the jar: config/mappings/list-columns.yml, copied into it by the build (connectors/pom.xml). */
    public static ColumnAliases builtIn() {
        try (InputStream in = ColumnAliases.class.getResourceAsStream("/lists/list-columns.yml")) {
            if (in == null) {
                throw new IllegalStateException("lists/list-columns.yml missing from the classpath");
            }
            return parse(new java.io.InputStreamReader(in, StandardCharsets.UTF_8), "classpath:lists/list-columns.yml");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ColumnAliases parse(String yaml) {
        return parse(new StringReader(yaml), "yaml");
    }

    @SuppressWarnings("unchecked")
    private static ColumnAliases parse(Reader r, String where) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        if (!(doc instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(where + ": expected a map of target field to a list of header names");
        }
        Map<String, List<String>> targets = new HashMap<>();
        map.forEach((k, v) -> {
            if (!(v instanceof List<?> l)) {
                throw new IllegalArgumentException(where + ": aliases of '" + k + "' must be a list");
            }
            targets.put(String.valueOf(k), l.stream().map(String::valueOf).toList());
        });
        return of(targets);
    }

    /** The target field for this header, or null. */
    public String target(String header) {
        return header == null ? null : byKey.get(key(header));
    }

    /**
     * How specific this header is for its target: 0 for the target's own name, then the alias's place in its
     * list (1 for the first); {@link Integer#MAX_VALUE} for a header that maps to nothing.
     */
    public int rank(String header) {
        return header == null ? Integer.MAX_VALUE : rankByKey.getOrDefault(key(header), Integer.MAX_VALUE);
    }

    public static String key(String s) {
        if (s == null) {
            return "";
        }
        String d = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder b = new StringBuilder(d.length());
        for (int i = 0; i < d.length(); i++) {
            char c = d.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                b.append(Character.toLowerCase(c));
            } else if (c == 'ß') {
                b.append("ss");
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }
}
