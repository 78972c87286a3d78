package io.crmhub.mappings.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant RECEIVED = Instant.parse("2026-11-30T10:00:00Z");
    private final SegmentMapper mapper = new SegmentMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void trackCallWithCommonFields() throws Exception {
        ClickEvent e = mapper.map(json("""
                {"type":"track","event":"Product Viewed","messageId":"m-1","anonymousId":"507f191e810c19729de860ea",
                 "userId":97980,"timestamp":"2026-11-30T09:59:00.000Z",
                 "context":{"ip":"203.0.113.77","userAgent":"Mozilla/5.0","locale":"en-US",
                            "campaign":{"name":"TPS Innovation Newsletter","source":"Newsletter","medium":"email"},
                            "traits":{"email":"Peter.Gibbons@Initech.com"}},
                 "properties":{"product_id":"p1","category":"Sports","price":12.5}}"""), RECEIVED);
        assertThat(e.type()).isEqualTo(ClickEvent.Type.TRACK);
        assertThat(e.name()).isEqualTo("Product Viewed");
        assertThat(e.messageId()).isEqualTo("m-1");
        assertThat(e.userId()).isEqualTo("97980");
        assertThat(e.anonymousId()).isEqualTo("507f191e810c19729de860ea");
        assertThat(e.at()).isEqualTo(Instant.parse("2026-11-30T09:59:00Z"));
        assertThat(e.ip()).as("truncated before anything is stored").isEqualTo("203.0.113.0");
        assertThat(e.category()).isEqualTo("sports");
        assertThat(e.campaign()).isEqualTo("tps-innovation-newsletter");
        assertThat(e.campaignName()).isEqualTo("TPS Innovation Newsletter");
        assertThat(e.medium()).isEqualTo("email");
        assertThat(e.email()).isEqualTo("Peter.Gibbons@Initech.com");
        assertThat(e.properties().get("product_id").asText()).isEqualTo("p1");
        assertThat(e.personKey()).isEqualTo("97980");
    }

    @Test
    void pageCallTakesItsCategoryAndCorrectsClockSkew() throws Exception {
        ClickEvent e = mapper.map(json("""
                {"type":"page","name":"Home","category":"Docs","anonymousId":"a1","messageId":"m2",
                 "originalTimestamp":"2026-11-30T09:00:00Z","sentAt":"2026-11-30T09:05:00Z",
                 "properties":{"title":"Welcome","url":"http://www.example.com"}}"""), RECEIVED);
        assertThat(e.type()).isEqualTo(ClickEvent.Type.PAGE);
        assertThat(e.isView()).isTrue();
        assertThat(e.name()).isEqualTo("Home");
        assertThat(e.category()).isEqualTo("docs");
        // device clock 55 minutes behind: receivedAt - (sentAt - originalTimestamp)
        assertThat(e.at()).isEqualTo(Instant.parse("2026-11-30T09:55:00Z"));
        ClickEvent given = mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"a1\",\"timestamp\":\"2015-12-12T19:11:01.249Z\","
                + "\"sentAt\":\"2015-12-12T19:11:01.169Z\",\"originalTimestamp\":\"2015-12-12T19:11:01.152Z\"}"), RECEIVED);
        assertThat(given.at()).as("an explicit timestamp is taken as it is").isEqualTo(Instant.parse("2015-12-12T19:11:01.249Z"));
    }

    @Test
    void theTimestampAnSdkTakesFromTheDeviceClockIsCorrectedBySentAtAsSegmentDoes() throws Exception {
        // analytics.js / analytics-kotlin: timestamp = the device clock (20 h ahead), sentAt on the same clock
        ClickEvent ahead = mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2026-12-01T05:59:00Z\","
                + "\"sentAt\":\"2026-12-01T06:00:00Z\"}"), RECEIVED);
        assertThat(ahead.at()).isEqualTo(RECEIVED.minusSeconds(60));
        // a phone whose clock went back to 1970 and one set to 2100 are put right, not refused
        assertThat(mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"1970-01-01T00:10:00Z\","
                + "\"sentAt\":\"1970-01-01T00:12:00Z\"}"), RECEIVED).at()).isEqualTo(RECEIVED.minusSeconds(120));
        assertThat(mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2100-01-01T00:00:00Z\","
                + "\"sentAt\":\"2100-01-01T00:00:05Z\"}"), RECEIVED).at()).isEqualTo(RECEIVED.minusSeconds(5));
        // a server-side import of history: the sender's clock is right, its time stays
        assertThat(mapper.map(json("{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u\","
                + "\"timestamp\":\"2024-03-01T12:00:00Z\",\"sentAt\":\"" + RECEIVED.minusMillis(300) + "\"}"), RECEIVED).at())
                .isEqualTo(Instant.parse("2024-03-01T12:00:00.300Z"));
        // without sentAt there is nothing to correct with: the timestamp as given
        assertThat(mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2026-11-30T08:00:00Z\"}"),
                RECEIVED).at()).isEqualTo(Instant.parse("2026-11-30T08:00:00Z"));
    }

    @Test
    void anEventOfABatchTakesTheBatchsSentAtAndContextWhereItHasNone() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) json(
                "{\"batch\":[{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2026-12-01T05:59:00Z\"},"
                + "{\"type\":\"page\",\"anonymousId\":\"a\",\"sentAt\":\"2026-11-30T10:00:00Z\",\"context\":{\"locale\":\"de\"},"
                + "\"timestamp\":\"2026-11-30T09:00:00Z\"}],\"sentAt\":\"2026-12-01T06:00:00Z\","
                + "\"context\":{\"library\":{\"name\":\"analytics-kotlin\"}}}");
        var first = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("batch").get(0);
        var second = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("batch").get(1);
        SegmentMapper.inheritFromBatch(first, root);
        SegmentMapper.inheritFromBatch(second, root);
        assertThat(mapper.map(first, RECEIVED).at()).isEqualTo(RECEIVED.minusSeconds(60));
        assertThat(first.at("/context/library/name").asText()).isEqualTo("analytics-kotlin");
        assertThat(mapper.map(second, RECEIVED).at()).as("its own sentAt").isEqualTo(Instant.parse("2026-11-30T09:00:00Z"));
        assertThat(second.at("/context/locale").asText()).isEqualTo("de");
        assertThat(second.at("/context/library/name").asText()).as("the batch's context fields it lacks")
                .isEqualTo("analytics-kotlin");
    }

    @Test
    void identifyMapsTraitsToProfileAttributes() throws Exception {
        ClickEvent e = mapper.map(json("""
                {"type":"identify","userId":"u-1","anonymousId":"a-1",
                 "traits":{"email":"ann@example.com","phone":"+49 30 1234567","firstName":"Ann","last_name":"Smith",
                           "birthday":"1990-04-03","gender":"female","address":{"city":"Berlin","country":"DE","state":"BE"},
                           "company":{"name":"Acme"}}}"""), RECEIVED);
        assertThat(e.type()).isEqualTo(ClickEvent.Type.IDENTIFY);
        assertThat(e.email()).isEqualTo("ann@example.com");
        assertThat(e.phone()).isEqualTo("+49 30 1234567");
        assertThat(e.traits()).containsEntry("firstName", "Ann").containsEntry("lastName", "Smith")
                .containsEntry("birthDate", "1990-04-03").containsEntry("gender", "female")
                .containsEntry("city", "Berlin").containsEntry("country", "DE").containsEntry("region", "BE")
                .containsEntry("company", "Acme");
        assertThat(e.at()).as("no timestamp: time of receipt").isEqualTo(RECEIVED);
        assertThat(e.messageId()).as("content id when none is sent").startsWith("sha256:");
    }

    @Test
    void aliasNeedsBothIds() throws Exception {
        ClickEvent e = mapper.map(json("{\"type\":\"alias\",\"previousId\":\"anon-9\",\"userId\":\"u-9\",\"messageId\":\"x\"}"),
                RECEIVED);
        assertThat(e.previousId()).isEqualTo("anon-9");
        assertThatThrownBy(() -> mapper.map(json("{\"type\":\"alias\",\"userId\":\"u-9\"}"), RECEIVED))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("/previousId");
    }

    @Test
    void everyViolationIsReportedWithItsPointer() throws Exception {
        InvalidEventException ex = (InvalidEventException) org.assertj.core.api.Assertions.catchThrowable(() ->
                mapper.map(json("{\"type\":\"track\",\"timestamp\":\"yesterday\",\"properties\":[1]}"), RECEIVED));
        assertThat(ex.violations()).extracting(InvalidEventException.Violation::field)
                .containsExactlyInAnyOrder("/userId", "/event", "/properties", "/timestamp");
        assertThatThrownBy(() -> mapper.map(json("{\"type\":\"purchase\",\"userId\":\"u\"}"), RECEIVED))
                .hasMessageContaining("unknown type 'purchase'");
        assertThatThrownBy(() -> mapper.map(json("[1,2]"), RECEIVED)).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> mapper.map(json("{\"type\":\"page\",\"anonymousId\":\"" + "x".repeat(201) + "\"}"),
                RECEIVED)).hasMessageContaining("longer than 200");
        // an id that is too long is that, not also missing
        InvalidEventException tooLong = (InvalidEventException) org.assertj.core.api.Assertions.catchThrowable(() ->
                mapper.map(json("{\"type\":\"page\",\"userId\":\"" + "u".repeat(201) + "\"}"), RECEIVED));
        assertThat(tooLong.violations()).singleElement().satisfies(x -> {
            assertThat(x.field()).isEqualTo("/userId");
            assertThat(x.reason()).contains("longer than 200");
        });
        InvalidEventException alias = (InvalidEventException) org.assertj.core.api.Assertions.catchThrowable(() ->
                mapper.map(json("{\"type\":\"alias\",\"userId\":[1],\"previousId\":\"a\"}"), RECEIVED));
        assertThat(alias.violations()).extracting(InvalidEventException.Violation::reason).containsExactly("must be a string");
    }

    @Test
    void sameEventWithoutMessageIdGetsTheSameContentId() throws Exception {
        String s = "{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\"}";
        assertThat(mapper.map(json(s), RECEIVED).messageId()).isEqualTo(mapper.map(json(s), RECEIVED.plusSeconds(5)).messageId());
    }

    @Test
    void adServerImpressionAndClick() throws Exception {
        ClickEvent imp = mapper.map(json("""
                {"recordType":"impression","eventId":"imp-1","timestamp":1764496800000,"cookieId":"ck-1",
                 "campaignId":"CMP-42","creativeId":"cr-7","placement":"homepage-top","ip":"2001:db8:85a3:1:2:3:4:5"}"""),
                RECEIVED);
        assertThat(imp.type()).isEqualTo(ClickEvent.Type.AD_IMPRESSION);
        assertThat(imp.messageId()).isEqualTo("ad:imp-1");
        assertThat(imp.anonymousId()).isEqualTo("ck-1");
        assertThat(imp.campaign()).isEqualTo("cmp-42");
        assertThat(imp.adCreative().creativeId()).isEqualTo("cr-7");
        assertThat(imp.ip()).isEqualTo("2001:db8:85a3::");
        assertThat(imp.at()).isEqualTo(Instant.ofEpochMilli(1764496800000L));

        ClickEvent click = mapper.map(json("""
                {"recordType":"click","eventId":"clk-1","cookieId":"ck-1","campaignId":"CMP-42","clickId":"gclid-1",
                 "landingUrl":"https://shop.example.com/x?utm_source=dsp&utm_medium=display&utm_campaign=Winter%20Sale"}"""),
                RECEIVED);
        assertThat(click.type()).isEqualTo(ClickEvent.Type.AD_CLICK);
        assertThat(click.campaign()).as("landing utm_campaign names the CRM campaign").isEqualTo("winter-sale");
        assertThat(click.medium()).isEqualTo("display");
        assertThat(click.adCreative().clickId()).isEqualTo("gclid-1");
        assertThatThrownBy(() -> mapper.map(json("{\"recordType\":\"view\",\"cookieId\":\"c\"}"), RECEIVED))
                .hasMessageContaining("/recordType").hasMessageContaining("/campaignId");
    }

    /** The parse chain parseTime had before its fast path: what the fast path must agree with. */
    private static Instant javaTime(String t) {
        try {
            return java.time.OffsetDateTime.parse(t).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            try {
                return java.time.LocalDateTime.parse(t).toInstant(java.time.ZoneOffset.UTC);
            } catch (java.time.format.DateTimeParseException e2) {
                try {
                    return Instant.parse(t);
                } catch (java.time.format.DateTimeParseException e3) {
                    return null;
                }
            }
        }
    }

    @Test
    void timestampsReadByHandAgreeWithJavaTime() {
        java.util.Random rnd = new java.util.Random(7);
        String[] offsets = {"Z", "z", "", "+00:00", "-00:00", "+01:00", "-08:00", "+05:30", "+14:00", "-12:00", "+18:00",
                "+19:00", "+01:60", "+01:00:30", "+1", "+01", "Q"};
        int fast = 0;
        for (int k = 0; k < 20_000; k++) {
            int year = rnd.nextInt(10) == 0 ? rnd.nextInt(10_000) : 1990 + rnd.nextInt(60);
            int month = rnd.nextInt(14);            // 0 and 13 are invalid
            int day = rnd.nextInt(33);              // 0, 30/31 in short months and 32 are invalid
            int hour = rnd.nextInt(26);
            int minute = rnd.nextInt(61);
            int second = rnd.nextInt(62);
            String frac = switch (rnd.nextInt(5)) {
                case 0 -> "";
                case 1 -> "." + rnd.nextInt(1000);
                case 2 -> "." + String.format("%03d", rnd.nextInt(1000));
                case 3 -> "." + String.format("%09d", rnd.nextInt(1_000_000_000));
                default -> rnd.nextBoolean() ? "." : ".1234567890";
            };
            String t = String.format("%04d-%02d-%02d%s%02d:%02d:%02d%s%s", year, month, day, rnd.nextInt(20) == 0 ? "t" : "T",
                    hour, minute, second, frac, offsets[rnd.nextInt(offsets.length)]);
            Instant expected = javaTime(t);
            Instant byHand = SegmentMapper.parseCommonTime(t);
            if (byHand != null) {
                fast++;
                assertThat(byHand).as(t).isEqualTo(expected);
            }
            assertThat(SegmentMapper.parseTime(t)).as(t).isEqualTo(expected);
        }
        assertThat(fast).isGreaterThan(5_000);   // most valid ones take the fast path
        // SDK forms
        assertThat(SegmentMapper.parseTime("2015-12-12T19:11:01.249Z")).isEqualTo(Instant.parse("2015-12-12T19:11:01.249Z"));
        assertThat(SegmentMapper.parseTime(" 2026-11-30T10:00:00+01:00 ")).isEqualTo(Instant.parse("2026-11-30T09:00:00Z"));
        assertThat(SegmentMapper.parseTime("2026-11-30T09:00:00")).isEqualTo(Instant.parse("2026-11-30T09:00:00Z"));
        assertThat(SegmentMapper.parseTime("2024-02-29T00:00:00Z")).isEqualTo(Instant.parse("2024-02-29T00:00:00Z"));
        assertThat(SegmentMapper.parseTime("2023-02-29T00:00:00Z")).isNull();
        assertThat(SegmentMapper.parseTime("2026-11-30 09:00:00Z")).isNull();
        // the basic offset forms (Python's %z) java.time's ISO parser refused are read too
        assertThat(SegmentMapper.parseTime("2026-11-30T10:00:00.5+0100")).isEqualTo(Instant.parse("2026-11-30T09:00:00.5Z"));
    }

    @Test
    void anEventTimeFarAheadOfItsReceiptOrBefore2000IsRefused() throws Exception {
        SegmentMapper m = new SegmentMapper();
        assertThatThrownBy(() -> m.map(JSON.readTree("{\"type\":\"page\",\"anonymousId\":\"a\","
                + "\"timestamp\":\"2100-01-01T00:00:00Z\"}"), RECEIVED))
                .isInstanceOfSatisfying(InvalidEventException.class, e -> assertThat(e.violations()).singleElement()
                        .satisfies(v -> {
                            assertThat(v.field()).isEqualTo("/timestamp");
                            assertThat(v.reason()).contains("more than a day after its receipt");
                        }));
        assertThatThrownBy(() -> m.map(JSON.readTree("{\"type\":\"page\",\"anonymousId\":\"a\","
                + "\"originalTimestamp\":\"0000-01-01T00:00:00Z\"}"), RECEIVED))
                .isInstanceOfSatisfying(InvalidEventException.class, e -> assertThat(e.violations()).singleElement()
                        .satisfies(v -> assertThat(v.field()).isEqualTo("/originalTimestamp")));
        assertThatThrownBy(() -> m.map(JSON.readTree("{\"recordType\":\"click\",\"eventId\":\"c\",\"cookieId\":\"k\","
                + "\"campaignId\":\"C\",\"timestamp\":\"2100-01-01T00:00:00Z\"}"), RECEIVED))
                .isInstanceOf(InvalidEventException.class);
        // a clock a few hours ahead, and the Segment docs' 2012 examples, pass
        assertThat(m.map(JSON.readTree("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\""
                + RECEIVED.plusSeconds(6 * 3600) + "\"}"), RECEIVED).at()).isEqualTo(RECEIVED.plusSeconds(6 * 3600));
        assertThat(m.map(JSON.readTree("{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":"
                + "\"2012-12-02T00:30:08.276Z\"}"), RECEIVED).at()).isEqualTo(Instant.parse("2012-12-02T00:30:08.276Z"));
    }
}
