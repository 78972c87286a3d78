package io.crmhub.connectors.clickstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.crmhub.mappings.clickstream.InterestScore;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * A profile's interest scores as one JSON document in {@code click_profile_stats.interests}: each
 * content category with its score and the time the score is as of (microseconds since the epoch),
 * <pre>{"sports":[2.3957,1796205600123000],"travel":[1.0,1796119200000000]}</pre>
 * One column on the stats row instead of one indexed row per category: a profile's interests are
 * read and written together with its stats, under the profile's lock, and the rows per category
 * were the largest single part of a batch's database work (see docs/benchmarks.md, clickstream).
 */
public final class InterestDocument {

    private static final JsonFactory JSON = new JsonFactory();

    private InterestDocument() {
    }

    /** The document of these scores; null when there are none. */
    public static String write(Map<String, InterestScore.Score> scores) {
        if (scores == null || scores.isEmpty()) {
            return null;
        }
        Map<String, InterestScore.Score> sorted = scores instanceof TreeMap<String, InterestScore.Score> t ? t
                : new TreeMap<>(scores);
        StringWriter out = new StringWriter(16 + 40 * sorted.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, InterestScore.Score> e : sorted.entrySet()) {
                g.writeArrayFieldStart(e.getKey());
                g.writeNumber(e.getValue().value());
                g.writeNumber(micros(e.getValue().asOf()));
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The scores of a document, by category; empty for null. */
    public static TreeMap<String, InterestScore.Score> read(String document) {
        TreeMap<String, InterestScore.Score> scores = new TreeMap<>();
        if (document == null || document.isEmpty()) {
            return scores;
        }
        try (JsonParser p = JSON.createParser(document)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, document);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String category = p.currentName();
                expect(p.nextToken(), JsonToken.START_ARRAY, document);
                JsonToken value = p.nextToken();
                if (value != JsonToken.VALUE_NUMBER_FLOAT && value != JsonToken.VALUE_NUMBER_INT) {
                    throw new IllegalStateException("unreadable interest document (score of " + category + "): "
                            + abbreviate(document));
                }
                double score = p.getDoubleValue();
                expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT, document);
                Instant asOf = instant(p.getLongValue());
                expect(p.nextToken(), JsonToken.END_ARRAY, document);
                scores.put(category, new InterestScore.Score(score, asOf));
            }
        } catch (IOException e) {
            throw new IllegalStateException("unreadable interest document: " + abbreviate(document), e);
        }
        return scores;
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    private static void expect(JsonToken actual, JsonToken expected, String document) {
        if (actual != expected) {
            throw new IllegalStateException("unreadable interest document (" + expected + " expected, " + actual
                    + " found): " + abbreviate(document));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
