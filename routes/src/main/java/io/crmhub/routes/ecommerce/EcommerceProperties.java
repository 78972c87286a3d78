package io.crmhub.routes.ecommerce;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings of the e-commerce flow ({@code hub.ecommerce.*}). */
@ConfigurationProperties(prefix = "hub.ecommerce")
public class EcommerceProperties {

    /** Kafka topic of order events: webhooks are persisted here; shops may publish Segment-spec events directly. */
    private String ordersTopic = "hub.ecommerce.orders";
    /** Kafka topic the profile's promotion changes go to (key = profile id). */
    private String promotionsTopic = "crm.promotions";
    /** Currency lifetime values and RFM monetary thresholds are in. */
    private String baseCurrency = "EUR";
    /** Base-currency units per unit of each currency (the base currency is 1). */
    private Map<String, BigDecimal> currencyRates = new LinkedHashMap<>();
    /** Shop name for Segment-spec events that name none (properties.shop). */
    private String defaultShop = "shop";
    /** Rules file of the personalised promotions. */
    private String promotionsFile = "config/promotions.yml";
    /**
     * Consumers of the orders topic in this instance; the topic gets at least this many partitions
     * (each one a DB connection while busy: keep the pool larger).
     */
    private int consumers = 2;
    /** How often promotion changes are sent to Kafka (in rounds; also the catch-up after an outage). */
    private Duration publishInterval = Duration.ofSeconds(1);
    private Shopify shopify = new Shopify();
    private Rfm rfm = new Rfm();

    public static class Shopify {
        /** One entry per shop: its domain (X-Shopify-Shop-Domain) and the app's client secret for the HMAC. */
        private List<Shop> shops = new ArrayList<>();
        /** How long webhook ids are remembered to drop Shopify's retries (Shopify retries for 4 hours). */
        private Duration dedupRetention = Duration.ofHours(48);
        /** How long the webhook waits for Kafka to acknowledge before answering 503 (Shopify then retries). */
        private Duration publishTimeout = Duration.ofSeconds(3);

        public List<Shop> getShops() { return shops; }
        public void setShops(List<Shop> shops) { this.shops = shops; }
        public Duration getDedupRetention() { return dedupRetention; }
        public void setDedupRetention(Duration dedupRetention) { this.dedupRetention = dedupRetention; }
        public Duration getPublishTimeout() { return publishTimeout; }
        public void setPublishTimeout(Duration publishTimeout) { this.publishTimeout = publishTimeout; }
    }

    public static class Shop {
        /** e.g. acme.myshopify.com; also the namespace of its customer ids (ECOM_CUSTOMER_ID). */
        private String domain;
        /** The app's client secret (from the environment in production). */
        private String secret;

        public String getDomain() { return domain; }
        public void setDomain(String domain) { this.domain = domain; }
        public String getSecret() { return secret; }
        public void setSecret(String secret) { this.secret = secret; }
    }

    public static class Rfm {
        /** Days since the last order scoring recency 5, 4, 3, 2 (more: 1). */
        private List<Integer> recencyDays = List.of(30, 90, 180, 365);
        /** Orders needed for frequency 2, 3, 4, 5. */
        private List<Integer> frequency = List.of(2, 3, 5, 8);
        /** Lifetime value (base currency) needed for monetary 2, 3, 4, 5. */
        private List<BigDecimal> monetary = List.of(new BigDecimal("100"), new BigDecimal("250"), new BigDecimal("500"),
                new BigDecimal("1000"));
        /** How many favourite categories are kept. */
        private int favouriteCategories = 3;

        public List<Integer> getRecencyDays() { return recencyDays; }
        public void setRecencyDays(List<Integer> recencyDays) { this.recencyDays = recencyDays; }
        public List<Integer> getFrequency() { return frequency; }
        public void setFrequency(List<Integer> frequency) { this.frequency = frequency; }
        public List<BigDecimal> getMonetary() { return monetary; }
        public void setMonetary(List<BigDecimal> monetary) { this.monetary = monetary; }
        public int getFavouriteCategories() { return favouriteCategories; }
        public void setFavouriteCategories(int favouriteCategories) { this.favouriteCategories = favouriteCategories; }
    }

    public String getOrdersTopic() { return ordersTopic; }
    public void setOrdersTopic(String ordersTopic) { this.ordersTopic = ordersTopic; }
    public String getPromotionsTopic() { return promotionsTopic; }
    public void setPromotionsTopic(String promotionsTopic) { this.promotionsTopic = promotionsTopic; }
    public String getBaseCurrency() { return baseCurrency; }
    public void setBaseCurrency(String baseCurrency) { this.baseCurrency = baseCurrency; }
    public Map<String, BigDecimal> getCurrencyRates() { return currencyRates; }
    public void setCurrencyRates(Map<String, BigDecimal> currencyRates) { this.currencyRates = currencyRates; }
    public String getDefaultShop() { return defaultShop; }
    public void setDefaultShop(String defaultShop) { this.defaultShop = defaultShop; }
    public String getPromotionsFile() { return promotionsFile; }
    public void setPromotionsFile(String promotionsFile) { this.promotionsFile = promotionsFile; }
    public int getConsumers() { return consumers; }
    public void setConsumers(int consumers) { this.consumers = consumers; }
    public Duration getPublishInterval() { return publishInterval; }
    public void setPublishInterval(Duration publishInterval) { this.publishInterval = publishInterval; }
    public Shopify getShopify() { return shopify; }
    public void setShopify(Shopify shopify) { this.shopify = shopify; }
    public Rfm getRfm() { return rfm; }
    public void setRfm(Rfm rfm) { this.rfm = rfm; }
}
