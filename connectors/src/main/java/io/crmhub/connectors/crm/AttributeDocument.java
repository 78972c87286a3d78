package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.crmhub.mappings.model.AttributeValue;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * A profile's attributes as one JSON document in {@code profile.attributes}, each with its
 * provenance: {@code {"city":{"v":"Lyon","s":"membership:web","t":"2026-12-02T10:00:00.123456Z"}}}
 * (value, source, observed at; names in sorted order). One column on the profile row instead of one
 * indexed row per attribute: a profile's attributes are only ever read and written together, under
 * the profile's lock, and a row per attribute cost more than half of the database's work for a
 * profile with a handful of them (see docs/benchmarks.md, "attributes as one document").
 */
public final class AttributeDocument {

    private static final JsonFactory JSON = new JsonFactory();

    private AttributeDocument() {
    }

    /** The document of these attributes; null when there are none. */
    public static String write(Map<String, AttributeValue> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return null;
        }
        Map<String, AttributeValue> sorted = attributes instanceof TreeMap<String, AttributeValue> t ? t : new TreeMap<>(attributes);
        StringWriter out = new StringWriter(64 + 80 * sorted.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, AttributeValue> e : sorted.entrySet()) {
                AttributeValue v = e.getValue();
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("v", v.value());
                g.writeStringField("s", v.source());
                g.writeStringField("t", v.at().toString());
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The attributes of a document (sorted by name); empty for null. */
    public static TreeMap<String, AttributeValue> read(String document) {
        TreeMap<String, AttributeValue> attributes = new TreeMap<>();
        if (document == null || document.isEmpty()) {
            return attributes;
        }
        try (JsonParser p = JSON.createParser(document)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, document);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                expect(p.nextToken(), JsonToken.START_OBJECT, document);
                String value = null;
                String source = null;
                Instant at = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken t = p.nextToken();
                    String text = t == JsonToken.VALUE_NULL ? null : p.getText();
                    switch (field) {
                        case "v" -> value = text;
                        case "s" -> source = text;
                        case "t" -> at = text == null ? null : Instant.parse(text);
                        default -> p.skipChildren();
                    }
                }
                attributes.put(name, new AttributeValue(value, source, at));
            }
        } catch (IOException e) {
            throw new IllegalStateException("unreadable attribute document: " + abbreviate(document), e);
        }
        return attributes;
    }

    /** Only the values of some attributes of a document (absent ones are left out). */
    public static Map<String, String> values(String document, java.util.Set<String> names) {
        Map<String, String> out = new TreeMap<>();
        read(document).forEach((k, v) -> {
            if (names.contains(k)) {
                out.put(k, v.value());
            }
        });
        return out;
    }

    private static void expect(JsonToken actual, JsonToken expected, String document) {
        if (actual != expected) {
            throw new IllegalStateException("unreadable attribute document (" + expected + " expected, " + actual
                    + "): " + abbreviate(document));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
