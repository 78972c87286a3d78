package io.crmhub.connectors.lists;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The importer on the machine's PostgreSQL with several lanes: chunks committed in parallel, each
 * person's rows in one lane, and a run killed mid-file resumed with exact counts by an instance
 * configured differently.
 */
class ListImporterPostgresTest {

    static final String SCHEMA = "crmhub_lists_it";
    static final String URL = System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getProperty("crmhub.test.pg.user", "postgres");
    static final int PEOPLE = 3_000;
    static final int CHUNK = 50;

    static HikariDataSource ds;
    static JdbcTemplate jdbc;
    static CrmStore crm;

    @TempDir
    Path dir;

    @BeforeAll
    static void schema() throws Exception {
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(URL + "?currentSchema=" + SCHEMA);
        cfg.setUsername(USER);
        cfg.setPassword("");
        cfg.setMaximumPoolSize(8);
        ds = new HikariDataSource(cfg);
        Migrations.migrate(ds, SCHEMA);
        jdbc = new JdbcTemplate(ds);
        crm = JdbcCrmStore.withDefaults(ds);
    }

    @AfterAll
    static void close() throws Exception {
        ds.close();
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    ListImporter importer(CrmStore store, String owner, int workers) {
        return new ListImporter(store, new ListImportStore(ds), new RecordNormaliser(NormaliserSettings.defaults()),
                ColumnAliases.builtIn(), new ListImporter.Options(dir.resolve("inbox"), dir.resolve("outbox"), CHUNK,
                workers, Duration.ofMinutes(1), Duration.ofSeconds(1)), owner);
    }

    /**
     * {@link #PEOPLE} people; each one's second row (same e-mail in capitals, plus a phone) comes 70
     * rows later — in the next chunk of a file cut in file order, which commits at the same time.
     * The phones are {@code +4930<phones + i>}: each test its own, or a person would merge with another
     * test's.
     */
    Path drop(String name, String u, int phones) throws Exception {
        StringBuilder b = new StringBuilder("Email,First Name,Phone\n");
        for (int i = 0; i < PEOPLE + 70; i++) {
            if (i < PEOPLE) {
                b.append('p').append(i).append('.').append(u).append("@example.com,P").append(i).append(",\n");
            }
            if (i >= 70) {
                int j = i - 70;
                b.append('P').append(j).append('.').append(u.toUpperCase()).append("@EXAMPLE.COM,Again,+4930")
                        .append(phones + j).append('\n');
            }
            if (i % 500 == 7) {
                b.append("not-an-email-").append(i).append(",Bad,\n");
            }
        }
        Files.createDirectories(dir.resolve("inbox"));
        Path f = dir.resolve("inbox").resolve(name + ".csv");
        Files.writeString(f, b, StandardCharsets.UTF_8);
        return f;
    }

    static final long ROWS = 2L * PEOPLE + 7; // rows 7, 507, ... 3007 of the loop are invalid ones

    long count(String sql, Object... args) {
        return jdbc.queryForObject(sql, Long.class, args);
    }

    void assertExact(ListImportStore.Run run, String list, String u) {
        assertThat(run.status()).isEqualTo("DONE");
        assertThat(run.counters().rows).isEqualTo(ROWS);
        assertThat(run.counters().inserted).isEqualTo(PEOPLE);
        assertThat(run.counters().updated).isZero();
        assertThat(run.counters().duplicatesInFile).isEqualTo(PEOPLE);
        assertThat(run.counters().rejected).isEqualTo(7);
        long listId = count("SELECT id FROM marketing_list WHERE name = ?", list);
        assertThat(count("SELECT count(*) FROM list_member WHERE list_id = ?", listId)).isEqualTo(PEOPLE);
        assertThat(count("SELECT count(*) FROM interaction WHERE external_id LIKE ?", "list-import:" + run.id() + ":%"))
                .isEqualTo(PEOPLE);
        assertThat(count("SELECT count(DISTINCT profile_id) FROM identity WHERE \"value\" LIKE ?", "%." + u + "@example.com"))
                .as("one profile per person").isEqualTo(PEOPLE);
        assertThat(count("SELECT count(*) FROM identity i JOIN identity e ON e.profile_id = i.profile_id AND e.type = 'EMAIL'"
                + " WHERE i.type = 'PHONE' AND e.\"value\" LIKE ?", "%." + u + "@example.com"))
                .as("the second row's phone joined its person").isEqualTo(PEOPLE);
        assertThat(count("SELECT sum(row_count) FROM list_import_chunk WHERE import_id = ?", run.id())).isEqualTo(ROWS);
        assertThat(count("SELECT count(*) FROM list_import_chunk WHERE import_id = ?", run.id()))
                .as("each lane's last chunk may be short").isBetween((ROWS + CHUNK - 1) / CHUNK, (ROWS + CHUNK - 1) / CHUNK + 2);
    }

    @Test
    void aPersonsRowsStayInOneLaneSoParallelChunksNeverConflict() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        ListImporter importer = importer(crm, "a", 3);
        long id = importer.acceptDropped(drop("lanes-" + u, u, 2_000_000)).orElseThrow();
        assertThat(importer.store().find(id).orElseThrow().lanes()).isEqualTo(3);
        ListImportStore.Run run = importer.run(id);
        assertExact(run, "lanes-" + u, u);
        assertThat(importer.timings()).as("phases of the run").containsKey("upsertAll")
                .as("no chunk waited for a concurrent chunk of the same file").doesNotContainKey("chunk.conflictWait");
    }

    @Test
    void killedMidFileTheRunIsResumedInItsOwnLanesWithExactCounts() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        // dies (no clean-up, like kill -9) on the 40th chunk, while the other lanes have chunks in flight
        CrmStore dying = ListImporterTest.aroundUpsertAll(crm, call -> {
            if (call == 40) {
                throw new ThreadDeath();
            }
        }, call -> { });
        ListImporter first = importer(dying, "instance-1", 3);
        long id = first.acceptDropped(drop("killed-" + u, u, 3_000_000)).orElseThrow();
        assertThatThrownBy(() -> first.run(id)).isNotNull();
        ListImportStore.Run crashed = first.store().find(id).orElseThrow();
        assertThat(crashed.status()).isEqualTo("RUNNING");
        assertThat(crashed.rowsDone()).isBetween(1L, ROWS - 1);

        // another instance, configured with one worker: the run keeps its three lanes and its chunks
        ListImporter second = importer(crm, "instance-2", 1);
        java.time.Instant staleBefore = java.time.Instant.now().plusSeconds(1);
        assertThat(second.store().claim(id, "instance-2", staleBefore)).isTrue();
        ListImportStore.Run done = second.run(id);
        assertExact(done, "killed-" + u, u);
    }
}
