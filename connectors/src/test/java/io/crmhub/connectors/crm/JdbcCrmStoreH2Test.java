package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore.UpsertResult;
import io.crmhub.connectors.crm.CrmStore.UpsertResult.Outcome;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.MemberType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded default: the same migrations and store on an H2 file in PostgreSQL mode. */
class JdbcCrmStoreH2Test {

    @TempDir
    Path dir;

    @Test
    void migrationsAndStoreWorkOnH2InPostgresMode() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:file:" + dir.resolve("crmhub").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        cfg.setUsername("sa");
        cfg.setPassword("");
        cfg.setMaximumPoolSize(4);
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            assertThat(Migrations.migrate(ds, null)).as("every migration applies").isGreaterThanOrEqualTo(2);
            assertThat(Migrations.migrate(ds, null)).as("idempotent").isZero();
            MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
            JdbcCrmStore store = new JdbcCrmStore(ds, SurvivorshipRules.parse("crm"), new ConsentRules(),
                    IdentityPolicy.defaults(), new ObjectMapper(), clock);
            JdbcTemplate sql = new JdbcTemplate(ds);
            Instant t0 = Instant.parse("2024-05-01T12:00:00.123456789Z");
            Identity email = Identity.of(IdentityType.EMAIL, "h2@example.com");
            Identity phone = Identity.of(IdentityType.PHONE, "+15551234");

            UpsertResult a = store.upsert(new ProfileRecord("crm", t0, List.of(email), Map.of("firstName", "Hal"),
                    List.of(new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "crm", t0, "stop", false))));
            assertThat(a.outcome()).isEqualTo(Outcome.CREATED);
            assertThat(store.upsert(new ProfileRecord("crm", t0, List.of(email), Map.of("firstName", "Hal"),
                    List.of(new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "crm", t0, "stop", false)))).outcome())
                    .as("nanoseconds are truncated consistently").isEqualTo(Outcome.UNCHANGED);
            clock.advance(Duration.ofSeconds(1));
            UUID b = store.upsert(new ProfileRecord("shop", t0, List.of(phone), Map.of("city", "Oslo"), List.of()))
                    .profileId();
            store.addInteraction(b, new Interaction("ecommerce.purchase", t0, "shop", null, null, new BigDecimal("5.00"),
                    "NOK", "o", "o-1", null));
            store.addListMember(store.createList("l", MemberType.CONTACT).id(), b, false, "x");
            CustomerProfile beforeB = store.find(b, 5).orElseThrow();

            UpsertResult m = store.upsert(new ProfileRecord("web", t0, List.of(email, phone), Map.of(), List.of()));
            assertThat(m.outcome()).isEqualTo(Outcome.MERGED);
            assertThat(m.profileId()).isEqualTo(a.profileId());
            assertThat(store.find(b, 5).orElseThrow().identities()).containsExactlyInAnyOrder(email, phone);
            assertThat(store.timeline(a.profileId(), null, 5)).hasSize(1);

            store.unmerge(a.profileId(), b);
            CustomerProfile afterB = store.find(b, 5).orElseThrow();
            assertThat(afterB.identities()).isEqualTo(beforeB.identities());
            assertThat(afterB.attributes()).isEqualTo(beforeB.attributes());
            assertThat(afterB.latestInteractions()).isEqualTo(beforeB.latestInteractions());
            assertThat(afterB.lists()).isEqualTo(beforeB.lists());

            // guard: role mailbox
            UUID info = store.upsert(new ProfileRecord("x", t0, List.of(Identity.of(IdentityType.EMAIL, "info@h2.org")),
                    Map.of(), List.of())).profileId();
            UpsertResult g = store.upsert(new ProfileRecord("x", t0,
                    List.of(Identity.of(IdentityType.EMAIL, "info@h2.org"), phone), Map.of(), List.of()));
            assertThat(g.profileId()).isEqualTo(b);
            assertThat(g.identitiesNotLinked()).hasSize(1);
            assertThat(info).isNotEqualTo(b);

            List<CrmStore.BatchItem> batch = store.upsertAll(List.of(
                    new ProfileRecord("x", t0, List.of(Identity.of(IdentityType.EMAIL, "n1@h2.org")), Map.of("city", "A"),
                            List.of()),
                    new ProfileRecord("x", t0, List.of(Identity.of(IdentityType.EMAIL, "n2@h2.org")), Map.of(), List.of()),
                    new ProfileRecord("x", t0.plusSeconds(1), List.of(phone), Map.of("city", "Bergen"), List.of())));
            assertThat(batch).extracting(i -> i.result().outcome())
                    .containsExactly(Outcome.CREATED, Outcome.CREATED, Outcome.UPDATED);
            CrmStore.ErasureReport r = store.erase(b, "test");
            assertThat(r.tombstoneHashes()).isEqualTo(1);
            assertThat(r.removed()).containsEntry("identity", 1).containsEntry("interaction", 1);
            assertThatThrownBy(() -> store.upsert(new ProfileRecord("x", t0, List.of(phone), Map.of(), List.of())))
                    .isInstanceOf(ErasedIdentityException.class);
            assertThat(store.putComputedAll(Map.of(info, Map.of("score", "7"), b, Map.of("score", "1"))))
                    .as("the erased profile is skipped").containsExactly(info);
            assertThat(store.find(info, 0).orElseThrow().computed()).isEqualTo(Map.of("score", "7"));
            assertThat(store.putComputedAll(Map.of(info, Map.of("score", "7")))).isEmpty();
            assertThat(store.acquireLease("l", "me", Duration.ofSeconds(5))).isTrue();
            assertThat(store.acquireLease("l", "you", Duration.ofSeconds(5))).isFalse();
            long q = store.quarantine(new CrmStore.QuarantineEntry(0, "r", "s", "u", "p", Map.of(), "e", 1, null, null,
                    null));
            assertThat(store.quarantine(new CrmStore.QuarantineEntry(0, "r", "s", "u", "p", Map.of(), "e", 1, null, null,
                    null))).isEqualTo(q);
            assertThat(store.pendingOutbox(100)).extracting(CrmStore.OutboxEvent::eventType)
                    .contains("profile.created", "profile.merged", "profile.unmerged", "profile.erased");
            List<CrmStore.OutboxEvent> pending = store.pendingOutbox(100);
            store.markSent(List.of(pending.get(0).id(), pending.get(1).id()));
            clock.advance(Duration.ofDays(8));
            assertThat(store.purgeSentOutbox(clock.instant().minus(Duration.ofDays(7)), 1)).isEqualTo(1);
            assertThat(store.purgeSentOutbox(clock.instant().minus(Duration.ofDays(7)), 10)).isEqualTo(1);
            assertThat(store.pendingOutbox(100)).hasSize(pending.size() - 2);
            sql.update("INSERT INTO CAMEL_MESSAGEPROCESSED (processorName, messageId, createdAt) VALUES ('p', 'm', NULL)");
            assertThat(sql.queryForObject("SELECT COUNT(*) FROM CAMEL_MESSAGEPROCESSED WHERE processorName = 'p'",
                    Integer.class)).isEqualTo(1);
        }
    }
}
