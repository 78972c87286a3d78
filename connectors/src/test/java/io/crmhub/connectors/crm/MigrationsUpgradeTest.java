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
            if (!p.getFileName().toString().startsWith("V11__")) {
                try (InputStream in = Files.newInputStream(p)) {
                    Files.copy(in, older.resolve(p.getFileName()));
                }
            }
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:mem:upgrade;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            // the database as the previous release left it: everything up to V50 but V11
            Flyway.configure().dataSource(ds).locations("filesystem:" + older).load().migrate();
            assertThat(Migrations.migrate(ds, null)).as("V11 applied out of order").isEqualTo(1);
            try (var c = ds.getConnection(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM list_import_dry_key")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }
}
