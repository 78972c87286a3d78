-- Membership databases sync (issue 7): per-source progress and per-member sync state.
-- Portable: runs unchanged on PostgreSQL 15 and on H2 2.x in PostgreSQL mode.

-- One row per configured source: the keyset watermark (last-change time + member id as
-- tie-break) the next incremental pass starts from (minus the look-back), and bookkeeping.
CREATE TABLE membership_source_state (
    source            VARCHAR                  NOT NULL,
    watermark_at      TIMESTAMP WITH TIME ZONE,
    watermark_id      VARCHAR,
    full_sync_done_at TIMESTAMP WITH TIME ZONE,
    last_pass_at      TIMESTAMP WITH TIME ZONE,
    last_reconcile_at TIMESTAMP WITH TIME ZONE,
    last_error        VARCHAR,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT membership_source_state_pk PRIMARY KEY (source)
);

-- What the hub last applied for each member of each source. fingerprint is a hash of what the
-- hub writes for the member (identities, attributes, tier, status): an unchanged member is
-- skipped. sync_state: SYNCED, QUARANTINED (bad row, see quarantine_id), DELETED (gone from the
-- source). Members whose person was erased in the CRM have no row (their state is dropped, the
-- core store's tombstone keeps them from being re-created); ERASED is reserved.
CREATE TABLE membership_member (
    source        VARCHAR                  NOT NULL,
    member_id     VARCHAR                  NOT NULL,
    profile_id    UUID,
    fingerprint   VARCHAR,
    tier          VARCHAR,
    status        VARCHAR,
    sync_state    VARCHAR                  NOT NULL,
    changed_at    TIMESTAMP WITH TIME ZONE,
    synced_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    problems      VARCHAR,
    quarantine_id BIGINT,
    CONSTRAINT membership_member_pk PRIMARY KEY (source, member_id),
    CONSTRAINT membership_member_state_ck CHECK (sync_state IN ('SYNCED', 'QUARANTINED', 'ERASED', 'DELETED'))
);
CREATE INDEX membership_member_profile_ix ON membership_member (profile_id);
CREATE INDEX membership_member_state_ix ON membership_member (source, sync_state);
