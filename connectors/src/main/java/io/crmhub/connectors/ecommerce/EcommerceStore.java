package io.crmhub.connectors.ecommerce;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.mappings.ecommerce.EcomEvent;
import io.crmhub.mappings.ecommerce.OrderMetrics;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import static io.crmhub.connectors.jdbc.Params.instant;
import static io.crmhub.connectors.jdbc.Params.marks;

/**
 * Persistence of the e-commerce flow: orders (newest version wins), refunds (once per refund id),
 * Shopify webhook receipts (de-duplication), and the promotion state published to the shop.
 * <p>
 * Methods join the caller's Spring transaction on the same {@link DataSource} when there is one
 * (the flow applies an order, its interactions and computed fields in one transaction, see
 * {@link #inTransaction}); otherwise each statement commits on its own.
 */
public class EcommerceStore {

    /** What applying one order version did. */
    public enum Applied { NEW, UPDATED, STALE }

    /** An order as stored. */
    public record StoredOrder(String shop, String orderId, UUID profileId, String source, String orderNumber, String status,
                              String currency, BigDecimal total, BigDecimal totalBase, Instant createdAt, Instant updatedAt,
                              Instant cancelledAt) {
    }

    public record StoredRefund(String shop, String refundId, String orderId, BigDecimal amount, BigDecimal amountBase,
                               String currency, Instant createdAt) {
    }

    /** Last computed promotion state of a profile; {@code version > publishedVersion}: not yet on Kafka. */
    public record PromotionState(UUID profileId, String fingerprint, String payload, long version, long publishedVersion,
                                 Instant updatedAt) {
    }

    private static final TypeReference<List<EcomEvent.Line>> LINES = new TypeReference<>() {
    };

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ObjectMapper json;

    public EcommerceStore(DataSource dataSource, ObjectMapper json) {
        this.jdbc = new JdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.json = json == null ? new ObjectMapper() : json;
    }

    /** Runs {@code work} in one transaction on this store's DataSource (CrmStore calls inside join it). */
    public <T> T inTransaction(Supplier<T> work) {
        return tx.execute(s -> work.get());
    }

    // --- webhook receipts --------------------------------------------------------------------

    /**
     * Records a webhook id; false when it was recorded before (a retry of a processed webhook). Called
     * in the transaction that applies the webhook's event, so the id is known exactly when its effect
     * is committed; a concurrent insert of the same id waits for the other transaction's outcome.
     */
    public boolean recordReceipt(String webhookId, String shop, String topic, Instant at) {
        return update("INSERT INTO ecom_webhook_receipt (webhook_id, shop, topic, received_at) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING", webhookId, shop, topic, at) == 1;
    }

    public int purgeReceipts(Instant before) {
        return update("DELETE FROM ecom_webhook_receipt WHERE received_at < ?", before);
    }

    // --- orders and refunds ------------------------------------------------------------------

    /**
     * Applies one order version to the profile: inserted when new, replaced when strictly newer
     * ({@code updatedAt}) than the stored one, otherwise nothing (a duplicate or a late older
     * version). Fields the event does not carry (null total, currency, lines) keep their stored value;
     * a cancellation is never undone.
     */
    public Applied applyOrder(UUID profileId, EcomEvent.Order o, BigDecimal totalBase, Instant now) {
        String lines = o.lines() == null ? null : toJson(o.lines());
        String status = o.cancelledAt() != null ? "CANCELLED" : "OPEN";
        String update = "UPDATE ecom_order SET profile_id = ?, source = ?, order_number = COALESCE(CAST(? AS VARCHAR), order_number),"
                + " status = CASE WHEN cancelled_at IS NOT NULL THEN 'CANCELLED' ELSE ? END,"
                + " currency = COALESCE(CAST(? AS VARCHAR), currency), total = COALESCE(CAST(? AS NUMERIC), total),"
                + " total_base = COALESCE(CAST(? AS NUMERIC), total_base), updated_at = ?,"
                + " cancelled_at = COALESCE(cancelled_at, CAST(? AS TIMESTAMP WITH TIME ZONE)),"
                + " created_at = CASE WHEN created_at > ? THEN ? ELSE created_at END,"
                + " lines = COALESCE(CAST(? AS VARCHAR), lines), recorded_at = ?"
                + " WHERE shop = ? AND order_id = ? AND updated_at < ?";
        Object[] updateArgs = {profileId, o.source(), str(o.orderNumber()), status, str(o.currency()), num(o.total()),
                num(totalBase), o.updatedAt(), ts(o.cancelledAt()), o.createdAt(), o.createdAt(), str(lines), now,
                o.shop(), o.orderId(), o.updatedAt()};
        for (int attempt = 0; attempt < 2; attempt++) {
            if (update(update, updateArgs) == 1) {
                return Applied.UPDATED;
            }
            int inserted = update("INSERT INTO ecom_order (shop, order_id, profile_id, source, order_number, status, currency, total,"
                            + " total_base, created_at, updated_at, cancelled_at, lines, recorded_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    o.shop(), o.orderId(), profileId, o.source(), str(o.orderNumber()), status,
                    o.currency() == null ? "XXX" : o.currency(), o.total() == null ? BigDecimal.ZERO : o.total(),
                    totalBase == null ? BigDecimal.ZERO : totalBase, o.createdAt(), o.updatedAt(), ts(o.cancelledAt()),
                    str(lines), now);
            if (inserted == 1) {
                return Applied.NEW;
            }
        }
        // a version at least as new is stored: only an earlier creation time is worth keeping
        update("UPDATE ecom_order SET created_at = ? WHERE shop = ? AND order_id = ? AND created_at > ?",
                o.createdAt(), o.shop(), o.orderId(), o.createdAt());
        return Applied.STALE;
    }

    public Optional<StoredOrder> order(String shop, String orderId) {
        List<StoredOrder> l = jdbc.query("SELECT * FROM ecom_order WHERE shop = ? AND order_id = ?",
                ps -> bind(ps, shop, orderId), (rs, n) -> order(rs));
        return l.stream().findFirst();
    }

    /** Records a refund; false when that refund id was recorded before. */
    public boolean applyRefund(EcomEvent.Refund r, String currency, BigDecimal amountBase, Instant now) {
        return update("INSERT INTO ecom_refund (shop, refund_id, order_id, amount, amount_base, currency, created_at, recorded_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                r.shop(), r.refundId(), r.orderId(), r.amount(), amountBase, currency, r.createdAt(), now) == 1;
    }

    public List<StoredRefund> refunds(String shop, String orderId) {
        return jdbc.query("SELECT * FROM ecom_refund WHERE shop = ? AND order_id = ? ORDER BY created_at, refund_id",
                ps -> bind(ps, shop, orderId), (rs, n) -> new StoredRefund(rs.getString("shop"), rs.getString("refund_id"),
                        rs.getString("order_id"), rs.getBigDecimal("amount"), rs.getBigDecimal("amount_base"),
                        rs.getString("currency"), instant(rs, "created_at")));
    }

    /** The profile and every profile merged into it (transitively): whose orders are the person's. */
    public List<UUID> family(UUID profileId) {
        List<UUID> all = new ArrayList<>(List.of(profileId));
        List<UUID> frontier = List.of(profileId);
        while (!frontier.isEmpty()) {
            Object[] args = frontier.toArray();
            List<UUID> next = jdbc.query("SELECT id FROM profile WHERE status = 'MERGED' AND merged_into IN (" + marks(args.length) + ")",
                    ps -> bind(ps, args), (rs, n) -> rs.getObject("id", UUID.class));
            next.removeAll(all);
            all.addAll(next);
            frontier = next;
        }
        return all;
    }

    /**
     * The profile and every profile ever merged into it, whatever their status now (after an erasure
     * they are all ERASED; the merge links stay).
     */
    public List<UUID> erasedFamily(UUID profileId) {
        List<UUID> all = new ArrayList<>(List.of(profileId));
        List<UUID> frontier = List.of(profileId);
        while (!frontier.isEmpty()) {
            Object[] args = frontier.toArray();
            List<UUID> next = jdbc.query("SELECT id FROM profile WHERE merged_into IN (" + marks(args.length) + ")",
                    ps -> bind(ps, args), (rs, n) -> rs.getObject("id", UUID.class));
            next.removeAll(all);
            all.addAll(next);
            frontier = next;
        }
        return all;
    }

    /** Locks the profile row until the end of the caller's transaction (serialises work per person). */
    public void lockProfile(UUID profileId) {
        jdbc.query("SELECT id FROM profile WHERE id = ? FOR UPDATE", ps -> bind(ps, profileId), (rs, n) -> rs.getObject(1));
    }

    /** Orders of these profiles with their refunds, as the metrics need them. */
    public List<OrderMetrics.OrderFacts> facts(List<UUID> profileIds) {
        if (profileIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("SELECT o.order_id, o.created_at, o.status, o.total_base, o.lines,"
                        + " (SELECT SUM(r.amount_base) FROM ecom_refund r WHERE r.shop = o.shop AND r.order_id = o.order_id) AS refunded"
                        + " FROM ecom_order o WHERE o.profile_id IN (" + marks(profileIds.size()) + ")",
                ps -> bind(ps, profileIds.toArray()),
                (rs, n) -> new OrderMetrics.OrderFacts(rs.getString("order_id"), instant(rs, "created_at"),
                        "CANCELLED".equals(rs.getString("status")), rs.getBigDecimal("total_base"),
                        rs.getBigDecimal("refunded"), lines(rs.getString("lines"))));
    }

    public int orderCount(List<UUID> profileIds) {
        if (profileIds.isEmpty()) {
            return 0;
        }
        Integer n = jdbc.query("SELECT COUNT(*) FROM ecom_order WHERE profile_id IN (" + marks(profileIds.size()) + ")",
                ps -> bind(ps, profileIds.toArray()), rs -> rs.next() ? rs.getInt(1) : 0);
        return n == null ? 0 : n;
    }

    // --- promotion state ---------------------------------------------------------------------

    public Optional<PromotionState> promotionState(UUID profileId) {
        return jdbc.query("SELECT * FROM ecom_promotion_state WHERE profile_id = ?", ps -> bind(ps, profileId),
                (rs, n) -> promotion(rs)).stream().findFirst();
    }

    /** Stores the profile's promotion state; true (and a new version to publish) when the fingerprint changed. */
    public boolean putPromotionState(UUID profileId, String fingerprint, String payload, Instant now) {
        if (update("UPDATE ecom_promotion_state SET fingerprint = ?, payload = ?, version = version + 1, pending = TRUE, updated_at = ?"
                + " WHERE profile_id = ? AND fingerprint <> ?", fingerprint, payload, now, profileId, fingerprint) == 1) {
            return true;
        }
        return update("INSERT INTO ecom_promotion_state (profile_id, fingerprint, payload, version, published_version, pending, updated_at)"
                + " VALUES (?, ?, ?, 1, 0, TRUE, ?) ON CONFLICT DO NOTHING", profileId, fingerprint, payload, now) == 1;
    }

    public List<PromotionState> unpublished(int limit) {
        return jdbc.query("SELECT * FROM ecom_promotion_state WHERE pending = TRUE ORDER BY updated_at LIMIT ?",
                ps -> bind(ps, limit), (rs, n) -> promotion(rs));
    }

    public void markPublished(UUID profileId, long version) {
        update("UPDATE ecom_promotion_state SET published_version = ?, pending = (version > ?) WHERE profile_id = ? AND published_version < ?",
                version, version, profileId, version);
    }

    // --- erasure -----------------------------------------------------------------------------

    /** Removes the e-commerce data of these profiles (their orders, those orders' refunds, promotion state). */
    public Map<String, Integer> erase(List<UUID> profileIds) {
        Map<String, Integer> removed = new LinkedHashMap<>();
        if (profileIds.isEmpty()) {
            return removed;
        }
        String in = " IN (" + marks(profileIds.size()) + ")";
        Object[] ids = profileIds.toArray();
        removed.put("ecom_refund", update("DELETE FROM ecom_refund r WHERE EXISTS (SELECT 1 FROM ecom_order o"
                + " WHERE o.shop = r.shop AND o.order_id = r.order_id AND o.profile_id" + in + ")", ids));
        removed.put("ecom_order", update("DELETE FROM ecom_order WHERE profile_id" + in, ids));
        removed.put("ecom_promotion_state", update("DELETE FROM ecom_promotion_state WHERE profile_id" + in, ids));
        return removed;
    }

    // --- helpers -----------------------------------------------------------------------------

    private StoredOrder order(ResultSet rs) throws SQLException {
        return new StoredOrder(rs.getString("shop"), rs.getString("order_id"), rs.getObject("profile_id", UUID.class),
                rs.getString("source"), rs.getString("order_number"), rs.getString("status"), rs.getString("currency"),
                rs.getBigDecimal("total"), rs.getBigDecimal("total_base"), instant(rs, "created_at"), instant(rs, "updated_at"),
                instant(rs, "cancelled_at"));
    }

    private static PromotionState promotion(ResultSet rs) throws SQLException {
        return new PromotionState(rs.getObject("profile_id", UUID.class), rs.getString("fingerprint"), rs.getString("payload"),
                rs.getLong("version"), rs.getLong("published_version"), instant(rs, "updated_at"));
    }

    private List<EcomEvent.Line> lines(String s) {
        if (s == null) {
            return List.of();
        }
        try {
            return json.readValue(s, LINES);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable order lines: " + e.getMessage(), e);
        }
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private int update(String sql, Object... args) {
        return jdbc.update(sql, ps -> bind(ps, args));
    }

    /** Typed NULL markers so PostgreSQL knows the parameter type. */
    private record Null(int sqlType) {
    }

    private static Object str(String s) {
        return s == null ? new Null(Types.VARCHAR) : s;
    }

    private static Object num(BigDecimal d) {
        return d == null ? new Null(Types.NUMERIC) : d;
    }

    private static Object ts(Instant t) {
        return t == null ? new Null(Types.TIMESTAMP_WITH_TIMEZONE) : t;
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            int p = i + 1;
            if (a == null) {
                ps.setNull(p, Types.VARCHAR);
            } else if (a instanceof Null n) {
                ps.setNull(p, n.sqlType());
            } else if (a instanceof Instant t) {
                ps.setObject(p, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
            } else if (a instanceof UUID u) {
                ps.setObject(p, u);
            } else if (a instanceof BigDecimal d) {
                ps.setBigDecimal(p, d);
            } else if (a instanceof Long l) {
                ps.setLong(p, l);
            } else if (a instanceof Integer n) {
                ps.setInt(p, n);
            } else {
                ps.setString(p, a.toString());
            }
        }
    }

}
