package io.crmhub.connectors.lists;

/** Counters of one import run (or of one chunk, added to the run's when the chunk commits). */
public final class ImportCounters {
    public long rows;
    public long inserted;
    public long updated;
    public long merged;
    public long alreadyMembers;
    public long duplicatesInFile;
    public long suppressed;
    public long rejected;
    public long valuesDropped;
    /** Rows with an identity the CRM left with another person (not linked to the row's). */
    public long identitiesNotLinked;

    public ImportCounters add(ImportCounters o) {
        rows += o.rows;
        inserted += o.inserted;
        updated += o.updated;
        merged += o.merged;
        alreadyMembers += o.alreadyMembers;
        duplicatesInFile += o.duplicatesInFile;
        suppressed += o.suppressed;
        rejected += o.rejected;
        valuesDropped += o.valuesDropped;
        identitiesNotLinked += o.identitiesNotLinked;
        return this;
    }

    public ImportCounters copy() {
        return new ImportCounters().add(this);
    }
}
