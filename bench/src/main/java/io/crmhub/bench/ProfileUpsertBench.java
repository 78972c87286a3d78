package io.crmhub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scenario "profile-upsert": N generated profile records (a share of them carrying an identity of
 * an earlier record, so they update or merge) upserted through normalisation and identity
 * resolution into PostgreSQL, against a plain JDBC batch insert of the same rows into one table,
 * in the same run on the same database. Prints both rates and their ratio.
 * <p>
 * Arguments: jdbcUrl user password [records=200000] [overlap=0.20] [threads=4] [batch=200]
 * (batch 1 = one transaction per record through {@code upsert}; more = {@code upsertAll} chunks).
 */
public final class ProfileUpsertBench {

    record Row(String email, String phone, String firstName, String lastName, String city, String country) {
    }

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test";
        String user = args.length > 1 ? args[1] : "postgres";
        String password = args.length > 2 ? args[2] : "";
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 200_000;
        double overlap = args.length > 4 ? Double.parseDouble(args[4]) : 0.20;
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 4;
        int batch = args.length > 6 ? Integer.parseInt(args[6]) : 200;
        String schema = "crmhub_bench";

        List<Row> rows = generate(n, overlap, 42);
        System.out.printf("scenario profile-upsert: %,d records, %.0f%% with an identity of an earlier record, %d threads, batch %d%n",
                n, overlap * 100, threads, batch);

        try (HikariDataSource ds = dataSource(url, user, password, schema, threads + 2)) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                s.execute("CREATE SCHEMA " + schema);
            }
            Migrations.migrate(ds, schema);
            // as the hub does (hub.statistics.check-interval): ANALYZE of the tables the run grows
            io.crmhub.connectors.jdbc.StatisticsKeeper statistics =
                    io.crmhub.connectors.jdbc.StatisticsKeeper.start(ds, java.time.Duration.ofSeconds(10));
            System.out.println("server: autovacuum " + io.crmhub.bench.ServerSettings.describe(ds));

            ServerSettings.settle(ds);
            double baseline = baseline(ds, rows);
            System.out.printf("baseline  plain JDBC batch insert : %,10.0f rows/s%n", baseline);

            ObjectMapper mapper = JsonMapper.builder().findAndAddModules().build();
            CrmStore store = new JdbcCrmStore(ds, new SurvivorshipRules(List.of("crm", "lists")), new ConsentRules(),
                    IdentityPolicy.defaults(), mapper);
            RecordNormaliser normaliser = new RecordNormaliser(NormaliserSettings.defaults().withStrict(false));
            Map<CrmStore.UpsertResult.Outcome, AtomicInteger> outcomes = new EnumMap<>(CrmStore.UpsertResult.Outcome.class);
            for (var o : CrmStore.UpsertResult.Outcome.values()) {
                outcomes.put(o, new AtomicInteger());
            }
            ServerSettings.settle(ds);
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    int from;
                    while ((from = next.getAndAdd(batch)) < rows.size()) {
                        List<ProfileRecord> chunk = new ArrayList<>(batch);
                        for (int i = from; i < Math.min(from + batch, rows.size()); i++) {
                            Row r = rows.get(i);
                            ProfileRecord raw = new ProfileRecord(i % 2 == 0 ? "crm" : "lists", Instant.now(),
                                    List.of(Identity.of(IdentityType.EMAIL, r.email()), Identity.of(IdentityType.PHONE, r.phone())),
                                    Map.of("firstName", r.firstName(), "lastName", r.lastName(), "city", r.city(),
                                            "country", r.country()), List.of());
                            chunk.add(normaliser.normalise(raw).record());
                        }
                        if (batch == 1) {
                            outcomes.get(store.upsert(chunk.get(0)).outcome()).incrementAndGet();
                        } else {
                            for (CrmStore.BatchItem item : store.upsertAll(chunk)) {
                                if (!item.ok()) {
                                    throw item.error();
                                }
                                outcomes.get(item.result().outcome()).incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            double seconds = (System.nanoTime() - start) / 1e9;
            double hub = n / seconds;
            long profiles;
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 var rs = s.executeQuery("SELECT count(*) FROM profile WHERE status = 'ACTIVE'")) {
                rs.next();
                profiles = rs.getLong(1);
            }
            System.out.printf("hub       resolve + upsert        : %,10.0f records/s  (%.1f s; outcomes %s; %,d live profiles;"
                    + " %,d retries)%n", hub, seconds, outcomes, profiles, ((JdbcCrmStore) store).retryCount());
            printTimings(((JdbcCrmStore) store));
            System.out.printf("ratio     hub / baseline          : %10.3f  (baseline is %.1fx faster)%n", hub / baseline, baseline / hub);
            statistics.close();   // before the pool: a running ANALYZE finishes first
        }
    }

    /** Deterministic rows; a share re-uses the e-mail or the phone of an earlier row. */
    static List<Row> generate(int n, double overlap, long seed) {
        Random random = new Random(seed);
        String[] first = {"Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas"};
        String[] last = {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"};
        String[] city = {"Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart"};
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String email = "user" + i + "@bench.example.com";
            String phone = "+4915" + String.format("%09d", 100_000_000 + i);
            if (i > 10 && random.nextDouble() < overlap) {
                Row earlier = rows.get(random.nextInt(i));
                if (random.nextBoolean()) {
                    email = earlier.email();
                } else {
                    phone = earlier.phone();
                }
            }
            rows.add(new Row(email, phone, first[random.nextInt(first.length)], last[random.nextInt(last.length)],
                    city[random.nextInt(city.length)], "DE"));
        }
        return rows;
    }

    static double baseline(HikariDataSource ds, List<Row> rows) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE bench_baseline (id UUID PRIMARY KEY, email VARCHAR, phone VARCHAR, "
                    + "first_name VARCHAR, last_name VARCHAR, city VARCHAR, country VARCHAR)");
        }
        long start = System.nanoTime();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO bench_baseline VALUES (?,?,?,?,?,?,?)")) {
            c.setAutoCommit(false);
            int i = 0;
            for (Row r : rows) {
                ps.setObject(1, UUID.randomUUID());
                ps.setString(2, r.email());
                ps.setString(3, r.phone());
                ps.setString(4, r.firstName());
                ps.setString(5, r.lastName());
                ps.setString(6, r.city());
                ps.setString(7, r.country());
                ps.addBatch();
                if (++i % 1000 == 0) {
                    ps.executeBatch();
                    c.commit();
                }
            }
            ps.executeBatch();
            c.commit();
        }
        return rows.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** The store's time per phase of upsertAll (summed over threads): where the hub's time goes. */
    static void printTimings(JdbcCrmStore store) {
        StringBuilder sb = new StringBuilder();
        store.timings().forEach((k, v) -> sb.append(String.format("%n            %-24s %,9d ms  %,8d calls", k, v[0], v[1])));
        System.out.println("          upsertAll phases (sum)   :" + sb);
    }

    static HikariDataSource dataSource(String url, String user, String password, String schema, int pool) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema + "&reWriteBatchedInserts=true");
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(pool);
        return new HikariDataSource(config);
    }
}
