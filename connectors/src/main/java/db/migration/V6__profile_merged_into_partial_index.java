package db.migration;

import io.crmhub.connectors.jdbc.PostgresOnlyMigration;

/**
 * {@code profile.merged_into} is set only on merged profiles, yet its index had an entry for every
 * profile: one index insert (and WAL record) per new profile for nothing. On PostgreSQL the index
 * now covers only the merged ones ({@code WHERE merged_into IS NOT NULL}); every query by
 * {@code merged_into = …} or {@code IN (…)} implies that predicate and still uses it. Java rather
 * than SQL because H2 has no partial indexes (nothing to do there). Re-creating the index reads the
 * whole profile table once and blocks writes to it meanwhile.
 */
public class V6__profile_merged_into_partial_index extends PostgresOnlyMigration {

    @Override
    protected String[] statements() {
        return new String[]{
                "DROP INDEX profile_merged_into_ix",
                "CREATE INDEX profile_merged_into_ix ON profile (merged_into) WHERE merged_into IS NOT NULL"
        };
    }
}
