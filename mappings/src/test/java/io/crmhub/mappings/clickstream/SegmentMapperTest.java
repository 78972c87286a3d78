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
}
