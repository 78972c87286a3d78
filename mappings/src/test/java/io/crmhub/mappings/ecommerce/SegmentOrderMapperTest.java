package io.crmhub.mappings.ecommerce;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentOrderMapperTest {

    final ObjectMapper json = new ObjectMapper();
    final SegmentOrderMapper mapper = new SegmentOrderMapper("shop", null);

    @Test
    void orderCompleted() throws Exception {
        EcomEvent.Order o = (EcomEvent.Order) mapper.map(json.readTree("""
                {"type":"track","event":"Order Completed","userId":"u-1","anonymousId":"a-1","timestamp":"2026-11-01T10:00:00Z",
                 "context":{"traits":{"email":"ann@example.com","firstName":"Ann"}},
                 "properties":{"order_id":"50314b8e9bcf000000000000","shop":"Web-EU","total":27.50,"revenue":25.00,"currency":"eur",
                   "products":[{"product_id":"507f1f77bcf86cd799439011","sku":"45790-32","name":"Monopoly","category":"Games","price":19,"quantity":1},
                               {"product_id":"505bd76785ebb509fc183733","sku":"46493-32","name":"Uno","category":"Games","price":3,"quantity":2}]}}
                """));
        assertThat(o.shop()).isEqualTo("web-eu");
        assertThat(o.total()).isEqualByComparingTo("27.50");
        assertThat(o.currency()).isEqualTo("EUR");
        assertThat(o.updatedAt()).isEqualTo(Instant.parse("2026-11-01T10:00:00Z"));
        assertThat(o.buyer().customerId()).isEqualTo("u-1");
        assertThat(o.buyer().anonymousId()).isEqualTo("a-1");
        assertThat(o.buyer().email()).isEqualTo("ann@example.com");
        assertThat(o.lines()).hasSize(2);
        assertThat(o.lines().get(1).quantity()).isEqualTo(2);
    }

    @Test
    void refundedAndCancelled() throws Exception {
        EcomEvent.Refund r = (EcomEvent.Refund) mapper.map(json.readTree("""
                {"event":"Order Refunded","messageId":"m-9","timestamp":"2026-11-02T10:00:00Z",
                 "properties":{"order_id":"o-1","total":5,"currency":"EUR"}}"""));
        assertThat(r.refundId()).isEqualTo("m-9");
        assertThat(r.shop()).isEqualTo("shop");
        assertThat(r.amount()).isEqualByComparingTo("5");
        EcomEvent.Order c = (EcomEvent.Order) mapper.map(json.readTree("""
                {"event":"Order Cancelled","userId":"u-1","timestamp":"2026-11-03T10:00:00Z","properties":{"order_id":"o-1"}}"""));
        assertThat(c.cancelledAt()).isEqualTo(Instant.parse("2026-11-03T10:00:00Z"));
        assertThat(c.total()).as("kept from the stored order").isNull();
        assertThat(c.lines()).isNull();
    }

    @Test
    void badEvents() {
        assertThatThrownBy(() -> mapper.map(json.readTree("{\"event\":\"Product Viewed\",\"properties\":{}}")))
                .hasMessageContaining("unsupported event 'Product Viewed'");
        assertThatThrownBy(() -> mapper.map(json.readTree("{\"event\":\"Order Completed\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"properties\":{\"total\":1}}")))
                .hasMessageContaining("order_id");
        assertThatThrownBy(() -> mapper.map(json.readTree("{\"event\":\"Order Completed\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"properties\":{\"order_id\":\"1\",\"total\":1}}")))
                .hasMessageContaining("no currency");
        assertThatThrownBy(() -> mapper.map(json.readTree("{\"event\":\"Order Refunded\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"properties\":{\"order_id\":\"1\",\"total\":1,\"currency\":\"EUR\"}}")))
                .hasMessageContaining("refund_id nor messageId");
    }
}
