-- E-commerce flow (issue 5): orders, refunds, webhook receipts, promotion state.
-- Portable: PostgreSQL 15 and H2 2.x in PostgreSQL mode (see V1__core.sql for the conventions).
-- Every row that belongs to a person carries profile_id; erasure of a profile deletes them
-- (io.crmhub.connectors.ecommerce.EcommerceStore#erase, called in the erasure's transaction).

-- One row per order of a shop. updated_at is the version: an older version never overwrites a
-- newer one. Amounts in the order currency and in the base currency (hub.ecommerce.base-currency).
CREATE TABLE ecom_order (
    shop         VARCHAR                  NOT NULL,
    order_id     VARCHAR                  NOT NULL,
    profile_id   UUID                     NOT NULL,
    source       VARCHAR                  NOT NULL,
    order_number VARCHAR,
    status       VARCHAR                  NOT NULL,
    currency     VARCHAR                  NOT NULL,
    total        NUMERIC                  NOT NULL,
    total_base   NUMERIC                  NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    cancelled_at TIMESTAMP WITH TIME ZONE,
    lines        VARCHAR,
    recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT ecom_order_pk PRIMARY KEY (shop, order_id),
    CONSTRAINT ecom_order_status_ck CHECK (status IN ('OPEN', 'CANCELLED')),
    CONSTRAINT ecom_order_profile_fk FOREIGN KEY (profile_id) REFERENCES profile (id)
);
CREATE INDEX ecom_order_profile_ix ON ecom_order (profile_id);

-- Refunds by their own id (Shopify refund id, or the event's message id): a refund counts once,
-- whether it arrives as refunds/create, inside an orders/updated, or before its order.
CREATE TABLE ecom_refund (
    shop        VARCHAR                  NOT NULL,
    refund_id   VARCHAR                  NOT NULL,
    order_id    VARCHAR                  NOT NULL,
    amount      NUMERIC                  NOT NULL,
    amount_base NUMERIC                  NOT NULL,
    currency    VARCHAR                  NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT ecom_refund_pk PRIMARY KEY (shop, refund_id)
);
CREATE INDEX ecom_refund_order_ix ON ecom_refund (shop, order_id);

-- X-Shopify-Webhook-Id of every accepted webhook (Shopify retries up to 8 times over 4 hours);
-- purged after hub.ecommerce.shopify.dedup-retention.
CREATE TABLE ecom_webhook_receipt (
    webhook_id  VARCHAR                  NOT NULL,
    shop        VARCHAR                  NOT NULL,
    topic       VARCHAR                  NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT ecom_webhook_receipt_pk PRIMARY KEY (webhook_id)
);
CREATE INDEX ecom_webhook_receipt_received_ix ON ecom_webhook_receipt (received_at);

-- What was last computed for a profile's promotions (segment and offers) and whether that state has
-- been published to crm.promotions: pending (version > published_version) means "to publish".
CREATE TABLE ecom_promotion_state (
    profile_id        UUID                     NOT NULL,
    fingerprint       VARCHAR                  NOT NULL,
    payload           VARCHAR                  NOT NULL,
    version           BIGINT                   NOT NULL,
    published_version BIGINT                   NOT NULL DEFAULT 0,
    pending           BOOLEAN                  NOT NULL DEFAULT TRUE,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT ecom_promotion_state_pk PRIMARY KEY (profile_id),
    CONSTRAINT ecom_promotion_state_profile_fk FOREIGN KEY (profile_id) REFERENCES profile (id)
);
CREATE INDEX ecom_promotion_state_pending_ix ON ecom_promotion_state (pending, updated_at);
