package io.crmhub.connectors.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.InvalidEventException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tracking plan: one JSON Schema (draft 2020-12) per planned event, read from the {@code *.json}
 * files of a folder ({@code config/tracking-plan/}). Each file is the schema of the event's
 * {@code properties} (identify: {@code traits}) with two extra top-level keywords:
 * {@code "x-event-type"} ({@code track}, {@code page}, {@code screen}, {@code identify}) and, for
 * track events, {@code "title"} = the event name. A page/screen/identify schema applies to every
 * page/screen/identify call.
 * <p>
 * Unplanned track events are violations unless {@code allowUnplanned}; page, screen, identify and
 * alias calls without a schema, and ad-server records, always pass. Thread-safe.
 */
public final class TrackingPlan {

    /** Draft 2020-12 that knows the plan's own keyword (no "unknown keyword" warning for it). */
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            b -> b.metaSchema(com.networknt.schema.JsonMetaSchema.builder(com.networknt.schema.JsonMetaSchema.getV202012())
                    .keyword(new com.networknt.schema.NonValidationKeyword("x-event-type")).build()));
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true).build();

    private final Map<String, JsonSchema> schemas;
    private final boolean allowUnplanned;
    private final List<String> files;

    private TrackingPlan(Map<String, JsonSchema> schemas, List<String> files, boolean allowUnplanned) {
        this.schemas = schemas;
        this.files = files;
        this.allowUnplanned = allowUnplanned;
    }

    /** A plan that accepts every event. */
    public static TrackingPlan acceptAll() {
        return new TrackingPlan(Map.of(), List.of(), true);
    }

    /**
     * Reads every {@code *.json} of the folder.
     *
     * @throws IllegalArgumentException naming the file, when a schema is not valid JSON, has no
     *                                  x-event-type, or a track schema has no title
     */
    public static TrackingPlan load(Path folder, boolean allowUnplanned, ObjectMapper mapper) {
        Map<String, JsonSchema> schemas = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        if (folder == null || !Files.isDirectory(folder)) {
            return new TrackingPlan(Map.of(), List.of(), true);
        }
        try (Stream<Path> list = Files.list(folder)) {
            for (Path p : list.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                JsonNode doc;
                try (InputStream in = Files.newInputStream(p)) {
                    doc = mapper.readTree(in);
                } catch (IOException e) {
                    throw new IllegalArgumentException("tracking plan " + p + ": not valid JSON: " + e.getMessage(), e);
                }
                String key = key(doc, p);
                if (schemas.containsKey(key)) {
                    throw new IllegalArgumentException("tracking plan " + p + ": '" + key + "' is planned twice");
                }
                try {
                    schemas.put(key, FACTORY.getSchema(doc, CONFIG));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("tracking plan " + p + ": not a usable JSON Schema: " + e.getMessage(), e);
                }
                files.add(p.getFileName().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tracking plan folder " + folder, e);
        }
        return new TrackingPlan(Collections.unmodifiableMap(schemas), List.copyOf(files), allowUnplanned);
    }

    private static String key(JsonNode doc, Path p) {
        String type = doc.path("x-event-type").asText("").trim().toLowerCase(Locale.ROOT);
        switch (type) {
            case "track" -> {
                String title = doc.path("title").asText("").trim();
                if (title.isEmpty()) {
                    throw new IllegalArgumentException("tracking plan " + p + ": a track schema needs the event name as \"title\"");
                }
                return "track:" + title;
            }
            case "page", "screen", "identify" -> {
                return type;
            }
            default -> throw new IllegalArgumentException("tracking plan " + p
                    + ": \"x-event-type\" must be track, page, screen or identify");
        }
    }

    /** Planned events (keys {@code track:<name>}, {@code page} ...). */
    public java.util.Set<String> planned() {
        return schemas.keySet();
    }

    public List<String> files() {
        return files;
    }

    /**
     * Checks the event against its schema.
     *
     * @throws InvalidEventException with the plan's violations (unplanned event, missing required
     *                               property, wrong type ...), each with its JSON pointer
     */
    public void check(ClickEvent event) {
        String key = switch (event.type()) {
            case TRACK -> "track:" + event.name();
            case PAGE -> "page";
            case SCREEN -> "screen";
            case IDENTIFY -> "identify";
            default -> null;
        };
        if (key == null) {
            return;
        }
        JsonSchema schema = schemas.get(key);
        if (schema == null) {
            if (event.type() == ClickEvent.Type.TRACK && !allowUnplanned && !schemas.isEmpty()) {
                throw new InvalidEventException("/event", "unplanned event '" + event.name()
                        + "': not in the tracking plan");
            }
            return;
        }
        JsonNode subject = event.properties() == null ? JsonNodeFactory.instance.objectNode() : event.properties();
        String root = event.type() == ClickEvent.Type.IDENTIFY ? "/traits" : "/properties";
        var messages = schema.validate(subject);
        if (messages.isEmpty()) {
            return;
        }
        List<InvalidEventException.Violation> v = new ArrayList<>();
        for (ValidationMessage m : messages) {
            String at = m.getInstanceLocation() == null ? "" : m.getInstanceLocation().toString();
            String pointer = root + pointer(at);
            if ("required".equals(m.getType()) && m.getProperty() != null) {
                pointer = root + pointer(at) + "/" + m.getProperty();
            }
            v.add(new InvalidEventException.Violation(pointer, "tracking plan '" + key + "': " + m.getMessage()));
        }
        throw new InvalidEventException(v);
    }

    /** networknt paths look like {@code $.a.b[0]}; turned into {@code /a/b/0}. */
    private static String pointer(String path) {
        if (path.isEmpty() || path.equals("$")) {
            return "";
        }
        String s = path.startsWith("$") ? path.substring(1) : path;
        return s.replace("[", ".").replace("]", "").replace('.', '/');
    }
}
