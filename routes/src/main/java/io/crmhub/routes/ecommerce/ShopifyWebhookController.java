package io.crmhub.routes.ecommerce;

import io.crmhub.mappings.ecommerce.ShopifyHmac;
import io.crmhub.routes.api.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /api/v1/webhooks/shopify}: verifies Shopify's HMAC over the raw body bytes (before any
 * parsing), persists the webhook to the orders topic (key and header {@code X-Shopify-Webhook-Id},
 * {@code acks=all}) and answers 200 — 503 when Kafka does not acknowledge in time. Nothing else is on
 * the acknowledgement path: retries are recognised by their webhook id when they are processed
 * ({@link EcommerceService}: the id is recorded in the transaction of the event's effect), so a retry
 * has no effect. Everything else happens asynchronously ({@link EcommerceRoutes}).
 */
@RestController
public class ShopifyWebhookController {

    private static final Logger LOG = LoggerFactory.getLogger(ShopifyWebhookController.class);
    public static final String PATH = "/api/v1/webhooks/shopify";

    private final Map<String, String> secrets = new LinkedHashMap<>();
    private final EcommerceKafka kafka;
    private final EcommerceProperties props;

    public ShopifyWebhookController(EcommerceProperties props, EcommerceKafka kafka) {
        this.props = props;
        this.kafka = kafka;
        for (EcommerceProperties.Shop s : props.getShopify().getShops()) {
            if (s.getDomain() == null || s.getDomain().isBlank() || s.getSecret() == null || s.getSecret().isBlank()) {
                throw new IllegalStateException("hub.ecommerce.shopify.shops: every shop needs a domain and a secret");
            }
            secrets.put(s.getDomain().trim().toLowerCase(Locale.ROOT), s.getSecret());
        }
    }

    @PostMapping(path = PATH)
    public ResponseEntity<Object> receive(@RequestBody(required = false) byte[] body,
                                          @RequestHeader(name = "X-Shopify-Hmac-Sha256", required = false) String hmac,
                                          @RequestHeader(name = "X-Shopify-Shop-Domain", required = false) String shopDomain,
                                          @RequestHeader(name = "X-Shopify-Topic", required = false) String topic,
                                          @RequestHeader(name = "X-Shopify-Webhook-Id", required = false) String webhookId,
                                          @RequestHeader(name = "X-Shopify-API-Version", required = false) String apiVersion) {
        byte[] raw = body == null ? new byte[0] : body;
        String shop = shopDomain == null ? "" : shopDomain.trim().toLowerCase(Locale.ROOT);
        String secret = secrets.get(shop);
        if (secret == null || !ShopifyHmac.verify(raw, hmac, secret)) {
            LOG.warn("Shopify webhook refused: {} (shop '{}', topic {}, webhook {})",
                    secret == null ? "unknown shop" : "HMAC mismatch", shop, topic, webhookId);
            return problem(401, "Unauthorized", "The webhook signature (X-Shopify-Hmac-Sha256) is not valid for shop '" + shop + "'.");
        }
        if (topic == null || topic.isBlank()) {
            return problem(400, "Bad Request", "X-Shopify-Topic is missing.");
        }
        // nothing but Kafka on the acknowledgement path: the webhook id travels as key and header, and
        // processing records it with the event's effect (one transaction), so a retry has no effect
        boolean hasId = webhookId != null && !webhookId.isBlank();
        Map<String, String> headers = new HashMap<>(8);
        headers.put(EcommerceService.H_FORMAT, EcommerceService.FORMAT_SHOPIFY);
        headers.put(EcommerceService.H_TOPIC, topic.trim().toLowerCase(Locale.ROOT));
        headers.put(EcommerceService.H_SHOP, shop);
        if (hasId) {
            headers.put(EcommerceService.H_WEBHOOK_ID, webhookId);
            headers.put(EcommerceService.H_DEDUP, EcommerceService.DEDUP_CONSUMER);
        }
        headers.put("hub_shopify_api_version", apiVersion);
        try {
            kafka.send(props.getOrdersTopic(), hasId ? webhookId : shop, raw, headers, props.getShopify().getPublishTimeout());
        } catch (RuntimeException e) {
            LOG.warn("Shopify webhook {} not accepted: Kafka did not take it ({})", webhookId, e.toString());
            return problem(503, "Service Unavailable", "The hub cannot accept webhooks right now; Shopify will retry.");
        }
        return ResponseEntity.ok(hasId ? Map.of("status", "accepted", "webhookId", webhookId) : Map.of("status", "accepted"));
    }

    private static ResponseEntity<Object> problem(int status, String title, String detail) {
        return ResponseEntity.status(status).contentType(MediaType.parseMediaType(Problem.MEDIA_TYPE))
                .body(Problem.of(status, title, detail).at(PATH));
    }
}
