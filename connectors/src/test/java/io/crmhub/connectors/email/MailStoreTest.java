package io.crmhub.connectors.email;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.Migrations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** V40 and every MailStore statement on both databases: H2 in PostgreSQL mode and the real PostgreSQL. */
class MailStoreTest {

    @TempDir
    Path dir;

    @Test
    void onH2() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:file:" + dir.resolve("mail").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        cfg.setUsername("sa");
        cfg.setPassword("");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            Migrations.migrate(ds, null);
            exercise(ds);
        }
    }

    @Test
    void onPostgres() {
        String schema = "crmhub_mailstore_test";
        HikariConfig admin = new HikariConfig();
        admin.setJdbcUrl(System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test"));
        admin.setUsername("postgres");
        admin.setPassword("");
        try (HikariDataSource a = new HikariDataSource(admin)) {
            new JdbcTemplate(a).execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            new JdbcTemplate(a).execute("CREATE SCHEMA " + schema);
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(System.getProperty("crmhub.test.pg.url", "jdbc:postgresql://127.0.0.1:5432/test") + "?currentSchema=" + schema);
        cfg.setUsername("postgres");
        cfg.setPassword("");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            Migrations.migrate(ds, schema);
            exercise(ds);
        }
    }

    private static void exercise(HikariDataSource ds) {
        MailStore s = new MailStore(ds);
        Instant t = Instant.parse("2026-12-01T10:00:00Z");
        assertThat(s.claim("sales", "<m1@x>", t)).isTrue();
        assertThat(s.claim("sales", "<m1@x>", t)).as("a re-read message is recognised").isFalse();
        assertThat(s.claim("service", "<m1@x>", null)).as("per mailbox").isTrue();
        s.finish("sales", "<m1@x>", "TRACKED", null, null, "a@b.example", "Hi", "detail");
        assertThat(s.handled("sales", "<m1@x>")).get().satisfies(h -> {
            assertThat(h.outcome()).isEqualTo("TRACKED");
            assertThat(h.profileId()).isNull();
            assertThat(h.caseId()).isNull();
        });

        s.addUnmatched(new MailStore.Unmatched(0, "sales", "<u1@x>", "u@x.example", "U", "s1", "snip", t, null, "{}"));
        s.addUnmatched(new MailStore.Unmatched(0, "sales", "<u1@x>", "u@x.example", "U", "s1", "snip", t, null, "{}"));
        s.addUnmatched(new MailStore.Unmatched(0, "other", "<u2@x>", "v@x.example", null, "s2", "", null, null, null));
        assertThat(s.unmatched(null, null, 10)).hasSize(2);
        assertThat(s.unmatched("sales", null, 10)).singleElement().satisfies(u -> assertThat(u.receivedAt()).isEqualTo(t));
        long newest = s.unmatched(null, null, 1).get(0).id();
        assertThat(s.unmatched(null, newest, 10)).hasSize(1);

        UUID p = null;
        long c = s.openCase("service", "Help", p, "c@x.example", "<c1@x>", t);
        s.appendToCase(c, t.plusSeconds(60));
        assertThat(s.findCase(c)).get().satisfies(k -> {
            assertThat(k.messageCount()).isEqualTo(2);
            assertThat(k.status()).isEqualTo("OPEN");
        });

        long o = s.enqueue("MESSAGE", null, "d@x.example", "tpl", null, null, c, "<c1@x>", "<o1@crm.test>");
        assertThat(s.due(10)).extracting(MailStore.Outbound::id).contains(o);
        s.markAttemptFailed(o, "down", Duration.ofHours(1));
        assertThat(s.due(10)).extracting(MailStore.Outbound::id).doesNotContain(o);
        assertThat(s.outboundByMessageId("<o1@crm.test>")).get().satisfies(x -> {
            assertThat(x.attempts()).isEqualTo(1);
            assertThat(x.reason()).isEqualTo("down");
        });
        s.markSent(o, "Subj");
        assertThat(s.outbound(o)).get().satisfies(x -> assertThat(x.status()).isEqualTo("SENT"));
        assertThat(s.outboundOfCase(c)).hasSize(1);

        s.recordBounce("d@x.example", false, "4.2.2", "full", t);
        assertThat(s.addressStatus("d@x.example")).get().satisfies(a -> {
            assertThat(a.undeliverable()).isFalse();
            assertThat(a.softBounces()).isEqualTo(1);
        });
        s.recordBounce("d@x.example", true, "5.1.1", "unknown", t);
        assertThat(s.addressStatus("d@x.example")).get().satisfies(a -> assertThat(a.undeliverable()).isTrue());

        assertThat(s.reserveAutoResponse("e@x.example", Duration.ofHours(1))).isTrue();
        assertThat(s.reserveAutoResponse("e@x.example", Duration.ofHours(1))).isFalse();
        assertThat(s.reserveAutoResponse("e@x.example", Duration.ZERO)).as("window over").isTrue();
    }
}
