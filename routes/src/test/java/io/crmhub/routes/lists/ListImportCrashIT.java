package io.crmhub.routes.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.peers.ScratchPostgres;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 3's resilience for real, not simulated: the hub runs as an OS process of its own
 * ({@code java -jar target/crm-hub.jar}, the jar the {@code package} phase built) on a PostgreSQL
 * server of the test's own ({@link ScratchPostgres}), and imports files dropped in its inbox.
 * <ul>
 *   <li>the hub process is killed ({@code kill -9}) mid-file; a new hub process on the same folders
 *       and database recovers the run and finishes it;</li>
 *   <li>the PostgreSQL server crashes mid-file ({@code pg_ctl stop -m immediate}) and is started
 *       again a few seconds later; the import pauses, retries and finishes.</li>
 * </ul>
 * Either way: status DONE, exact counts, every member once with one "added to list" interaction,
 * the file in done/, the report and the errors file holding only the truly invalid rows.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ListImportCrashIT {

    /** Distinct people per file; after every 100th a duplicate row, after every 250th (+125) an invalid one. */
    static final int PEOPLE = 10_000;
    static final int CHUNK = 200;
    static final ObjectMapper JSON = new ObjectMapper();

    static ScratchPostgres pg;
    static Path work;
    static Path inbox;
    static Path outbox;
    static final List<Hub> started = new ArrayList<>();
    /** The hub currently running (the kill test leaves its second hub running for the next test). */
    static Hub running;

    @BeforeAll
    static void startDatabase() throws Exception {
        Path jar = Path.of("target/crm-hub.jar").toAbsolutePath();
        assertThat(jar).as("the hub's jar %s, built by the package phase (run mvn verify, which packages before the"
                + " integration tests)", jar).isRegularFile();
        pg = ScratchPostgres.start();
        work = Files.createTempDirectory("crmhub-lists-crash");
        // the hub's working directory looks like the repository root: ./config/ is the shipped configuration
        Path config = Path.of("../config").toAbsolutePath().normalize();
        assertThat(config.resolve("application.yml")).isRegularFile();
        Files.createSymbolicLink(work.resolve("config"), config);
        inbox = work.resolve("inbox");
        outbox = work.resolve("outbox");
        Files.createDirectories(inbox);
        Files.createDirectories(work.resolve("tmp"));
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (Hub hub : started) {
            hub.stop();
        }
        if (pg != null) {
            pg.close();
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void hubKilledMidFileIsRecoveredByANewHubProcessWithExactCounts() throws Exception {
        Hub first = Hub.start(1);
        String u = UUID.randomUUID().toString().substring(0, 8);
        ListFile file = ListFile.drop("killed-" + u, u);
        long id = awaitRun(first, file);
        verified(first, () -> await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> rowsDone(id) >= 2_000));

        first.kill();
        Thread.sleep(300);
        long rowsAtKill = rowsDone(id);
        System.out.printf("hub 1 killed (SIGKILL) at row %d of %d of list import %d%n", rowsAtKill, file.rows, id);
        verified(first, () -> {
            assertThat(rowsAtKill).as("killed mid-file").isGreaterThan(0).isLessThan(file.rows);
            assertThat(query("SELECT status FROM list_import WHERE id = ?", id)).isEqualTo("RUNNING");
            assertThat(query("SELECT owner FROM list_import WHERE id = ?", id)).isEqualTo(first.instanceId);
        });

        // a new hub process on the same folders and database: its recovery takes the run over
        Hub second = Hub.start(2);
        running = second;
        awaitDone(second, id);
        verified(second, () -> {
            assertExactResult(second, id, file);
            assertThat(query("SELECT owner FROM list_import WHERE id = ?", id)).isEqualTo(second.instanceId);
            assertThat(second.linesOf(id)).as("the new hub's log of the run")
                    .anyMatch(l -> l.contains("list import " + id + ": its instance stopped; resuming it here"))
                    .anyMatch(l -> l.contains("resuming after row " + rowsAtKill));
        });
    }

    @Test
    @Order(2)
    void databaseCrashedMidFileAndRestartedThenTheImportFinishesWithExactCounts() throws Exception {
        Hub hub = running != null && running.process.isAlive() ? running : Hub.start(3);
        running = hub;
        String u = UUID.randomUUID().toString().substring(0, 8);
        ListFile file = ListFile.drop("pgcrash-" + u, u);
        long id = awaitRun(hub, file);
        verified(hub, () -> await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> rowsDone(id) >= 1_000));
        long rowsAtCrash = rowsDone(id);

        pg.crash();
        System.out.printf("PostgreSQL crashed (immediate stop) at row %d of %d of list import %d%n", rowsAtCrash,
                file.rows, id);
        Thread.sleep(3_000);
        pg.up();
        System.out.println("PostgreSQL up again");

        awaitDone(hub, id);
        verified(hub, () -> {
            assertThat(rowsAtCrash).isLessThan(file.rows);
            assertExactResult(hub, id, file);
            List<String> lines = hub.linesOf(id);
            assertThat(lines).as("the outage hit the import, which paused and retried")
                    .anyMatch(l -> l.contains("list import " + id + ": database unavailable"));
            assertThat(lines).as("no chunk taken for bad rows, no run failed, because the database was away")
                    .noneMatch(l -> l.matches(".*list import " + id + ": chunk \\d+ failed.*"))
                    .noneMatch(l -> l.contains("list import " + id + " failed unexpectedly"))
                    .noneMatch(l -> l.contains("list import " + id + " (" + file.name + ") failed"));
        });
    }

    // ---------------------------------------------------------------------------------------------

    /** The finished run, its report, errors file, file, members, timeline and events: all exact. */
    private static void assertExactResult(Hub hub, long id, ListFile file) throws Exception {
        ApiClient api = new ApiClient(hub.port, ApiClient.DEV_KEY);
        JsonNode run = api.get("/api/v1/lists/imports/" + id).json();
        assertThat(run.get("status").asText()).isEqualTo("DONE");
        JsonNode counts = run.get("counts");
        assertThat(counts.get("rows").asLong()).as("rows").isEqualTo(file.rows);
        assertThat(counts.get("inserted").asLong()).as("inserted").isEqualTo(PEOPLE);
        assertThat(counts.get("updated").asLong()).as("updated").isZero();
        assertThat(counts.get("merged").asLong()).as("merged").isZero();
        assertThat(counts.get("alreadyMembers").asLong()).as("alreadyMembers").isZero();
        assertThat(counts.get("duplicatesInFile").asLong()).as("duplicatesInFile").isEqualTo(file.duplicates);
        assertThat(counts.get("suppressed").asLong()).as("suppressed").isZero();
        assertThat(counts.get("rejected").asLong()).as("rejected: only the truly invalid rows").isEqualTo(file.invalid);
        assertThat(run.at("/progress/rowsDone").asLong()).as("rowsDone").isEqualTo(file.rows);

        JsonNode report = JSON.readTree(outbox.resolve(file.name + ".report.json").toFile());
        assertThat(report.get("importId").asLong()).isEqualTo(id);
        assertThat(report.get("status").asText()).isEqualTo("DONE");
        assertThat(report.get("rows").asLong()).as("report rows").isEqualTo(file.rows);
        assertThat(report.get("inserted").asLong()).as("report inserted").isEqualTo(PEOPLE);
        assertThat(report.get("duplicatesInFile").asLong()).as("report duplicatesInFile").isEqualTo(file.duplicates);
        assertThat(report.get("rejected").asLong()).as("report rejected").isEqualTo(file.invalid);

        List<String> errors = Files.readAllLines(outbox.resolve(file.name + ".errors.csv"), StandardCharsets.UTF_8);
        assertThat(errors).hasSize(1 + (int) file.invalid);
        assertThat(errors.subList(1, errors.size())).allSatisfy(line -> assertThat(line)
                .contains("invalid email").contains("not-an-email-"));

        assertThat(inbox.resolve("done").resolve(file.name + ".csv")).isRegularFile();
        assertThat(inbox.resolve(file.name + ".csv")).doesNotExist();
        try (Stream<Path> staged = Files.list(inbox.resolve(".processing"))) {
            assertThat(staged.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(id + "-"));
        }

        long listId = (Long) query("SELECT id FROM marketing_list WHERE name = ?", file.name);
        assertThat(count("SELECT count(*) FROM list_member WHERE list_id = ?", listId)).as("members").isEqualTo(PEOPLE);
        assertThat(count("SELECT count(*) FROM list_member m WHERE m.list_id = ? AND (SELECT count(*) FROM interaction i"
                + " WHERE i.profile_id = m.profile_id AND i.type = 'list.added') <> 1", listId))
                .as("members without exactly one 'added to list' interaction").isZero();
        assertThat(count("SELECT count(*) FROM interaction WHERE external_id LIKE ?", "list-import:" + id + ":%"))
                .as("'added to list' interactions of the run").isEqualTo(PEOPLE);
        assertThat(count("SELECT count(*) FROM identity WHERE type = 'EMAIL' AND \"value\" LIKE ?", "%." + file.u
                + "@example.com")).as("one person per distinct e-mail").isEqualTo(PEOPLE);
        assertThat(count("SELECT count(DISTINCT profile_id) FROM identity WHERE type = 'EMAIL' AND \"value\" LIKE ?",
                "%." + file.u + "@example.com")).as("profiles").isEqualTo(PEOPLE);
        assertThat(count("SELECT count(*) FROM outbox_event WHERE event_type = 'list.member.added' AND payload LIKE ?",
                "%\"importId\":" + id + "}")).as("member events").isEqualTo(PEOPLE);
        long lanes = count("SELECT lanes FROM list_import WHERE id = ?", id);
        assertThat(lanes).as("lanes of the run (hub.lists.workers as shipped)").isEqualTo(3);
        assertThat(count("SELECT count(*) FROM list_import_chunk WHERE import_id = ?", id)).as("chunks: each lane's last may be short")
                .isBetween((file.rows + CHUNK - 1) / CHUNK, (file.rows + CHUNK - 1) / CHUNK + lanes - 1);
        assertThat(count("SELECT sum(row_count) FROM list_import_chunk WHERE import_id = ?", id)).as("rows of the chunks")
                .isEqualTo(file.rows);
    }

    /** A CSV of {@link #PEOPLE} people with duplicates (other case, far back in the file) and invalid rows. */
    record ListFile(String name, String u, long rows, long duplicates, long invalid) {

        static ListFile drop(String name, String u) throws IOException {
            StringBuilder csv = new StringBuilder("email,first name,last name\n");
            long rows = 0;
            long duplicates = 0;
            long invalid = 0;
            for (int i = 0; i < PEOPLE; i++) {
                csv.append('p').append(i).append('.').append(u).append("@example.com,P").append(i).append(",Crash\n");
                rows++;
                if (i % 100 == 0) {
                    // the same person as row i/2, in capitals: a duplicate, often in an earlier chunk
                    csv.append('P').append(i / 2).append('.').append(u.toUpperCase()).append("@EXAMPLE.COM,Dup,Crash\n");
                    rows++;
                    duplicates++;
                }
                if (i % 250 == 125) {
                    csv.append("not-an-email-").append(i).append(",Bad,Crash\n");
                    rows++;
                    invalid++;
                }
            }
            Path tmp = work.resolve(name + ".csv.tmp");
            Files.writeString(tmp, csv, StandardCharsets.UTF_8);
            Files.move(tmp, inbox.resolve(name + ".csv"), StandardCopyOption.ATOMIC_MOVE);
            return new ListFile(name, u, rows, duplicates, invalid);
        }
    }

    private static long awaitRun(Hub hub, ListFile file) {
        Long[] id = new Long[1];
        verified(hub, () -> await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            id[0] = (Long) query("SELECT id FROM list_import WHERE file_name = ?", file.name + ".csv");
            return id[0] != null;
        }));
        return id[0];
    }

    private static void awaitDone(Hub hub, long id) {
        ApiClient api = new ApiClient(hub.port, ApiClient.DEV_KEY);
        verified(hub, () -> await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
            ApiClient.Response r;
            try {
                r = api.get("/api/v1/lists/imports/" + id);
            } catch (RuntimeException unreachable) {
                return false;
            }
            if (r.status() != 200) {
                return false; // e.g. while the database is away
            }
            String status = r.json().path("status").asText();
            if (!List.of("QUEUED", "RUNNING", "DONE").contains(status)) {
                throw new AssertionError("list import " + id + " ended " + status + ": " + r.body());
            }
            return status.equals("DONE");
        }));
        try {
            System.out.printf("list import %d DONE; hub %s log of it:%n  %s%n", id, hub.instanceId,
                    String.join("\n  ", hub.linesOf(id)));
        } catch (IOException e) {
            System.out.printf("list import %d DONE (log unreadable: %s)%n", id, e);
        }
    }

    static long rowsDone(long id) throws SQLException {
        Object n = query("SELECT rows_done FROM list_import WHERE id = ?", id);
        return n == null ? 0 : (Long) n;
    }

    static long count(String sql, Object... args) throws SQLException {
        Object n = query(sql, args);
        return n == null ? 0 : ((Number) n).longValue();
    }

    /** First column of the first row (null when none), on a connection of its own: the server may have restarted. */
    static Object query(String sql, Object... args) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl() + "?connectTimeout=5&socketTimeout=30", "postgres", "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    interface Check {
        void run() throws Exception;
    }

    /** Runs the checks; a failure carries the tail of the hub's log. */
    static void verified(Hub hub, Check check) {
        try {
            check.run();
        } catch (AssertionError | ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n--- " + hub.logFile + " (tail) ---\n" + hub.tail(80), e);
        } catch (Exception e) {
            throw new AssertionError(e + "\n--- " + hub.logFile + " (tail) ---\n" + hub.tail(80), e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** One hub: {@code java -jar target/crm-hub.jar} in the work folder, its output in {@code hub-<n>.log}. */
    static final class Hub {
        final String instanceId;
        final int port;
        final Path logFile;
        final Process process;

        private Hub(String instanceId, int port, Path logFile, Process process) {
            this.instanceId = instanceId;
            this.port = port;
            this.logFile = logFile;
            this.process = process;
        }

        /** Starts it and waits until it is ready (readiness probe UP). */
        static Hub start(int n) throws Exception {
            int port = freePort();
            String instanceId = "crash-it-hub-" + n;
            Path log = work.resolve("hub-" + n + ".log");
            List<String> cmd = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g",
                    "-Djava.io.tmpdir=" + work.resolve("tmp"),   // the embedded broker's files, removed with the folder
                    "-jar", Path.of("target/crm-hub.jar").toAbsolutePath().toString(),
                    "--server.port=" + port,
                    "--spring.datasource.url=" + pg.jdbcUrl() + "?reWriteBatchedInserts=true&ApplicationName=" + instanceId,
                    "--spring.datasource.username=postgres",
                    "--spring.datasource.password=",
                    "--hub.instance-id=" + instanceId,
                    "--hub.lists.inbox=" + inbox,
                    "--hub.lists.outbox=" + outbox,
                    "--hub.lists.chunk-size=" + CHUNK,
                    "--hub.lists.poll-interval=200ms",
                    "--hub.lists.read-lock-min-age=300ms",
                    "--hub.lists.stale-after=3s",           // a dead hub's run is taken over 3 s after its last heartbeat
                    "--hub.lists.recovery-interval=1s",
                    "--hub.lists.max-pause=2m",
                    "--hub.lists.progress-log-interval=1s",
                    "--hub.clickstream.audiences.export.enabled=false");
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Hub hub = new Hub(instanceId, port, log, p);
            started.add(hub);
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
            ApiClient api = new ApiClient(port, null);
            verified(hub, () -> await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!p.isAlive()) {
                    throw new AssertionError("hub " + n + " exited with " + p.exitValue());
                }
                try {
                    return api.get("/actuator/health/readiness").status() == 200;
                } catch (RuntimeException notListening) {
                    return false;
                }
            }));
            System.out.printf("hub %d (pid %d) ready in %d ms%n", n, p.pid(), (System.nanoTime() - t0) / 1_000_000);
            return hub;
        }

        /** {@code kill -9}: SIGKILL, no shutdown hook, no graceful stop. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("hub killed").isTrue();
            assertThat(process.isAlive()).isFalse();
            assertThat(process.exitValue()).as("exit status of SIGKILL").isEqualTo(128 + 9);
        }

        void stop() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }

        /** The log lines about list import {@code id} (its progress lines left out). */
        List<String> linesOf(long id) throws IOException {
            try (Stream<String> lines = Files.lines(logFile, StandardCharsets.UTF_8)) {
                return lines.filter(l -> l.contains("list import " + id + ":") || l.contains("list import " + id + " "))
                        .filter(l -> !l.matches(".*: \\d+ rows, .* rows/s$"))
                        .map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l)
                        .toList();
            }
        }

        String tail(int lines) {
            try {
                List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(log unreadable: " + e + ")";
            }
        }

        private static int freePort() throws IOException {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                return s.getLocalPort();
            }
        }
    }
}
