package io.crmhub.connectors.crm;

import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.MemberType;
import io.crmhub.mappings.model.ProfileRecord;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The CRM core store: profiles, identities, attributes with provenance, consent history,
 * interactions, lists, campaigns, the merge journal, the quarantine and the outbox of changes.
 * <p>
 * Every method is one transaction. Every change writes its outbox row in that same transaction.
 * Records given to {@link #upsert} must be normalised already (see
 * {@code io.crmhub.mappings.normalise.RecordNormaliser}).
 */
public interface CrmStore {

    /** Resolves the record's identities to exactly one profile (create, update or merge) and applies it. */
    UpsertResult upsert(ProfileRecord record);

    /**
     * Upserts many records, in order, with one outcome per record (same index). An implementation
     * may apply them in one transaction (fewer commits); a record that fails (bad input, erased
     * identity ...) yields its error without failing the others. Records later in the list see
     * the effect of earlier ones.
     */
    default List<BatchItem> upsertAll(List<ProfileRecord> records) {
        List<BatchItem> out = new java.util.ArrayList<>(records.size());
        for (ProfileRecord r : records) {
            try {
                out.add(new BatchItem(upsert(r), null));
            } catch (RuntimeException e) {
                out.add(new BatchItem(null, e));
            }
        }
        return out;
    }

    /**
     * As {@link #upsertAll(List)}, inside a transaction the caller holds, but the outbox events are
     * not written: they are added to {@code events} in order, as rows {@code (profileId, eventType,
     * payloadJson, createdAt)}, for the caller to write with its own events in the same transaction
     * (so that one profile's events can share an outbox row, {@link OutboxRows#byProfile}). Events of
     * a part that was rolled back and retried are not in it; when the call fails, nothing is added.
     */
    default List<BatchItem> upsertAll(List<ProfileRecord> records, List<Object[]> events) {
        throw new UnsupportedOperationException("deferred outbox events");
    }

    /** The 360° view. A merged-away id answers with the survivor's view. */
    Optional<CustomerProfile> find(UUID profileId, int latestInteractions);

    /** The profile that owns this (normalised) identity. */
    Optional<UUID> lookup(Identity identity);

    /** Timeline, newest first, strictly before {@code before} when given. */
    List<CustomerProfile.StoredInteraction> timeline(UUID profileId, Instant before, int limit);

    /**
     * Records an interaction on the timeline. Idempotent on (source, externalId) when the
     * interaction has an external id: returns false when it was already recorded.
     */
    boolean addInteraction(UUID profileId, Interaction interaction);

    /** Applies a consent statement through the consent rules; returns the effective consent afterwards. */
    ConsentChange setConsent(UUID profileId, Consent consent);

    /** Undoes a merge into {@code survivorId}: the given merged profile, or the latest one when null. */
    UnmergeResult unmerge(UUID survivorId, UUID mergedProfileId);

    /** GDPR erasure: PII removed from every table, a tombstone of hashed identities kept. */
    ErasureReport erase(UUID profileId, String requestedBy);

    // --- quarantine -------------------------------------------------------------------------

    long quarantine(QuarantineEntry entry);

    /**
     * As {@link #quarantine(QuarantineEntry)}, but the entry is the same one as long as it is OPEN for the same
     * {@code key} on the same route and endpoint, whatever its payload (an event sent again with its messageId and a
     * new receipt time is one entry, its attempts counted). A null key: the payload decides, as the other method.
     */
    long quarantine(QuarantineEntry entry, String key);

    List<QuarantineEntry> quarantined(String status, int limit);

    Optional<QuarantineEntry> quarantined(long id);

    void markQuarantine(long id, String status);

    // --- outbox -----------------------------------------------------------------------------

    /**
     * Unsent outbox events in commit order (row id order, then their order within a row), oldest
     * first, from at most {@code limit} rows.
     */
    List<OutboxEvent> pendingOutbox(int limit);

    void markSent(List<Long> outboxIds);

    /**
     * Deletes up to {@code limit} outbox rows that were sent before {@code sentBefore}, oldest
     * first, and returns how many; unsent rows are never touched.
     */
    int purgeSentOutbox(Instant sentBefore, int limit);

    // --- cluster leases ---------------------------------------------------------------------

    /** Takes or renews the named lease for {@code owner}; false when another live owner holds it. */
    boolean acquireLease(String name, String owner, java.time.Duration ttl);

    void releaseLease(String name, String owner);

    // --- lists, campaigns, computed fields (for the channel flows) --------------------------

    /**
     * Gets or creates the marketing list of that name.
     *
     * @throws IllegalArgumentException when a list of that name exists with another member type
     */
    MarketingList createList(String name, MemberType memberType);

    Optional<MarketingList> findList(String name);

    /**
     * Puts the profile (or the profile it was merged into) on the list. Suppression is sticky: an
     * existing member is marked suppressed when {@code suppressed}, never un-suppressed here.
     *
     * @return true when the profile was not on the list before
     */
    boolean addListMember(long listId, UUID profileId, boolean suppressed, String source);

    /** Gets the campaign by code, creating it with {@code name} and {@code channel} when new. */
    Campaign campaign(String code, String name, String channel);

    /** Records a response (open, click, conversion ...); false when that exact response was recorded already. */
    boolean addCampaignResponse(long campaignId, UUID profileId, String type, Instant at, String source);

    /** Sets computed fields of the profile; a null value removes the field. True when anything changed. */
    boolean putComputed(UUID profileId, Map<String, String> values);

    /**
     * Sets computed fields of many profiles in one transaction (a null value removes the field). Unlike
     * {@link #putComputed}, a profile that is no longer active (merged, erased, missing) is skipped, not
     * followed to its survivor. Returns the profiles whose fields changed.
     */
    java.util.Set<UUID> putComputedAll(Map<UUID, Map<String, String>> values);

    /** Result of {@link #upsert}. */
    record UpsertResult(UUID profileId, Outcome outcome, List<UUID> mergedProfiles,
                        List<Identity> identitiesNotLinked) {
        public enum Outcome { CREATED, UPDATED, MERGED, UNCHANGED }
    }

    /** Outcome of one record of {@link #upsertAll}: a result, or the error that record met. */
    record BatchItem(UpsertResult result, RuntimeException error) {
        public boolean ok() {
            return error == null;
        }
    }

    record ConsentChange(Channel channel, Consent effective, boolean changed) {
    }

    record UnmergeResult(UUID survivorId, UUID restoredProfileId, long mergeId) {
    }

    /** What erasure removed, by table, and the number of identity hashes kept as tombstone. */
    record ErasureReport(UUID profileId, Map<String, Integer> removed, int tombstoneHashes, Instant erasedAt) {
    }

    /** A message that failed for good, kept with its reason for replay. */
    record QuarantineEntry(long id, String routeId, String source, String endpointUri, String payload,
                           Map<String, String> headers, String error, int attempts, Instant firstSeen,
                           Instant lastSeen, String status) {
    }

    /**
     * One event of the outbox: {@code id} is its row (what {@link #markSent} takes), {@code part} its
     * position in that row (a row can carry several events of one profile, see {@link OutboxRows}).
     */
    record OutboxEvent(long id, int part, UUID profileId, String eventType, String payload, Instant createdAt) {

        /** The event's de-duplication key: the row id, then {@code <row id>.<part>} for later events of a row. */
        public String key() {
            return part == 0 ? String.valueOf(id) : id + "." + part;
        }
    }

    record MarketingList(long id, String name, MemberType memberType, Instant createdAt) {
    }

    record Campaign(long id, String code, String name, String channel) {
    }
}
