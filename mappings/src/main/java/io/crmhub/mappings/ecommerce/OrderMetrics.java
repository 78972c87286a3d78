package io.crmhub.mappings.ecommerce;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The profile's purchase figures from all its orders: lifetime value in the base currency (order
 * totals less refunds, cancelled orders excluded), order count, average order value, first and last
 * order, RFM scores and segment, favourite categories. Written as computed fields named
 * {@code ecommerce.*}.
 */
public final class OrderMetrics {

    public static final String LTV = "ecommerce.ltv";
    public static final String CURRENCY = "ecommerce.currency";
    public static final String ORDER_COUNT = "ecommerce.orderCount";
    public static final String AOV = "ecommerce.averageOrderValue";
    public static final String REFUNDED = "ecommerce.refunded";
    public static final String FIRST_ORDER = "ecommerce.firstOrderAt";
    public static final String LAST_ORDER = "ecommerce.lastOrderAt";
    public static final String RECENCY = "ecommerce.rfm.recency";
    public static final String FREQUENCY = "ecommerce.rfm.frequency";
    public static final String MONETARY = "ecommerce.rfm.monetary";
    public static final String RFM = "ecommerce.rfm";
    public static final String SEGMENT = "ecommerce.segment";
    public static final String CATEGORIES = "ecommerce.favouriteCategories";
    public static final List<String> FIELDS = List.of(LTV, CURRENCY, ORDER_COUNT, AOV, REFUNDED, FIRST_ORDER, LAST_ORDER,
            RECENCY, FREQUENCY, MONETARY, RFM, SEGMENT, CATEGORIES);

    public static final String NO_PURCHASE = "No Purchase";

    /** One order as the metrics see it: amounts in the base currency, lines for the categories. */
    public record OrderFacts(String orderId, Instant createdAt, boolean cancelled, BigDecimal totalBase,
                             BigDecimal refundedBase, List<EcomEvent.Line> lines) {
        BigDecimal net() {
            BigDecimal r = refundedBase == null ? BigDecimal.ZERO : refundedBase;
            BigDecimal n = totalBase.subtract(r);
            return n.signum() < 0 ? BigDecimal.ZERO : n;
        }

        boolean counts() {
            return !cancelled && net().signum() > 0;
        }
    }

    /**
     * Score thresholds, ascending. Recency in days since the last order: at most {@code recencyDays[0]}
     * scores 5, at most [1] 4 … more than the last 1. Frequency (orders) and monetary (LTV): at least
     * {@code x[3]} scores 5, at least [2] 4, [1] 3, [0] 2, less 1.
     */
    public record RfmSettings(int[] recencyDays, int[] frequency, BigDecimal[] monetary, int favouriteCategories) {
        public RfmSettings {
            if (recencyDays.length != 4 || frequency.length != 4 || monetary.length != 4) {
                throw new IllegalArgumentException("RFM thresholds need exactly 4 ascending values each");
            }
        }

        public static RfmSettings defaults() {
            return new RfmSettings(new int[]{30, 90, 180, 365}, new int[]{2, 3, 5, 8},
                    new BigDecimal[]{new BigDecimal("100"), new BigDecimal("250"), new BigDecimal("500"), new BigDecimal("1000")}, 3);
        }
    }

    private final RfmSettings rfm;
    private final String baseCurrency;

    public OrderMetrics(RfmSettings rfm, String baseCurrency) {
        this.rfm = rfm == null ? RfmSettings.defaults() : rfm;
        this.baseCurrency = baseCurrency;
    }

    /** The computed fields for these orders as of {@code now}; fields that do not apply are null (removed). */
    public Map<String, String> compute(List<OrderFacts> orders, Instant now) {
        Map<String, String> out = new LinkedHashMap<>();
        FIELDS.forEach(f -> out.put(f, null));
        BigDecimal ltv = BigDecimal.ZERO;
        BigDecimal refunded = BigDecimal.ZERO;
        int count = 0;
        Instant first = null;
        Instant last = null;
        Map<String, Integer> categories = new TreeMap<>();
        for (OrderFacts o : orders) {
            if (!o.cancelled() && o.refundedBase() != null) {
                refunded = refunded.add(o.refundedBase());
            }
            if (!o.counts()) {
                continue;
            }
            count++;
            ltv = ltv.add(o.net());
            first = first == null || o.createdAt().isBefore(first) ? o.createdAt() : first;
            last = last == null || o.createdAt().isAfter(last) ? o.createdAt() : last;
            for (EcomEvent.Line l : o.lines() == null ? List.<EcomEvent.Line>of() : o.lines()) {
                if (l.category() != null && !l.category().isBlank()) {
                    categories.merge(l.category().trim(), Math.max(1, l.quantity()), Integer::sum);
                }
            }
        }
        out.put(LTV, money(ltv));
        out.put(CURRENCY, baseCurrency);
        out.put(ORDER_COUNT, Integer.toString(count));
        out.put(REFUNDED, money(refunded));
        if (count == 0) {
            out.put(SEGMENT, NO_PURCHASE);
            return out;
        }
        out.put(AOV, money(ltv.divide(BigDecimal.valueOf(count), 2, RoundingMode.HALF_EVEN)));
        out.put(FIRST_ORDER, first.toString());
        out.put(LAST_ORDER, last.toString());
        long days = Math.max(0, Duration.between(last, now).toDays());
        int r = recencyScore(days);
        int f = ascendingScore(count, rfm.frequency());
        int m = monetaryScore(ltv);
        out.put(RECENCY, Integer.toString(r));
        out.put(FREQUENCY, Integer.toString(f));
        out.put(MONETARY, Integer.toString(m));
        out.put(RFM, "" + r + f + m);
        out.put(SEGMENT, segment(r, f, m));
        List<Map.Entry<String, Integer>> top = new ArrayList<>(categories.entrySet());
        top.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        List<String> fav = top.stream().limit(rfm.favouriteCategories()).map(Map.Entry::getKey).toList();
        out.put(CATEGORIES, fav.isEmpty() ? null : String.join(",", fav));
        return out;
    }

    int recencyScore(long days) {
        int[] t = rfm.recencyDays();
        for (int i = 0; i < t.length; i++) {
            if (days <= t[i]) {
                return 5 - i;
            }
        }
        return 1;
    }

    static int ascendingScore(long value, int[] t) {
        for (int i = t.length - 1; i >= 0; i--) {
            if (value >= t[i]) {
                return i + 2;
            }
        }
        return 1;
    }

    int monetaryScore(BigDecimal ltv) {
        BigDecimal[] t = rfm.monetary();
        for (int i = t.length - 1; i >= 0; i--) {
            if (ltv.compareTo(t[i]) >= 0) {
                return i + 2;
            }
        }
        return 1;
    }

    /** The RFM segment, first match: see docs/flows/ecommerce.md. */
    public static String segment(int r, int f, int m) {
        if (r >= 4 && f >= 4 && m >= 4) return "Champions";
        if (r >= 3 && f >= 4) return "Loyal";
        if (r >= 4 && f >= 2) return "Potential Loyalist";
        if (r >= 4) return "New Customer";
        if (r <= 2 && f >= 4) return "Cannot Lose Them";
        if (r <= 2 && f >= 2) return "At Risk";
        if (r <= 2) return "Hibernating";
        return "Needs Attention";
    }

    private static String money(BigDecimal v) {
        return v.setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }
}
