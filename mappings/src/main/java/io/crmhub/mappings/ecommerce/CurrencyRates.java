package io.crmhub.mappings.ecommerce;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts order amounts into the base currency with a configured table: {@code rates.get(X)} is the
 * number of base-currency units one unit of X is worth (the base currency itself is 1).
 */
public final class CurrencyRates {

    private final String base;
    private final Map<String, BigDecimal> rates = new TreeMap<>();

    public CurrencyRates(String base, Map<String, BigDecimal> rates) {
        if (base == null || base.isBlank()) {
            throw new IllegalArgumentException("base currency is required");
        }
        this.base = base.trim().toUpperCase(Locale.ROOT);
        if (rates != null) {
            rates.forEach((k, v) -> {
                if (v == null || v.signum() <= 0) {
                    throw new IllegalArgumentException("rate of " + k + " must be positive, got " + v);
                }
                this.rates.put(k.trim().toUpperCase(Locale.ROOT), v);
            });
        }
        this.rates.put(this.base, BigDecimal.ONE);
    }

    public String base() {
        return base;
    }

    public boolean knows(String currency) {
        return currency != null && rates.containsKey(currency.trim().toUpperCase(Locale.ROOT));
    }

    /** The amount in the base currency (4 decimals); unknown currencies are bad input. */
    public BigDecimal toBase(BigDecimal amount, String currency) {
        if (amount == null) {
            return null;
        }
        BigDecimal rate = currency == null ? null : rates.get(currency.trim().toUpperCase(Locale.ROOT));
        if (rate == null) {
            throw new IllegalArgumentException("no exchange rate for currency '" + currency + "' (hub.ecommerce.currency-rates knows "
                    + rates.keySet() + ")");
        }
        return amount.multiply(rate).setScale(4, RoundingMode.HALF_EVEN);
    }
}
