package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.ecommerce.EcommerceStore;
import io.crmhub.mappings.ecommerce.CurrencyRates;
import io.crmhub.mappings.ecommerce.EcomEvent;
import io.crmhub.mappings.ecommerce.OrderMetrics;
import io.crmhub.mappings.ecommerce.SegmentOrderMapper;
import io.crmhub.mappings.ecommerce.ShopifyMapper;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.InteractionType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.errors.TransientFaults;
import io.crmhub.routes.profiles.ProfileService;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Applies one e-commerce event to the CRM: resolves the buyer to a profile (shop customer id, e-mail,
 * phone, through the backbone), stores the order version (newest wins) and its refunds, puts the
 * purchase, cancellation and refunds on the timeline, recomputes the purchase figures and refreshes
 * the profile's promotions.
 */
public class EcommerceService {

    private static final Logger LOG = LoggerFactory.getLogger(EcommerceService.class);

    /** Kafka / exchange headers of an event on the orders topic. */
    public static final String H_FORMAT = "hub_ecommerce_format";
    public static final String H_TOPIC = "hub_shopify_topic";
    public static final String H_SHOP = "hub_shop";
    public static final String H_WEBHOOK_ID = "hub_webhook_id";
    /**
     * {@code consumer}: the webhook id was not checked when the webhook was acknowledged; processing
     * records it ({@code ecom_webhook_receipt}) in the transaction of the event's effect and skips
     * an id it has seen. (Records without it were checked at the acknowledgement by an earlier version.)
     */
    public static final String H_DEDUP = "hub_webhook_dedup";
    public static final String DEDUP_CONSUMER = "consumer";
    public static final String FORMAT_SHOPIFY = "shopify";
    public static final String FORMAT_SEGMENT = "segment";
    /** Source name of the shop in the profile (survivorship) and on the timeline. */
    public static final String SOURCE = "ecommerce";
    private static final int ATTEMPTS = 5;

    private final ProfileService profiles;
    private final CrmStore crm;
    private final EcommerceStore store;
    private final CurrencyRates rates;
    private final OrderMetrics metrics;
    private final PromotionService promotions;
    private final ObjectMapper mapper;
    private final ShopifyMapper shopify = new ShopifyMapper();
    private final SegmentOrderMapper segment;
    private final Clock clock;

    public EcommerceService(ProfileService profiles, EcommerceStore store, CurrencyRates rates, OrderMetrics metrics,
                            PromotionService promotions, ObjectMapper mapper, String defaultShop, Clock clock) {
        this.profiles = profiles;
        this.crm = profiles.store();
        this.store = store;
        this.rates = rates;
        this.metrics = metrics;
        this.promotions = promotions;
        this.mapper = mapper;
        this.segment = new SegmentOrderMapper(defaultShop, null);
        this.clock = clock;
    }

    /** What processing one event did, for logs, tests and the route's headers. */
    public record Outcome(String kind, String shop, String id, UUID profileId, String applied) {
    }

    /** A Shopify webhook id to record with the event's effect; a known id means the event was applied before. */
    public record Receipt(String webhookId, String shop, String topic) {
    }

    /** What {@link #apply} answers for a webhook whose id was processed before: nothing was done. */
    public static final String DUPLICATE = "DUPLICATE";

    /** One message of the orders topic (or of a replay from the quarantine). */
    public Outcome accept(Exchange exchange) {
        String body = exchange.getIn().getBody(String.class);
        if (body == null || body.isBlank()) {
            throw new IllegalArgumentException("empty e-commerce event");
        }
        JsonNode json;
        try {
            json = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("e-commerce event is not JSON: " + e.getOriginalMessage());
        }
        String format = exchange.getIn().getHeader(H_FORMAT, String.class);
        boolean shopifyFormat = FORMAT_SHOPIFY.equals(format);
        String topic = exchange.getIn().getHeader(H_TOPIC, String.class);
        String shop = exchange.getIn().getHeader(H_SHOP, String.class);
        EcomEvent event = shopifyFormat ? shopify.map(topic, shop, json) : segment.map(json);
        String webhookId = exchange.getIn().getHeader(H_WEBHOOK_ID, String.class);
        Receipt receipt = shopifyFormat && webhookId != null && !webhookId.isBlank()
                && DEDUP_CONSUMER.equals(exchange.getIn().getHeader(H_DEDUP, String.class))
                ? new Receipt(webhookId, shop == null ? "" : shop, topic == null ? "" : topic) : null;
        Outcome outcome = apply(event, receipt);
        exchange.getMessage().setHeader("HubEcommerceOutcome", outcome.applied());
        if (outcome.profileId() != null) {
            exchange.getMessage().setHeader("HubProfileId", outcome.profileId().toString());
        }
        return outcome;
    }

    public Outcome apply(EcomEvent event) {
        return apply(event, null);
    }

    /**
     * Applies the event; with a receipt, the webhook id is recorded in the same transaction as the
     * event's effect (buyer upsert, order, refunds, timeline, figures), and an id recorded before
     * makes the whole event a no-op ({@link #DUPLICATE}).
     */
    public Outcome apply(EcomEvent event, Receipt receipt) {
        if (event instanceof EcomEvent.Order o) {
            return applyOrder(o, receipt);
        }
        if (event instanceof EcomEvent.Refund r) {
            return applyRefund(r, receipt);
        }
        return applyCustomer((EcomEvent.Customer) event, receipt);
    }

    /** Records the receipt inside the caller's transaction; false: the webhook was processed before. */
    private boolean firstDelivery(Receipt receipt, Instant now) {
        return receipt == null || store.recordReceipt(receipt.webhookId(), receipt.shop(), receipt.topic(), now);
    }

    // --- orders ---------------------------------------------------------------------------------

    Outcome applyOrder(EcomEvent.Order o, Receipt receipt) {
        BigDecimal totalBase = o.total() == null ? null : rates.toBase(o.total(), o.currency());
        List<BigDecimal> refundBase = new ArrayList<>();
        for (EcomEvent.Refund r : o.refunds()) {
            refundBase.add(rates.toBase(r.amount(), r.currency() == null ? o.currency() : r.currency()));
        }
        if (!o.buyer().identifiable()) {
            throw new IllegalArgumentException("order " + o.shop() + "/" + o.orderId()
                    + " names no customer (no customer id, e-mail, phone or anonymous id): it cannot be attached to a profile");
        }
        Instant now = clock.instant();
        String[] applied = new String[1];
        UUID[] resolved = new UUID[1];
        // one transaction: receipt, buyer, order version, refunds, timeline, figures
        UUID survivor = retrying(() -> store.inTransaction(() -> {
            if (!firstDelivery(receipt, now)) {
                applied[0] = DUPLICATE;
                resolved[0] = null;
                return null;
            }
            UUID profileId = resolve(o.buyer(), o.shop(), o.updatedAt());
            resolved[0] = profileId;
            store.lockProfile(profileId);
            EcommerceStore.Applied a = store.applyOrder(profileId, o, totalBase, now);
            applied[0] = a.name();
            boolean refundsChanged = false;
            for (int i = 0; i < o.refunds().size(); i++) {
                EcomEvent.Refund r = o.refunds().get(i);
                refundsChanged |= store.applyRefund(r, r.currency() == null ? o.currency() : r.currency(), refundBase.get(i), now);
            }
            if (a == EcommerceStore.Applied.STALE && !refundsChanged) {
                return null;
            }
            EcommerceStore.StoredOrder stored = store.order(o.shop(), o.orderId()).orElseThrow();
            crm.addInteraction(profileId, purchase(stored, o));
            if (stored.cancelledAt() != null) {
                crm.addInteraction(profileId, new Interaction(InteractionType.PURCHASE + ".cancelled", stored.cancelledAt(), SOURCE,
                        o.shop(), null, stored.total(), stored.currency(), "Order " + label(stored) + " cancelled", orderKey(o.shop(), o.orderId()) + ":cancelled",
                        null));
            }
            for (EcommerceStore.StoredRefund r : store.refunds(o.shop(), o.orderId())) {
                crm.addInteraction(profileId, refund(r, stored));
            }
            return recompute(profileId, now);
        }));
        return new Outcome("order", o.shop(), o.orderId(), resolved[0], applied[0]);
    }

    private Interaction purchase(EcommerceStore.StoredOrder stored, EcomEvent.Order o) {
        StringBuilder summary = new StringBuilder("Order ").append(label(stored)).append(": ");
        List<Map<String, Object>> lines = new ArrayList<>();
        if (o.lines() != null) {
            for (EcomEvent.Line l : o.lines()) {
                if (!lines.isEmpty()) {
                    summary.append("; ");
                }
                summary.append(l.quantity()).append(" x ").append(l.name() == null ? l.sku() : l.name());
                if (l.sku() != null) {
                    summary.append(" [").append(l.sku()).append(']');
                }
                if (l.category() != null) {
                    summary.append(" (").append(l.category()).append(')');
                }
                if (l.price() != null) {
                    summary.append(" @ ").append(l.price().toPlainString());
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("productId", l.productId());
                m.put("sku", l.sku());
                m.put("name", l.name());
                m.put("category", l.category());
                m.put("quantity", l.quantity());
                m.put("price", l.price() == null ? null : l.price().toPlainString());
                lines.add(m);
            }
        }
        summary.append(" = ").append(stored.total().toPlainString()).append(' ').append(stored.currency());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("shop", stored.shop());
        details.put("orderId", stored.orderId());
        details.put("orderNumber", stored.orderNumber());
        details.put("total", stored.total().toPlainString());
        details.put("totalBase", stored.totalBase().toPlainString());
        details.put("currency", stored.currency());
        details.put("lines", lines);
        return new Interaction(InteractionType.PURCHASE, stored.createdAt(), SOURCE, stored.shop(), null, stored.total(),
                stored.currency(), summary.toString(), orderKey(stored.shop(), stored.orderId()), json(details));
    }

    private Interaction refund(EcommerceStore.StoredRefund r, EcommerceStore.StoredOrder order) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("shop", r.shop());
        details.put("orderId", r.orderId());
        details.put("refundId", r.refundId());
        details.put("amount", r.amount().toPlainString());
        details.put("amountBase", r.amountBase().toPlainString());
        return new Interaction(InteractionType.REFUND, r.createdAt(), SOURCE, r.shop(), null, r.amount(), r.currency(),
                "Refund of " + r.amount().toPlainString() + " " + r.currency() + " on order " + label(order),
                r.shop() + ":refund:" + r.refundId(), json(details));
    }

    // --- refunds --------------------------------------------------------------------------------

    Outcome applyRefund(EcomEvent.Refund r, Receipt receipt) {
        Instant now = clock.instant();
        var order = store.order(r.shop(), r.orderId());
        String currency = r.currency() != null ? r.currency() : order.map(EcommerceStore.StoredOrder::currency).orElse(rates.base());
        BigDecimal base = rates.toBase(r.amount(), currency);
        String[] applied = new String[1];
        UUID profileId = order.map(EcommerceStore.StoredOrder::profileId).orElse(null);
        UUID survivor = retrying(() -> store.inTransaction(() -> {
            if (!firstDelivery(receipt, now)) {
                applied[0] = DUPLICATE;
                return null;
            }
            if (profileId != null) {
                store.lockProfile(profileId);
            }
            boolean fresh = store.applyRefund(r, currency, base, now);
            applied[0] = fresh ? (order.isPresent() ? "NEW" : "NEW_BEFORE_ORDER") : "STALE";
            if (!fresh || profileId == null) {
                return null;
            }
            crm.addInteraction(profileId, refund(new EcommerceStore.StoredRefund(r.shop(), r.refundId(), r.orderId(), r.amount(),
                    base, currency, r.createdAt()), order.get()));
            return recompute(profileId, now);
        }));
        return new Outcome("refund", r.shop(), r.refundId(), profileId, applied[0]);
    }

    // --- customers ------------------------------------------------------------------------------

    Outcome applyCustomer(EcomEvent.Customer c, Receipt receipt) {
        if (!c.buyer().identifiable()) {
            throw new IllegalArgumentException("customer of " + c.shop() + " without id, e-mail or phone");
        }
        Instant now = clock.instant();
        UUID profileId = retrying(() -> store.inTransaction(() ->
                firstDelivery(receipt, now) ? resolve(c.buyer(), c.shop(), c.updatedAt()) : null));
        return new Outcome("customer", c.shop(), c.buyer().customerId(), profileId, profileId == null ? DUPLICATE : "UPSERTED");
    }

    // --- shared ---------------------------------------------------------------------------------

    /** The buyer's profile: identities, attributes and consent evidence upserted through the backbone. */
    private UUID resolve(EcomEvent.Buyer b, String shop, Instant observedAt) {
        List<Identity> ids = new ArrayList<>();
        if (b.customerId() != null) {
            ids.add(Identity.of(IdentityType.ECOM_CUSTOMER_ID, shop, b.customerId()));
        }
        if (b.email() != null) {
            ids.add(Identity.of(IdentityType.EMAIL, b.email()));
        }
        if (b.phone() != null) {
            ids.add(Identity.of(IdentityType.PHONE, b.phone()));
        }
        if (b.anonymousId() != null) {
            ids.add(Identity.of(IdentityType.ANONYMOUS_ID, b.anonymousId()));
        }
        ProfileService.Upserted u = profiles.upsertLenient(new ProfileRecord(SOURCE, observedAt, ids, b.attributes(), b.consents()));
        if (!u.normalised().errors().isEmpty()) {
            LOG.info("e-commerce buyer of {}: dropped invalid fields {}", shop, u.normalised().errors());
        }
        return u.result().profileId();
    }

    /**
     * Recomputes the purchase figures of the profile (the survivor, over every profile merged into it)
     * and its promotion state, inside the caller's transaction. Returns the survivor's id.
     */
    UUID recompute(UUID anyProfileId, Instant now) {
        CustomerProfile profile = crm.find(anyProfileId, 0)
                .orElseThrow(() -> new IllegalStateException("profile " + anyProfileId + " is gone (erased meanwhile?)"));
        UUID survivor = profile.id();
        Map<String, String> fields = metrics.compute(store.facts(store.family(survivor)), now);
        crm.putComputed(survivor, fields);
        promotions.refresh(profile, fields, now);
        return survivor;
    }

    /** Recomputes purchase figures and promotions of a profile in a transaction of its own (merges, unmerges). */
    public void recompute(UUID profileId) {
        Instant now = clock.instant();
        UUID survivor = retrying(() -> store.inTransaction(() -> {
            Optional<CustomerProfile> p = crm.find(profileId, 0);
            if (p.isEmpty()) {
                return null;
            }
            UUID id = p.get().id();
            store.lockProfile(id);
            if (store.orderCount(store.family(id)) == 0) {
                return shopKnows(p.get()) && promotions.refresh(id, now) ? id : null;
            }
            return recompute(id, now);
        }));
    }

    /**
     * Refreshes the promotion state after a consent change, for people the shop knows (a shop
     * customer id, orders, or promotions published before); others are none of the shop's business.
     */
    public void refreshPromotions(UUID profileId) {
        Instant now = clock.instant();
        UUID changed = retrying(() -> store.inTransaction(() -> {
            Optional<CustomerProfile> p = crm.find(profileId, 0);
            if (p.isEmpty()) {
                return null;
            }
            UUID id = p.get().id();
            store.lockProfile(id);
            boolean known = shopKnows(p.get()) || store.promotionState(id).isPresent() || store.orderCount(store.family(id)) > 0;
            return known && promotions.refresh(id, now) ? id : null;
        }));
    }

    private static boolean shopKnows(CustomerProfile p) {
        return p.identities().stream().anyMatch(i -> i.type() == IdentityType.ECOM_CUSTOMER_ID);
    }

    private static String orderKey(String shop, String orderId) {
        return shop + ":order:" + orderId;
    }

    private static String label(EcommerceStore.StoredOrder o) {
        return o.orderNumber() != null ? o.orderNumber() : o.orderId();
    }

    private String json(Object o) {
        try {
            return mapper.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Retries a transaction that met a concurrent writer (the store methods inside it do not retry on their own). */
    static <T> T retrying(Supplier<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return work.get();
            } catch (RuntimeException e) {
                boolean retry = e instanceof DuplicateKeyException || TransientFaults.isTransient(e);
                if (!retry || attempt >= ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(5L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
