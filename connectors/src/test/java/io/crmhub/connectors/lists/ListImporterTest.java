package io.crmhub.connectors.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The importer on the embedded default (H2 in PostgreSQL mode, the same migrations): a whole run,
 * a run killed mid-file and resumed by another instance with exact counts, and a database outage
 * that pauses the run without rejecting rows.
 */
class ListImporterTest {

    @TempDir
    Path dir;
    HikariDataSource ds;
    FlakyDataSource flaky;
    CrmStore crm;
    JdbcTemplate jdbc;
    final ObjectMapper json = new ObjectMapper();

    /** A data source that refuses connections while {@link #down} is set (the database went away). */
    static final class FlakyDataSource extends DelegatingDataSource {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicInteger refused = new AtomicInteger();

        FlakyDataSource(javax.sql.DataSource target) {
            super(target);
        }

        /** The connection whose next commit goes through but whose answer is lost (connection dropped). */
        volatile Connection loseCommitAnswer;

        @Override
        public Connection getConnection() throws SQLException {
            if (down.get()) {
                refused.incrementAndGet();
                throw new SQLTransientConnectionException("connection refused (test outage)", "08001");
            }
            Connection real = super.getConnection();
            Connection[] self = new Connection[1];
            self[0] = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[]{Connection.class}, (proxy, m, args) -> {
                        Object out;
                        try {
                            out = m.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (m.getName().equals("commit") && loseCommitAnswer == self[0]) {
                            loseCommitAnswer = null;
                            throw new SQLException("connection lost after the commit (test)", "08006");
                        }
                        return out;
                    });
            return self[0];
        }
    }

    @BeforeEach
    void setUp() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:file:" + dir.resolve("crmhub").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        cfg.setUsername("sa");
        cfg.setPassword("");
        cfg.setMaximumPoolSize(4);
        ds = new HikariDataSource(cfg);
        Migrations.migrate(ds, null);
        flaky = new FlakyDataSource(ds);
        crm = JdbcCrmStore.withDefaults(flaky);
        jdbc = new JdbcTemplate(ds);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    /** The store, with hooks run before and after each {@code upsertAll} (given its call number, from 1). */
    static CrmStore aroundUpsertAll(CrmStore real, java.util.function.IntConsumer before,
                                    java.util.function.IntConsumer after) {
        AtomicInteger calls = new AtomicInteger();
        return (CrmStore) java.lang.reflect.Proxy.newProxyInstance(CrmStore.class.getClassLoader(),
                new Class<?>[]{CrmStore.class}, (proxy, m, args) -> {
                    boolean hooked = m.getName().equals("upsertAll");
                    int call = hooked ? calls.incrementAndGet() : 0;
                    if (hooked) {
                        before.accept(call);
                    }
                    Object out;
                    try {
                        out = m.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (hooked) {
                        after.accept(call);
                    }
                    return out;
                });
    }

    ListImporter importer(CrmStore store, String owner, int chunk) {
        return new ListImporter(store, new ListImportStore(flaky), new RecordNormaliser(NormaliserSettings.defaults()),
                ColumnAliases.builtIn(), new ListImporter.Options(dir.resolve("inbox"), dir.resolve("outbox"), chunk, 1,
                Duration.ofMinutes(1), Duration.ofSeconds(1)), owner);
    }

    /** 40 rows: 30 people, 5 duplicates, 3 invalid, 2 opted out already. */
    String csv() {
        StringBuilder b = new StringBuilder("Email,First Name,Phone\n");
        for (int i = 0; i < 30; i++) {
            b.append("p").append(i).append("@example.com,Person").append(i).append(",\n");
            if (i % 6 == 0) {
                b.append("P").append(i).append("@EXAMPLE.com,Dup,\n");
            }
            if (i % 10 == 0) {
                b.append("broken-").append(i).append(",Bad,\n");
            }
        }
        b.append("out1@example.com,Out,\nout2@example.com,Out,\n");
        return b.toString();
    }

    void seedOptedOut() {
        for (String e : List.of("out1@example.com", "out2@example.com")) {
            var id = crm.upsert(new ProfileRecord("crm", Instant.now(), List.of(Identity.of(IdentityType.EMAIL, e)),
                    Map.of(), List.of())).profileId();
            crm.setConsent(id, new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "email", Instant.now(), "x", false));
        }
    }

    Path drop(String name, String content) throws Exception {
        Files.createDirectories(dir.resolve("inbox"));
        Path f = dir.resolve("inbox").resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    long members(String list) {
        return jdbc.queryForObject("SELECT count(*) FROM list_member m JOIN marketing_list l ON l.id = m.list_id"
                + " WHERE l.name = ?", Long.class, list);
    }

    long listInteractions(long importId) {
        return jdbc.queryForObject("SELECT count(*) FROM interaction WHERE external_id LIKE ?", Long.class,
                "list-import:" + importId + ":%");
    }

    @Test
    void wholeRunOnH2() throws Exception {
        seedOptedOut();
        ListImporter importer = importer(crm, "a", 7);
        long id = importer.acceptDropped(drop("spring.csv", csv())).orElseThrow();
        ListImportStore.Run run = importer.run(id);
        assertThat(run.status()).isEqualTo("DONE");
        ImportCounters c = run.counters();
        assertThat(c.rows).isEqualTo(40);
        assertThat(c.inserted).isEqualTo(30);
        assertThat(c.updated).isEqualTo(2);
        assertThat(c.duplicatesInFile).isEqualTo(5);
        assertThat(c.rejected).isEqualTo(3);
        assertThat(c.suppressed).isEqualTo(2);
        assertThat(members("spring")).isEqualTo(32);
        assertThat(listInteractions(id)).isEqualTo(32);
        JsonNode report = json.readTree(dir.resolve("outbox/spring.report.json").toFile());
        assertThat(report.get("rows").asLong()).isEqualTo(40);
        List<String> errors = Files.readAllLines(dir.resolve("outbox/spring.errors.csv"));
        assertThat(errors).hasSize(4);
        assertThat(errors.get(1)).startsWith("4,Email,invalid email").endsWith("broken-0,Bad,");
        assertThat(dir.resolve("inbox/done/spring.csv")).exists();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_import_error", Long.class)).isZero();
    }

    @Test
    void realWorldExportsNotesAboveTheHeaderFooterLinesAndUnsubscribedMembers() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        // Salesforce report export with an e-mail that opted out and its footer lines
        long sf = importer.acceptDropped(drop("sf-leads.csv", "Notes: leads of the fair\n\n\"Lead ID\",\"Email\","
                + "\"Email Opt Out\"\n\"00Q1\",\"ann@example.com\",\"0\"\n\"00Q2\",\"bob@example.com\",\"1\"\n\n\n"
                + "\"Confidential Information - Do Not Distribute\"\n"
                + "\"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\"\n")).orElseThrow();
        ListImportStore.Run run = importer.run(sf);
        assertThat(run.status()).isEqualTo("DONE");
        assertThat(run.counters().inserted).isEqualTo(2);
        assertThat(run.counters().suppressed).isEqualTo(1);
        assertThat(run.counters().rejected).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM identity WHERE type = 'EXTERNAL_ID'", Long.class)).isEqualTo(2);
        JsonNode report = json.readTree(dir.resolve("outbox/sf-leads.report.json").toFile());
        assertThat(report.get("format").asText()).endsWith(", 1 lines above the header skipped");
        List<String> errors = Files.readAllLines(dir.resolve("outbox/sf-leads.errors.csv"));
        assertThat(errors.get(0)).endsWith("row,column,reason,Lead ID,Email,Email Opt Out");
        // row: the record's number in the file (blank lines are not records)
        assertThat(errors.get(1)).startsWith("5,,\"a line with one value in a file of 3 columns")
                .endsWith(",Confidential Information - Do Not Distribute,,");
        // Mailchimp's export of unsubscribed members: suppressed, with a dated opt-out
        long mc = importer.acceptDropped(drop("unsubscribed_members_export.csv", "Email Address,OPTIN_TIME,UNSUB_TIME\n"
                + "cy@example.com,2020-01-01 10:00:00,2024-02-02 12:00:00\n")).orElseThrow();
        assertThat(importer.run(mc).counters().suppressed).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT c.status FROM consent c JOIN identity i ON i.profile_id = c.profile_id"
                + " WHERE i.\"value\" = 'cy@example.com' AND c.channel = 'EMAIL'", String.class)).isEqualTo("OPT_OUT");
    }

    @Test
    void anOptOutReachesThePersonWhoOwnsTheEmailEvenWhenTheRowCannotBeLinkedOrIsRejected() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        long first = importer.acceptDropped(drop("messe.csv", "Customer ID,Email,Phone,Newsletter\n"
                + "K-1002,zora@example.com,,yes\nK-1003,jade@example.com,,yes\n")).orElseThrow();
        assertThat(importer.run(first).counters().inserted).isEqualTo(2);
        String consent = "SELECT c.status FROM consent c JOIN identity i ON i.profile_id = c.profile_id"
                + " WHERE i.\"value\" = ? AND c.channel = 'EMAIL'";
        assertThat(jdbc.queryForObject(consent, String.class, "zora@example.com")).isEqualTo("OPT_IN");
        // a later file for the same list: Zora under another customer number (her e-mail cannot be linked to a
        // second one), Jade with a phone that does not parse (the row is rejected) — both unsubscribed
        Files.writeString(Files.createDirectories(dir.resolve("inbox")).resolve("messe-2.list.yml"), "list: messe\n");
        long second = importer.acceptDropped(drop("messe-2.csv", "Customer ID,Email,Phone,Unsubscribed\n"
                + "K-1004,zora@example.com,,yes\nK-1003,jade@example.com,+33 6 12,yes\n")).orElseThrow();
        ListImportStore.Run run = importer.run(second);
        assertThat(run.status()).isEqualTo("DONE");
        assertThat(run.counters().rejected).isEqualTo(1);
        assertThat(run.counters().identitiesNotLinked).as("Zora's e-mail, held by her K-1002 profile").isEqualTo(1);
        // the K-1004 row's own (new) profile, added suppressed, and the two owners the opt-outs reached
        assertThat(run.counters().suppressed).as("members suppressed by this file").isEqualTo(3);
        assertThat(json.readTree(dir.resolve("outbox/messe-2.report.json").toFile()).get("identitiesNotLinked").asLong())
                .isEqualTo(1);
        assertThat(jdbc.queryForObject(consent, String.class, "zora@example.com")).isEqualTo("OPT_OUT");
        assertThat(jdbc.queryForObject(consent, String.class, "jade@example.com")).isEqualTo("OPT_OUT");
        assertThat(jdbc.queryForList("SELECT i.\"value\" FROM list_member m JOIN marketing_list l ON l.id = m.list_id"
                + " JOIN identity i ON i.profile_id = m.profile_id AND i.type = 'EMAIL' WHERE l.name = 'messe'"
                + " AND NOT m.suppressed", String.class)).as("mailable members").isEmpty();
    }

    @Test
    void aDryRunLooksItsKeysUpByIndexOnH2() {
        // a look-up that reads every key of the run per chunk made a 200,000-row dry run crawl at ~100 rows/s
        String plan = jdbc.queryForObject("EXPLAIN SELECT key_value FROM list_import_dry_key WHERE import_id = 1"
                + " AND key_value IN ('EMAIL::a@example.com', 'EMAIL::b@example.com')", String.class);
        assertThat(plan.replaceAll("\\s+", " ")).containsPattern("PRIMARY_KEY_\\w*: key_value IN\\(");
    }

    @Test
    void killedMidFileResumesElsewhereWithExactCounts() throws Exception {
        seedOptedOut();
        // reference: the same file imported without interruption
        ListImporter reference = importer(crm, "ref", 7);
        ListImportStore.Run ref = reference.run(reference.acceptDropped(drop("ref.csv", csv())).orElseThrow());

        // an instance that dies (like kill -9: no clean-up at all) on its third chunk
        CrmStore dying = aroundUpsertAll(crm, call -> {
            if (call == 3) {
                throw new ThreadDeath();
            }
        }, call -> { });
        ListImporter first = importer(dying, "instance-1", 7);
        long id = first.acceptDropped(drop("resume.csv", csv().replace("Person", "Other"))).orElseThrow();
        assertThatThrownBy(() -> first.run(id)).isNotNull();
        ListImportStore.Run crashed = first.store().find(id).orElseThrow();
        assertThat(crashed.status()).isEqualTo("RUNNING");
        assertThat(crashed.rowsDone()).isEqualTo(14);

        // another instance finds the stale run and resumes it
        ListImporter second = importer(crm, "instance-2", 7);
        Instant staleBefore = Instant.now().plusSeconds(1);
        assertThat(second.store().stale(staleBefore)).contains(id);
        assertThat(second.store().claim(id, "instance-2", staleBefore)).isTrue();
        ListImportStore.Run done = second.run(id);
        assertThat(done.status()).isEqualTo("DONE");
        ImportCounters c = done.counters();
        ImportCounters r = ref.counters();
        assertThat(c.rows).isEqualTo(40);
        assertThat(c.updated).as("same people as the reference run: all known now").isEqualTo(32);
        assertThat(c.duplicatesInFile).isEqualTo(r.duplicatesInFile);
        assertThat(c.rejected).isEqualTo(r.rejected);
        assertThat(c.suppressed).isEqualTo(r.suppressed);
        assertThat(members("resume")).isEqualTo(members("ref")).isEqualTo(32);
        assertThat(listInteractions(id)).isEqualTo(32);
        assertThat(Files.readAllLines(dir.resolve("outbox/resume.errors.csv"))).hasSize(4);
        // the dead instance cannot write any more
        assertThat(first.store().progress(id, "instance-1", 99, new ImportCounters(), 0)).isZero();
    }

    /**
     * The connection drops after the database committed a chunk, before the hub heard so: the
     * chunk is found committed when the hub retries it — not applied twice, not mistaken for a
     * run taken over by another instance — and the run goes on at once.
     */
    @Test
    void chunkCommittedButItsAnswerLostIsNotAppliedTwice() throws Exception {
        ListImporter importer = importer(crm, "a", 5);
        long id = importer.acceptDropped(drop("lostack.csv", csv())).orElseThrow();
        CrmStore losing = aroundUpsertAll(crm, call -> {
            if (call == 3) {
                // inside the third chunk's transaction: its commit's answer will be lost
                flaky.loseCommitAnswer = org.springframework.jdbc.datasource.DataSourceUtils.getConnection(flaky);
            }
        }, call -> { });
        long started = System.nanoTime();
        ListImportStore.Run run = importer(losing, "a", 5).run(id);
        assertThat(flaky.loseCommitAnswer).as("the answer was lost").isNull();
        assertThat(run.status()).isEqualTo("DONE");
        assertThat(run.counters().rows).isEqualTo(40);
        assertThat(run.counters().inserted).isEqualTo(32);
        assertThat(run.counters().rejected).isEqualTo(3);
        assertThat(members("lostack")).isEqualTo(32);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_import_chunk WHERE import_id = ?", Long.class, id))
                .isEqualTo(8);
        assertThat(System.nanoTime() - started).as("no wait for another instance's recovery")
                .isLessThan(java.time.Duration.ofSeconds(30).toNanos());
    }

    @Test
    void databaseOutagePausesTheRunAndNoRowIsRejectedForIt() throws Exception {
        ListImporter importer = importer(crm, "a", 5);
        long id = importer.acceptDropped(drop("outage.csv", csv())).orElseThrow();
        // the database goes away after the second chunk and comes back 1.5 s later
        CrmStore flakyCrm = aroundUpsertAll(crm, call -> { }, call -> {
            if (call == 2) {
                flaky.down.set(true);
                new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                    } catch (InterruptedException ignored) {
                        // ends the outage early
                    }
                    flaky.down.set(false);
                }).start();
                throw new org.springframework.jdbc.CannotGetJdbcConnectionException("test outage",
                        new SQLTransientConnectionException("gone", "08006"));
            }
        });
        ListImporter paused = importer(flakyCrm, "a", 5);
        ListImportStore.Run run = paused.run(id);
        assertThat(flaky.refused.get()).isPositive();
        assertThat(run.status()).isEqualTo("DONE");
        assertThat(run.counters().rows).isEqualTo(40);
        assertThat(run.counters().rejected).isEqualTo(3);
        assertThat(run.counters().inserted).isEqualTo(32);
        assertThat(members("outage")).isEqualTo(32);
    }

    /**
     * The database went away (or the hub died) after the file was moved to done/ and the report
     * written, before the run's last commit: the resumed run is finished from its report (not
     * FAILED because its staged file is gone), with the errors file intact.
     */
    @Test
    void runWhoseLastCommitWasLostIsFinishedFromItsReport() throws Exception {
        ListImporter importer = importer(crm, "a", 10);
        ListImportStore.Run done = importer.run(importer.acceptDropped(drop("lastcommit.csv", csv())).orElseThrow());
        assertThat(done.status()).isEqualTo("DONE");
        String errorsCsv = Files.readString(dir.resolve("outbox/lastcommit.errors.csv"));
        // as if the final UPDATE had not been committed
        jdbc.update("UPDATE list_import SET status = 'RUNNING', finished_at = NULL, report = NULL WHERE id = ?", done.id());

        ListImportStore.Run resumed = importer(crm, "b", 10).run(done.id());
        assertThat(resumed.status()).isEqualTo("DONE");
        assertThat(resumed.counters().inserted).isEqualTo(done.counters().inserted);
        assertThat(resumed.report()).containsPattern("\"importId\"\\s*:\\s*" + done.id() + "\\b");
        assertThat(Files.readString(dir.resolve("outbox/lastcommit.errors.csv"))).isEqualTo(errorsCsv);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_import_error WHERE import_id = ?", Long.class, done.id()))
                .as("working rows go with the finish").isZero();
    }

    /**
     * The run ends after writing the errors file and the report but cannot move the file (here:
     * done/ is not a folder; as well the hub dying there): the run stays unfinished with its rejected
     * rows, and resumed it writes the same errors file again, moves the file and finishes.
     */
    @Test
    void runResumedAfterItsErrorsFileWasWrittenWritesTheSameOne() throws Exception {
        Files.createDirectories(dir.resolve("inbox"));
        Files.writeString(dir.resolve("inbox/done"), "in the way");
        ListImporter importer = importer(crm, "a", 10);
        long id = importer.acceptDropped(drop("again.csv", csv())).orElseThrow();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> importer.run(id)).isInstanceOf(java.io.IOException.class);
        ListImportStore.Run stuck = importer.store().find(id).orElseThrow();
        assertThat(stuck.status()).isEqualTo("RUNNING");
        String errorsCsv = Files.readString(dir.resolve("outbox/again.errors.csv"));
        assertThat(errorsCsv.lines().count()).isEqualTo(1 + stuck.counters().rejected);

        Files.delete(dir.resolve("inbox/done"));
        ListImportStore.Run resumed = importer.run(id);   // the same instance, again
        assertThat(resumed.status()).isEqualTo("DONE");
        assertThat(resumed.counters().rejected).isEqualTo(3);
        assertThat(Files.readString(dir.resolve("outbox/again.errors.csv"))).isEqualTo(errorsCsv);
        assertThat(dir.resolve("inbox/done/again.csv")).exists();
    }

    @Test
    void aFileBrokenMidWayImportsEveryRowBeforeTheBreakAndSaysWhere() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        // 40 rows read, then a quote that is never closed: the rows in chunks not yet cut were in neither
        // the list nor the errors file
        long id = importer.acceptDropped(drop("torn.csv", csv() + "tail@example.com,\"Tail,\n")).orElseThrow();
        ListImportStore.Run run = importer.run(id);
        assertThat(run.status()).isEqualTo("FAILED");
        assertThat(run.error()).startsWith("CSV syntax error after row 41")
                .contains("the 40 rows before it were imported");
        assertThat(run.counters().rows).isEqualTo(40);
        assertThat(run.counters().rejected).isEqualTo(3);
        assertThat(members("torn")).isEqualTo(32);
        assertThat(Files.readAllLines(dir.resolve("outbox/torn.errors.csv"))).hasSize(4);
        JsonNode report = json.readTree(dir.resolve("outbox/torn.report.json").toFile());
        assertThat(report.get("status").asText()).isEqualTo("FAILED");
        assertThat(report.get("rows").asLong()).isEqualTo(40);
        assertThat(dir.resolve("inbox/failed/torn.csv")).exists();
        // its errors file comes back into its list
        ListImportStore.Run fixed = importer.run(importer.acceptDropped(drop("torn.errors.csv",
                Files.readString(dir.resolve("outbox/torn.errors.csv")).replace("broken-0", "fixed-0@example.com")))
                .orElseThrow());
        assertThat(fixed.status()).isEqualTo("DONE");
        assertThat(fixed.counters().inserted).isEqualTo(1);
        assertThat(members("torn")).isEqualTo(33);
        // corrected and dropped again: nobody is added twice
        ListImportStore.Run again = importer.run(importer.acceptDropped(drop("torn.csv", csv()
                + "tail@example.com,\"Tail\"\n")).orElseThrow());
        assertThat(again.status()).isEqualTo("DONE");
        assertThat(again.counters().inserted).isEqualTo(1);
        assertThat(members("torn")).isEqualTo(34);
    }

    @Test
    void aFileStillBeingWrittenWhileItIsImportedFailsWithTheReasonInsteadOfEndingDone() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        long id = importer.acceptDropped(drop("growing.csv", "Email\na@example.com\nb@example.com\n")).orElseThrow();
        // the writer paused longer than the read lock waits, then went on writing into the file it had open
        Path staged = Path.of(importer.store().find(id).orElseThrow().stagedPath());
        Files.writeString(staged, "c@example.com\n", java.nio.file.StandardOpenOption.APPEND);
        ListImportStore.Run run = importer.run(id);
        assertThat(run.status()).isEqualTo("FAILED");
        assertThat(run.error()).startsWith("the file changed while it was imported").contains("drop the complete file again");
        assertThat(json.readTree(dir.resolve("outbox/growing.report.json").toFile()).get("status").asText())
                .isEqualTo("FAILED");
        // the complete file, dropped again, is imported (not refused as the same content)
        ListImportStore.Run again = importer.run(importer.acceptDropped(drop("growing.csv",
                "Email\na@example.com\nb@example.com\nc@example.com\nd@example.com\n")).orElseThrow());
        assertThat(again.status()).isEqualTo("DONE");
        assertThat(members("growing")).isEqualTo(4);
    }

    @Test
    void aManifestWithoutItsFileIsSetAsideInsteadOfWaitingForTheNextFileOfItsName() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Files.writeString(inbox.resolve("late.list.yml"), "list: Fair 2026\n");
        Files.writeString(inbox.resolve("waiting.list.yml"), "list: Fair 2027\n");
        Files.writeString(inbox.resolve("waiting.csv"), "Email\na@example.com\n");   // its file is there (being copied)
        assertThat(importer.setAsideOrphanManifests(Duration.ofMinutes(10))).as("not old enough").isEmpty();
        assertThat(importer.setAsideOrphanManifests(Duration.ZERO)).extracting(p -> p.getFileName().toString())
                .containsExactly("late.list.yml");
        assertThat(inbox.resolve("late.list.yml")).doesNotExist();
        assertThat(Files.readString(dir.resolve("inbox/failed/late.list.yml.reason.txt"))).contains("no file named late.csv")
                .contains("beside it for 0 s.");
        assertThat(inbox.resolve("waiting.list.yml")).exists();
        // the next file of its name is imported with the defaults, not with the stray manifest
        ListImportStore.Run run = importer.run(importer.acceptDropped(drop("late.csv", "Email\nb@example.com\n")).orElseThrow());
        assertThat(run.listName()).isEqualTo("late");
    }

    @Test
    void aWorkbookBrokenMidSheetImportsEveryRowBeforeTheBreak() throws Exception {
        Path whole = dir.resolve("whole.xlsx");
        try (var os = Files.newOutputStream(whole)) {
            org.dhatim.fastexcel.Workbook wb = new org.dhatim.fastexcel.Workbook(os, "test", "1.0");
            org.dhatim.fastexcel.Worksheet ws = wb.newWorksheet("Leads");
            ws.value(0, 0, "Email");
            ws.value(0, 1, "First Name");
            for (int i = 1; i <= 30; i++) {
                ws.value(i, 0, "x" + i + "@example.com");
                ws.value(i, 1, "Person " + i);
            }
            wb.finish();
        }
        // the sheet's XML cut off inside row 22 (the 21st data row), as a copy that stopped half-way leaves it
        Files.createDirectories(dir.resolve("inbox"));
        Path torn = Workbooks.rewriteFirstSheet(whole, dir.resolve("inbox/torn.xlsx"),
                xml -> xml.substring(0, xml.indexOf("<row r=\"22\"") + 20));
        ListImporter importer = importer(crm, "a", 7);
        ListImportStore.Run run = importer.run(importer.acceptDropped(torn).orElseThrow());
        assertThat(run.status()).isEqualTo("FAILED");
        assertThat(run.error()).startsWith("cannot read the sheet after row 21: ")
                .contains("the 20 rows before it were imported").doesNotContain(".processing");
        assertThat(run.counters().rows).isEqualTo(20);
        assertThat(members("torn")).isEqualTo(20);
    }

    @Test
    void aLineInAnotherEncodingReadsRightInsteadOfGarblingTheWholeFile() throws Exception {
        ListImporter importer = importer(crm, "a", 50);
        // a UTF-8 file with one line pasted in from a windows-1252 one, early (in the sample the encoding is
        // detected from) and late (after it)
        for (int at : new int[]{5, 1_400}) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            b.writeBytes("Email,First Name,Last Name,City\n".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 1_500; i++) {
                String line = "j" + at + "-" + i + "@example.com,Jürgen,Groß,München\n";
                b.writeBytes(line.getBytes(i == at ? Charset.forName("windows-1252") : StandardCharsets.UTF_8));
            }
            // and one with a byte that is text in neither (0x81): rejected with the reason, not stored as "�"
            b.writeBytes(("bad" + at + "@example.com,J").getBytes(StandardCharsets.UTF_8));
            b.write(0x81);
            b.writeBytes("rg,X,Y\n".getBytes(StandardCharsets.UTF_8));
            String name = "mixed-" + at;
            Files.createDirectories(dir.resolve("inbox"));
            Files.write(dir.resolve("inbox").resolve(name + "b.csv"), b.toByteArray());
            ListImportStore.Run mixed = importer.run(importer.acceptDropped(dir.resolve("inbox").resolve(name + "b.csv"))
                    .orElseThrow());
            assertThat(mixed.status()).isEqualTo("DONE");
            assertThat(mixed.counters().inserted).isEqualTo(1_500);
            assertThat(mixed.counters().rejected).isEqualTo(1);
            for (int i : new int[]{0, at - 1, at, at + 1, 1_499}) {
                java.util.UUID p = crm.lookup(Identity.of(IdentityType.EMAIL, "j" + at + "-" + i + "@example.com")).orElseThrow();
                assertThat(crm.find(p, 0).orElseThrow().attributes().get("lastName").value()).isEqualTo("Groß");
            }
            assertThat(Files.readString(dir.resolve("outbox/" + name + "b.errors.csv")))
                    .contains("1502,First Name,\"bytes that are no text in the file's encoding");
        }
    }

    @Test
    void correctedErrorsFilesKeepTheOriginalRowNumbersAndTakeWhatIsStatedForThem() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        // the original is separated by ';' as its manifest declares; the errors file the hub writes is not
        Files.writeString(Files.createDirectories(dir.resolve("inbox")).resolve("semi.list.yml"), "delimiter: ';'\n");
        long first = importer.acceptDropped(drop("semi.csv", "Email;Phone\na@example.com;\nb@bad;\nc@example.com;\n"
                + "d@bad;+33 6 12\n")).orElseThrow();
        assertThat(importer.run(first).counters().rejected).isEqualTo(2);
        String errors = Files.readString(dir.resolve("outbox/semi.errors.csv"));
        assertThat(errors).contains("\n3,Email,invalid email").contains("\n5,Email,invalid email");
        // round trip 1: b fixed, d's e-mail fixed but its phone still bad
        ListImportStore.Run second = importer.run(importer.acceptDropped(drop("semi.errors.csv",
                errors.replace("b@bad", "b@example.com").replace("d@bad", "d@example.com") + ",,,x@bad,\r\n"))
                .orElseThrow());
        assertThat(second.status()).isEqualTo("DONE");
        assertThat(second.counters().inserted).isEqualTo(1);
        assertThat(second.counters().rejected).isEqualTo(2);
        String again = Files.readString(dir.resolve("outbox/semi.errors.errors.csv"));
        assertThat(again).as("row 5 of semi.csv, not row 3 of semi.errors.csv").contains("\n5,Phone,invalid phone");
        assertThat(again).as("a row added by hand has no row in the original").contains("\n\"\",Email,invalid email");
        // the same errors file as a browser saves a second download of it: into the same list
        ListImportStore.Run renamed = importer.run(importer.acceptDropped(drop("semi.errors (1).csv",
                errors.replace("b@bad", "b2@example.com").replace("d@bad", "d@example.com"))).orElseThrow());
        assertThat(renamed.listName()).isEqualTo("semi");
        // round trip 2, uploaded into another list of another member type
        Path up = dir.resolve("upload.part");
        Files.writeString(up, again.replace("+33 6 12", "+33 6 12 34 56 78"));
        ListImportStore.Run third = importer.run(importer.acceptUpload(up, "semi.errors.errors.csv",
                Map.of("list", "semi-leads", "memberType", "lead")));
        assertThat(third.status()).isEqualTo("DONE");
        assertThat(third.counters().inserted).isEqualTo(1);
        assertThat(crm.findList("semi-leads").orElseThrow().memberType().name()).isEqualTo("LEAD");
        assertThat(members("semi-leads")).isEqualTo(1);
        assertThat(members("semi")).isEqualTo(4);
    }

    @Test
    void settingsStatedTwiceDifferentlyAndADryRunsErrorsFileAreRefusedWithTheReason() throws Exception {
        ListImporter importer = importer(crm, "a", 7);
        Files.writeString(Files.createDirectories(dir.resolve("inbox")).resolve("two.list.yml"),
                "list: Fair 2026\noptions:\n  list: Fair 2025\n");
        ListImportStore.Run two = importer.run(importer.acceptDropped(drop("two.csv", "Email\na@example.com\n"))
                .orElseThrow());
        assertThat(two.status()).isEqualTo("FAILED");
        assertThat(two.error()).isEqualTo("manifest two.list.yml: 'list' is set twice with different values:"
                + " 'Fair 2026' and, under options, 'Fair 2025'");
        assertThatThrownBy(() -> ListSettings.fromMap(Map.of("list", "a", "listName", "b"), "x"))
                .hasMessage("'list' and 'listName' name the same setting but differ: 'a' and 'b'");
        assertThat(ListSettings.fromMap(Map.of("list", "a", "options", Map.of("list", "a", "source", "fair")), "x")
                .source()).as("the same value twice is no contradiction").isEqualTo("fair");
        assertThat(ListSettings.fromMap(Map.of("memberType", "lead", "options", Map.of("memberType", "LEAD")), "x")
                .memberType().name()).as("the same member type in another case").isEqualTo("LEAD");
        assertThatThrownBy(() -> ListSettings.fromMap(Map.of("list", "Fair", "options", Map.of("list", "fair")), "x"))
                .as("list names are exact").hasMessageContaining("set twice");
        Path m = dir.resolve("m.list.yml");
        for (String[] bad : new String[][]{
                {"list: Fair 2026\nlist: Fair 2025\n", "found duplicate key list"},
                {"options:\n  options:\n    list: nested\n", "options may not hold options again"},
                {"list: [a, b]\n", "'list' takes one value, got [a, b]"},
                {"list:\nsource: fair\n", "'list' is given without a value"}}) {
            Files.writeString(m, bad[0]);
            assertThatThrownBy(() -> ListSettings.readManifest(m, "x")).as(bad[0])
                    .hasMessageStartingWith("manifest m.list.yml").hasMessageContaining(bad[1]);
        }

        Path up = dir.resolve("upload.part");
        Files.writeString(up, "Email\na@example.com\nb@bad\n");
        assertThat(importer.run(importer.acceptUpload(up, "preview.csv", Map.of("dryRun", "true"))).counters().rejected)
                .isEqualTo(1);
        ListImportStore.Run back = importer.run(importer.acceptDropped(drop("preview.dry-run.errors.csv",
                Files.readString(dir.resolve("outbox/preview.dry-run.errors.csv")).replace("b@bad", "b@example.com")))
                .orElseThrow());
        assertThat(back.status()).isEqualTo("FAILED");
        assertThat(back.error()).startsWith("'preview.dry-run.errors' is the errors file of dry run ")
                .contains("correct the original file 'preview.csv' and import it");
        // a real import of the same name: a dry run beside it neither overwrites its report nor passes for it
        Files.writeString(up, "Email\na@example.com\nc@bad\n");
        ListImportStore.Run real = importer.run(importer.acceptUpload(up, "preview.csv", Map.of()));
        assertThat(real.status()).isEqualTo("DONE");
        Files.writeString(up, "Email\nz@example.com\nd@bad\n");
        importer.run(importer.acceptUpload(up, "preview.csv", Map.of("dryRun", "true")));
        assertThat(json.readTree(dir.resolve("outbox/preview.report.json").toFile()).get("importId").asLong())
                .isEqualTo(real.id());
        assertThat(Files.readString(dir.resolve("outbox/preview.errors.csv"))).contains("c@bad");
        ListImportStore.Run again = importer.run(importer.acceptDropped(drop("preview.dry-run.errors.csv",
                Files.readString(dir.resolve("outbox/preview.dry-run.errors.csv")).replace("d@bad", "d@example.com")))
                .orElseThrow());
        assertThat(again.status()).isEqualTo("FAILED");
        assertThat(members("preview")).isEqualTo(1);
    }

    @Test
    void sameContentTwiceAndDryRun() throws Exception {
        ListImporter importer = importer(crm, "a", 10);
        ListImportStore.Run one = importer.run(importer.acceptDropped(drop("x.csv", csv())).orElseThrow());
        ListImportStore.Run two = importer.run(importer.acceptDropped(drop("y.csv", csv())).orElseThrow());
        assertThat(one.status()).isEqualTo("DONE");
        assertThat(two.status()).isEqualTo("DUPLICATE");
        assertThat(two.error()).contains("same content as list import " + one.id())
                .contains("to import it into another list, name the list in a manifest or with ?list=");
        assertThat(members("y")).isZero();
        // the same content into a list named for it is another import; into that list again, a duplicate
        Path same = dir.resolve("same.part");
        Files.writeString(same, csv());
        ListImportStore.Run q3 = importer.run(importer.acceptUpload(same, "x.csv", Map.of("list", "Q3 nurture")));
        assertThat(q3.status()).isEqualTo("DONE");
        assertThat(members("Q3 nurture")).isEqualTo(32);
        Files.writeString(same, csv());
        ListImportStore.Run q3again = importer.run(importer.acceptUpload(same, "x.csv", Map.of("list", "Q3 nurture")));
        assertThat(q3again.status()).isEqualTo("DUPLICATE");
        assertThat(q3again.error()).endsWith("into list 'Q3 nurture': not imported again");
        // a later import of x with no rejected rows leaves no errors file of the earlier one to pass for its own
        assertThat(dir.resolve("outbox/x.errors.csv")).exists();
        Files.writeString(same, "Email\nclean@example.com\n");
        assertThat(importer.run(importer.acceptUpload(same, "x.csv", Map.of())).status()).isEqualTo("DONE");
        assertThat(dir.resolve("outbox/x.errors.csv")).doesNotExist();
        assertThat(q3again.error()).contains("same content as list import " + q3.id());

        Path up = dir.resolve("upload.part");
        Files.writeString(up, csv().replace("@", "@dry."));
        ListImportStore.Run dry = importer.run(importer.acceptUpload(up, "dry.csv", Map.of("dryRun", "true")));
        assertThat(dry.status()).isEqualTo("DONE");
        assertThat(dry.counters().duplicatesInFile).isEqualTo(5).isEqualTo(one.counters().duplicatesInFile);
        assertThat(dry.counters().rejected).isEqualTo(3);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_import_dry_key", Long.class))
                .as("the dry run's keys are gone once it ended").isZero();
        assertThat(crm.findList("dry")).isEmpty();
        assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "p1@dry.example.com"))).isEmpty();
        assertThat(dir.resolve("outbox/dry.dry-run.errors.csv")).exists();
        assertThat(dir.resolve("outbox/dry.dry-run.report.json")).exists();
    }

    @Test
    void twoInstancesSeeingTheSameFileTakeItOnce() throws Exception {
        Path file = drop("race.csv", csv());
        ListImporter a = importer(crm, "instance-a", 10);
        ListImporter b = importer(crm, "instance-b", 10);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var fa = pool.submit(() -> {
                start.await();
                return a.acceptDropped(file);
            });
            var fb = pool.submit(() -> {
                start.await();
                return b.acceptDropped(file);
            });
            List<java.util.Optional<Long>> taken = List.of(fa.get(), fb.get());
            assertThat(taken.stream().filter(java.util.Optional::isPresent)).hasSize(1);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM list_import", Long.class)).isEqualTo(1);
        } finally {
            pool.shutdown();
        }
    }
}
