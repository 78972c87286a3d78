package io.crmhub.mappings.ecommerce;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class OrderMetricsTest {

    static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    final OrderMetrics metrics = new OrderMetrics(OrderMetrics.RfmSettings.defaults(), "EUR");

    static OrderMetrics.OrderFacts order(String id, int daysAgo, String total, String refunded, boolean cancelled, String... categories) {
        List<EcomEvent.Line> lines = new ArrayList<>();
        for (String c : categories) {
            lines.add(new EcomEvent.Line("p", "s", "n", c, 1, BigDecimal.ONE));
        }
        return new OrderMetrics.OrderFacts(id, NOW.minus(Duration.ofDays(daysAgo)), cancelled, new BigDecimal(total),
                refunded == null ? null : new BigDecimal(refunded), lines);
    }

    @Test
    void noOrdersIsNoPurchase() {
        Map<String, String> m = metrics.compute(List.of(), NOW);
        assertThat(m).containsEntry(OrderMetrics.LTV, "0.00").containsEntry(OrderMetrics.ORDER_COUNT, "0")
                .containsEntry(OrderMetrics.SEGMENT, OrderMetrics.NO_PURCHASE);
        assertThat(m.get(OrderMetrics.RFM)).isNull();
        assertThat(m.keySet()).containsAll(OrderMetrics.FIELDS);
    }

    @Test
    void refundsAndCancellationsAdjustTheFigures() {
        Map<String, String> m = metrics.compute(List.of(
                order("1", 10, "200.00", "50.00", false, "Running", "Running", "Socks"),
                order("2", 40, "100.00", null, false, "Running"),
                order("3", 5, "999.00", null, true, "Jewellery"),          // cancelled: not counted
                order("4", 3, "80.00", "80.00", false, "Books")), NOW);    // fully refunded: not counted
        assertThat(m).containsEntry(OrderMetrics.LTV, "250.00")
                .containsEntry(OrderMetrics.ORDER_COUNT, "2")
                .containsEntry(OrderMetrics.AOV, "125.00")
                .containsEntry(OrderMetrics.REFUNDED, "130.00")
                .containsEntry(OrderMetrics.FIRST_ORDER, NOW.minus(Duration.ofDays(40)).toString())
                .containsEntry(OrderMetrics.LAST_ORDER, NOW.minus(Duration.ofDays(10)).toString())
                .containsEntry(OrderMetrics.RECENCY, "5")     // 10 days
                .containsEntry(OrderMetrics.FREQUENCY, "2")   // 2 orders
                .containsEntry(OrderMetrics.MONETARY, "3")    // 250
                .containsEntry(OrderMetrics.RFM, "523")
                .containsEntry(OrderMetrics.SEGMENT, "Potential Loyalist")
                .containsEntry(OrderMetrics.CATEGORIES, "Running,Socks");
    }

    @Test
    void scoresAndSegments() {
        List<OrderMetrics.OrderFacts> many = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            many.add(order("o" + i, 20 + i, "150.00", null, false, "Shoes"));
        }
        assertThat(metrics.compute(many, NOW)).containsEntry(OrderMetrics.RFM, "555").containsEntry(OrderMetrics.SEGMENT, "Champions");
        assertThat(metrics.compute(List.of(order("x", 400, "20.00", null, false)), NOW))
                .containsEntry(OrderMetrics.RFM, "111").containsEntry(OrderMetrics.SEGMENT, "Hibernating");
        assertThat(metrics.compute(List.of(order("x", 1, "20.00", null, false)), NOW))
                .containsEntry(OrderMetrics.SEGMENT, "New Customer");
        assertThat(OrderMetrics.segment(2, 3, 3)).isEqualTo("At Risk");
        assertThat(OrderMetrics.segment(1, 5, 5)).isEqualTo("Cannot Lose Them");
        assertThat(OrderMetrics.segment(3, 4, 2)).isEqualTo("Loyal");
        assertThat(OrderMetrics.segment(3, 1, 1)).isEqualTo("Needs Attention");
    }

    @Test
    void currencyRates() {
        CurrencyRates rates = new CurrencyRates("eur", Map.of("USD", new BigDecimal("0.92")));
        assertThat(rates.toBase(new BigDecimal("218.90"), "usd")).isEqualByComparingTo("201.388");
        assertThat(rates.toBase(new BigDecimal("10"), "EUR")).isEqualByComparingTo("10");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rates.toBase(BigDecimal.ONE, "JPY"))
                .hasMessageContaining("no exchange rate for currency 'JPY'");
    }

    @Test
    void promotionsMatchSegmentsCategoriesAndValidity() {
        Promotions p = new Promotions(List.of(
                new Promotions.Rule("vip", "VIP", "VIP20", null, false, Set.of("Champions"), null, null, null, null, null, null,
                        null, null, null, null, null),
                new Promotions.Rule("run", "Run", "RUN", null, false, null, null, null, null, null, null, null, null, 2,
                        Set.of("running"), null, null),
                new Promotions.Rule("old", "Old", "OLD", null, false, null, null, null, null, null, null, null, null, null,
                        null, null, Instant.parse("2026-01-01T00:00:00Z")),
                new Promotions.Rule("ship", "Ship", "SHIP", null, true, null, null, null, null, null, null, null, null, null,
                        null, null, null)));
        Map<String, String> computed = new HashMap<>(metrics.compute(List.of(
                order("1", 10, "200.00", null, false, "Running"), order("2", 12, "50.00", null, false, "Running")), NOW));
        assertThat(p.forProfile(computed, NOW)).extracting(Promotions.Offer::id).containsExactly("run", "ship");
        assertThat(p.forProfile(computed, NOW).get(0).personalised()).isTrue();
        assertThat(p.generic(NOW)).extracting(Promotions.Offer::id).containsExactly("ship");
        computed.put(OrderMetrics.SEGMENT, "Champions");
        assertThat(p.forProfile(computed, NOW)).extracting(Promotions.Offer::id).containsExactly("vip", "run", "ship");
    }
}
