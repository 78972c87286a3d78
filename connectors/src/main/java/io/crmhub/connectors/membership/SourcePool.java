package io.crmhub.connectors.membership;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.util.Locale;

/** The connection pool the hub reads a membership database through. */
public final class SourcePool {

    private SourcePool() {
    }

    /**
     * A small pool whose sessions are read-only where the database can enforce it (PostgreSQL,
     * MariaDB/MySQL: the session's transactions are READ ONLY); for SQL Server give a login with
     * db_datareader only. The hub never writes to a membership database.
     * <p>
     * On PostgreSQL the sessions also plan without parallel workers: a page is a few thousand rows
     * fetched by key, and two workers started per page query cost more than they share (measured
     * on the membership bench's source: 71–77 ms per page of 5,000 serial against 77–94 ms with
     * two workers, on an idle server, and three processes busy instead of one).
     */
    public static HikariDataSource readOnly(String name, String url, String user, String password, int poolSize) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("membership source " + name + " needs a url");
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("membership-" + name);
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(Math.max(1, poolSize));
        cfg.setMinimumIdle(0);
        cfg.setReadOnly(true);
        cfg.setInitializationFailTimeout(-1); // a source that is down at start must not stop the hub
        cfg.setConnectionTimeout(10_000);
        String u = url.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:postgresql:")) {
            cfg.setConnectionInitSql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;"
                    + " SET max_parallel_workers_per_gather = 0");
        } else if (u.startsWith("jdbc:mariadb:") || u.startsWith("jdbc:mysql:")) {
            cfg.setConnectionInitSql("SET SESSION TRANSACTION READ ONLY");
        }
        return new HikariDataSource(cfg);
    }
}
