package io.crmhub.connectors.ecommerce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.ecommerce.EcomEvent;
import io.crmhub.mappings.ecommerce.OrderMetrics;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The e-commerce tables on the real PostgreSQL (schema crmhub_ecommerce_store_it) and on H2 in PostgreSQL mode. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EcommerceStoreTest {

    static final String SCHEMA = "crmhub_ecommerce_store_it";
    static final String PG_URL = System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final Instant T0 = Instant.parse("2026-10-14T13:30:41Z");

    HikariDataSource pg;
    HikariDataSource h2;

    @BeforeAll
    void databases(@TempDir Path dir) throws Exception {
        try (Connection c = DriverManager.getConnection(PG_URL, "postgres", ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
        HikariConfig p = new HikariConfig();
        p.setJdbcUrl(PG_URL + "?currentSchema=" + SCHEMA);
        p.setUsername("postgres");
        p.setPassword("");
        p.setMaximumPoolSize(8);
        pg = new HikariDataSource(p);
        Migrations.migrate(pg, SCHEMA);
        HikariConfig h = new HikariConfig();
        h.setJdbcUrl("jdbc:h2:file:" + dir.resolve("ecom").toAbsolutePath() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        h.setUsername("sa");
        h.setPassword("");
        h.setMaximumPoolSize(4);
        h2 = new HikariDataSource(h);
        Migrations.migrate(h2, null);
    }

    @AfterAll
    void close() {
        pg.close();
        h2.close();
    }

    HikariDataSource ds(String db) {
        return db.equals("pg") ? pg : h2;
    }

    static UUID profile(CrmStore crm, String email) {
        return crm.upsert(new ProfileRecord("ecommerce", T0, List.of(Identity.of(IdentityType.EMAIL, email)), null, null)).profileId();
    }

    static EcomEvent.Order order(String shop, String id, Instant updated, String total, Instant cancelled, List<EcomEvent.Line> lines) {
        return new EcomEvent.Order("shopify", shop, id, "#" + id, null, T0, updated, cancelled, total == null ? null : "EUR",
                total == null ? null : new BigDecimal(total), lines, List.of());
    }

    static final List<EcomEvent.Line> LINES = List.of(new EcomEvent.Line("p1", "SKU-1", "Shoe", "Running", 1, new BigDecimal("90.00")));

    @ParameterizedTest
    @ValueSource(strings = {"pg", "h2"})
    void newestVersionWinsDuplicatesAndOlderVersionsHaveNoEffect(String db) {
        CrmStore crm = JdbcCrmStore.withDefaults(ds(db));
        EcommerceStore store = new EcommerceStore(ds(db), new ObjectMapper());
        UUID p = profile(crm, "order-" + db + "@example.com");
        String shop = "s-" + db;
        Instant t1 = T0.plusSeconds(1);
        Instant t2 = T0.plusSeconds(100);

        assertThat(store.applyOrder(p, order(shop, "1", t1, "100.00", null, LINES), new BigDecimal("100.00"), T0))
                .isEqualTo(EcommerceStore.Applied.NEW);
        assertThat(store.applyOrder(p, order(shop, "1", t1, "100.00", null, LINES), new BigDecimal("100.00"), T0))
                .as("duplicate").isEqualTo(EcommerceStore.Applied.STALE);
        assertThat(store.applyOrder(p, order(shop, "1", t2, "80.00", null, null), new BigDecimal("80.00"), T0))
                .isEqualTo(EcommerceStore.Applied.UPDATED);
        assertThat(store.applyOrder(p, order(shop, "1", t1.plusSeconds(5), "999.00", null, List.of()), new BigDecimal("999.00"), T0))
                .as("late older version").isEqualTo(EcommerceStore.Applied.STALE);
        var o = store.order(shop, "1").orElseThrow();
        assertThat(o.total()).isEqualByComparingTo("80.00");
        assertThat(o.updatedAt()).isEqualTo(t2);
        assertThat(store.facts(List.of(p))).singleElement().satisfies(f ->
                assertThat(f.lines()).as("lines kept when a version carries none").isEqualTo(LINES));

        // a cancellation without totals keeps them; it is never undone by a newer version
        Instant t3 = t2.plusSeconds(10);
        assertThat(store.applyOrder(p, order(shop, "1", t3, null, t3, null), null, T0)).isEqualTo(EcommerceStore.Applied.UPDATED);
        assertThat(store.applyOrder(p, order(shop, "1", t3.plusSeconds(1), "80.00", null, null), new BigDecimal("80.00"), T0))
                .isEqualTo(EcommerceStore.Applied.UPDATED);
        o = store.order(shop, "1").orElseThrow();
        assertThat(o.status()).isEqualTo("CANCELLED");
        assertThat(o.cancelledAt()).isEqualTo(t3);
        assertThat(o.total()).isEqualByComparingTo("80.00");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg", "h2"})
    void refundsCountOnceEvenBeforeTheirOrder(String db) {
        CrmStore crm = JdbcCrmStore.withDefaults(ds(db));
        EcommerceStore store = new EcommerceStore(ds(db), new ObjectMapper());
        UUID p = profile(crm, "refund-" + db + "@example.com");
        String shop = "r-" + db;
        EcomEvent.Refund r = new EcomEvent.Refund("shopify", shop, "rf-1", "7", T0.plusSeconds(50), new BigDecimal("30.00"), "EUR");
        assertThat(store.applyRefund(r, "EUR", new BigDecimal("30.00"), T0)).isTrue();
        assertThat(store.applyRefund(r, "EUR", new BigDecimal("30.00"), T0)).isFalse();
        store.applyOrder(p, order(shop, "7", T0.plusSeconds(1), "100.00", null, LINES), new BigDecimal("100.00"), T0);
        List<OrderMetrics.OrderFacts> facts = store.facts(List.of(p));
        assertThat(facts).singleElement().satisfies(f -> assertThat(f.refundedBase()).isEqualByComparingTo("30.00"));
        Map<String, String> m = new OrderMetrics(null, "EUR").compute(facts, T0.plusSeconds(100));
        assertThat(m).containsEntry(OrderMetrics.LTV, "70.00").containsEntry(OrderMetrics.REFUNDED, "30.00");
        assertThat(store.refunds(shop, "7")).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg", "h2"})
    void webhookReceiptsDeduplicateAndExpire(String db) {
        EcommerceStore store = new EcommerceStore(ds(db), new ObjectMapper());
        String id = "wh-" + UUID.randomUUID();
        assertThat(store.recordReceipt(id, "shop", "orders/create", T0)).isTrue();
        assertThat(store.recordReceipt(id, "shop", "orders/create", T0.plusSeconds(60))).isFalse();
        // recorded with the event's effect: when that transaction fails, the id is not known (the retry is applied)
        String failed = "wh-" + UUID.randomUUID();
        assertThatThrownBy(() -> store.inTransaction(() -> {
            assertThat(store.recordReceipt(failed, "shop", "orders/create", T0)).isTrue();
            throw new IllegalStateException("processing failed");
        })).hasMessage("processing failed");
        assertThat(store.inTransaction(() -> store.recordReceipt(failed, "shop", "orders/create", T0))).isTrue();
        assertThat(store.inTransaction(() -> store.recordReceipt(failed, "shop", "orders/create", T0))).isFalse();
        assertThat(store.purgeReceipts(T0.plusSeconds(1))).isGreaterThanOrEqualTo(2);
        assertThat(store.recordReceipt(id, "shop", "orders/create", T0.plus(Duration.ofDays(3)))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg", "h2"})
    void promotionStateVersionsOnlyOnChangeAndErasureRemovesTheShopData(String db) {
        CrmStore crm = JdbcCrmStore.withDefaults(ds(db));
        EcommerceStore store = new EcommerceStore(ds(db), new ObjectMapper());
        UUID p = profile(crm, "promo-" + db + "@example.com");
        assertThat(store.putPromotionState(p, "f1", "{}", T0)).isTrue();
        assertThat(store.putPromotionState(p, "f1", "{}", T0)).isFalse();
        assertThat(store.unpublished(1000)).extracting(EcommerceStore.PromotionState::profileId).contains(p);
        store.markPublished(p, 1);
        assertThat(store.unpublished(1000)).extracting(EcommerceStore.PromotionState::profileId).doesNotContain(p);
        assertThat(store.putPromotionState(p, "f2", "{\"x\":1}", T0)).isTrue();
        assertThat(store.promotionState(p).orElseThrow().version()).isEqualTo(2);

        String shop = "e-" + db;
        store.applyOrder(p, order(shop, "9", T0, "10.00", null, LINES), BigDecimal.TEN, T0);
        store.applyRefund(new EcomEvent.Refund("shopify", shop, "rf-9", "9", T0, BigDecimal.ONE, "EUR"), "EUR", BigDecimal.ONE, T0);
        // a second profile merged into p: its orders are the person's too
        UUID q = profile(crm, "promo2-" + db + "@example.com");
        store.applyOrder(q, order(shop, "10", T0, "20.00", null, LINES), BigDecimal.valueOf(20), T0);
        crm.upsert(new ProfileRecord("crm", T0.plusSeconds(1), List.of(Identity.of(IdentityType.EMAIL, "promo-" + db + "@example.com"),
                Identity.of(IdentityType.EMAIL, "promo2-" + db + "@example.com")), null, null));
        assertThat(store.family(p)).containsExactlyInAnyOrder(p, q);
        assertThat(store.facts(store.family(p))).hasSize(2);

        CrmStore.ErasureReport report = crm.erase(p, "test");
        Map<String, Integer> removed = store.erase(store.erasedFamily(report.profileId()));
        assertThat(removed).containsEntry("ecom_order", 2).containsEntry("ecom_refund", 1).containsEntry("ecom_promotion_state", 1);
        assertThat(store.order(shop, "9")).isEmpty();
        assertThat(store.order(shop, "10")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg"})
    void concurrentVersionsOfOneOrderEndWithTheNewest(String db) throws Exception {
        CrmStore crm = JdbcCrmStore.withDefaults(ds(db));
        EcommerceStore store = new EcommerceStore(ds(db), new ObjectMapper());
        UUID p = profile(crm, "race-" + db + "@example.com");
        for (int round = 0; round < 5; round++) {
            String id = "race-" + round;
            List<Integer> versions = new ArrayList<>();
            for (int v = 1; v <= 20; v++) {
                versions.add(v);
            }
            Collections.shuffle(versions);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<EcommerceStore.Applied>> results = new ArrayList<>();
            for (int v : versions) {
                results.add(pool.submit(() -> store.applyOrder(p, order("race", id, T0.plusSeconds(v), v + ".00", null, LINES),
                        new BigDecimal(v), T0)));
            }
            int fresh = 0;
            for (Future<EcommerceStore.Applied> f : results) {
                if (f.get() == EcommerceStore.Applied.NEW) {
                    fresh++;
                }
            }
            pool.shutdown();
            assertThat(fresh).as("exactly one insert").isEqualTo(1);
            var o = store.order("race", id).orElseThrow();
            assertThat(o.updatedAt()).isEqualTo(T0.plusSeconds(20));
            assertThat(o.total()).isEqualByComparingTo("20.00");
        }
    }
}
