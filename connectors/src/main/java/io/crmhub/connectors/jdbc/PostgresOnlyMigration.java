package io.crmhub.connectors.jdbc;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.Statement;

/**
 * A Flyway migration of statements only PostgreSQL has (storage parameters, partial indexes, views
 * over {@code unnest … WITH ORDINALITY}): run there, recorded as applied and skipped on H2, the
 * embedded default. Lives outside {@code db.migration} so that Flyway does not take it for a migration.
 */
public abstract class PostgresOnlyMigration extends BaseJavaMigration {

    /** The statements, run in order in the migration's transaction. */
    protected abstract String[] statements();

    @Override
    public final void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        if (!DatabaseKind.isPostgres(c)) {
            return;
        }
        try (Statement st = c.createStatement()) {
            for (String sql : statements()) {
                st.execute(sql);
            }
        }
    }
}
