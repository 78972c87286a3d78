package io.crmhub.connectors.lists;

import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.MemberType;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How one file is imported: from its manifest {@code <basename>.list.yml}, from upload parameters,
 * or the defaults (list name = file base name, member type contact, headers through the alias table).
 *
 * @param listName     the marketing list (created when new)
 * @param memberType   one type per list
 * @param source       name of the list's origin (partner, event ...): member source, EXTERNAL_ID namespace
 * @param columns      header name → target field; headers not named here go through the alias table
 * @param charset      declared charset, or null to detect (BOM, else UTF-8 when valid, else windows-1252)
 * @param delimiter    declared separator, or null to detect from the header line
 * @param channel      the channel whose opt-out makes a member suppressed (default EMAIL)
 * @param dryRun       report and errors file only, nothing written to the CRM
 * @param keepUnmapped unmapped columns are kept as profile attributes named like the header
 * @param country      the country a row without one is read in (phones without +, ambiguous dates, postal codes);
 *                     never stored as the person's country; null: the hub's default region
 */
public record ListSettings(String listName, MemberType memberType, String source, Map<String, String> columns,
                           Charset charset, Character delimiter, Channel channel, boolean dryRun,
                           boolean keepUnmapped, String country) {

    public ListSettings(String listName, MemberType memberType, String source, Map<String, String> columns,
                        Charset charset, Character delimiter, Channel channel, boolean dryRun, boolean keepUnmapped) {
        this(listName, memberType, source, columns, charset, delimiter, channel, dryRun, keepUnmapped, null);
    }

    static final Set<String> KEYS = Set.of("list", "listName", "memberType", "source", "columns", "charset",
            "encoding", "delimiter", "separator", "channel", "dryRun", "options", "keepUnmappedColumns", "country");

    public ListSettings {
        memberType = memberType == null ? MemberType.CONTACT : memberType;
        source = source == null || source.isBlank() ? "lists" : source.trim();
        columns = columns == null ? Map.of() : Map.copyOf(columns);
        channel = channel == null ? Channel.EMAIL : channel;
    }

    public static ListSettings defaults(String listName) {
        return new ListSettings(listName, MemberType.CONTACT, null, Map.of(), null, null, Channel.EMAIL, false, false);
    }

    public ListSettings withListName(String name) {
        return new ListSettings(name, memberType, source, columns, charset, delimiter, channel, dryRun, keepUnmapped,
                country);
    }

    public ListSettings withDryRun(boolean dry) {
        return new ListSettings(listName, memberType, source, columns, charset, delimiter, channel, dry, keepUnmapped,
                country);
    }

    /** Reads a manifest; {@code defaultListName} when it names none. */
    public static ListSettings readManifest(Path manifest, String defaultListName) throws IOException {
        Map<?, ?> m = readManifestMap(manifest);
        try {
            return fromMap(m, defaultListName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("manifest " + manifest.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** A manifest's settings as written (empty when the manifest is empty). */
    public static Map<?, ?> readManifestMap(Path manifest) throws IOException {
        try (Reader r = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);       // "list: a" twice: refused, not the last one silently
            Object doc = new Yaml(new SafeConstructor(options)).load(r);
            if (doc == null) {
                return Map.of();
            }
            if (!(doc instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("must be a YAML map");
            }
            stated(m); // refuses unknown and contradicting settings here, with the manifest's name below
            return m;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("manifest " + manifest.getFileName() + ": " + e.getMessage(), e);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            String what = e instanceof org.yaml.snakeyaml.error.MarkedYAMLException my && my.getProblem() != null
                    ? my.getProblem() + (my.getProblemMark() == null ? "" : " (line " + (my.getProblemMark().getLine() + 1) + ")")
                    : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("manifest " + manifest.getFileName() + " is not valid YAML: " + what, e);
        }
    }

    /**
     * The settings a manifest or the request states, flat, each under one name ({@code list}, {@code charset},
     * {@code delimiter}; {@code options:} merged in). A setting stated twice with different values — at the top
     * and under {@code options}, or as {@code list} and {@code listName} — is refused, never silently decided.
     */
    public static Map<String, Object> stated(Map<?, ?> raw) {
        Map<String, Object> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> m.put(String.valueOf(k), v));
        Object options = m.remove("options");
        if (options instanceof Map<?, ?> opts) {
            opts.forEach((k, v) -> {
                String key = String.valueOf(k);
                if (key.equals("options")) {
                    throw new IllegalArgumentException("options may not hold options again");
                }
                if (m.containsKey(key) && !same(key, m.get(key), v)) {
                    throw new IllegalArgumentException("'" + key + "' is set twice with different values: '"
                            + m.get(key) + "' and, under options, '" + v + "'");
                }
                m.putIfAbsent(key, v);
            });
        } else if (options != null) {
            throw new IllegalArgumentException("options must be a map of settings, got '" + options + "'");
        }
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown setting '" + k + "' (known: " + String.join(", ",
                        new java.util.TreeSet<>(KEYS)) + ")");
            }
        }
        synonym(m, "list", "listName");
        synonym(m, "charset", "encoding");
        synonym(m, "delimiter", "separator");
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (e.getKey().equals("columns")) {
                continue;
            }
            if (v instanceof Map<?, ?> || v instanceof java.util.Collection<?>) {
                throw new IllegalArgumentException("'" + e.getKey() + "' takes one value, got " + v);
            }
            if (v == null || String.valueOf(v).isBlank()) {
                throw new IllegalArgumentException("'" + e.getKey() + "' is given without a value: give one, or leave"
                        + " it out for the default");
            }
        }
        return m;
    }

    private static void synonym(Map<String, Object> m, String name, String other) {
        if (!m.containsKey(other)) {
            return;
        }
        Object v = m.remove(other);
        if (m.containsKey(name) && !same(name, m.get(name), v)) {
            throw new IllegalArgumentException("'" + name + "' and '" + other + "' name the same setting but differ: '"
                    + m.get(name) + "' and '" + v + "'");
        }
        m.putIfAbsent(name, v);
    }

    /** Names and text compare exactly; a setting that names a kind ("lead", "LEAD"; "true", "TRUE") ignoring case. */
    private static boolean same(String key, Object a, Object b) {
        if (a instanceof Map<?, ?> || b instanceof Map<?, ?>) {
            return java.util.Objects.equals(a, b);
        }
        String x = str(a);
        String y = str(b);
        if (x == null || y == null) {
            return x == y;
        }
        return CASELESS_KEYS.contains(key) ? x.equalsIgnoreCase(y) : x.equals(y);
    }

    /** Settings that name a kind: the same value in another case is the same setting (not names, text, mappings). */
    public static final Set<String> CASELESS_KEYS = Set.of("memberType", "channel", "charset", "encoding", "delimiter",
            "separator", "dryRun", "keepUnmappedColumns", "country");

    /** From a manifest document or request parameters (flat keys; columns as a map). */
    public static ListSettings fromMap(Map<?, ?> raw, String defaultListName) {
        Map<String, Object> m = stated(raw);
        String list = str(m.get("list"));
        MemberType type = str(m.get("memberType")) == null ? MemberType.CONTACT : MemberType.parse(str(m.get("memberType")));
        Map<String, String> columns = new LinkedHashMap<>();
        if (m.get("columns") instanceof Map<?, ?> cols) {
            cols.forEach((header, target) -> {
                String t = target == null ? ListColumns.IGNORE : ListColumns.canonicalTarget(String.valueOf(target));
                columns.put(String.valueOf(header), t);
            });
        } else if (m.get("columns") != null) {
            throw new IllegalArgumentException("columns must map header names to fields");
        }
        String cs = str(m.get("charset"));
        Charset charset;
        try {
            charset = cs == null ? null : Charset.forName(cs);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown charset '" + cs + "'");
        }
        String d = str(m.get("delimiter"));
        Character delimiter = null;
        if (d != null) {
            String dd = d.equalsIgnoreCase("tab") || d.equals("\\t") ? "\t" : d;
            if (dd.length() != 1) {
                throw new IllegalArgumentException("delimiter must be one character (or 'tab'), got '" + d + "'");
            }
            delimiter = dd.charAt(0);
        }
        Channel channel;
        try {
            channel = str(m.get("channel")) == null ? Channel.EMAIL
                    : Channel.valueOf(str(m.get("channel")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("channel must be one of EMAIL, SMS, PHONE, ADS, PERSONALISATION");
        }
        return new ListSettings(list == null ? defaultListName : list, type, str(m.get("source")), columns, charset,
                delimiter, channel, bool(m.get("dryRun")), bool(m.get("keepUnmappedColumns")), str(m.get("country")));
    }

    /** The settings as a plain map (stored with the run, and read back by {@link #fromMap}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("list", listName);
        m.put("memberType", memberType.name());
        m.put("source", source);
        if (!columns.isEmpty()) {
            m.put("columns", columns);
        }
        if (charset != null) {
            m.put("charset", charset.name());
        }
        if (delimiter != null) {
            m.put("delimiter", delimiter == '\t' ? "tab" : String.valueOf(delimiter));
        }
        m.put("channel", channel.name());
        m.put("dryRun", dryRun);
        m.put("keepUnmappedColumns", keepUnmapped);
        if (country != null) {
            m.put("country", country);
        }
        return m;
    }

    private static String str(Object o) {
        if (o == null) {
            return null;
        }
        String s = String.valueOf(o).trim();
        return s.isEmpty() ? null : s;
    }

    private static boolean bool(Object o) {
        if (o instanceof Boolean b) {
            return b;
        }
        String s = str(o);
        if (s == null) {
            return false;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
        };
    }
}
