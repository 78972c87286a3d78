package io.crmhub.connectors.email;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mail templates from a directory a deployer edits ({@code config/templates/}): {@code <name>.txt}
 * starts with a {@code Subject:} line, a blank line, then the text body; an optional
 * {@code <name>.html} is sent as the HTML alternative. Placeholders {@code ${name}} or
 * {@code ${name:default}} take values from the model (HTML-escaped in the HTML body). Files are
 * re-read when they change.
 */
public class MailTemplates {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)(?::([^}]*))?}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");

    public record Rendered(String subject, String text, String html) {
    }

    private record Cached(long modified, String content) {
    }

    private final Path dir;
    private final Map<Path, Cached> cache = new ConcurrentHashMap<>();

    public MailTemplates(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public boolean exists(String name) {
        return NAME.matcher(name).matches() && Files.isRegularFile(dir.resolve(name + ".txt"));
    }

    /** @throws IllegalArgumentException when the template does not exist or has no Subject line */
    public Rendered render(String name, Map<String, String> model) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid template name '" + name + "'");
        }
        String txt = read(dir.resolve(name + ".txt"));
        if (txt == null) {
            throw new IllegalArgumentException("no template " + name + ".txt in " + dir.toAbsolutePath());
        }
        txt = txt.replace("\r\n", "\n");
        int blank = txt.indexOf("\n\n");
        String head = blank < 0 ? txt : txt.substring(0, blank);
        String body = blank < 0 ? "" : txt.substring(blank + 2);
        String subject = null;
        for (String line : head.split("\n")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                subject = line.substring(8).strip();
            }
        }
        if (subject == null) {
            throw new IllegalArgumentException("template " + name + ".txt has no 'Subject:' line before the blank line");
        }
        String html = read(dir.resolve(name + ".html"));
        return new Rendered(fill(subject, model, false).replaceAll("[\\r\\n]+", " ").strip(), fill(body, model, false),
                html == null ? null : fill(html, model, true));
    }

    static String fill(String template, Map<String, String> model, boolean html) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = model == null ? null : model.get(m.group(1));
            if (v == null || v.isEmpty()) {
                v = m.group(2) == null ? "" : m.group(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(html ? escape(v) : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    private String read(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            long modified = Files.getLastModifiedTime(file).toMillis();
            Cached c = cache.get(file);
            if (c == null || c.modified() != modified) {
                c = new Cached(modified, Files.readString(file, StandardCharsets.UTF_8));
                cache.put(file, c);
            }
            return c.content();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + file, e);
        }
    }
}
