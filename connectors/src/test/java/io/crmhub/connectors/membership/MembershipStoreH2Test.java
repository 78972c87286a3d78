package io.crmhub.connectors.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** V50 and the membership store on H2 in PostgreSQL mode, the embedded default (PostgreSQL: MembershipSyncIT). */
class MembershipStoreH2Test {

    @TempDir
    Path dir;

    @Test
    void stateWatermarkAndBatchedInteractionsWorkOnH2() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl("jdbc:h2:file:" + dir.resolve("crmhub").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        cfg.setUsername("sa");
        cfg.setPassword("");
        try (HikariDataSource ds = new HikariDataSource(cfg)) {
            Migrations.migrate(ds, null);
            JdbcCrmStore crm = JdbcCrmStore.withDefaults(ds);
            UUID profile = crm.upsert(new ProfileRecord("membership", Instant.now(),
                    List.of(Identity.of(IdentityType.MEMBER_ID, "web", "1")), Map.of(), List.of())).profileId();
            MembershipStore store = new MembershipStore(ds, new ObjectMapper());

            assertThat(store.sourceState("web")).isEmpty();
            Instant at = Instant.parse("2026-11-01T09:30:00.123456Z");
            store.saveWatermark("web", new MemberReader.Key(at, "1"));
            assertThat(store.sourceState("web").orElseThrow().watermarkAt()).isEqualTo(at);
            store.passFinished("web", true, null);
            assertThat(store.sourceState("web").orElseThrow().fullSyncDoneAt()).isNotNull();
            store.saveWatermark("web", null);
            assertThat(store.sourceState("web").orElseThrow().watermarkAt()).isNull();

            store.writeStates("web", List.of(new MembershipStore.StateWrite("1", profile, "fp1", "GOLD", "ACTIVE",
                    MembershipStore.SYNCED, at, null, null), new MembershipStore.StateWrite("2", null, "raw:x", null, null,
                    MembershipStore.QUARANTINED, at, null, 7L)), List.of());
            store.writeStates("web", List.of(), List.of(new MembershipStore.StateWrite("1", profile, "fp2", "PREMIUM",
                    "ACTIVE", MembershipStore.SYNCED, null, "city: bad", null)));
            MembershipStore.MemberState s = store.states("web", List.of("1", "2", "3")).get("1");
            assertThat(s.fingerprint()).isEqualTo("fp2");
            assertThat(s.tier()).isEqualTo("PREMIUM");
            assertThat(s.changedAt()).isEqualTo(at);
            assertThat(store.presentMemberIds("web", null, 10)).containsExactly("1", "2");
            assertThat(store.presentMemberIds("web", "1", 10)).containsExactly("2");
            assertThat(store.counts("web")).containsEntry("synced.ACTIVE", 1L).containsEntry("quarantined", 1L)
                    .containsEntry("withFieldProblems", 1L);

            var change = new MembershipStore.NewInteraction(profile, "membership.change", at, "membership",
                    "tier GOLD → PREMIUM", "web:1:x", "{}");
            assertThat(store.addInteractions(List.of(change))).isEqualTo(1);
            assertThat(store.addInteractions(List.of(change))).as("idempotent on the external id").isZero();
            assertThat(crm.timeline(profile, null, 10)).hasSize(1);
            assertThat(crm.pendingOutbox(100)).anySatisfy(e -> assertThat(e.eventType()).isEqualTo("interaction.added"));
        }
    }
}
