package io.crmhub.connectors.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps PostgreSQL's planner statistics of the hub's own tables current while bulk work grows
 * them (a list import, a membership initial sync, a clickstream backlog): every {@code interval} it
 * looks at {@code pg_stat_user_tables} of the connection's schema and runs {@code ANALYZE} on each
 * table changed by more than {@value #MIN_CHANGES} rows plus {@value #FRACTION} of its size since
 * its last analyze.
 * <p>
 * Why: the hub's look-ups (identity keys, list members, engagement rows) are planned from those
 * statistics. A table that grew from nothing to millions of rows since it was last analyzed is
 * planned as if it were small — a probe by key becomes a scan of a whole list or index, and a
 * long import slows down the more it has imported (measured: 766 rows/s before an ANALYZE,
 * 5,400 rows/s right after it, one million rows into a list import on a server with autovacuum off).
 * autovacuum does the same job where it runs, but once a minute at most and not at all where it is
 * switched off; with it on, this keeper mostly finds nothing to do. On other databases (H2) it does
 * nothing.
 */
public final class StatisticsKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatisticsKeeper.class);

    /** Changes (inserted, updated, deleted rows) since the last analyze that always warrant one... */
    public static final long MIN_CHANGES = 10_000;
    /** ... plus this share of the table's live rows. */
    public static final double FRACTION = 0.2;

    private final DataSource dataSource;
    private final ScheduledExecutorService timer;
    private final AtomicLong analyzed = new AtomicLong();
    private volatile Boolean postgres;

    private StatisticsKeeper(DataSource dataSource, ScheduledExecutorService timer) {
        this.dataSource = dataSource;
        this.timer = timer;
    }

    /** A keeper that runs {@link #check()} every {@code interval} on a daemon thread of its own. */
    public static StatisticsKeeper start(DataSource dataSource, Duration interval) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crm-hub-statistics");
            t.setDaemon(true);
            return t;
        });
        StatisticsKeeper keeper = new StatisticsKeeper(dataSource, timer);
        long ms = Math.max(100, interval.toMillis());
        timer.scheduleWithFixedDelay(keeper::checkQuietly, ms, ms, TimeUnit.MILLISECONDS);
        return keeper;
    }

    /** A keeper without a timer of its own: the caller runs {@link #check()}. */
    public static StatisticsKeeper manual(DataSource dataSource) {
        return new StatisticsKeeper(dataSource, null);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException | SQLException e) {
            LOG.debug("statistics check failed (retried at the next round): {}", e.toString());
        }
    }

    /** Analyzes the tables of the current schema that changed enough; returns their names. */
    public List<String> check() throws SQLException {
        List<String> done = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            if (postgres == null) {
                postgres = DatabaseKind.isPostgres(c);
            }
            if (!postgres) {
                return done;
            }
            c.setAutoCommit(true);
            List<String[]> due = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT schemaname, relname, n_mod_since_analyze, n_live_tup"
                         + " FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                         + " AND n_mod_since_analyze >= " + MIN_CHANGES + " + " + FRACTION + " * GREATEST(n_live_tup, 0)"
                         + " ORDER BY n_mod_since_analyze DESC")) {
                while (rs.next()) {
                    due.add(new String[]{rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
            for (String[] t : due) {
                long start = System.nanoTime();
                try (Statement s = c.createStatement()) {
                    s.execute("ANALYZE " + quote(t[0]) + "." + quote(t[1]));
                }
                analyzed.incrementAndGet();
                done.add(t[1]);
                LOG.info("analyzed {} ({} rows changed since its last analyze, about {} live) in {} ms", t[1], t[2], t[3],
                        (System.nanoTime() - start) / 1_000_000);
            }
        }
        return done;
    }

    /** Tables analyzed so far. */
    public long analyzedCount() {
        return analyzed.get();
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** Stops the checks; a check that is running (an ANALYZE) is waited for, up to 30 s. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
                    LOG.warn("statistics check still running at close");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
