package io.crmhub.mappings.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.crmhub.mappings.ecommerce.Json.array;
import static io.crmhub.mappings.ecommerce.Json.first;
import static io.crmhub.mappings.ecommerce.Json.money;
import static io.crmhub.mappings.ecommerce.Json.obj;
import static io.crmhub.mappings.ecommerce.Json.text;
import static io.crmhub.mappings.ecommerce.Json.time;

/**
 * Maps Shopify webhook payloads (Admin REST API shapes; topic from {@code X-Shopify-Topic}) to
 * {@link EcomEvent}s.
 * <ul>
 *   <li>{@code orders/create}, {@code orders/updated}, {@code orders/cancelled} → {@link EcomEvent.Order}
 *       (version {@code updated_at}; {@code cancelled_at} marks a cancellation; {@code refunds[]} carried along)</li>
 *   <li>{@code refunds/create} → {@link EcomEvent.Refund} (successful refund transactions, else the refunded lines)</li>
 *   <li>{@code customers/create}, {@code customers/update} → {@link EcomEvent.Customer}</li>
 * </ul>
 * Consent evidence: {@code email_marketing_consent} / {@code sms_marketing_consent} {@code subscribed} →
 * opt-in (explicit only for {@code confirmed_opt_in}, a double opt-in), {@code unsubscribed} → opt-out;
 * {@code buyer_accepts_marketing} / {@code accepts_marketing} true → a non-explicit e-mail opt-in (it can
 * never lift an opt-out). Other states ({@code not_subscribed}, {@code pending} …) are no statement.
 * Bad input throws {@link IllegalArgumentException} with the reason.
 */
public final class ShopifyMapper {

    public static final String SOURCE = "shopify";
    public static final Set<String> TOPICS = Set.of("orders/create", "orders/updated", "orders/cancelled",
            "refunds/create", "customers/create", "customers/update");

    public EcomEvent map(String topic, String shop, JsonNode payload) {
        if (topic == null || !TOPICS.contains(topic.trim().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("unsupported Shopify topic '" + topic + "' (supported: " + TOPICS + ")");
        }
        if (shop == null || shop.isBlank()) {
            throw new IllegalArgumentException("Shopify webhook without shop domain");
        }
        if (payload == null || !payload.isObject()) {
            throw new IllegalArgumentException("Shopify " + topic + " payload is not a JSON object");
        }
        String t = topic.trim().toLowerCase(Locale.ROOT);
        String s = shop.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("orders/")) {
            return order(s, payload);
        }
        if (t.equals("refunds/create")) {
            return refund(s, payload, null);
        }
        return customer(s, payload);
    }

    EcomEvent.Order order(String shop, JsonNode o) {
        String id = text(o, "id");
        if (id == null) {
            throw new IllegalArgumentException("Shopify order without id");
        }
        String what = "Shopify order " + id;
        Instant created = time(o, "created_at", what);
        if (created == null) {
            throw new IllegalArgumentException(what + " has no created_at");
        }
        Instant updated = time(o, "updated_at", what);
        Instant cancelled = time(o, "cancelled_at", what);
        String currency = first(text(o, "currency"), shopMoneyCurrency(obj(o, "total_price_set")));
        if (currency == null) {
            throw new IllegalArgumentException(what + " has no currency");
        }
        BigDecimal total = money(o, "total_price", what);
        if (total == null) {
            throw new IllegalArgumentException(what + " has no total_price");
        }
        JsonNode customer = obj(o, "customer");
        JsonNode billing = obj(o, "billing_address");
        JsonNode shipping = obj(o, "shipping_address");
        Instant consentAt = updated == null ? created : updated;
        List<Consent> consents = new ArrayList<>(customerConsents(shop, customer, consentAt));
        if (Json.bool(o, "buyer_accepts_marketing") && consents.stream().noneMatch(c -> c.channel() == Channel.EMAIL)) {
            consents.add(new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, consentSource(shop), created,
                    "Shopify order " + first(text(o, "name"), id) + ": buyer_accepts_marketing", false));
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        names(attrs, customer);
        names(attrs, billing);
        address(attrs, billing != null ? billing : shipping);
        if (customer != null) {
            address(attrs, obj(customer, "default_address"));
        }
        String email = first(text(o, "email"), text(o, "contact_email"), text(customer, "email"));
        String phone = first(text(o, "phone"), text(customer, "phone"), text(billing, "phone"));
        EcomEvent.Buyer buyer = new EcomEvent.Buyer(text(customer, "id"), email, phone, null, attrs, consents);

        List<EcomEvent.Line> lines = new ArrayList<>();
        for (JsonNode li : array(o, "line_items")) {
            lines.add(new EcomEvent.Line(text(li, "product_id"), text(li, "sku"), first(text(li, "title"), text(li, "name")),
                    first(text(li, "product_type"), text(li, "vendor")), Json.integer(li, "quantity", 1),
                    money(li, "price", what + " line item")));
        }
        List<EcomEvent.Refund> refunds = new ArrayList<>();
        for (JsonNode r : array(o, "refunds")) {
            refunds.add(refund(shop, r, currency));
        }
        return new EcomEvent.Order(SOURCE, shop, id, text(o, "name"), buyer, created, updated == null ? created : updated,
                cancelled, currency.toUpperCase(Locale.ROOT), total, lines, refunds);
    }

    EcomEvent.Refund refund(String shop, JsonNode r, String orderCurrency) {
        String id = text(r, "id");
        String orderId = text(r, "order_id");
        if (id == null || orderId == null) {
            throw new IllegalArgumentException("Shopify refund without id or order_id");
        }
        String what = "Shopify refund " + id;
        Instant created = first(text(r, "processed_at"), text(r, "created_at")) == null ? null
                : time(r, text(r, "processed_at") != null ? "processed_at" : "created_at", what);
        if (created == null) {
            throw new IllegalArgumentException(what + " has no created_at");
        }
        BigDecimal amount = BigDecimal.ZERO;
        String currency = null;
        boolean anyTransaction = false;
        for (JsonNode tx : array(r, "transactions")) {
            String kind = text(tx, "kind");
            String status = text(tx, "status");
            if ("refund".equalsIgnoreCase(kind) && (status == null || "success".equalsIgnoreCase(status))) {
                BigDecimal a = money(tx, "amount", what + " transaction");
                if (a != null) {
                    amount = amount.add(a);
                    anyTransaction = true;
                    currency = first(currency, text(tx, "currency"));
                }
            }
        }
        if (!anyTransaction) {
            for (JsonNode rli : array(r, "refund_line_items")) {
                BigDecimal sub = money(rli, "subtotal", what + " line");
                BigDecimal tax = money(rli, "total_tax", what + " line");
                amount = amount.add(sub == null ? BigDecimal.ZERO : sub).add(tax == null ? BigDecimal.ZERO : tax);
                currency = first(currency, shopMoneyCurrency(obj(rli, "subtotal_set")));
            }
        }
        currency = first(currency, orderCurrency);
        return new EcomEvent.Refund(SOURCE, shop, id, orderId, created, amount,
                currency == null ? null : currency.toUpperCase(Locale.ROOT));
    }

    EcomEvent.Customer customer(String shop, JsonNode c) {
        String id = text(c, "id");
        if (id == null) {
            throw new IllegalArgumentException("Shopify customer without id");
        }
        String what = "Shopify customer " + id;
        Instant updated = first(text(c, "updated_at"), text(c, "created_at")) == null ? null
                : time(c, text(c, "updated_at") != null ? "updated_at" : "created_at", what);
        if (updated == null) {
            throw new IllegalArgumentException(what + " has no updated_at");
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        names(attrs, c);
        address(attrs, obj(c, "default_address"));
        EcomEvent.Buyer buyer = new EcomEvent.Buyer(id, text(c, "email"), text(c, "phone"), null, attrs,
                customerConsents(shop, c, updated));
        return new EcomEvent.Customer(SOURCE, shop, buyer, updated);
    }

    /** Consent statements of a Shopify customer object, newest format first. */
    static List<Consent> customerConsents(String shop, JsonNode customer, Instant fallbackAt) {
        List<Consent> out = new ArrayList<>();
        if (customer == null) {
            return out;
        }
        String what = "Shopify customer " + text(customer, "id");
        JsonNode email = obj(customer, "email_marketing_consent");
        if (email != null) {
            marketingConsent(shop, Channel.EMAIL, email, fallbackAt, what, "email_marketing_consent").ifPresent(out::add);
        } else if (Json.bool(customer, "accepts_marketing")) {
            Instant at = time(customer, "accepts_marketing_updated_at", what);
            out.add(new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, consentSource(shop), at == null ? fallbackAt : at,
                    "Shopify customer accepts_marketing", false));
        }
        JsonNode sms = obj(customer, "sms_marketing_consent");
        if (sms != null) {
            marketingConsent(shop, Channel.SMS, sms, fallbackAt, what, "sms_marketing_consent").ifPresent(out::add);
        }
        return out;
    }

    private static java.util.Optional<Consent> marketingConsent(String shop, Channel channel, JsonNode c, Instant fallbackAt,
                                                               String what, String field) {
        String state = text(c, "state");
        if (state == null) {
            return java.util.Optional.empty();
        }
        String level = text(c, "opt_in_level");
        Instant at = time(c, "consent_updated_at", what + " " + field);
        at = at == null ? fallbackAt : at;
        String evidence = "Shopify " + field + " " + state + (level == null ? "" : " (" + level + ")") + " at " + at;
        return switch (state.toLowerCase(Locale.ROOT)) {
            case "subscribed" -> java.util.Optional.of(new Consent(channel, ConsentStatus.OPT_IN, consentSource(shop), at,
                    evidence, "confirmed_opt_in".equalsIgnoreCase(level)));
            case "unsubscribed" -> java.util.Optional.of(new Consent(channel, ConsentStatus.OPT_OUT, consentSource(shop), at,
                    evidence, true));
            default -> java.util.Optional.empty();
        };
    }

    /** Consent source: the shop, e.g. {@code shopify:acme.myshopify.com}. */
    public static String consentSource(String shop) {
        return SOURCE + ":" + shop;
    }

    private static void names(Map<String, String> attrs, JsonNode n) {
        if (n == null) {
            return;
        }
        String f = text(n, "first_name");
        String l = text(n, "last_name");
        if (f != null) {
            attrs.putIfAbsent("firstName", f);
        }
        if (l != null) {
            attrs.putIfAbsent("lastName", l);
        }
    }

    private static void address(Map<String, String> attrs, JsonNode a) {
        if (a == null) {
            return;
        }
        put(attrs, "address", first(text(a, "address1")));
        put(attrs, "city", text(a, "city"));
        put(attrs, "postalCode", text(a, "zip"));
        put(attrs, "region", first(text(a, "province_code"), text(a, "province")));
        put(attrs, "country", first(text(a, "country_code"), text(a, "country")));
        put(attrs, "company", text(a, "company"));
    }

    private static void put(Map<String, String> attrs, String k, String v) {
        if (v != null) {
            attrs.putIfAbsent(k, v);
        }
    }

    private static String shopMoneyCurrency(JsonNode set) {
        JsonNode shopMoney = obj(set, "shop_money");
        return text(shopMoney, "currency_code");
    }
}
