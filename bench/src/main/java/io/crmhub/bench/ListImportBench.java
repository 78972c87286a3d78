package io.crmhub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.connectors.lists.ColumnAliases;
import io.crmhub.connectors.lists.ListImportStore;
import io.crmhub.connectors.lists.ListImporter;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;

import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Scenario "lists": a generated marketing list of N rows × 10 columns (5% duplicates of an earlier
 * row, 2% invalid rows, 3% people already in the CRM who opted out of e-mail) imported end to end
 * (read, map, normalise, validate, resolve identity, upsert, list member, timeline, outbox, progress)
 * into PostgreSQL — against {@code psql \copy} of the same file into an UNLOGGED table, in the same
 * run on the same database. Prints both rates, their ratio and the peak heap.
 * <p>
 * Arguments: jdbcUrl user password [rows=1000000] [chunk=1000] [workDir=bench/target/lists] [workers=3]
 */
public final class ListImportBench {

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test";
        String user = args.length > 1 ? args[1] : "postgres";
        String password = args.length > 2 ? args[2] : "";
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 1_000_000;
        int chunk = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        int workers = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        Path work = Path.of(args.length > 5 ? args[5] : "bench/target/lists");
        String schema = "crmhub_bench_lists";

        Files.createDirectories(work);
        Path csv = work.resolve("list-" + n + ".csv");
        Random rnd = new Random(7);
        List<String> optedOut = new ArrayList<>();
        long t0 = System.nanoTime();
        int[] kinds = generate(csv, n, rnd, optedOut);
        System.out.printf("scenario lists: %,d rows x 10 columns (%,d bytes), %,d duplicates, %,d invalid, %,d opted-out"
                        + " people already in the CRM; chunk %d, %d workers; generated in %.1f s%n", n, Files.size(csv), kinds[0],
                kinds[1], optedOut.size(), chunk, workers, (System.nanoTime() - t0) / 1e9);

        try (HikariDataSource ds = ProfileUpsertBench.dataSource(url, user, password, schema, workers + 2)) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                s.execute("CREATE SCHEMA " + schema);
            }
            Migrations.migrate(ds, schema);
            // as the hub does (hub.statistics.check-interval): ANALYZE of the tables the run grows
            io.crmhub.connectors.jdbc.StatisticsKeeper statistics =
                    io.crmhub.connectors.jdbc.StatisticsKeeper.start(ds, java.time.Duration.ofSeconds(10));
            System.out.println("server: autovacuum " + io.crmhub.bench.ServerSettings.describe(ds));
            ObjectMapper mapper = new ObjectMapper().findAndRegisterModules();
            CrmStore crm = new JdbcCrmStore(ds, SurvivorshipRules.parse("crm,api,membership,ecommerce,email,lists,clickstream"),
                    new ConsentRules(), IdentityPolicy.defaults(), mapper);

            // the opted-out people are in the CRM before the import (not timed)
            Instant now = Instant.now();
            for (int from = 0; from < optedOut.size(); from += 1000) {
                List<ProfileRecord> seed = new ArrayList<>();
                for (String e : optedOut.subList(from, Math.min(optedOut.size(), from + 1000))) {
                    seed.add(new ProfileRecord("crm", now, List.of(Identity.of(IdentityType.EMAIL, e)), Map.of(),
                            List.of(new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "email", now, "unsubscribe", false))));
                }
                crm.upsertAll(seed);
            }

            // baseline: psql \copy of the same file into an unlogged table
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE UNLOGGED TABLE " + schema + ".copy_baseline (email text, phone text, first_name text,"
                        + " last_name text, company text, city text, postal_code text, country text, birth_date text,"
                        + " newsletter text)");
            }
            ServerSettings.settle(ds);
            double copySecs = psqlCopy(url, user, password, schema, csv);
            double copyRate = n / copySecs;
            System.out.printf("baseline psql \\copy into an unlogged table: %,d rows in %.2f s = %,.0f rows/s%n", n, copySecs, copyRate);

            // the hub
            Path inbox = work.resolve("inbox");
            Path outbox = work.resolve("outbox");
            Files.createDirectories(inbox);
            ListImporter importer = new ListImporter(crm, new ListImportStore(ds),
                    new RecordNormaliser(NormaliserSettings.defaults()), ColumnAliases.load(Path.of("config/mappings/list-columns.yml")),
                    new ListImporter.Options(inbox, outbox, chunk, workers, Duration.ofMinutes(5), Duration.ofSeconds(10)), "bench");
            Path staged = inbox.resolve("upload.part");
            Files.copy(csv, staged, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            long id = importer.acceptUpload(staged, "bench-" + n + ".csv", Map.of("list", "bench " + n));
            // peak heap of the import alone (the generator above held every e-mail in memory)
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            LiveHeap live = LiveHeap.watch();
            long peakBefore = 0;
            ServerSettings.settle(ds);
            long start = System.nanoTime();
            ListImportStore.Run run = importer.run(id);
            double hubSecs = (System.nanoTime() - start) / 1e9;
            double hubRate = n / hubSecs;
            System.out.printf("hub list import: %,d rows in %.2f s = %,.0f rows/s (status %s)%n", n, hubSecs, hubRate, run.status());
            var c = run.counters();
            System.out.printf("  counts: inserted %,d, updated %,d, merged %,d, duplicatesInFile %,d, suppressed %,d, rejected %,d%n",
                    c.inserted, c.updated, c.merged, c.duplicatesInFile, c.suppressed, c.rejected);
            System.out.printf("  heap: max %,d MB; during the import: highest heap in use after a GC %,d MB (%d GCs),"
                            + " sum of the heap pools' peaks %,d MB (an upper bound)%n", Runtime.getRuntime().maxMemory() >> 20,
                    live.maxAfterGc() >> 20, live.collections(), Math.max(peakBefore, peakHeap()) >> 20);
            StringBuilder phases = new StringBuilder();
            importer.timings().forEach((k, v) -> phases.append(String.format("%n    %-24s %,9d ms  %,8d calls", k, v[0], v[1])));
            ((JdbcCrmStore) crm).timings().forEach((k, v) -> phases.append(String.format("%n    upsertAll %-14s %,9d ms  %,8d calls", k, v[0], v[1])));
            System.out.println("  time per phase of the chunk writes (summed over workers):" + phases);
            System.out.printf("ratio: the hub takes %.1fx the time of psql \\copy%n", hubSecs / copySecs);
            System.out.printf("| %,d | %,.0f | %,.0f | %.1fx | %,d MB after GC |%n", n, copyRate, hubRate, hubSecs / copySecs,
                    live.maxAfterGc() >> 20);
            statistics.close();   // before the pool: a running ANALYZE finishes first
        }
    }

    /** Highest heap in use right after a garbage collection (the live set, plus what the collection left). */
    static final class LiveHeap implements javax.management.NotificationListener {
        private final java.util.concurrent.atomic.AtomicLong max = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

        static LiveHeap watch() {
            LiveHeap h = new LiveHeap();
            for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((javax.management.NotificationEmitter) gc).addNotificationListener(h, null, null);
            }
            return h;
        }

        @Override
        public void handleNotification(javax.management.Notification n, Object handback) {
            if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                    (javax.management.openmbean.CompositeData) n.getUserData());
            long used = 0;
            for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (!e.getKey().contains("Metaspace") && !e.getKey().contains("CodeHeap")
                        && !e.getKey().contains("Compressed Class")) {
                    used += e.getValue().getUsed();
                }
            }
            max.accumulateAndGet(used, Math::max);
            count.incrementAndGet();
        }

        long maxAfterGc() {
            return max.get();
        }

        int collections() {
            return count.get();
        }
    }

    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** psql on the database of a {@code jdbc:postgresql://host:port/db} URL with the given arguments, output inherited. */
    static ProcessBuilder psql(String url, String user, String password, String... args) {
        String rest = url.substring(url.indexOf("//") + 2);
        String hostPort = rest.substring(0, rest.indexOf('/'));
        String db = rest.substring(rest.indexOf('/') + 1).split("\\?")[0];
        String host = hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
        String port = hostPort.contains(":") ? hostPort.substring(hostPort.indexOf(':') + 1) : "5432";
        List<String> cmd = new ArrayList<>(List.of("psql", "-h", host, "-p", port, "-U", user, "-d", db));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PGPASSWORD", password);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
        return pb;
    }

    static double psqlCopy(String url, String user, String password, String schema, Path csv) throws Exception {
        ProcessBuilder pb = psql(url, user, password, "-v", "ON_ERROR_STOP=1",
                "-c", "\\copy " + schema + ".copy_baseline FROM '" + csv.toAbsolutePath() + "' WITH (FORMAT csv, HEADER true)");
        long start = System.nanoTime();
        int rc = pb.start().waitFor();
        double secs = (System.nanoTime() - start) / 1e9;
        if (rc != 0) {
            throw new IllegalStateException("psql \\copy failed with exit code " + rc);
        }
        return secs;
    }

    static final String[] FIRST = {"Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas",
            "Karla", "Lukas", "Mia", "Noah", "Olga", "Paul"};
    static final String[] LAST = {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Koch", "Richter"};
    static final String[] CITY = {"Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Leipzig"};
    static final String[] COUNTRY = {"DE", "Deutschland", "Germany", "AT", "CH"};

    /** Writes the file; returns {duplicates, invalid}. */
    static int[] generate(Path csv, int n, Random rnd, List<String> optedOut) throws Exception {
        int dups = 0;
        int invalid = 0;
        // indexes of the rows with a regular e-mail ("p<i>@bench.example.com"): 4 bytes a row, so a 5M-row
        // file can be generated within the import's -Xmx512m
        int[] emails = new int[n];
        int emailCount = 0;
        try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("Email,Phone,First Name,Last Name,Company,City,Postal Code,Country,Birth Date,Newsletter\n");
            for (int i = 0; i < n; i++) {
                double r = rnd.nextDouble();
                String email;
                String phone = "";
                if (r < 0.05 && emailCount > 0) {
                    email = ("p" + emails[rnd.nextInt(emailCount)] + "@bench.example.com").toUpperCase();
                    dups++;
                } else if (r < 0.07) {
                    email = "not-an-email-" + i;
                    invalid++;
                } else if (r < 0.10) {
                    email = "out" + i + "@bench.example.com";
                    optedOut.add(email);
                } else {
                    email = "p" + i + "@bench.example.com";
                    emails[emailCount++] = i;
                    if (rnd.nextInt(3) == 0) {
                        phone = "+4930" + (1_000_000 + i);
                    }
                }
                String first = FIRST[rnd.nextInt(FIRST.length)];
                String last = LAST[rnd.nextInt(LAST.length)];
                w.write(email + "," + phone + "," + first + "," + last + ",\"Firma " + (i % 5000) + ", GmbH\","
                        + CITY[rnd.nextInt(CITY.length)] + "," + (10000 + rnd.nextInt(89999)) + ","
                        + COUNTRY[rnd.nextInt(COUNTRY.length)] + "," + (1950 + rnd.nextInt(50)) + "-0" + (1 + rnd.nextInt(9))
                        + "-1" + rnd.nextInt(9) + "," + (rnd.nextBoolean() ? "yes" : "") + "\n");
            }
        }
        return new int[]{dups, invalid};
    }
}
