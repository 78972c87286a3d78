package io.crmhub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.AttributeDocument;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.connectors.membership.MemberReader;
import io.crmhub.connectors.membership.MembershipStore;
import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.connectors.membership.SourceKind;
import io.crmhub.connectors.membership.SourceSpec;
import io.crmhub.mappings.membership.AspNetProfileDecoder;
import io.crmhub.mappings.membership.MemberMapper;
import io.crmhub.mappings.membership.MemberRow;
import io.crmhub.mappings.membership.MembershipMapping;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.io.FileReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Scenario "membership": N generated ASP.NET Membership/Profile users in a PostgreSQL source
 * schema, (1) baseline: a raw JDBC read of the same joined rows plus a plain batch insert of them
 * into one table; (2) a profile of the hub's pass (reading pages with roles; mapping + decoding +
 * normalising); (3) the hub's initial full sync through MembershipSync (upsertAll, interactions,
 * sync state) into a fresh CRM schema; (4) incremental lag from a row update to the CRM profile
 * with a 1 s poll. Prints every figure and the ratio hub / baseline.
 * <p>
 * Arguments: jdbcUrl user password [members=1000000] [writers=2] [batch=5000] [lagSamples=40] [upsertChunk=1000]
 * [joinedOnInitialSync=false]
 */
public final class MembershipBench {

    static final String SRC = "mbr_bench_src";
    static final String CORE = "crmhub_bench_membership";
    static final UUID APP = UUID.fromString("11111111-1111-1111-1111-111111111111");
    static final UUID PREMIUM = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000001");
    static final UUID GOLD = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000002");
    static final LocalDateTime T0 = LocalDateTime.of(2026, 10, 1, 0, 0);

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test";
        String user = args.length > 1 ? args[1] : "postgres";
        String password = args.length > 2 ? args[2] : "";
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 1_000_000;
        int writers = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 5000;
        int lagSamples = args.length > 6 ? Integer.parseInt(args[6]) : 40;
        int chunk = args.length > 7 ? Integer.parseInt(args[7]) : 1000;
        boolean joinedOnInitialSync = args.length > 8 && Boolean.parseBoolean(args[8]);
        System.out.printf("scenario membership: %,d aspnet users (10%% Premium, 5%% Gold, 2%% locked, 3%% unapproved),"
                + " %d writers, page %d, upsertAll chunk %d, joined-on-initial-sync %s%n", n, writers, batch, chunk, joinedOnInitialSync);

        String srcUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SRC;
        // src writes the generated source and the lag updates; the sync reads through the hub's own read-only pool
        try (HikariDataSource src = pool(url, user, password, SRC, 3, false);
             HikariDataSource reading = io.crmhub.connectors.membership.SourcePool.readOnly("bench", srcUrl, user, password, 3);
             HikariDataSource core = pool(url, user, password, CORE, writers + 3, true)) {
            long t = System.nanoTime();
            generate(src, n);
            System.out.printf("source    generated                : %,d users in %.1f s%n", n, secs(t));
            try (Connection c = core.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + CORE + " CASCADE");
                s.execute("CREATE SCHEMA " + CORE);
            }
            Migrations.migrate(core, CORE);
            // as the hub does (hub.statistics.check-interval): ANALYZE of the tables the run grows
            io.crmhub.connectors.jdbc.StatisticsKeeper statistics =
                    io.crmhub.connectors.jdbc.StatisticsKeeper.start(core, java.time.Duration.ofSeconds(10));
            System.out.println("server: autovacuum " + io.crmhub.bench.ServerSettings.describe(core));
            // each measured phase starts without the checkpoint debt of what came before it
            ServerSettings.settle(core);
            double baseline = baseline(src, core, n);
            System.out.printf("baseline  raw read + plain insert  : %,10.0f rows/s%n", baseline);

            ObjectMapper json = JsonMapper.builder().findAndAddModules().build();
            MembershipMapping mapping;
            try (FileReader in = new FileReader("config/mappings/membership-aspnet.properties", StandardCharsets.UTF_8)) {
                mapping = MembershipMapping.parse(in);
            }
            SourceSpec spec = new SourceSpec("bench", SourceKind.ASPNET_MEMBERSHIP, "/bench", null, "", false, null, null, null,
                    List.of(), null, batch, Duration.ofSeconds(5));
            MemberMapper mapper = new MemberMapper("bench", "membership", mapping);
            RecordNormaliser normaliser = new RecordNormaliser(NormaliserSettings.defaults().withStrict(false));

            profile(reading, spec, mapper, normaliser, n);

            JdbcCrmStore crm = new JdbcCrmStore(core, new SurvivorshipRules(List.of("crm", "membership")), new ConsentRules(),
                    IdentityPolicy.defaults(), json);
            MembershipStore store = new MembershipStore(core, json);
            try (MembershipSync sync = new MembershipSync(spec, new MemberReader(spec, reading), mapper, normaliser, crm, store,
                    core, json, new MembershipSync.Options("bench", Duration.ofSeconds(60), writers, joinedOnInitialSync, 0.5, null, chunk))) {
                ServerSettings.settle(core);
                t = System.nanoTime();
                MembershipSync.Report r = sync.poll();
                double s = secs(t);
                if (r.note() != null) {
                    throw new IllegalStateException("initial sync failed: " + r.note());
                }
                double hub = r.read() / s;
                System.out.printf("hub       initial full sync        : %,10.0f members/s  (%,d members in %.1f s; changed %,d,"
                        + " quarantined %,d, interactions %,d, %,d store retries)%n", hub, r.read(), s, r.changed(),
                        r.quarantined(), r.interactions(), crm.retryCount());
                System.out.printf("          time in writers (sum)    : %s (rest of the wall time: reading pages, commits)%n", r.timings());
                printTimings(crm);
                System.out.printf("ratio     hub / baseline           : %10.3f  (baseline is %.1fx faster)%n", hub / baseline,
                        baseline / hub);
                try (Connection c = core.getConnection(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM profile), (SELECT count(*) FROM identity),"
                             + " (SELECT count(*) FROM profile p, json_object_keys(p.attributes::json -> 'a')),"
                             + " (SELECT count(*) FROM interaction),"
                             + " (SELECT count(*) FROM outbox)")) {
                    rs.next();
                    System.out.printf("          rows written             : profiles %,d, identities %,d, attributes %,d,"
                            + " interactions %,d, outbox %,d%n", rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
                }
                t = System.nanoTime();
                MembershipSync.Report again = sync.poll();
                System.out.printf("hub       incremental, no change   : %,d rows re-read (look-back) in %.2f s%n", again.read(), secs(t));
                lag(src, core, sync, n, lagSamples);
            }
            statistics.close();   // before the pool: a running ANALYZE finishes first
        }
    }

    /** Reading (pages + roles) and mapping/normalising, measured apart: where a pass spends its time. */
    static void profile(HikariDataSource src, SourceSpec spec, MemberMapper mapper, RecordNormaliser normaliser, int n) {
        MemberReader reader = new MemberReader(spec, src);
        long readNs = 0;
        long mapNs = 0;
        long rows = 0;
        MemberReader.Key key = null;
        int limit = Math.min(n, 200_000); // a sample is enough for a rate
        while (rows < limit) {
            long t = System.nanoTime();
            MemberReader.Page p = reader.page(key, spec.batchSize());
            readNs += System.nanoTime() - t;
            if (p.rows().isEmpty()) {
                break;
            }
            t = System.nanoTime();
            for (MemberRow r : p.rows()) {
                normaliser.normalise(mapper.map(r).record(), false);
            }
            mapNs += System.nanoTime() - t;
            rows += p.rows().size();
            key = p.last();
        }
        System.out.printf("profile   read pages + roles       : %,10.0f rows/s  (%,d rows)%n", rows / (readNs / 1e9), rows);
        System.out.printf("profile   map + decode + normalise : %,10.0f rows/s  (one thread)%n", rows / (mapNs / 1e9));
    }

    /** Incremental lag: a row update in the source → the CRM profile shows it, with a 1 s poll running. */
    static void lag(HikariDataSource src, HikariDataSource core, MembershipSync sync, int n, int samples) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread poller = new Thread(() -> {
            while (!stop.get()) {
                long t = System.currentTimeMillis();
                sync.poll();
                long rest = 1000 - (System.currentTimeMillis() - t);
                if (rest > 0) {
                    try {
                        Thread.sleep(rest);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "bench-poller");
        poller.start();
        Random random = new Random(7);
        long[] lags = new long[samples];
        try (Connection s = src.getConnection(); Connection c = core.getConnection();
             PreparedStatement up = s.prepareStatement("UPDATE aspnet_Profile SET PropertyNames = ?, PropertyValuesString = ?,"
                     + " LastUpdatedDate = now() AT TIME ZONE 'UTC' WHERE UserId = ?");
             PreparedStatement act = s.prepareStatement("UPDATE aspnet_Users SET LastActivityDate = now() AT TIME ZONE 'UTC'"
                     + " WHERE UserId = ?");
             PreparedStatement probe = c.prepareStatement("SELECT p.attributes FROM identity i JOIN profile p"
                     + " ON p.id = i.profile_id WHERE i.type = 'MEMBER_ID' AND i.namespace = 'bench'"
                     + " AND i.\"value\" = ?")) {
            s.setAutoCommit(true);
            for (int k = 0; k < samples; k++) {
                Thread.sleep(200 + random.nextInt(900));
                int i = random.nextInt(n);
                UUID id = uid(i);
                String city = "Lagtown" + k;
                String[] bag = AspNetProfileDecoder.encodeStrings(new LinkedHashMap<>(Map.of("FirstName", "First" + i,
                        "LastName", "Last" + i, "City", city)));
                long t = System.nanoTime();
                up.setString(1, bag[0]);
                up.setString(2, bag[1]);
                up.setObject(3, id);
                up.executeUpdate();
                act.setObject(1, id);
                act.executeUpdate();
                while (true) {
                    probe.setString(1, id.toString());
                    try (ResultSet rs = probe.executeQuery()) {
                        if (rs.next() && city.equals(AttributeDocument.values(rs.getString(1), Set.of("city")).get("city"))) {
                            break;
                        }
                    }
                    if (System.nanoTime() - t > 60_000_000_000L) {
                        throw new IllegalStateException("member " + id + " not synced within 60 s");
                    }
                    Thread.sleep(20);
                }
                lags[k] = (System.nanoTime() - t) / 1_000_000;
            }
        } finally {
            stop.set(true);
            poller.join(30_000);
        }
        Arrays.sort(lags);
        System.out.printf("hub       incremental lag (1 s poll): p50 %d ms, p95 %d ms, max %d ms  (%d updates over %,d members)%n",
                lags[lags.length / 2], lags[(int) Math.ceil(lags.length * 0.95) - 1], lags[lags.length - 1], samples, n);
    }

    static UUID uid(int i) {
        return new UUID(0x1234_0000_0000_4000L, 0x8000_0000_0000_0000L | i);
    }

    static void generate(HikariDataSource src, int n) throws Exception {
        try (Connection c = src.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SRC + " CASCADE");
            s.execute("CREATE SCHEMA " + SRC);
            s.execute("SET search_path TO " + SRC);
            s.execute("CREATE TABLE aspnet_Applications (ApplicationName varchar(256) NOT NULL, LoweredApplicationName varchar(256)"
                    + " NOT NULL, ApplicationId uuid PRIMARY KEY, Description varchar(256))");
            s.execute("CREATE TABLE aspnet_Users (ApplicationId uuid NOT NULL, UserId uuid PRIMARY KEY, UserName varchar(256) NOT NULL,"
                    + " LoweredUserName varchar(256) NOT NULL, MobileAlias varchar(16), IsAnonymous boolean NOT NULL DEFAULT false,"
                    + " LastActivityDate timestamp NOT NULL)");
            s.execute("CREATE TABLE aspnet_Membership (ApplicationId uuid NOT NULL, UserId uuid PRIMARY KEY, Password varchar(128) NOT NULL,"
                    + " PasswordFormat int NOT NULL DEFAULT 1, PasswordSalt varchar(128) NOT NULL, Email varchar(256),"
                    + " LoweredEmail varchar(256), PasswordAnswer varchar(128), IsApproved boolean NOT NULL, IsLockedOut boolean NOT NULL,"
                    + " CreateDate timestamp NOT NULL, LastLoginDate timestamp NOT NULL, Comment text)");
            s.execute("CREATE TABLE aspnet_Profile (UserId uuid PRIMARY KEY, PropertyNames text NOT NULL, PropertyValuesString text NOT NULL,"
                    + " PropertyValuesBinary bytea NOT NULL, LastUpdatedDate timestamp NOT NULL)");
            s.execute("CREATE TABLE aspnet_Roles (ApplicationId uuid NOT NULL, RoleId uuid PRIMARY KEY, RoleName varchar(256) NOT NULL,"
                    + " LoweredRoleName varchar(256) NOT NULL)");
            s.execute("CREATE TABLE aspnet_UsersInRoles (UserId uuid NOT NULL, RoleId uuid NOT NULL, PRIMARY KEY (UserId, RoleId))");
            s.execute("INSERT INTO aspnet_Applications VALUES ('/bench', '/bench', '" + APP + "', NULL)");
            s.execute("INSERT INTO aspnet_Roles VALUES ('" + APP + "', '" + PREMIUM + "', 'Premium', 'premium'),"
                    + " ('" + APP + "', '" + GOLD + "', 'Gold', 'gold')");
        }
        String[] first = {"ANNA", "ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas"};
        String[] last = {"Müller", "SCHMIDT", "Schneider", "fischer", "Weber", "Meyer", "Wagner", "Becker"};
        String[] city = {"Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart"};
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
        Random random = new Random(42);
        try (Connection c = src.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET search_path TO " + SRC);
            }
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder u = new StringBuilder();
            StringBuilder m = new StringBuilder();
            StringBuilder p = new StringBuilder();
            StringBuilder r = new StringBuilder();
            for (int i = 0; i < n; i++) {
                UUID id = uid(i);
                String act = f.format(T0.plusSeconds(random.nextInt(30 * 24 * 3600)));
                u.append(APP).append('\t').append(id).append("\tUser").append(i).append("\tuser").append(i).append("\t\\N\tf\t")
                        .append(act).append('\n');
                boolean approved = random.nextInt(100) >= 3;
                boolean locked = random.nextInt(100) < 2;
                m.append(APP).append('\t').append(id).append("\tHASHxxxxxxxxxxxxxxxxxxxxxxxxxxx=\t1\tSALTyyyyyyyyyyyyyyyy==\tUser")
                        .append(i).append("@Bench.Example.com\tuser").append(i).append("@bench.example.com\t\\N\t")
                        .append(approved ? 't' : 'f').append('\t').append(locked ? 't' : 'f').append('\t')
                        .append(f.format(T0.minusDays(365))).append('\t').append(act).append("\t\\N\n");
                Map<String, String> props = new LinkedHashMap<>();
                props.put("FirstName", first[random.nextInt(first.length)]);
                props.put("LastName", last[random.nextInt(last.length)]);
                props.put("City", city[random.nextInt(city.length)]);
                props.put("BirthDate", random.nextBoolean() ? String.format("%02d.%02d.19%02d", 1 + random.nextInt(28),
                        1 + random.nextInt(12), 50 + random.nextInt(50)) : null);
                String[] bag = AspNetProfileDecoder.encodeStrings(props);
                p.append(id).append('\t').append(bag[0]).append('\t').append(bag[1]).append("\t\\\\x\t").append(act).append('\n');
                int tier = random.nextInt(100);
                if (tier < 10) {
                    r.append(id).append('\t').append(PREMIUM).append('\n');
                } else if (tier < 15) {
                    r.append(id).append('\t').append(GOLD).append('\n');
                }
                if ((i + 1) % 50_000 == 0 || i == n - 1) {
                    copy(copy, "aspnet_Users", u);
                    copy(copy, "aspnet_Membership (ApplicationId, UserId, Password, PasswordFormat, PasswordSalt, Email,"
                            + " LoweredEmail, PasswordAnswer, IsApproved, IsLockedOut, CreateDate, LastLoginDate, Comment)", m);
                    copy(copy, "aspnet_Profile", p);
                    copy(copy, "aspnet_UsersInRoles", r);
                }
            }
            c.commit();
            try (Statement s = c.createStatement()) {
                s.execute("CREATE INDEX aspnet_Users_Index2 ON aspnet_Users (ApplicationId, LastActivityDate)");
                s.execute("ANALYZE");
            }
            c.commit();
        }
    }

    static void copy(org.postgresql.copy.CopyManager copy, String table, StringBuilder data) throws Exception {
        if (data.isEmpty()) {
            return;
        }
        byte[] bytes = data.toString().getBytes(StandardCharsets.UTF_8);
        CopyIn in = copy.copyIn("COPY " + table + " FROM STDIN");
        in.writeToCopy(bytes, 0, bytes.length);
        in.endCopy();
        data.setLength(0);
    }

    /** The same joined rows read with plain JDBC (one streaming query) and inserted as they are into one table. */
    static double baseline(HikariDataSource src, HikariDataSource core, int n) throws Exception {
        try (Connection c = core.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE bench_baseline (user_id uuid PRIMARY KEY, user_name varchar, email varchar, approved boolean,"
                    + " locked boolean, property_names varchar, property_values varchar, last_activity timestamp)");
        }
        long start = System.nanoTime();
        long rows = 0;
        try (Connection s = src.getConnection(); Connection c = core.getConnection();
             PreparedStatement ins = c.prepareStatement("INSERT INTO bench_baseline VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setAutoCommit(false);
            c.setAutoCommit(false);
            try (PreparedStatement q = s.prepareStatement("SELECT u.UserId, u.UserName, m.Email, m.IsApproved, m.IsLockedOut,"
                    + " p.PropertyNames, p.PropertyValuesString, u.LastActivityDate FROM aspnet_Users u"
                    + " JOIN aspnet_Membership m ON m.UserId = u.UserId LEFT JOIN aspnet_Profile p ON p.UserId = u.UserId"
                    + " WHERE u.ApplicationId = ?")) {
                q.setFetchSize(5000);
                q.setObject(1, APP);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        ins.setObject(1, rs.getObject(1));
                        ins.setString(2, rs.getString(2));
                        ins.setString(3, rs.getString(3));
                        ins.setBoolean(4, rs.getBoolean(4));
                        ins.setBoolean(5, rs.getBoolean(5));
                        ins.setString(6, rs.getString(6));
                        ins.setString(7, rs.getString(7));
                        ins.setTimestamp(8, rs.getTimestamp(8));
                        ins.addBatch();
                        if (++rows % 5000 == 0) {
                            ins.executeBatch();
                            c.commit();
                        }
                    }
                }
            }
            ins.executeBatch();
            c.commit();
            s.commit();
        }
        if (rows != n) {
            throw new IllegalStateException("baseline read " + rows + " rows, expected " + n);
        }
        return rows / secs(start);
    }

    /** The store's time per phase of upsertAll (summed over threads): where the hub's time goes. */
    static void printTimings(JdbcCrmStore store) {
        StringBuilder sb = new StringBuilder();
        store.timings().forEach((k, v) -> sb.append(String.format("%n            %-24s %,9d ms  %,8d calls", k, v[0], v[1])));
        System.out.println("          upsertAll phases (sum)   :" + sb);
    }

    static HikariDataSource pool(String url, String user, String password, String schema, int size, boolean rewrite) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema
                + (rewrite ? "&reWriteBatchedInserts=true" : ""));
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(size);
        return new HikariDataSource(cfg);
    }

    static double secs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private MembershipBench() {
    }
}
