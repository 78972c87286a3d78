package io.crmhub.mappings.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.crmhub.mappings.ecommerce.Json.array;
import static io.crmhub.mappings.ecommerce.Json.first;
import static io.crmhub.mappings.ecommerce.Json.money;
import static io.crmhub.mappings.ecommerce.Json.obj;
import static io.crmhub.mappings.ecommerce.Json.text;
import static io.crmhub.mappings.ecommerce.Json.time;

/**
 * Maps shop-neutral order events in the Segment e-commerce spec (a {@code track} call with
 * {@code event} and {@code properties}) to {@link EcomEvent}s:
 * <ul>
 *   <li>{@code Order Completed}, {@code Order Updated} → an order version ({@code properties.updated_at},
 *       else the call's {@code timestamp}); {@code total} (else {@code revenue}), {@code currency},
 *       {@code products[]} ({@code product_id, sku, name, category, price, quantity})</li>
 *   <li>{@code Order Cancelled} → the order, cancelled at {@code timestamp} (totals kept when not given)</li>
 *   <li>{@code Order Refunded} → a refund of {@code total} (else the listed products), id
 *       {@code properties.refund_id}, else the call's {@code messageId}</li>
 * </ul>
 * Who: {@code userId} (the shop's customer id), {@code anonymousId}, e-mail and phone from
 * {@code properties}, {@code context.traits} or {@code traits}. The shop: {@code properties.shop}, else
 * {@code context.app.namespace}, else the default given to the constructor.
 */
public final class SegmentOrderMapper {

    public static final String SOURCE = "segment";
    public static final List<String> EVENTS = List.of("Order Completed", "Order Updated", "Order Refunded", "Order Cancelled");

    private final String defaultShop;
    private final String defaultCurrency;

    public SegmentOrderMapper(String defaultShop, String defaultCurrency) {
        this.defaultShop = defaultShop;
        this.defaultCurrency = defaultCurrency;
    }

    public EcomEvent map(JsonNode call) {
        if (call == null || !call.isObject()) {
            throw new IllegalArgumentException("order event is not a JSON object");
        }
        String event = text(call, "event");
        if (event == null || EVENTS.stream().noneMatch(e -> e.equalsIgnoreCase(event))) {
            throw new IllegalArgumentException("unsupported event '" + event + "' (supported: " + EVENTS + ")");
        }
        JsonNode p = obj(call, "properties");
        if (p == null) {
            throw new IllegalArgumentException(event + " without properties");
        }
        String orderId = text(p, "order_id");
        if (orderId == null) {
            throw new IllegalArgumentException(event + " without properties.order_id");
        }
        String what = event + " " + orderId;
        Instant at = time(call, "timestamp", what);
        if (at == null) {
            at = time(call, "sentAt", what);
        }
        if (at == null) {
            throw new IllegalArgumentException(what + " has no timestamp");
        }
        String shop = first(text(p, "shop"), text(obj(obj(call, "context"), "app"), "namespace"), defaultShop);
        if (shop == null) {
            throw new IllegalArgumentException(what + " names no shop (properties.shop)");
        }
        shop = shop.trim().toLowerCase(Locale.ROOT);
        String currency = first(text(p, "currency"), defaultCurrency);
        currency = currency == null ? null : currency.toUpperCase(Locale.ROOT);
        BigDecimal total = first(text(p, "total"), text(p, "revenue")) == null ? null
                : money(p, text(p, "total") != null ? "total" : "revenue", what);
        List<EcomEvent.Line> lines = null;
        if (p.has("products")) {
            lines = new ArrayList<>();
            for (JsonNode pr : array(p, "products")) {
                lines.add(new EcomEvent.Line(text(pr, "product_id"), text(pr, "sku"), text(pr, "name"), text(pr, "category"),
                        Json.integer(pr, "quantity", 1), money(pr, "price", what + " product")));
            }
        }
        String kind = event.toLowerCase(Locale.ROOT);
        if (kind.equals("order refunded")) {
            BigDecimal amount = total;
            if (amount == null && lines != null) {
                amount = BigDecimal.ZERO;
                for (EcomEvent.Line l : lines) {
                    amount = amount.add(l.price() == null ? BigDecimal.ZERO : l.price().multiply(BigDecimal.valueOf(l.quantity())));
                }
            }
            if (amount == null) {
                throw new IllegalArgumentException(what + " says neither total nor products refunded");
            }
            String refundId = first(text(p, "refund_id"), text(call, "messageId"));
            if (refundId == null) {
                throw new IllegalArgumentException(what + " has neither properties.refund_id nor messageId");
            }
            return new EcomEvent.Refund(SOURCE, shop, refundId, orderId, at, amount, currency);
        }
        JsonNode traits = either(obj(obj(call, "context"), "traits"), obj(call, "traits"));
        String email = first(text(p, "email"), text(traits, "email"));
        String phone = first(text(p, "phone"), text(traits, "phone"));
        Map<String, String> attrs = new java.util.LinkedHashMap<>();
        if (traits != null) {
            putIf(attrs, "firstName", first(text(traits, "firstName"), text(traits, "first_name")));
            putIf(attrs, "lastName", first(text(traits, "lastName"), text(traits, "last_name")));
        }
        EcomEvent.Buyer buyer = new EcomEvent.Buyer(text(call, "userId"), email, phone, text(call, "anonymousId"), attrs, List.of());
        Instant version = time(p, "updated_at", what);
        Instant created = time(p, "created_at", what);
        boolean cancelled = kind.equals("order cancelled");
        if (!cancelled && total == null) {
            throw new IllegalArgumentException(what + " has neither total nor revenue");
        }
        if (total != null && currency == null) {
            throw new IllegalArgumentException(what + " has no currency");
        }
        return new EcomEvent.Order(SOURCE, shop, orderId, text(p, "order_number"), buyer, created == null ? at : created,
                version == null ? at : version, cancelled ? at : null, currency, total, lines, List.of());
    }

    private static JsonNode either(JsonNode a, JsonNode b) {
        return a != null ? a : b;
    }

    private static void putIf(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
