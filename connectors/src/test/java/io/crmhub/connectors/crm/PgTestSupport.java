package io.crmhub.connectors.crm;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * The real PostgreSQL of the machine (127.0.0.1:5432, database test, trust auth), in a schema of
 * the store's own that each test class drops and re-creates.
 */
final class PgTestSupport {

    static final String SCHEMA = "crmhub_store_it";
    static final String URL = System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getProperty("crmhub.test.pg.user", "postgres");

    private PgTestSupport() {
    }

    /** Drops and re-creates the schema, migrates it, and returns a pool bound to it. */
    static HikariDataSource freshSchema(int poolSize) throws Exception {
        try (Connection c = DriverManager.getConnection(URL, USER, "");
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
        HikariDataSource ds = pool(poolSize);
        Migrations.migrate(ds, SCHEMA);
        return ds;
    }

    /** A pool on the (already migrated) schema. */
    static HikariDataSource pool(int poolSize) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(URL + "?currentSchema=" + SCHEMA + "&reWriteBatchedInserts=true" + System.getProperty("crmhub.test.pg.extra", ""));
        cfg.setUsername(USER);
        cfg.setPassword("");
        cfg.setMaximumPoolSize(poolSize);
        cfg.setPoolName("crmhub-store-it");
        return new HikariDataSource(cfg);
    }

    static final String ALL_TABLES = "profile, identity, identity_sighting, consent, consent_history,"
            + " interaction, marketing_list, list_member, campaign, campaign_response, merge_journal, erasure_tombstone,"
            + " quarantine, outbox, hub_lease, profile_computed, camel_messageprocessed";
}
