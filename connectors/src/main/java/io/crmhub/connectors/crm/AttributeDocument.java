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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A profile's attributes as one JSON document in {@code profile.attributes}, each with its
 * provenance. The attributes of a profile mostly share a few provenances (the record that brought
 * them), so those are listed once and referenced by index:
 * <pre>{"p":[["membership:web",1796205600123456]],"a":{"city":["Lyon",0],"firstName":["Ann",0]}}</pre>
 * {@code p}: provenances, each [source, observed at in microseconds since the epoch]; {@code a}: the
 * attributes by name (sorted), each [value, index into p]. One column on the profile row instead of
 * one indexed row per attribute: a profile's attributes are only ever read and written together,
 * under the profile's lock, and a row per attribute cost more than half of the database's work for
 * a profile with a handful of them (see docs/benchmarks.md, "attributes as one document").
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
        // provenance (source, time) -> its index in "p", in order of first use
        Map<Map.Entry<String, Instant>, Integer> provenances = new LinkedHashMap<>();
        for (AttributeValue v : sorted.values()) {
            provenances.putIfAbsent(Map.entry(v.source(), v.at()), provenances.size());
        }
        StringWriter out = new StringWriter(64 + 40 * sorted.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("p");
            for (Map.Entry<String, Instant> p : provenances.keySet()) {
                g.writeStartArray();
                g.writeString(p.getKey());
                g.writeNumber(micros(p.getValue()));
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("a");
            for (Map.Entry<String, AttributeValue> e : sorted.entrySet()) {
                AttributeValue v = e.getValue();
                g.writeArrayFieldStart(e.getKey());
                g.writeString(v.value());
                g.writeNumber(provenances.get(Map.entry(v.source(), v.at())));
                g.writeEndArray();
            }
            g.writeEndObject();
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
            List<String> sources = new ArrayList<>();
            List<Instant> times = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if ("p".equals(field)) {
                    expect(p.nextToken(), JsonToken.START_ARRAY, document);
                    while (p.nextToken() == JsonToken.START_ARRAY) {
                        expect(p.nextToken(), JsonToken.VALUE_STRING, document);
                        sources.add(p.getText());
                        expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT, document);
                        times.add(instant(p.getLongValue()));
                        expect(p.nextToken(), JsonToken.END_ARRAY, document);
                    }
                } else if ("a".equals(field)) {
                    expect(p.nextToken(), JsonToken.START_OBJECT, document);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        expect(p.nextToken(), JsonToken.START_ARRAY, document);
                        JsonToken t = p.nextToken();
                        String value = t == JsonToken.VALUE_NULL ? null : p.getText();
                        expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT, document);
                        int k = p.getIntValue();
                        expect(p.nextToken(), JsonToken.END_ARRAY, document);
                        if (k < 0 || k >= sources.size()) {
                            throw new IllegalStateException("unreadable attribute document (provenance " + k
                                    + " of " + name + " not listed): " + abbreviate(document));
                        }
                        attributes.put(name, new AttributeValue(value, sources.get(k), times.get(k)));
                    }
                } else {
                    p.nextToken();
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("unreadable attribute document: " + abbreviate(document), e);
        }
        return attributes;
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
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
