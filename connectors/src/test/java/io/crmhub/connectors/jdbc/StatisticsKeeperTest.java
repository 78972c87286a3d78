package io.crmhub.connectors.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On the real PostgreSQL (with autovacuum off, as on the reference machine, or on): a table that
 * grew by more than the threshold since its last analyze is analyzed — its planner statistics then
 * know its size — and a table that did not is left alone.
 */
class StatisticsKeeperTest {

    static final String SCHEMA = "crmhub_statistics_it";
    static HikariDataSource ds;
    static JdbcTemplate sql;

    @BeforeAll
    static void setUp() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test"));
        cfg.setUsername("postgres");
        cfg.setMaximumPoolSize(2);
        ds = new HikariDataSource(cfg);
        sql = new JdbcTemplate(ds);
        sql.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        sql.execute("CREATE SCHEMA " + SCHEMA);
        ds.close();
        cfg = new HikariConfig();
        cfg.setJdbcUrl(System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test")
                + "?currentSchema=" + SCHEMA);
        cfg.setUsername("postgres");
        cfg.setMaximumPoolSize(2);
        ds = new HikariDataSource(cfg);
        sql = new JdbcTemplate(ds);
        sql.execute("CREATE TABLE grown (id BIGINT PRIMARY KEY, list_id BIGINT NOT NULL)");
        sql.execute("CREATE TABLE small (id BIGINT PRIMARY KEY)");
    }

    @AfterAll
    static void tearDown() {
        sql.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        ds.close();
    }

    private long plannedRows(String where) {
        String plan = sql.queryForList("EXPLAIN SELECT * FROM grown WHERE " + where, String.class).get(0);
        return Long.parseLong(plan.replaceAll(".*rows=(\\d+).*", "$1"));
    }

    @Test
    void analyzesWhatGrewAndLeavesTheRestAlone() throws Exception {
        sql.execute("INSERT INTO grown SELECT g, 1 FROM generate_series(1, 30000) g");
        sql.execute("INSERT INTO small SELECT g FROM generate_series(1, 100) g");
        StatisticsKeeper keeper = StatisticsKeeper.manual(ds);
        // the cumulative statistics reach pg_stat_user_tables within about a second
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (sql.queryForObject("SELECT COALESCE(SUM(n_mod_since_analyze), 0) FROM pg_stat_user_tables"
                + " WHERE schemaname = ? AND relname = 'grown'", Long.class, SCHEMA) < 30000 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(keeper.check()).containsExactly("grown");
        assertThat(plannedRows("list_id = 1")).as("the planner now knows the list has 30,000 rows").isGreaterThan(20000);
        assertThat(keeper.check()).as("nothing changed since").isEmpty();
        assertThat(keeper.analyzedCount()).isEqualTo(1);
    }

    @Test
    void doesNothingOnH2() throws Exception {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:mem:statistics;MODE=PostgreSQL");
        try (HikariDataSource h2 = new HikariDataSource(cfg)) {
            assertThat(StatisticsKeeper.manual(h2).check()).isEmpty();
        }
    }
}
