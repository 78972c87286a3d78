package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.mappings.ecommerce.ShopifyHmac;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import io.crmhub.routes.config.HubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The e-commerce flow end to end on PostgreSQL and the in-process Kafka broker: Shopify-shaped
 * webhooks (fixtures from Shopify's documented payloads) with real HMACs, duplicates, reordering,
 * refunds, cancellations, consent evidence, Segment-spec events, promotions and erasure.
 */
@HubIntegrationTest
class EcommerceIT {

    static final String SHOP = "dev-shop.myshopify.com";
    static final String SECRET = "dev-shopify-secret-change-me";
    static final Path FIXTURES = Path.of("src/test/resources/fixtures/shopify");
    static final Duration WAIT = Duration.ofSeconds(30);

    @LocalServerPort
    int port;
    @Autowired
    HubProperties hub;
    @Autowired
    EcommerceProperties props;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    org.apache.camel.CamelContext camel;
    ApiClient api;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    /** A fixture with its order, customer and refund ids and the e-mail made unique for one test. */
    static String fixture(String name, String u, long orderId, long customerId) throws Exception {
        return Files.readString(FIXTURES.resolve(name))
                .replace("5820982911946154508", Long.toString(orderId))
                .replace("7115986784514", Long.toString(customerId))
                .replace("890088186047892319", Long.toString(orderId + 1))
                .replace("jon.snow@example.com", "jon." + u + "@example.com")
                .replace("Jon.Snow@Example.com", "Jon." + u + "@Example.com")
                .replace("+16135550135", "+1613555" + u.substring(0, 4).replaceAll("[^0-9]", "1"))
                .replace("+1 (613) 555-0135", "+1 (613) 555-" + u.substring(0, 4).replaceAll("[^0-9]", "1"));
    }

    static String unique() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1_000_000L, 9_999_999L));
    }

    ApiClient.Response webhook(String topic, String body, String webhookId) {
        return webhook(topic, body, webhookId, ShopifyHmac.sign(body.getBytes(StandardCharsets.UTF_8), SECRET), SHOP);
    }

    ApiClient.Response webhook(String topic, String body, String webhookId, String hmac, String shop) {
        HttpRequest.Builder b = new ApiClient(port, null).builder("/api/v1/webhooks/shopify")
                .header("Content-Type", "application/json")
                .header("X-Shopify-Topic", topic)
                .header("X-Shopify-Shop-Domain", shop)
                .header("X-Shopify-API-Version", "2025-10")
                .header("X-Shopify-Triggered-At", "2026-10-14T13:30:42.000Z")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (hmac != null) {
            b.header("X-Shopify-Hmac-Sha256", hmac);
        }
        if (webhookId != null) {
            b.header("X-Shopify-Webhook-Id", webhookId);
        }
        return api.send(b);
    }

    JsonNode profileByEmail(String email) {
        ApiClient.Response r = api.get("/api/v1/profiles?email=" + URLEncoder.encode(email, StandardCharsets.UTF_8));
        return r.status() == 200 ? r.json() : null;
    }

    JsonNode awaitComputed(String email, String field, String value) {
        return await().atMost(WAIT).until(() -> profileByEmail(email),
                p -> p != null && value.equals(p.path("computed").path(field).asText(null)));
    }

    @Test
    void shopifyOrderWebhookIsVerifiedDeduplicatedAndLandsInTheProfile() throws Exception {
        String u = unique();
        long order = Long.parseLong(u) * 1000;
        long customer = Long.parseLong(u) * 1000 + 7;
        String body = fixture("orders_create.json", u, order, customer);
        String email = "jon." + u + "@example.com";

        // refused before anything: wrong secret, tampered body, unknown shop, no signature
        assertThat(webhook("orders/create", body, "w-" + u + "-x", ShopifyHmac.sign(body.getBytes(StandardCharsets.UTF_8), "wrong"), SHOP).status())
                .isEqualTo(401);
        String sig = ShopifyHmac.sign(body.getBytes(StandardCharsets.UTF_8), SECRET);
        assertThat(webhook("orders/create", body.replace("218.90", "1.00"), "w-" + u + "-y", sig, SHOP).status()).isEqualTo(401);
        ApiClient.Response unknownShop = webhook("orders/create", body, "w-" + u + "-z", sig, "other.myshopify.com");
        assertThat(unknownShop.status()).isEqualTo(401);
        assertThat(unknownShop.contentType()).contains("application/problem+json");
        assertThat(webhook("orders/create", body, "w-" + u + "-n", null, SHOP).status()).isEqualTo(401);

        ApiClient.Response ok = webhook("orders/create", body, "w-" + u);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("status").asText()).isEqualTo("accepted");
        // Shopify's retry of the same delivery: acknowledged again, recognised by its id when processed
        ApiClient.Response again = webhook("orders/create", body, "w-" + u);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("status").asText()).isEqualTo("accepted");
        // the same order delivered under another webhook id (a redelivery by the shop): no effect either
        assertThat(webhook("orders/create", body, "w-" + u + "-b").json().get("status").asText()).isEqualTo("accepted");

        JsonNode p = awaitComputed(email, "ecommerce.orderCount", "1");
        assertThat(p.at("/computed/ecommerce.ltv").asText()).isEqualTo("201.39"); // 218.90 USD x 0.92
        assertThat(p.at("/computed/ecommerce.currency").asText()).isEqualTo("EUR");
        assertThat(p.at("/computed/ecommerce.rfm").asText()).matches("[1-5]1[1-5]");
        assertThat(p.at("/computed/ecommerce.favouriteCategories").asText()).isEqualTo("Apparel,Running");
        assertThat(p.at("/computed/ecommerce.firstOrderAt").asText()).isEqualTo("2026-10-14T13:30:41Z");
        assertThat(p.at("/attributes/firstName/value").asText()).isEqualTo("Jon");
        List<String> ids = new ArrayList<>();
        p.get("identities").forEach(i -> ids.add(i.get("type").asText() + ":" + i.path("namespace").asText("") + ":" + i.get("value").asText()));
        assertThat(ids).contains("ECOM_CUSTOMER_ID:" + SHOP + ":" + customer, "EMAIL::" + email);
        // e-mail opt-in from email_marketing_consent, with the shop as source
        assertThat(p.at("/consents/EMAIL/status").asText()).isEqualTo("OPT_IN");
        assertThat(p.at("/consents/EMAIL/source").asText()).isEqualTo("shopify:" + SHOP);

        String id = p.get("id").asText();
        JsonNode timeline = api.get("/api/v1/profiles/" + id + "/timeline").json().get("interactions");
        List<JsonNode> purchases = new ArrayList<>();
        timeline.forEach(i -> {
            if (i.get("type").asText().equals("ecommerce.purchase")) {
                purchases.add(i);
            }
        });
        assertThat(purchases).as("one purchase despite three deliveries").hasSize(1);
        JsonNode purchase = purchases.get(0);
        assertThat(purchase.get("amount").decimalValue()).isEqualByComparingTo("218.90");
        assertThat(purchase.get("currency").asText()).isEqualTo("USD");
        assertThat(purchase.get("summary").asText()).contains("#1001", "1 x Trail Runner [TR-42-BLK] (Running) @ 149.00",
                "2 x Merino Socks [SOCK-MER] (Apparel) @ 25.00");
        Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM ecom_order WHERE order_id = ?", Integer.class, Long.toString(order));
        assertThat(rows).isEqualTo(1);
    }

    /** The order fixture as version {@code updatedAt} with total {@code total}. */
    static String orderVersion(String u, long order, long customer, String updatedAt, String total) throws Exception {
        return fixture("orders_create.json", u, order, customer)
                .replace("\"updated_at\": \"2026-10-14T09:30:42-04:00\"", "\"updated_at\": \"" + updatedAt + "\"")
                .replace("218.90", total);
    }

    /**
     * Waits until every record sent so far with this Kafka key (the webhook id) was processed: a
     * marker event with the same key lands on the same partition, behind them.
     */
    void drained(String key) throws Exception {
        String marker = "marker-" + unique();
        String event = "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"" + marker + "\",\"messageId\":\"" + marker + "\","
                + "\"timestamp\":\"2026-11-20T10:00:00Z\",\"properties\":{\"order_id\":\"" + marker + "\",\"shop\":\"markers\","
                + "\"total\":1.00,\"currency\":\"EUR\",\"products\":[]}}";
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(props.getOrdersTopic(), key, event)).get();
        }
        await().atMost(WAIT).until(() -> jdbc.queryForObject("SELECT COUNT(*) FROM ecom_order WHERE order_id = ?", Integer.class, marker) == 1);
    }

    /**
     * A webhook id seen before is a no-op, whatever it carries, whether the retry comes before or
     * after the first delivery was processed. (The retries here carry a newer order version, which
     * would win if it were applied: only the webhook id can keep it out.)
     */
    @Test
    void aRetriedWebhookIdHasNoEffectBeforeOrAfterTheFirstDeliveryWasProcessed() throws Exception {
        String u = unique();
        long order = Long.parseLong(u) * 1000;
        long customer = Long.parseLong(u) * 1000 + 7;
        String email = "jon." + u + "@example.com";
        String id = "d-" + u;
        assertThat(webhook("orders/create", orderVersion(u, order, customer, "2026-10-14T09:30:42-04:00", "100.00"), id).status())
                .isEqualTo(200);
        // the same id again at once (same key, same partition: queued behind the first delivery)
        ApiClient.Response early = webhook("orders/create", orderVersion(u, order, customer, "2026-10-20T00:00:00-04:00", "999.00"), id);
        assertThat(early.status()).isEqualTo(200);
        assertThat(early.json().get("status").asText()).isEqualTo("accepted");
        drained(id);
        assertThat(jdbc.queryForObject("SELECT total FROM ecom_order WHERE order_id = ?", java.math.BigDecimal.class, Long.toString(order)))
                .as("the retry sent before the first delivery was processed had no effect").isEqualByComparingTo("100.00");

        // the same id once more, after it was processed; then a new id with an older version than that retry's
        assertThat(webhook("orders/updated", orderVersion(u, order, customer, "2026-10-21T00:00:00-04:00", "888.00"), id).status())
                .isEqualTo(200);
        drained(id);
        assertThat(webhook("orders/updated", orderVersion(u, order, customer, "2026-10-16T00:00:00-04:00", "555.00"), id + "-2")
                .status()).isEqualTo(200);
        drained(id + "-2");
        assertThat(jdbc.queryForObject("SELECT total FROM ecom_order WHERE order_id = ?", java.math.BigDecimal.class, Long.toString(order)))
                .as("the late retry had no effect; the new webhook id was applied").isEqualByComparingTo("555.00");
        JsonNode p = awaitComputed(email, "ecommerce.ltv", "510.60"); // 555.00 USD x 0.92
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM interaction WHERE profile_id = ?::uuid AND type = 'ecommerce.purchase'",
                Integer.class, p.get("id").asText())).isEqualTo(1);
        assertThat(jdbc.queryForList("SELECT webhook_id FROM ecom_webhook_receipt WHERE webhook_id LIKE ? ORDER BY webhook_id",
                String.class, id + "%")).containsExactly(id, id + "-2");
    }

    @Test
    void reorderedUpdatesRefundsAndCancellationsAdjustTheFigures() throws Exception {
        String u = unique();
        long order = Long.parseLong(u) * 1000;
        long customer = Long.parseLong(u) * 1000 + 7;
        String email = "jon." + u + "@example.com";
        // the update (with the refund) overtakes the creation
        assertThat(webhook("orders/updated", fixture("orders_updated.json", u, order, customer), "w-" + u + "-2").status()).isEqualTo(200);
        JsonNode p = awaitComputed(email, "ecommerce.refunded", "50.60");
        assertThat(p.at("/computed/ecommerce.ltv").asText()).isEqualTo("150.79"); // (218.90 - 55.00) x 0.92
        // the late creation is older: no effect; the separate refunds/create of the same refund counts once
        long done = completed();
        assertThat(webhook("orders/create", fixture("orders_create.json", u, order, customer), "w-" + u + "-1").status()).isEqualTo(200);
        assertThat(webhook("refunds/create", fixture("refunds_create.json", u, order, customer), "w-" + u + "-3").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> completed() >= done + 2);
        String id = p.get("id").asText();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM interaction WHERE profile_id = ?::uuid AND type = 'ecommerce.refund'",
                Integer.class, id)).isEqualTo(1);
        p = profileByEmail(email);
        assertThat(p.at("/computed/ecommerce.ltv").asText()).isEqualTo("150.79");
        assertThat(p.at("/computed/ecommerce.refunded").asText()).isEqualTo("50.60");
        assertThat(jdbc.queryForObject("SELECT total FROM ecom_order WHERE order_id = ?", java.math.BigDecimal.class, Long.toString(order)))
                .isEqualByComparingTo("218.90");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ecom_refund WHERE order_id = ?", Integer.class, Long.toString(order))).isEqualTo(1);

        // cancellation (the newest version): no longer counted
        String cancelled = fixture("orders_cancelled.json", u, order, customer)
                .replace("\"updated_at\": \"2026-10-15T08:00:00-04:00\"", "\"updated_at\": \"2026-10-21T08:00:00-04:00\"");
        assertThat(webhook("orders/cancelled", cancelled, "w-" + u + "-4").status()).isEqualTo(200);
        p = awaitComputed(email, "ecommerce.orderCount", "0");
        assertThat(p.at("/computed/ecommerce.ltv").asText()).isEqualTo("0.00");
        assertThat(p.at("/computed/ecommerce.segment").asText()).isEqualTo("No Purchase");
    }

    @Test
    void shopConsentEvidenceNeverLiftsANewerOptOut() throws Exception {
        String u = unique();
        long order = Long.parseLong(u) * 1000;
        long customer = Long.parseLong(u) * 1000 + 7;
        String email = "jon." + u + "@example.com";
        // the CRM knows an opt-out newer than the shop's single opt-in (2026-10-14)
        ApiClient.Response created = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\""
                + email + "\"}],\"consents\":[{\"channel\":\"EMAIL\",\"status\":\"OPT_OUT\",\"at\":\"2026-10-20T00:00:00Z\",\"evidence\":\"unsubscribe link\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        webhook("orders/create", fixture("orders_create.json", u, order, customer), "w-" + u);
        JsonNode p = awaitComputed(email, "ecommerce.orderCount", "1");
        assertThat(p.get("id").asText()).isEqualTo(created.json().get("profileId").asText());
        assertThat(p.at("/consents/EMAIL/status").asText()).isEqualTo("OPT_OUT");

        // customers/update with email_marketing_consent unsubscribed: an opt-out from the shop
        String u2 = unique();
        long customer2 = Long.parseLong(u2) * 1000 + 7;
        String email2 = "jon." + u2 + "@example.com";
        api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"" + email2
                + "\"}],\"consents\":[{\"channel\":\"EMAIL\",\"status\":\"OPT_IN\",\"at\":\"2026-10-01T00:00:00Z\",\"explicit\":true}]}");
        webhook("customers/update", fixture("customers_update.json", u2, 1, customer2), "w-" + u2);
        await().atMost(WAIT).until(() -> "OPT_OUT".equals(profileByEmail(email2).at("/consents/EMAIL/status").asText()));
        assertThat(profileByEmail(email2).at("/consents/EMAIL/source").asText()).isEqualTo("shopify:" + SHOP);
    }

    @Test
    void segmentOrderEventsArriveByApiAndByKafkaAndBadOnesAreRefusedOrQuarantined() throws Exception {
        String u = unique();
        String email = "seg." + u + "@example.com";
        String event = "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"c-" + u + "\",\"messageId\":\"m-" + u + "\","
                + "\"timestamp\":\"2026-11-20T10:00:00Z\",\"context\":{\"traits\":{\"email\":\"" + email + "\"}},"
                + "\"properties\":{\"order_id\":\"o-" + u + "\",\"shop\":\"web-eu\",\"total\":120.00,\"revenue\":100.00,\"currency\":\"EUR\","
                + "\"products\":[{\"product_id\":\"p1\",\"sku\":\"RUN-1\",\"name\":\"Road Shoe\",\"category\":\"Running\",\"price\":120,\"quantity\":1}]}}";
        ApiClient.Response r = api.post("/api/v1/ecommerce/orders", event);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode p = awaitComputed(email, "ecommerce.ltv", "120.00");
        assertThat(p.at("/computed/ecommerce.favouriteCategories").asText()).isEqualTo("Running");

        // refund by API, then cancellation published directly to Kafka by a shop
        ApiClient.Response refund = api.post("/api/v1/ecommerce/orders", "{\"event\":\"Order Refunded\",\"messageId\":\"r-" + u
                + "\",\"timestamp\":\"2026-11-21T10:00:00Z\",\"properties\":{\"order_id\":\"o-" + u + "\",\"shop\":\"web-eu\",\"total\":20,\"currency\":\"EUR\"}}");
        assertThat(refund.status()).isEqualTo(202);
        awaitComputed(email, "ecommerce.ltv", "100.00");
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(props.getOrdersTopic(), "web-eu:o-" + u, "{\"event\":\"Order Cancelled\",\"userId\":\"c-" + u
                    + "\",\"timestamp\":\"2026-11-22T10:00:00Z\",\"properties\":{\"order_id\":\"o-" + u + "\",\"shop\":\"web-eu\"}}")).get();
            // unusable: a currency without a rate
            producer.send(new ProducerRecord<>(props.getOrdersTopic(), "x", "{\"event\":\"Order Completed\",\"userId\":\"q-" + u
                    + "\",\"timestamp\":\"2026-11-22T10:00:00Z\",\"properties\":{\"order_id\":\"q-" + u + "\",\"total\":5,\"currency\":\"JPY\"}}")).get();
        }
        awaitComputed(email, "ecommerce.orderCount", "0");
        JsonNode entry = await().atMost(WAIT).until(() -> {
            for (JsonNode e : api.get("/api/v1/quarantine?status=OPEN&limit=1000").json().get("entries")) {
                if (e.get("payload").asText().contains("q-" + u)) {
                    return e;
                }
            }
            return null;
        }, e -> e != null);
        assertThat(entry.get("error").asText()).contains("no exchange rate for currency 'JPY'");
        assertThat(entry.get("routeId").asText()).isEqualTo("ecommerce-intake");

        // the API refuses what it cannot use, with the reason, and needs orders:write
        ApiClient.Response bad = api.post("/api/v1/ecommerce/orders", "{\"event\":\"Order Completed\",\"properties\":{\"total\":1}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.contentType()).contains("problem+json");
        assertThat(bad.body()).contains("order_id");
        ApiClient.Response noCurrency = api.post("/api/v1/ecommerce/orders", "{\"event\":\"Order Completed\",\"timestamp\":\"2026-11-22T10:00:00Z\","
                + "\"userId\":\"x\",\"properties\":{\"order_id\":\"1\",\"total\":1}}");
        assertThat(noCurrency.status()).isEqualTo(400);
        assertThat(noCurrency.body()).contains("no currency");
        assertThat(api.withKey(ApiClient.READER_KEY).post("/api/v1/ecommerce/orders", event).status()).isEqualTo(403);
        assertThat(new ApiClient(port, null).post("/api/v1/ecommerce/orders", event).status()).isEqualTo(401);
    }

    @Test
    void promotionsArePersonalisedOnlyWithConsentRepublishedOnConsentChangeAndWithdrawnOnErasure() throws Exception {
        String u = unique();
        long order = Long.parseLong(u) * 1000;
        long customer = Long.parseLong(u) * 1000 + 7;
        String email = "jon." + u + "@example.com";
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.subscribe(List.of(props.getPromotionsTopic()));
            // a recent order: "New Customer"
            String body = fixture("orders_create.json", u, order, customer)
                    .replace("2026-10-14T09:30:41-04:00", java.time.OffsetDateTime.now().minusDays(2).withNano(0).toString())
                    .replace("2026-10-14T09:30:42-04:00", java.time.OffsetDateTime.now().minusDays(2).plusSeconds(1).withNano(0).toString());
            assertThat(webhook("orders/create", body, "w-" + u).status()).isEqualTo(200);
            JsonNode p = awaitComputed(email, "ecommerce.segment", "New Customer");
            String id = p.get("id").asText();

            // no personalisation consent: the generic answer, whichever way the person is asked for
            for (String path : List.of("/api/v1/profiles/" + id + "/promotions", "/api/v1/promotions?email=" + email,
                    "/api/v1/promotions?customerId=" + customer + "&shop=" + SHOP, "/api/v1/promotions?customerId=" + customer)) {
                JsonNode a = api.get(path).json();
                assertThat(a.get("personalised").asBoolean()).as(path).isFalse();
                assertThat(a.has("segment")).isFalse();
                assertThat(a.get("offers")).extracting(o -> o.get("id").asText()).containsExactly("newsletter-welcome");
            }
            // unknown people get the same generic answer, never a 404
            JsonNode unknown = api.get("/api/v1/profiles/" + UUID.randomUUID() + "/promotions").json();
            assertThat(unknown.get("personalised").asBoolean()).isFalse();
            assertThat(api.get("/api/v1/promotions?email=nobody." + u + "@example.com").status()).isEqualTo(200);
            assertThat(api.get("/api/v1/promotions").status()).isEqualTo(400);
            assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/promotions?email=" + email).status()).isEqualTo(403);

            // published for the shop without anything personal
            List<ConsumerRecord<String, String>> mine = new ArrayList<>();
            await().atMost(WAIT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (id.equals(r.key())) {
                        mine.add(r);
                    }
                });
                assertThat(mine).isNotEmpty();
            });
            assertThat(mine.get(0).value()).contains("\"personalised\":false", "FREESHIP-50").doesNotContain("New Customer", "WELCOME-BACK-10");

            // consent to personalisation: the offers change and are re-published for the shop
            assertThat(api.put("/api/v1/profiles/" + id + "/consents/PERSONALISATION",
                    "{\"status\":\"OPT_IN\",\"source\":\"crm\",\"evidence\":\"preference centre\"}").status()).isEqualTo(200);
            JsonNode personal = await().atMost(WAIT).until(() -> api.get("/api/v1/profiles/" + id + "/promotions").json(),
                    a -> a.get("personalised").asBoolean());
            assertThat(personal.get("segment").asText()).isEqualTo("New Customer");
            assertThat(personal.get("offers")).extracting(o -> o.get("code").asText()).containsExactly("WELCOME-BACK-10", "FREESHIP-50");
            assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/profiles/" + id + "/promotions").status()).isEqualTo(200);

            await().atMost(WAIT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (id.equals(r.key())) {
                        mine.add(r);
                    }
                });
                assertThat(mine).anySatisfy(r -> assertThat(r.value()).contains("\"personalised\":true", "WELCOME-BACK-10",
                        "\"segment\":\"New Customer\""));
            });

            // erasure removes the shop's data in the same transaction and tells the shop
            JsonNode report = api.delete("/api/v1/profiles/" + id).json();
            assertThat(report.at("/removed/ecom_order").asInt()).isEqualTo(1);
            assertThat(report.at("/removed/ecom_promotion_state").asInt()).isEqualTo(1);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ecom_order WHERE order_id = ?", Integer.class, Long.toString(order))).isZero();
            await().atMost(WAIT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (id.equals(r.key())) {
                        mine.add(r);
                    }
                });
                assertThat(mine).anySatisfy(r -> assertThat(r.value()).contains("\"erased\":true"));
            });
            // the erased person's next order is not re-creating them: it is quarantined
            assertThat(webhook("orders/updated", fixture("orders_updated.json", u, order, customer), "w-" + u + "-late").status()).isEqualTo(200);
            await().atMost(WAIT).until(() -> {
                for (JsonNode e : api.get("/api/v1/quarantine?status=OPEN&limit=1000").json().get("entries")) {
                    if (e.path("headers").path("hub_webhook_id").asText().equals("w-" + u + "-late")) {
                        return true;
                    }
                }
                return false;
            });
        }
    }

    @Test
    void theContractIsServedWithTheFlowPaths() {
        JsonNode contract = api.get("/api/v1/openapi.json").json();
        assertThat(contract.at("/paths").has("/webhooks/shopify")).isTrue();
        assertThat(contract.at("/paths").has("/profiles/{id}/promotions")).isTrue();
        assertThat(contract.at("/paths").has("/profiles/{id}")).isTrue();
    }

    /** Events the intake route has finished (processed or quarantined). */
    long completed() {
        var route = camel.getCamelContextExtension().getContextPlugin(org.apache.camel.api.management.ManagedCamelContext.class)
                .getManagedRoute("ecommerce-intake");
        return route.getExchangesCompleted() + route.getExchangesFailed();
    }

    private KafkaConsumer<String, String> consumer() {
        return io.crmhub.routes.KafkaTestClients.consumer(hub);
    }

    private KafkaProducer<String, String> producer() {
        return io.crmhub.routes.KafkaTestClients.producer(hub);
    }
}
