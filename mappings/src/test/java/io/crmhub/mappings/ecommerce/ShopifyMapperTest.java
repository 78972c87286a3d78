package io.crmhub.mappings.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShopifyMapperTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final ShopifyMapper mapper = new ShopifyMapper();

    static JsonNode fixture(String name) throws Exception {
        return JSON.readTree(Files.readAllBytes(ShopifyHmacTest.FIXTURES.resolve(name)));
    }

    @Test
    void ordersCreateBecomesAnOrderWithBuyerLinesAndConsent() throws Exception {
        EcomEvent e = mapper.map("orders/create", "Dev-Shop.myshopify.com", fixture("orders_create.json"));
        assertThat(e).isInstanceOf(EcomEvent.Order.class);
        EcomEvent.Order o = (EcomEvent.Order) e;
        assertThat(o.shop()).isEqualTo("dev-shop.myshopify.com");
        assertThat(o.orderId()).isEqualTo("5820982911946154508");
        assertThat(o.orderNumber()).isEqualTo("#1001");
        assertThat(o.currency()).isEqualTo("USD");
        assertThat(o.total()).isEqualByComparingTo("218.90");
        assertThat(o.createdAt()).isEqualTo(Instant.parse("2026-10-14T13:30:41Z"));
        assertThat(o.updatedAt()).isEqualTo(Instant.parse("2026-10-14T13:30:42Z"));
        assertThat(o.cancelledAt()).isNull();
        assertThat(o.buyer().customerId()).isEqualTo("7115986784514");
        assertThat(o.buyer().email()).isEqualTo("Jon.Snow@Example.com");
        assertThat(o.buyer().phone()).isEqualTo("+1 (613) 555-0135");
        assertThat(o.buyer().attributes()).containsEntry("firstName", "Jon").containsEntry("lastName", "Snow")
                .containsEntry("city", "Ottawa").containsEntry("country", "CA").containsEntry("postalCode", "K2P 1L4");
        assertThat(o.lines()).hasSize(2);
        assertThat(o.lines().get(0)).isEqualTo(new EcomEvent.Line("632910392", "TR-42-BLK", "Trail Runner", "Running", 1,
                new BigDecimal("149.00")));
        assertThat(o.lines().get(1).quantity()).isEqualTo(2);
        assertThat(o.refunds()).isEmpty();
        // email_marketing_consent subscribed (single opt-in): an opt-in that is not explicit
        assertThat(o.buyer().consents()).hasSize(1);
        Consent c = o.buyer().consents().get(0);
        assertThat(c.channel()).isEqualTo(Channel.EMAIL);
        assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN);
        assertThat(c.explicit()).isFalse();
        assertThat(c.source()).isEqualTo("shopify:dev-shop.myshopify.com");
        assertThat(c.at()).isEqualTo(Instant.parse("2026-10-14T13:30:41Z"));
    }

    @Test
    void ordersUpdatedCarriesItsRefundsAndCancelledMarksTheCancellation() throws Exception {
        EcomEvent.Order u = (EcomEvent.Order) mapper.map("orders/updated", "dev-shop.myshopify.com", fixture("orders_updated.json"));
        assertThat(u.updatedAt()).isEqualTo(Instant.parse("2026-10-20T15:05:08Z"));
        assertThat(u.refunds()).singleElement().satisfies(r -> {
            assertThat(r.refundId()).isEqualTo("890088186047892319");
            assertThat(r.orderId()).isEqualTo("5820982911946154508");
            assertThat(r.amount()).isEqualByComparingTo("55.00");
            assertThat(r.currency()).isEqualTo("USD");
        });
        EcomEvent.Order c = (EcomEvent.Order) mapper.map("orders/cancelled", "dev-shop.myshopify.com", fixture("orders_cancelled.json"));
        assertThat(c.cancelledAt()).isEqualTo(Instant.parse("2026-10-15T12:00:00Z"));
    }

    @Test
    void refundsCreateSumsSuccessfulRefundTransactionsElseTheRefundedLines() throws Exception {
        EcomEvent.Refund r = (EcomEvent.Refund) mapper.map("refunds/create", "dev-shop.myshopify.com", fixture("refunds_create.json"));
        assertThat(r.amount()).isEqualByComparingTo("55.00");
        assertThat(r.createdAt()).isEqualTo(Instant.parse("2026-10-20T15:05:07Z"));

        com.fasterxml.jackson.databind.node.ObjectNode noTx = (com.fasterxml.jackson.databind.node.ObjectNode) fixture("refunds_create.json");
        noTx.putArray("transactions").addObject().put("kind", "refund").put("status", "failure").put("amount", "55.00");
        EcomEvent.Refund lines = (EcomEvent.Refund) mapper.map("refunds/create", "dev-shop.myshopify.com", noTx);
        assertThat(lines.amount()).isEqualByComparingTo("55.00"); // 50.00 subtotal + 5.00 tax
        assertThat(lines.currency()).isEqualTo("USD");
    }

    @Test
    void customersCarryTheirConsentEvidence() throws Exception {
        EcomEvent.Customer upd = (EcomEvent.Customer) mapper.map("customers/update", "dev-shop.myshopify.com", fixture("customers_update.json"));
        assertThat(upd.buyer().customerId()).isEqualTo("7115986784514");
        assertThat(upd.buyer().consents()).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT);
            assertThat(c.at()).isEqualTo(Instant.parse("2026-11-02T20:20:00Z"));
        });
        EcomEvent.Customer created = (EcomEvent.Customer) mapper.map("customers/create", "dev-shop.myshopify.com", fixture("customers_create.json"));
        assertThat(created.buyer().consents()).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN);
            assertThat(c.explicit()).as("confirmed_opt_in is a double opt-in").isTrue();
        });
    }

    @Test
    void badInputIsRefusedWithTheReason() throws Exception {
        assertThatThrownBy(() -> mapper.map("products/create", "s", fixture("orders_create.json")))
                .hasMessageContaining("unsupported Shopify topic 'products/create'");
        assertThatThrownBy(() -> mapper.map("orders/create", "s", JSON.readTree("{\"created_at\":\"2026-01-01T00:00:00Z\"}")))
                .hasMessageContaining("without id");
        assertThatThrownBy(() -> mapper.map("orders/create", "s", JSON.readTree(
                "{\"id\":1,\"created_at\":\"yesterday\",\"currency\":\"EUR\",\"total_price\":\"1\"}")))
                .hasMessageContaining("created_at");
        assertThatThrownBy(() -> mapper.map("orders/create", "s", JSON.readTree(
                "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"currency\":\"EUR\",\"total_price\":\"abc\"}")))
                .hasMessageContaining("total_price is not a number");
        assertThatThrownBy(() -> mapper.map("orders/create", "s", JSON.readTree("[]")))
                .hasMessageContaining("not a JSON object");
    }
}
