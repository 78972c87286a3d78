package io.crmhub.mappings.ecommerce;

import io.crmhub.mappings.model.Consent;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a shop told us, shop-neutral: an order (created, updated, cancelled — with the refunds it
 * carries), a refund on its own, or a customer. Built by {@link ShopifyMapper} and
 * {@link SegmentOrderMapper}; the ecommerce flow applies it to the profile.
 */
public sealed interface EcomEvent permits EcomEvent.Order, EcomEvent.Refund, EcomEvent.Customer {

    /** The shop (namespace of its customer ids), e.g. {@code acme.myshopify.com}. */
    String shop();

    /** Who bought: the shop's customer id and/or contact data, attributes and consents. */
    record Buyer(String customerId, String email, String phone, String anonymousId, Map<String, String> attributes,
                 List<Consent> consents) {
        public Buyer {
            attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
            consents = consents == null ? List.of() : List.copyOf(consents);
        }

        public boolean identifiable() {
            return notBlank(customerId) || notBlank(email) || notBlank(phone) || notBlank(anonymousId);
        }
    }

    record Line(String productId, String sku, String name, String category, int quantity, BigDecimal price) {
    }

    /**
     * An order in one version ({@code updatedAt}). {@code cancelledAt} set: cancelled. Refunds the
     * payload carries are listed (they are also applied on their own, by refund id).
     * {@code total}, {@code currency} and {@code lines} are null when the event does not carry them
     * (a bare "Order Cancelled"): the stored values are kept.
     */
    record Order(String source, String shop, String orderId, String orderNumber, Buyer buyer, Instant createdAt,
                 Instant updatedAt, Instant cancelledAt, String currency, BigDecimal total, List<Line> lines,
                 List<Refund> refunds) implements EcomEvent {
        public Order {
            Objects.requireNonNull(shop, "shop");
            Objects.requireNonNull(orderId, "orderId");
            Objects.requireNonNull(createdAt, "createdAt");
            Objects.requireNonNull(updatedAt, "updatedAt");
            lines = lines == null ? null : List.copyOf(lines);
            refunds = refunds == null ? List.of() : List.copyOf(refunds);
        }
    }

    /** Money given back on an order; counted once per {@code refundId}. */
    record Refund(String source, String shop, String refundId, String orderId, Instant createdAt,
                  BigDecimal amount, String currency) implements EcomEvent {
        public Refund {
            Objects.requireNonNull(shop, "shop");
            Objects.requireNonNull(refundId, "refundId");
            Objects.requireNonNull(orderId, "orderId");
            Objects.requireNonNull(createdAt, "createdAt");
            Objects.requireNonNull(amount, "amount");
            if (amount.signum() < 0) {
                throw new IllegalArgumentException("refund " + refundId + " has a negative amount " + amount);
            }
        }
    }

    /** A customer record (Shopify customers/create, customers/update). */
    record Customer(String source, String shop, Buyer buyer, Instant updatedAt) implements EcomEvent {
    }

    static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
