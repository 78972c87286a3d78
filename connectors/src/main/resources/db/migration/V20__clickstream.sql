-- Clickstream flow (issue 4). Portable: PostgreSQL 15 and H2 2.x in PostgreSQL mode.

-- De-duplication of events by messageId, shared by every hub instance. Rows older than the
-- configured retention (at least 24 hours) are purged.
CREATE TABLE click_message_seen (
    message_id VARCHAR                  NOT NULL,
    seen_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT click_message_seen_pk PRIMARY KEY (message_id)
);
CREATE INDEX click_message_seen_at_ix ON click_message_seen (seen_at);

-- Engagement per profile, folded in per micro-batch. projected = FALSE: changed since the last
-- projection into the profile's computed fields.
CREATE TABLE click_profile_stats (
    profile_id     UUID                     NOT NULL,
    events         BIGINT                   NOT NULL DEFAULT 0,
    page_views     BIGINT                   NOT NULL DEFAULT 0,
    sessions       BIGINT                   NOT NULL DEFAULT 0,
    ad_impressions BIGINT                   NOT NULL DEFAULT 0,
    ad_clicks      BIGINT                   NOT NULL DEFAULT 0,
    first_seen     TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen      TIMESTAMP WITH TIME ZONE NOT NULL,
    last_visit     TIMESTAMP WITH TIME ZONE,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    projected      BOOLEAN                  NOT NULL DEFAULT FALSE,
    CONSTRAINT click_profile_stats_pk PRIMARY KEY (profile_id),
    CONSTRAINT click_profile_stats_profile_fk FOREIGN KEY (profile_id) REFERENCES profile (id)
);
CREATE INDEX click_profile_stats_projected_ix ON click_profile_stats (projected, profile_id);

-- Interest per content category, decaying with time: score as of scored_at.
CREATE TABLE click_profile_interest (
    profile_id UUID                     NOT NULL,
    category   VARCHAR                  NOT NULL,
    score      DOUBLE PRECISION         NOT NULL,
    scored_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT click_profile_interest_pk PRIMARY KEY (profile_id, category),
    CONSTRAINT click_profile_interest_profile_fk FOREIGN KEY (profile_id) REFERENCES profile (id)
);
CREATE INDEX click_profile_interest_category_ix ON click_profile_interest (category);

-- Campaigns (CRM campaign table) that reached a profile.
CREATE TABLE click_profile_campaign (
    profile_id  UUID                     NOT NULL,
    campaign_id BIGINT                   NOT NULL,
    touches     BIGINT                   NOT NULL DEFAULT 0,
    impressions BIGINT                   NOT NULL DEFAULT 0,
    clicks      BIGINT                   NOT NULL DEFAULT 0,
    first_touch TIMESTAMP WITH TIME ZONE NOT NULL,
    last_touch  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT click_profile_campaign_pk PRIMARY KEY (profile_id, campaign_id),
    CONSTRAINT click_profile_campaign_profile_fk FOREIGN KEY (profile_id) REFERENCES profile (id),
    CONSTRAINT click_profile_campaign_campaign_fk FOREIGN KEY (campaign_id) REFERENCES campaign (id)
);
CREATE INDEX click_profile_campaign_campaign_ix ON click_profile_campaign (campaign_id);

-- Anonymous aggregates: every event counted per day and dimension (event, category, campaign),
-- without any person. Events of people who opted out of ads/personalisation are counted only here.
CREATE TABLE click_daily_aggregate (
    on_day    DATE    NOT NULL,
    dimension VARCHAR NOT NULL,
    dim_value VARCHAR NOT NULL,
    events    BIGINT  NOT NULL DEFAULT 0,
    CONSTRAINT click_daily_aggregate_pk PRIMARY KEY (on_day, dimension, dim_value)
);
