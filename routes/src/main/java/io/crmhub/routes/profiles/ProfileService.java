package io.crmhub.routes.profiles;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormalisedRecord;
import io.crmhub.mappings.normalise.RecordNormaliser;

/**
 * The one way records enter the CRM core: normalise (strictly for the API, leniently for bulk
 * channels), then resolve identities and upsert through the store. Every channel flow uses this.
 */
public class ProfileService {

    private final CrmStore store;
    private final RecordNormaliser strict;
    private final RecordNormaliser lenient;

    public ProfileService(CrmStore store, RecordNormaliser strict, RecordNormaliser lenient) {
        this.store = store;
        this.strict = strict;
        this.lenient = lenient;
    }

    /** Upsert where any invalid field rejects the whole record (API callers can fix and resend). */
    public CrmStore.UpsertResult upsertStrict(ProfileRecord raw) {
        return store.upsert(strict.normalise(raw).record());
    }

    /**
     * Upsert that drops invalid fields and keeps the record while one valid identity remains;
     * the dropped fields are returned with the result so a flow can report them.
     */
    public Upserted upsertLenient(ProfileRecord raw) {
        NormalisedRecord n = lenient.normalise(raw);
        return new Upserted(store.upsert(n.record()), n);
    }

    public CrmStore store() {
        return store;
    }

    public RecordNormaliser strictNormaliser() {
        return strict;
    }

    public record Upserted(CrmStore.UpsertResult result, NormalisedRecord normalised) {
    }
}
