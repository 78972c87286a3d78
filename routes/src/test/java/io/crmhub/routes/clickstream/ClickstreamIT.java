package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.clickstream.ClickstreamStore;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The clickstream flow end to end: REST and Kafka in, PostgreSQL profiles and quarantine out. */
@HubIntegrationTest
class ClickstreamIT {

    @LocalServerPort
    int port;
    @Autowired
    HubProperties hub;
    @Autowired
    ClickstreamProperties props;
    @Autowired
    ClickstreamStore clicks;
    @Autowired
    CrmStore crm;
    @Autowired
    JdbcTemplate sql;
    @Autowired
    ObjectMapper json;
    @Autowired
    Audiences audiences;
    ApiClient api;
    String u;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
        u = UUID.randomUUID().toString().substring(0, 8);
    }

    private UUID awaitProfile(Identity id) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> crm.lookup(id).orElse(null), p -> p != null);
    }

    private ClickstreamStore.Engagement awaitEngagement(Identity id, long pageViews) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> crm.lookup(id).flatMap(clicks::engagement).orElse(null),
                e -> e != null && e.pageViews() >= pageViews);
    }

    @Test
    void segmentPayloadsFromTheSpecAreAcceptedAndFoldedIntoProfiles() throws Exception {
        String anon = "anon-" + u;
        // shapes of the Segment spec pages: common fields, page, track, identify — as an SDK sends them
        String page = """
                {"type":"page","name":"Home","category":"it-docs","anonymousId":"%s","messageId":"page-%s",
                 "channel":"browser","timestamp":"2026-11-30T09:00:00.000Z","sentAt":"2026-11-30T09:00:00.500Z",
                 "context":{"ip":"198.51.100.23","locale":"en-US","userAgent":"Mozilla/5.0 (Macintosh)",
                   "library":{"name":"analytics.js","version":"2.11.1"},
                   "page":{"path":"/","referrer":"","search":"","title":"Home","url":"https://example.com/"},
                   "campaign":{"name":"TPS Innovation Newsletter","source":"Newsletter","medium":"email",
                               "term":"tps reports","content":"image link"}},
                 "properties":{"title":"Welcome | Initech","url":"http://www.initech.com","path":"/","referrer":""},
                 "integrations":{"All":true},"version":2}""".formatted(anon, u);
        ApiClient.Response r = api.post("/api/v1/events", page);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("messageIds").get(0).asText()).isEqualTo("page-" + u);

        String batch = """
                {"batch":[
                  {"type":"track","event":"User Registered","anonymousId":"%1$s","messageId":"reg-%2$s",
                   "properties":{"plan":"Pro Annual","accountType":"Facebook"}},
                  {"type":"identify","anonymousId":"%1$s","userId":"user-%2$s","messageId":"id-%2$s",
                   "traits":{"email":"Peter.Gibbons.%2$s@Initech.com","name":"Peter Gibbons","gender":"male",
                             "address":{"city":"Austin","country":"US","state":"TX"}}},
                  {"type":"track","event":"Article Viewed","userId":"user-%2$s","messageId":"art-%2$s",
                   "properties":{"title":"Stapler","category":"it-docs"}},
                  {"type":"identify","userId":"user-%2$s","messageId":"rs-%2$s","request_ip":"192.0.2.77",
                   "context":{"traits":{"ip":"203.0.113.77"},"library":{"name":"RudderLabs JavaScript SDK"}},
                   "traits":{"ip":"203.0.113.78","firstName":null,"phone":null,
                             "address":{"city":"Austin","postalCode":78701}}}
                ],"context":{"ip":"2001:db8:85a3::8a2e:370:7334"}}""".formatted(anon, u);
        r = api.post("/api/v1/events", batch);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("accepted").asInt()).isEqualTo(4);

        Identity user = Identity.of(IdentityType.EXTERNAL_ID, "web", "user-" + u);
        UUID id = awaitProfile(user);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            UUID p = crm.lookup(user).orElseThrow();
            assertThat(crm.lookup(Identity.of(IdentityType.ANONYMOUS_ID, anon))).as("stitched").contains(p);
            assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "peter.gibbons." + u + "@initech.com"))).contains(p);
            ClickstreamStore.Engagement e = clicks.engagement(p).orElseThrow();
            assertThat(e.pageViews()).isEqualTo(1);
            assertThat(e.events()).isEqualTo(3);     // identify calls are no engagement
            assertThat(e.interests()).containsKey("it-docs");
            assertThat(e.campaigns()).containsKey("tps-innovation-newsletter");
        });
        UUID p = crm.lookup(user).orElseThrow();
        // the computed fields show on the 360° view
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode view = api.get("/api/v1/profiles/" + p).json();
            assertThat(view.toString()).contains("clickstream.pageViews").contains("it-docs");
        });
        JsonNode view = api.get("/api/v1/profiles/" + p).json();
        assertThat(view.toString()).contains("Austin");
        assertThat(id).isNotNull();

        // IPs were truncated before they reached Kafka
        try (KafkaConsumer<String, String> c = consumer()) {
            c.subscribe(List.of(props.getTopic()));
            StringBuilder all = new StringBuilder();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                c.poll(Duration.ofMillis(300)).forEach(rec -> all.append(rec.value()).append('\n'));
                assertThat(all.toString()).contains("page-" + u).contains("art-" + u).contains("rs-" + u);
            });
            assertThat(all.toString()).contains("198.51.100.0").doesNotContain("198.51.100.23")
                    .contains("2001:db8:85a3::").doesNotContain("8a2e:370:7334")
                    // RudderStack's request_ip and the ip trait its SDKs set, at any depth
                    .contains("\"request_ip\":\"192.0.2.0\"").doesNotContain("192.0.2.77")
                    .contains("203.0.113.0").doesNotContain("203.0.113.77").doesNotContain("203.0.113.78");
        }
        // the identify with null traits and a numeric postal code passed the tracking plan (not quarantined)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(api.get("/api/v1/profiles/" + p).json().toString()).contains("78701"));
    }

    @Test
    void segmentHttpApiBodiesPostedToTheirTypesPath() throws Exception {
        // the HTTP API docs' examples: the type is the path (/v1/identify, /v1/track, /v1/batch), not in the body
        String identify = """
                {"userId":"api-%1$s","messageId":"api-id-%1$s","writeKey":"wk-secret-%1$s","traits":{"email":"api.%1$s@example.com","name":"Peter Gibbons",
                 "plan":"premium","logins":5},"context":{"ip":"24.5.68.47"},"timestamp":"2012-12-02T00:30:08.276Z"}"""
                .formatted(u);
        ApiClient.Response r = api.post("/api/v1/events/identify", identify);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        r = api.post("/api/v1/events/page", """
                {"userId":"api-%1$s","messageId":"api-page-%1$s","name":"Tracking HTTP API","category":"it-docs",
                 "timestamp":"2015-02-23T22:28:55.111Z"}""".formatted(u));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        r = api.post("/api/v1/events/batch", """
                {"batch":[{"type":"page","userId":"api-%1$s","messageId":"api-b1-%1$s","name":"Docs","category":"it-docs"}],
                 "context":{"device":{"type":"phone","name":"Apple iPhone 6"}}}""".formatted(u));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        Identity user = Identity.of(IdentityType.EXTERNAL_ID, "web", "api-" + u);
        awaitProfile(user);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            UUID p = crm.lookup(user).orElseThrow();
            assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "api." + u + "@example.com"))).contains(p);
            assertThat(clicks.engagement(p).orElseThrow().pageViews()).isEqualTo(2);
        });
        // the write key (a Segment source's credential) is not kept in Kafka
        try (KafkaConsumer<String, String> c = consumer()) {
            c.subscribe(List.of(props.getTopic()));
            StringBuilder all = new StringBuilder();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                c.poll(Duration.ofMillis(300)).forEach(rec -> all.append(rec.value()).append('\n'));
                assertThat(all.toString()).contains("api-id-" + u);
            });
            assertThat(all.toString()).doesNotContain("wk-secret-" + u);
        }
        // a body whose own type contradicts the path, or a batch on a single event's path, is refused
        r = api.post("/api/v1/events/track", "{\"type\":\"page\",\"anonymousId\":\"a\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("/type");
        assertThat(api.post("/api/v1/events/page", "{\"batch\":[{\"type\":\"page\",\"anonymousId\":\"a\"}]}").status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/events/batch", "{\"type\":\"page\",\"anonymousId\":\"a\"}").status()).isEqualTo(400);
        ApiClient.Response unknown = api.post("/api/v1/events/shout", "{\"anonymousId\":\"a\"}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.contentType()).startsWith("application/problem+json");
    }

    @Test
    void limitsAndBadRequestsGetTheReason() {
        String big = "{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"u\",\"properties\":{\"plan\":\""
                + "x".repeat(33 * 1024) + "\"}}";
        ApiClient.Response r = api.post("/api/v1/events", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("detail").asText()).contains("32768 bytes per event");

        // the limit is on the event as sent: what the hub adds (receivedAt, messageId, context.ip) does not count
        String justUnder = "{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"u-" + u + "\",\"properties\":"
                + "{\"plan\":\"";
        justUnder = justUnder + "x".repeat(32 * 1024 - justUnder.length() - 3) + "\"}}";
        assertThat(justUnder.length()).isEqualTo(32 * 1024);
        assertThat(api.post("/api/v1/events", justUnder).status()).isEqualTo(202);
        assertThat(api.post("/api/v1/events", "{\"batch\":[" + justUnder + "]}").status()).isEqualTo(202);

        String bigInBatch = "{\"batch\":[{\"type\":\"page\",\"anonymousId\":\"a\"}," + big + "]}";
        r = api.post("/api/v1/events", bigInBatch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("/batch/1");

        StringBuilder huge = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < 20; i++) {
            huge.append(i == 0 ? "" : ",").append("{\"type\":\"page\",\"anonymousId\":\"a\",\"properties\":{\"p\":\"")
                    .append("y".repeat(30 * 1024)).append("\"}}");
        }
        r = api.post("/api/v1/events", huge.append("]}").toString());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("detail").asText()).contains("per batch");

        r = api.post("/api/v1/events", "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\"},"
                + "{\"type\":\"shout\",\"anonymousId\":\"a\"}]}");
        assertThat(r.status()).as("no event of the batch follows the spec").isEqualTo(400);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("errors").findValuesAsText("field")).containsExactly("/batch/0/event", "/batch/1/type");

        assertThat(api.post("/api/v1/events", "{not json").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/events", "{\"type\":\"page\"}").json().at("/errors/0/field").asText())
                .isEqualTo("/userId");
        assertThat(api.withKey(ApiClient.READER_KEY).post("/api/v1/events", "{\"type\":\"page\",\"anonymousId\":\"a\"}")
                .status()).isEqualTo(403);
        assertThat(api.withKey(null).post("/api/v1/events", "{\"type\":\"page\",\"anonymousId\":\"a\"}").status())
                .isEqualTo(401);
        assertThat(api.post("/api/v1/events/_bare", "{\"type\":\"page\",\"anonymousId\":\"a\"}").status())
                .as("the benchmark endpoint is off by default").isEqualTo(404);
    }

    @Test
    void brokerThatCannotTakeTheEventsAnswers503() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        ClickstreamProperties.Rest rest = new ClickstreamProperties.Rest();
        rest.setProduceTimeout(Duration.ofSeconds(2));
        try (EventPublisher dead = new EventPublisher("127.0.0.1:" + deadPort, props.getTopic(), rest.getProduceTimeout())) {
            ClickstreamController controller = new ClickstreamController(new EventIntake(json, dead, rest), audiences, json,
                    props);
            MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/v1/events");
            request.setContent(("{\"type\":\"page\",\"anonymousId\":\"dead-" + u + "\"}").getBytes());
            request.setContentType("application/json");
            MockHttpServletResponse response = new MockHttpServletResponse();
            long t0 = System.nanoTime();
            controller.events(request, response);
            assertThat(response.getStatus()).isEqualTo(503);
            assertThat(response.getContentType()).startsWith("application/problem+json");
            assertThat(response.getContentAsString()).contains("nothing was accepted");
            assertThat(response.getHeader("Retry-After")).isEqualTo("5");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void anAsynchronousRequestIsAnsweredOnlyOnceTheBrokerStoredItsEvents(@Autowired EventIntake intake) throws Exception {
        ClickstreamController controller = new ClickstreamController(intake, audiences, json, props);
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/v1/events");
        request.setAsyncSupported(true);
        request.setContent(("{\"type\":\"page\",\"anonymousId\":\"async-" + u + "\",\"messageId\":\"async-" + u + "\"}")
                .getBytes());
        MockHttpServletResponse response = new MockHttpServletResponse();
        controller.events(request, response);
        assertThat(request.isAsyncStarted()).isTrue();
        await().atMost(Duration.ofSeconds(15)).until(() -> !request.isAsyncStarted());
        assertThat(response.getStatus()).isEqualTo(202);
        assertThat(json.readTree(response.getContentAsByteArray()).get("messageIds").get(0).asText()).isEqualTo("async-" + u);
        awaitProfile(Identity.of(IdentityType.ANONYMOUS_ID, "async-" + u));

        // over HTTP: an answer larger than the response buffer (written by a container thread), with the API's
        // security headers, which are set before the request runs
        StringBuilder batch = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < 300; i++) {
            batch.append(i > 0 ? "," : "").append("{\"type\":\"page\",\"anonymousId\":\"big-").append(u)
                    .append("\",\"messageId\":\"big-").append(u).append('-').append(i).append("-0123456789abcdef\"}");
        }
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(api.builder("/api/v1/events")
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(batch.append("]}").toString())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode ids = json.readTree(r.body()).get("messageIds");
        assertThat(ids).hasSize(300);
        assertThat(ids.get(299).asText()).isEqualTo("big-" + u + "-299-0123456789abcdef");
        assertThat(r.body().length()).isGreaterThan(8192);
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
    }

    @Test
    void directProducersAdServerLogsDuplicatesAndQuarantine() throws Exception {
        String cookie = "ck-" + u;
        try (KafkaProducer<String, String> producer = producer()) {
            String imp = "{\"recordType\":\"impression\",\"eventId\":\"imp-" + u + "\",\"cookieId\":\"" + cookie
                    + "\",\"campaignId\":\"CMP-" + u + "\",\"creativeId\":\"cr-1\",\"placement\":\"top\",\"ip\":\"203.0.113.9\"}";
            String click = "{\"recordType\":\"click\",\"eventId\":\"clk-" + u + "\",\"cookieId\":\"" + cookie
                    + "\",\"campaignId\":\"CMP-" + u + "\",\"clickId\":\"gclid-" + u + "\",\"category\":\"it-ads\","
                    + "\"landingUrl\":\"https://shop.example.com/?utm_source=dsp&utm_medium=display&utm_campaign=cmp-" + u + "\"}";
            String view = "{\"type\":\"page\",\"anonymousId\":\"" + cookie + "\",\"messageId\":\"pv-" + u
                    + "\",\"category\":\"it-ads\",\"context\":{\"ip\":\"203.0.113.99\"}}";
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, imp)).get();
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, imp)).get();          // written twice
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, click)).get();
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, "{\"batch\":[" + view + "," + view + "]}")).get();
            // unusable: not JSON, unplanned, missing required property, wrong type — quarantined, the stream flows on
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, "not json " + u)).get();
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, "{\"type\":\"track\",\"event\":\"Rocket " + u
                    + "\",\"anonymousId\":\"" + cookie + "\"}")).get();
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, "{\"type\":\"track\",\"event\":\"Product Viewed\","
                    + "\"anonymousId\":\"" + cookie + "\",\"properties\":{\"price\":\"free-" + u + "\"},"
                    + "\"context\":{\"ip\":\"192.0.2.201\"}}")).get();
            producer.send(new ProducerRecord<>(props.getTopic(), cookie, "{\"type\":\"page\",\"messageId\":\"pv2-" + u
                    + "\",\"anonymousId\":\"" + cookie + "\",\"category\":\"it-ads\"}")).get();
        }
        Identity id = Identity.of(IdentityType.ANONYMOUS_ID, cookie);
        ClickstreamStore.Engagement e = awaitEngagement(id, 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ClickstreamStore.Engagement now = clicks.engagement(crm.lookup(id).orElseThrow()).orElseThrow();
            assertThat(now.pageViews()).isEqualTo(2);
            assertThat(now.adImpressions()).as("the impression written twice counts once").isEqualTo(1);
            assertThat(now.adClicks()).isEqualTo(1);
            assertThat(now.campaigns().get("cmp-" + u)).containsExactly(0, 1, 1);
        });
        UUID profile = crm.lookup(id).orElseThrow();
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM campaign_response r JOIN campaign c ON c.id = r.campaign_id"
                + " WHERE c.code = ? AND r.profile_id = ? AND r.type = 'ad.click'", Long.class, "cmp-" + u, profile)).isEqualTo(1);
        assertThat(e).isNotNull();

        List<CrmStore.QuarantineEntry> mine = await().atMost(Duration.ofSeconds(30)).until(() -> crm.quarantined("OPEN", 1000)
                .stream().filter(q -> q.routeId().equals(ClickstreamConsumer.ROUTE) && q.payload() != null
                        && q.payload().contains(u)).toList(), l -> l.size() >= 3);
        assertThat(mine).extracting(CrmStore.QuarantineEntry::error).anySatisfy(err -> assertThat(err).contains("not JSON"))
                .anySatisfy(err -> assertThat(err).contains("unplanned event 'Rocket " + u + "'"))
                .anySatisfy(err -> assertThat(err).contains("/properties/product_id").contains("/properties/price"));
        CrmStore.QuarantineEntry typed = mine.stream().filter(q -> q.error().contains("product_id")).findFirst().orElseThrow();
        assertThat(typed.payload()).as("no full IP in the quarantine").contains("192.0.2.0").doesNotContain("192.0.2.201");
        assertThat(typed.endpointUri()).isEqualTo(ClickstreamConsumer.REPLAY);

        // replay puts it back on the topic; still invalid, so it is quarantined again
        ApiClient.Response replay = api.post("/api/v1/quarantine/" + typed.id() + "/replay", null);
        assertThat(replay.status()).as(replay.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> crm.quarantined("OPEN", 1000).stream()
                .anyMatch(q -> q.id() > typed.id() && q.payload() != null && q.payload().contains("free-" + u)));
    }

    @Test
    void anEventOfABatchThatBreaksTheSpecIsQuarantinedAndTheGoodOnesAreKept() {
        // a device whose clock says 2100: an SDK drops a batch answered 400, and the good events with it
        String anon = "clock-" + u;
        String good = "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"category\":\"it-clock\"}";
        ApiClient.Response r = api.post("/api/v1/events/batch", "{\"batch\":[" + good + ",{\"type\":\"page\","
                + "\"messageId\":\"future-" + u + "\",\"anonymousId\":\"" + anon + "\",\"timestamp\":\"2100-01-01T00:00:00Z\","
                + "\"context\":{\"ip\":\"198.51.100.77\"}}," + good + "]}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
        assertThat(r.json().get("messageIds")).hasSize(2);
        assertThat(r.json().at("/quarantined/0/index").asInt()).isEqualTo(1);
        assertThat(r.json().at("/quarantined/0/messageId").asText()).isEqualTo("future-" + u);
        assertThat(r.json().at("/quarantined/0/errors/0/field").asText()).isEqualTo("/batch/1/timestamp");
        assertThat(r.json().at("/quarantined/0/errors/0/reason").asText()).contains("more than a day after its receipt");

        assertThat(awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, anon), 2).pageViews()).isEqualTo(2);
        CrmStore.QuarantineEntry q = await().atMost(Duration.ofSeconds(30)).until(() -> crm.quarantined("OPEN", 1000)
                .stream().filter(e -> e.payload() != null && e.payload().contains("future-" + u)).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertThat(q.error()).contains("/timestamp").contains("more than a day after");
        assertThat(q.payload()).as("no full IP in the quarantine").contains("198.51.100.0").doesNotContain("198.51.100.77");

        // the SDK sends the bad event again (a retry, a new receipt time): the same entry, its attempts counted
        r = api.post("/api/v1/events/batch", "{\"batch\":[{\"type\":\"page\",\"messageId\":\"again-" + u + "\","
                + "\"anonymousId\":\"" + anon + "\",\"category\":\"it-clock\"},{\"type\":\"page\",\"messageId\":\"future-" + u
                + "\",\"anonymousId\":\"" + anon + "\",\"timestamp\":\"2100-01-01T00:00:00Z\"}]}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, anon), 3).pageViews()).isEqualTo(3);
        CrmStore.QuarantineEntry again = await().atMost(Duration.ofSeconds(30)).until(() -> crm.quarantined(q.id()),
                e -> e.isPresent() && e.get().attempts() == 2).orElseThrow();
        assertThat(again.status()).isEqualTo("OPEN");
        assertThat(crm.quarantined("OPEN", 1000).stream().filter(e -> e.payload() != null
                && e.payload().contains("future-" + u))).as("one entry for the event").hasSize(1);

        // a single event, or a batch with no good event, is still refused whole: the caller can fix it
        r = api.post("/api/v1/events", "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"timestamp\":\"1970-01-01T00:00:00Z\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("/timestamp");
    }

    @Test
    void aPhoneClockHoursOffIsCorrectedByTheBatchsSentAtAsSegmentDoes() {
        // analytics-kotlin's batch file: the device clock in every event's timestamp, sentAt on the batch only
        String anon = "kotlin-" + u;
        Instant device = Instant.now().plus(Duration.ofHours(30));
        String batch = "{\"batch\":[{\"type\":\"screen\",\"name\":\"Home\",\"anonymousId\":\"" + anon + "\",\"messageId\":\"k1-"
                + u + "\",\"timestamp\":\"" + device.minusSeconds(90) + "\",\"context\":{\"os\":{\"name\":\"Android\"}},"
                + "\"integrations\":{}},{\"type\":\"screen\",\"name\":\"Cart\",\"anonymousId\":\"" + anon + "\",\"messageId\":\"k2-"
                + u + "\",\"timestamp\":\"" + device.minusSeconds(30) + "\"}],\"sentAt\":\"" + device + "\",\"writeKey\":\"wk\"}";
        // posted where analytics-next posts its batches: /b
        ApiClient.Response r = api.post("/api/v1/events/b", batch);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
        assertThat(api.post("/api/v1/events/t", "{\"event\":\"Signed Up\",\"userId\":\"kotlin-" + u + "\"}").status())
                .as("analytics.js's short path for track").isEqualTo(202);
        // the SDKs send their write key as HTTP Basic user name: a hub API key works as one
        java.util.function.Function<String, ApiClient.Response> basic = key -> api.withKey(null).send(api.withKey(null)
                .builder("/api/v1/events/t").header("Content-Type", "application/json").header("Authorization", "Basic "
                        + java.util.Base64.getEncoder().encodeToString((key + ":").getBytes()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"event\":\"Signed Up\",\"userId\":\"kotlin-"
                        + u + "\"}")));
        assertThat(basic.apply(ApiClient.DEV_KEY).status()).isEqualTo(202);
        assertThat(basic.apply("not-a-key").status()).isEqualTo(401);
        assertThat(basic.apply(ApiClient.READER_KEY).status()).as("the key's scopes hold").isEqualTo(403);
        assertThat(api.withKey(null).send(api.withKey(null).builder("/api/v1/profiles?email=a%40example.com")
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((ApiClient.DEV_KEY + ":")
                        .getBytes())).GET()).status()).as("only the event intake takes a key that way").isEqualTo(401);
        ClickstreamStore.Engagement e = awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, anon), 2);
        assertThat(e.lastSeen()).as("the time the phone's clock meant, not 30 hours ahead")
                .isBetween(Instant.now().minus(Duration.ofMinutes(2)), Instant.now());
        assertThat(Duration.between(e.firstSeen(), e.lastSeen())).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void sdksThatGzipTheirBatchesOrPostToV1BatchUnderTheirHostAreHeard() throws Exception {
        String anon = "gzip-" + u;
        String batch = "{\"batch\":[{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"properties\":{\"title\":\"\uD83D\uDE00"
                .repeat(1) + "\"},\"context\":{\"ip\":\"198.51.100.42:443\",\"cf-connecting-ip\":\"198.51.100.43\"}},"
                + "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\"}]}";
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(batch.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        // RudderStack's SDKs gzip; analytics-python and RudderStack post to <host>/v1/batch
        ApiClient.Response r = api.send(api.builder("/api/v1/events/v1/batch").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray())));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
        assertThat(awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, anon), 2).pageViews()).isEqualTo(2);
        r = api.send(api.builder("/api/v1/events/v1/batch").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(java.net.http.HttpRequest.BodyPublishers.ofString(batch)));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("detail").asText()).contains("not gzip data");
        // an emoji counts its four bytes against the 32 KB limit, not two six-byte escapes
        String emoji = "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"properties\":{\"title\":\""
                + "\uD83D\uDE00".repeat(6_000) + "\"}}";
        assertThat(emoji.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThan(32 * 1024);
        assertThat(api.post("/api/v1/events/batch", "{\"batch\":[" + emoji + "]}").status()).isEqualTo(202);
        // the same event alone, its emoji written as \\u escapes (72 KB on the wire) and pretty-printed: measured as in
        // a batch, compact and in UTF-8, not refused alone when it passes in a batch
        String escaped = "{\n  \"type\": \"page\",\n  \"anonymousId\": \"" + anon + "\",\n  \"properties\": {\n    \"title\": \""
                + "\\uD83D\\uDE00".repeat(6_000) + "\"\n  }\n}";
        assertThat(escaped.length()).isGreaterThan(64 * 1024);
        assertThat(api.post("/api/v1/events", escaped).status()).isEqualTo(202);
        assertThat(awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, anon), 4).pageViews()).isEqualTo(4);
    }

    @Test
    void optedOutPeopleCountOnlyInTheAnonymousAggregates() {
        String userId = "optout-" + u;
        UUID p = crm.upsert(new ProfileRecord("crm", Instant.now(), List.of(Identity.of(IdentityType.EXTERNAL_ID, "web", userId)),
                Map.of(), List.of(new Consent(Channel.PERSONALISATION, ConsentStatus.OPT_OUT, "crm", Instant.now(), "form",
                        true)))).profileId();
        String category = "it-optout-" + u;
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        ApiClient.Response r = api.post("/api/v1/events", "{\"type\":\"page\",\"userId\":\"" + userId + "\",\"category\":\""
                + category + "\"}");
        assertThat(r.status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> clicks.daily("category", today.minusDays(1), today.plusDays(1))
                .getOrDefault(category, 0L) == 1L);
        assertThat(clicks.engagement(p)).isEmpty();
        assertThat(crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", userId))).contains(p);
    }

    @Test
    void anEventThatIsNotAppliedCountsAsRejected(@Autowired io.micrometer.core.instrument.MeterRegistry meters) {
        double before = meters.counter("hub.clickstream.events", "outcome", "rejected").count();
        String a = "ra-" + u;
        String b = "rb-" + u;
        assertThat(api.post("/api/v1/events", "{\"type\":\"page\",\"userId\":\"" + a + "\"}").status()).isEqualTo(202);
        assertThat(api.post("/api/v1/events", "{\"type\":\"page\",\"userId\":\"" + b + "\"}").status()).isEqualTo(202);
        awaitEngagement(Identity.of(IdentityType.EXTERNAL_ID, "web", a), 1);
        awaitEngagement(Identity.of(IdentityType.EXTERNAL_ID, "web", b), 1);
        // an alias from one userId to another is not applied: logged, and counted
        assertThat(api.post("/api/v1/events", "{\"type\":\"alias\",\"previousId\":\"" + a + "\",\"userId\":\"" + b + "\"}")
                .status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> meters.counter("hub.clickstream.events", "outcome", "rejected").count() > before);
    }

    @Test
    void theSameMessageIdSentTwiceIsCountedOnce() {
        String anon = "dup-" + u;
        String event = "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"messageId\":\"dup-msg-" + u + "\"}";
        assertThat(api.post("/api/v1/events", event).status()).isEqualTo(202);
        assertThat(api.post("/api/v1/events", event).status()).isEqualTo(202);
        assertThat(api.post("/api/v1/events", "{\"type\":\"page\",\"anonymousId\":\"" + anon + "\",\"messageId\":\"dup-msg2-"
                + u + "\"}").status()).isEqualTo(202);
        Identity id = Identity.of(IdentityType.ANONYMOUS_ID, anon);
        awaitEngagement(id, 2);
        // the consumer is past all three (a later marker arrived), and still only two views
        String marker = "dup-marker-" + u;
        api.post("/api/v1/events", "{\"type\":\"page\",\"anonymousId\":\"" + marker + "\"}");
        awaitEngagement(Identity.of(IdentityType.ANONYMOUS_ID, marker), 1);
        assertThat(clicks.engagement(crm.lookup(id).orElseThrow()).orElseThrow().pageViews()).isEqualTo(2);
    }

    private KafkaConsumer<String, String> consumer() {
        return io.crmhub.routes.KafkaTestClients.consumer(hub);
    }

    private KafkaProducer<String, String> producer() {
        return io.crmhub.routes.KafkaTestClients.producer(hub);
    }
}
