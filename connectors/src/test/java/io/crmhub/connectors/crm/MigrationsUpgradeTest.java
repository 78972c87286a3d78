package io.crmhub.connectors.crm;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flows number their migrations in ranges of their own: a database that has every flow's
 * migrations but a newer one of a lower range (here the lists flow's V11, added after the
 * membership flow's V50 shipped) is upgraded, not refused.
 */
class MigrationsUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void attributeRowsMoveIntoTheProfileDocumentOnH2() throws Exception {
        onH2("attrdoc", this::attributeRowsMoveIntoTheProfileDocument);
    }

    @Test
    void attributeRowsMoveIntoTheProfileDocumentOnPostgres() throws Exception {
        onPostgres("crmhub_attrdoc_it", this::attributeRowsMoveIntoTheProfileDocument);
    }

    /** An upgrade check: given an empty database (and its schema, null for H2), it migrates and checks. */
    private interface Upgrade {
        void check(HikariDataSource ds, String schemaOrNull) throws Exception;
    }

    private static void onH2(String name, Upgrade upgrade) throws Exception {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:mem:" + name + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            upgrade.check(ds, null);
        }
    }

    /** Runs the check in a fresh schema of the test database, dropped afterwards. */
    private static void onPostgres(String schema, Upgrade upgrade) throws Exception {
        dropSchema(schema);
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(PgTestSupport.URL + "?currentSchema=" + schema);
        cfg.setUsername(PgTestSupport.USER);
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            upgrade.check(ds, schema);
        }
        dropSchema(schema);
    }

    private static void dropSchema(String schema) throws Exception {
        try (var c = java.sql.DriverManager.getConnection(PgTestSupport.URL, PgTestSupport.USER, "");
             var s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** The database as the release whose last migration was {@code version} left it. */
    private static void migrateUpTo(HikariDataSource ds, String schemaOrNull, String version) {
        var before = Flyway.configure().dataSource(ds).locations(Migrations.LOCATION).target(version);
        if (schemaOrNull != null) {
            before = before.schemas(schemaOrNull).defaultSchema(schemaOrNull).createSchemas(true);
        }
        before.load().migrate();
    }

    /** A store of the release before V3 (one row per attribute) with data in it, upgraded. */
    private void attributeRowsMoveIntoTheProfileDocument(HikariDataSource ds, String schema) throws Exception {
        migrateUpTo(ds, schema, "2");
        java.util.UUID ann = java.util.UUID.fromString("00000000-0000-7000-8000-000000000001");
        java.util.UUID bob = java.util.UUID.fromString("00000000-0000-7000-8000-000000000002");
        java.util.UUID none = java.util.UUID.fromString("00000000-0000-7000-8000-000000000003");
        java.time.Instant t1 = java.time.Instant.parse("2026-11-01T10:00:00.123456Z");
        java.time.Instant t2 = java.time.Instant.parse("2026-11-02T11:30:00Z");
        try (var c = ds.getConnection()) {
            try (var p = c.prepareStatement("INSERT INTO profile (id, status, created_at, updated_at, version)"
                    + " VALUES (?, 'ACTIVE', ?, ?, 0)")) {
                for (var id : List.of(ann, bob, none)) {
                    p.setObject(1, id);
                    p.setObject(2, java.time.OffsetDateTime.ofInstant(t1, java.time.ZoneOffset.UTC));
                    p.setObject(3, java.time.OffsetDateTime.ofInstant(t1, java.time.ZoneOffset.UTC));
                    p.executeUpdate();
                }
            }
            try (var p = c.prepareStatement("INSERT INTO profile_attribute (profile_id, name, \"value\", source, observed_at)"
                    + " VALUES (?, ?, ?, ?, ?)")) {
                Object[][] rows = {{ann, "firstName", "Ann", "crm", t1}, {ann, "city", "Lyon \"centre\"", "lists", t2},
                        {ann, "note", null, "api", t2}, {bob, "lastName", "Müller", "membership:web", t2}};
                for (Object[] r : rows) {
                    for (int i = 0; i < 4; i++) {
                        p.setObject(i + 1, r[i]);
                    }
                    p.setObject(5, java.time.OffsetDateTime.ofInstant((java.time.Instant) r[4], java.time.ZoneOffset.UTC));
                    p.executeUpdate();
                }
            }
        }
        Migrations.migrate(ds, schema);
        java.util.Map<java.util.UUID, String> docs = new java.util.HashMap<>();
        try (var c = ds.getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT id, attributes FROM profile")) {
            while (rs.next()) {
                docs.put(rs.getObject(1, java.util.UUID.class), rs.getString(2));
            }
        }
        var a = AttributeDocument.read(docs.get(ann));
        assertThat(a).containsOnlyKeys("city", "firstName", "note");
        assertThat(a.get("firstName")).isEqualTo(new io.crmhub.mappings.model.AttributeValue("Ann", "crm", t1));
        assertThat(a.get("city")).isEqualTo(new io.crmhub.mappings.model.AttributeValue("Lyon \"centre\"", "lists", t2));
        assertThat(a.get("note")).isEqualTo(new io.crmhub.mappings.model.AttributeValue(null, "api", t2));
        assertThat(AttributeDocument.read(docs.get(bob)))
                .containsExactly(java.util.Map.entry("lastName", new io.crmhub.mappings.model.AttributeValue("Müller", "membership:web", t2)));
        assertThat(docs.get(none)).as("no attributes, no document").isNull();
        try (var c = ds.getConnection()) {
            assertThat(c.getMetaData().getTables(null, schema, "profile_attribute", null).next())
                    .as("the row table is gone").isFalse();
        }
    }

    @Test
    void aNewMigrationOfAnEarlierRangeIsAppliedToAnExistingDatabase() throws Exception {
        URL folder = getClass().getClassLoader().getResource("db/migration");
        assertThat(folder).isNotNull();
        Path all = Path.of(folder.toURI());
        Path older = Files.createDirectories(dir.resolve("older"));
        List<Path> scripts;
        try (Stream<Path> s = Files.list(all)) {
            scripts = s.filter(p -> p.getFileName().toString().endsWith(".sql")).toList();
        }
        for (Path p : scripts) {
            // V14 reshapes V11's table: a release without V11 had neither
            if (!p.getFileName().toString().startsWith("V11__") && !p.getFileName().toString().startsWith("V14__")) {
                try (InputStream in = Files.newInputStream(p)) {
                    Files.copy(in, older.resolve(p.getFileName()));
                }
            }
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:mem:upgrade;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            // the database as an earlier release left it: every SQL script but V11 and V14 (and without the Java V3, V5,
            // V6, V21, V24)
            Flyway.configure().dataSource(ds).locations("filesystem:" + older).load().migrate();
            assertThat(Migrations.migrate(ds, null)).as("V3, V5, V6, V11, V14, V21 and V24 applied out of order").isEqualTo(7);
            try (var c = ds.getConnection(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM list_import_dry_key")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    @Test
    void rememberedMessageIdsKeepTheirTimesUnderTheirKeysOnH2() throws Exception {
        onH2("msgkeys", this::rememberedMessageIdsKeepTheirTimesUnderTheirKeys);
    }

    @Test
    void rememberedMessageIdsKeepTheirTimesUnderTheirKeysOnPostgres() throws Exception {
        onPostgres("crmhub_msgkeys_it", this::rememberedMessageIdsKeepTheirTimesUnderTheirKeys);
    }

    /**
     * A store of the release before V24 (messageIds remembered as text) upgraded: every id is remembered under
     * the key the fold now computes ({@code MessageKeys.of}, in SQL on PostgreSQL), with its time.
     */
    private void rememberedMessageIdsKeepTheirTimesUnderTheirKeys(HikariDataSource ds, String schema) throws Exception {
        migrateUpTo(ds, schema, "23");
        java.time.Instant t1 = java.time.Instant.parse("2026-12-01T10:00:00.123456Z");
        java.util.Map<String, java.time.Instant> ids = new java.util.LinkedHashMap<>();
        ids.put("ajs-next-69b2c1e8a3c2f1d0", t1);
        ids.put("6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b", t1.plusSeconds(1));
        ids.put("évènement-ü-中文-\uD83D\uDE00", t1.plusSeconds(2));
        ids.put("x".repeat(300), t1.plusSeconds(3));
        ids.put("6F1D2C3B-4A5E-4F60-9A7B-8C9D0E1F2A3C", t1.plusSeconds(4));
        try (var c = ds.getConnection();
             var p = c.prepareStatement("INSERT INTO click_message_seen (message_id, seen_at) VALUES (?, ?)")) {
            for (var e : ids.entrySet()) {
                p.setString(1, e.getKey());
                p.setObject(2, java.time.OffsetDateTime.ofInstant(e.getValue(), java.time.ZoneOffset.UTC));
                p.executeUpdate();
            }
        }
        Migrations.migrate(ds, schema);
        java.util.Map<java.util.UUID, java.time.Instant> keys = new java.util.HashMap<>();
        try (var c = ds.getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT message_key, seen_at FROM click_message_key")) {
            while (rs.next()) {
                keys.put(rs.getObject(1, java.util.UUID.class), rs.getObject(2, java.time.OffsetDateTime.class).toInstant());
            }
        }
        java.util.Map<java.util.UUID, java.time.Instant> expected = new java.util.HashMap<>();
        ids.forEach((id, at) -> expected.put(io.crmhub.connectors.clickstream.MessageKeys.of(id), at));
        assertThat(keys).isEqualTo(expected);
        try (var c = ds.getConnection()) {
            assertThat(c.getMetaData().getTables(null, schema, "click_message_seen", null).next())
                    .as("the text-keyed table is gone").isFalse();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"h2", "postgres"})
    void profilesWaitingForTheProjectionAreQueued(String kind) throws Exception {
        if (kind.equals("h2")) {
            onH2("projqueue", this::profilesWaitingForTheProjectionAreQueued);
        } else {
            onPostgres("crmhub_projqueue_it", this::profilesWaitingForTheProjectionAreQueued);
        }
    }

    /**
     * A store of the release before V25 (a projected flag on the stats rows) upgraded: the profiles whose flag was
     * down are in the projection queue, 5,000 to a row, the others are not, and the flag is gone.
     */
    private void profilesWaitingForTheProjectionAreQueued(HikariDataSource ds, String schema) throws Exception {
        migrateUpTo(ds, schema, "24");
        java.util.Set<java.util.UUID> waiting = new java.util.HashSet<>();
        try (var c = ds.getConnection();
             var p = c.prepareStatement("INSERT INTO click_profile_stats (profile_id, events, first_seen, last_seen,"
                     + " updated_at, projected) VALUES (?, 1, ?, ?, ?, ?)")) {
            var t = java.time.OffsetDateTime.parse("2026-12-01T10:00:00Z");
            for (int i = 0; i < 5_010; i++) {
                java.util.UUID id = java.util.UUID.randomUUID();
                boolean projected = i % 1000 == 7;
                if (!projected) {
                    waiting.add(id);
                }
                p.setObject(1, id);
                p.setObject(2, t);
                p.setObject(3, t);
                p.setObject(4, t);
                p.setBoolean(5, projected);
                p.addBatch();
            }
            p.executeBatch();
        }
        assertThat(waiting).hasSize(5_004);
        Migrations.migrate(ds, schema);
        java.util.List<java.util.List<java.util.UUID>> rows = new java.util.ArrayList<>();
        try (var c = ds.getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT profile_ids FROM click_projection_queue ORDER BY id")) {
            while (rs.next()) {
                java.util.List<java.util.UUID> ids = new java.util.ArrayList<>();
                for (Object v : (Object[]) rs.getArray(1).getArray()) {
                    ids.add(v instanceof java.util.UUID u ? u : java.util.UUID.fromString(v.toString()));
                }
                rows.add(ids);
            }
        }
        assertThat(rows).as("5,000 to a row").hasSize(2);
        assertThat(rows.get(0)).hasSize(5_000);
        assertThat(rows.get(1)).hasSize(4);
        java.util.Set<java.util.UUID> queued = new java.util.HashSet<>(rows.get(0));
        queued.addAll(rows.get(1));
        assertThat(queued).isEqualTo(waiting);
        try (var c = ds.getConnection();
             var cols = c.getMetaData().getColumns(null, schema, "click_profile_stats", "projected")) {
            assertThat(cols.next()).as("the flag is gone").isFalse();
        }
    }
}
