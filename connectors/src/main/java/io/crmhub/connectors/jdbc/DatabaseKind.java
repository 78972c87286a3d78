package io.crmhub.connectors.jdbc;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Whether a store talks to PostgreSQL (set-based statements, arrays) or to H2 in PostgreSQL mode
 * (which answers "H2": the portable statements), asked once per store.
 */
public final class DatabaseKind {

    private final JdbcTemplate jdbc;
    private volatile Boolean postgres;

    public DatabaseKind(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public boolean isPostgres() {
        Boolean pg = postgres;
        if (pg == null) {
            pg = Boolean.TRUE.equals(jdbc.execute((ConnectionCallback<Boolean>) DatabaseKind::isPostgres));
            postgres = pg;
        }
        return pg;
    }

    public static boolean isPostgres(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres");
    }
}
