package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore.ErasureReport;
import io.crmhub.connectors.crm.CrmStore.OutboxEvent;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JdbcCrmStorePostgresTest {

    static HikariDataSource ds;
    static JdbcTemplate sql;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2024-03-01T10:00:00Z");

    MutableClock clock;
    JdbcCrmStore store;

    @BeforeAll
    static void schema() throws Exception {
        ds = PgTestSupport.freshSchema(4);
        sql = new JdbcTemplate(ds);
    }

    @AfterAll
    static void close() {
        ds.close();
    }

    @BeforeEach
    void clean() {
        sql.execute("TRUNCATE " + PgTestSupport.ALL_TABLES + " CASCADE");
        clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        store = new JdbcCrmStore(ds, new SurvivorshipRules(List.of("crm", "shop")), new ConsentRules(),
                IdentityPolicy.defaults(), JSON, clock);
    }

    // --- helpers ----------------------------------------------------------------------------

    static Identity email(String v) {
        return Identity.of(IdentityType.EMAIL, v);
    }

    static Identity phone(String v) {
        return Identity.of(IdentityType.PHONE, v);
    }

    static Identity member(String ns, String v) {
        return Identity.of(IdentityType.MEMBER_ID, ns, v);
    }

    static Identity anon(String v) {
        return Identity.of(IdentityType.ANONYMOUS_ID, v);
    }

    static ProfileRecord rec(String source, Instant at, List<Identity> ids, Map<String, String> attrs,
                             Consent... consents) {
        return new ProfileRecord(source, at, ids, attrs, List.of(consents));
    }

    static ProfileRecord rec(Identity... ids) {
        return new ProfileRecord("shop", T0, List.of(ids), Map.of(), List.of());
    }

    UpsertResult upsert(ProfileRecord r) {
        UpsertResult res = store.upsert(r);
        clock.advance(Duration.ofSeconds(1));
        return res;
    }

    int count(String table) {
        return sql.queryForObject("SELECT COUNT(*) FROM " + table, Integer.class);
    }

    int count(String table, String where, Object... args) {
        return sql.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE " + where, Integer.class, args);
    }

    List<String> outboxTypes() {
        return sql.queryForList("SELECT event_type FROM outbox ORDER BY id", String.class);
    }

    String status(UUID id) {
        return sql.queryForObject("SELECT status FROM profile WHERE id = ?", String.class, id);
    }

    /** The view without the fields a merge/unmerge legitimately changes (updatedAt). */
    static CustomerProfile comparable(CustomerProfile p) {
        return new CustomerProfile(p.id(), p.createdAt(), null, p.identities(), p.attributes(), p.consents(),
                p.computed(), p.latestInteractions(), p.lists());
    }

    // --- create / update / unchanged ------------------------------------------------------------

    @Test
    void createThenUpdateThenUnchanged() throws Exception {
        UpsertResult r1 = upsert(rec("shop", T0, List.of(email("ann@example.com"), phone("+441234567890")),
                Map.of("firstName", "Ann", "city", "Leeds")));
        assertThat(r1.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(r1.mergedProfiles()).isEmpty();
        assertThat(outboxTypes()).containsExactly("profile.created");

        UpsertResult again = upsert(rec("shop", T0, List.of(email("ann@example.com"), phone("+441234567890")),
                Map.of("firstName", "Ann", "city", "Leeds")));
        assertThat(again.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(again.profileId()).isEqualTo(r1.profileId());
        assertThat(outboxTypes()).as("no outbox row for a no-op").containsExactly("profile.created");

        UpsertResult r2 = upsert(rec("shop", T0.plusSeconds(60), List.of(email("ann@example.com"),
                anon("cookie-1")), Map.of("city", "York", "lastName", "Lee")));
        assertThat(r2.outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(r2.profileId()).isEqualTo(r1.profileId());
        assertThat(outboxTypes()).containsExactly("profile.created", "profile.updated");
        List<OutboxEvent> pending = store.pendingOutbox(10);
        JsonNode upd = JSON.readTree(pending.get(1).payload());
        assertThat(upd.get("profileId").asText()).isEqualTo(r1.profileId().toString());
        assertThat(upd.get("attributes").get("city").asText()).isEqualTo("York");
        assertThat(upd.get("attributes").has("firstName")).isFalse();
        assertThat(upd.get("identitiesAdded").get(0).asText()).isEqualTo("ANONYMOUS_ID:cookie-1");

        CustomerProfile p = store.find(r1.profileId(), 5).orElseThrow();
        assertThat(p.identities()).containsExactlyInAnyOrder(email("ann@example.com"), phone("+441234567890"),
                anon("cookie-1"));
        assertThat(p.attributes().get("city").value()).isEqualTo("York");
        assertThat(p.attributes().get("firstName").value()).isEqualTo("Ann");
        assertThat(store.lookup(anon("cookie-1"))).contains(r1.profileId());
        assertThat(store.lookup(anon("nope"))).isEmpty();

        store.markSent(List.of(pending.get(0).id()));
        assertThat(store.pendingOutbox(10)).extracting(OutboxEvent::eventType).containsExactly("profile.updated");
    }

    @Test
    void sentChangesOlderThanTheRetentionArePurgedOldestFirstAndUnsentOnesNever() {
        for (int i = 0; i < 5; i++) {
            upsert(rec(email("purge" + i + "@example.com")));
        }
        List<OutboxEvent> all = store.pendingOutbox(10);
        assertThat(all).hasSize(5);
        store.markSent(List.of(all.get(0).id(), all.get(1).id(), all.get(2).id()));   // sent at T
        clock.advance(Duration.ofHours(2));
        store.markSent(List.of(all.get(3).id()));                                     // sent at T + 2 h
        Instant cut = clock.instant().minus(Duration.ofHours(1));

        assertThat(store.purgeSentOutbox(cut, 2)).as("at most the limit, oldest first").isEqualTo(2);
        assertThat(store.purgeSentOutbox(cut, 10)).isEqualTo(1);
        assertThat(store.purgeSentOutbox(cut, 10)).as("the later one is kept").isZero();
        assertThat(count("outbox")).isEqualTo(2);
        assertThat(store.pendingOutbox(10)).extracting(OutboxEvent::id).containsExactly(all.get(4).id());
        assertThat(store.purgeSentOutbox(clock.instant().plusSeconds(1), 10)).as("never an unsent one").isEqualTo(1);
        assertThat(store.pendingOutbox(10)).extracting(OutboxEvent::id).containsExactly(all.get(4).id());
    }

    @Test
    void upsertAllAppliesABatchInOneGoWithPerRecordOutcomes() throws Exception {
        UUID known = upsert(rec(email("known@example.com"))).profileId();
        UUID gone = upsert(rec(email("gone@example.com"))).profileId();
        store.erase(gone, "test");
        long outboxBefore = count("outbox");
        long eventsBefore = count("outbox_event");
        store.markSent(store.pendingOutbox(100).stream().map(OutboxEvent::id).toList());
        List<ProfileRecord> batch = List.of(
                rec("shop", T0, List.of(email("n1@example.com"), phone("+15550101")), Map.of("firstName", "N1"),
                        new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "shop", T0, "form", true)),
                rec(email("n2@example.com")),
                rec(email("known@example.com"), phone("+15550102")),
                rec(email("gone@example.com"), phone("+15550103")),
                rec("shop", T0, List.of(), Map.of()),
                rec(email("n3@example.com")),
                rec(email("n3@example.com"), anon("n3-device")),
                rec(member("web", "m1"), member("web", "m2")));
        List<CrmStore.BatchItem> out = store.upsertAll(batch);
        assertThat(out).hasSize(batch.size());
        assertThat(out.get(0).result().outcome()).isEqualTo(Outcome.CREATED);
        assertThat(out.get(1).result().outcome()).isEqualTo(Outcome.CREATED);
        assertThat(out.get(2).result().profileId()).isEqualTo(known);
        assertThat(out.get(2).result().outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(out.get(3).error()).isInstanceOf(ErasedIdentityException.class);
        assertThat(out.get(4).error()).isInstanceOf(IllegalArgumentException.class);
        assertThat(out.get(5).result().outcome()).isEqualTo(Outcome.CREATED);
        assertThat(out.get(6).result().profileId()).as("sees the earlier record of the batch")
                .isEqualTo(out.get(5).result().profileId());
        assertThat(out.get(6).result().outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(out.get(7).result().identitiesNotLinked()).containsExactly(member("web", "m2"));

        UUID n1 = out.get(0).result().profileId();
        CustomerProfile p1 = store.find(n1, 0).orElseThrow();
        assertThat(p1.identities()).containsExactlyInAnyOrder(email("n1@example.com"), phone("+15550101"));
        assertThat(p1.attributes().get("firstName").value()).isEqualTo("N1");
        assertThat(p1.consents().get(Channel.EMAIL).status()).isEqualTo(ConsentStatus.OPT_IN);
        assertThat(count("consent_history", "profile_id = ?", n1)).isEqualTo(1);
        assertThat(store.lookup(phone("+15550103"))).as("nothing of the erased record written").isEmpty();
        // created x4 (+ one consent.changed), updated x2; a profile's consecutive events share a row
        assertThat(count("outbox_event") - eventsBefore).isEqualTo(7);
        assertThat(count("outbox") - outboxBefore).as("n1 created + consent, n3 created + updated: one row each")
                .isEqualTo(5);
        List<OutboxEvent> pending = store.pendingOutbox(100);
        assertThat(pending).extracting(OutboxEvent::eventType).containsExactly("profile.created", "consent.changed",
                "profile.created", "profile.updated", "profile.created", "profile.updated", "profile.created");
        assertThat(pending.get(0).profileId()).isEqualTo(n1);
        assertThat(pending.get(1).profileId()).isEqualTo(n1);
        assertThat(pending.get(1).id()).as("one row").isEqualTo(pending.get(0).id());
        assertThat(pending.get(0).key()).isEqualTo(String.valueOf(pending.get(0).id()));
        assertThat(pending.get(1).key()).isEqualTo(pending.get(0).id() + ".1");
        assertThat(JSON.readTree(pending.get(1).payload()).get("channel").asText()).isEqualTo("EMAIL");
        assertThat(JSON.readTree(pending.get(0).payload()).get("profileId").asText()).isEqualTo(n1.toString());
        assertThat(pending).extracting(OutboxEvent::key).doesNotHaveDuplicates();
        // the view reads the same events with the same keys
        assertThat(sql.queryForList("SELECT key || ' ' || event_type || ' ' || payload FROM outbox_event"
                + " WHERE sent_at IS NULL ORDER BY id, part", String.class)).containsExactlyElementsOf(pending.stream()
                .map(e -> e.key() + " " + e.eventType() + " " + e.payload()).toList());
        store.markSent(List.of(pending.get(0).id()));
        assertThat(store.pendingOutbox(100)).as("marking the row sends both of its events").hasSize(5)
                .first().extracting(OutboxEvent::eventType).isEqualTo("profile.created");
        assertThat(store.upsertAll(List.of(rec(email("n2@example.com")), rec(email("n1@example.com")))))
                .extracting(b -> b.result().outcome()).containsOnly(Outcome.UNCHANGED);
    }

    @Test
    void thePostgresOnlyMigrationsRanHere() {
        assertThat(sql.queryForObject("SELECT array_to_string(reloptions, ',') FROM pg_class"
                + " WHERE relname = 'click_profile_interest' AND relnamespace = current_schema()::regnamespace",
                String.class)).as("V21").isEqualTo("fillfactor=50");
        assertThat(count("pg_views", "schemaname = current_schema() AND viewname = 'outbox_event'")).as("V5").isEqualTo(1);
        assertThat(sql.queryForObject("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                + " AND indexname = 'profile_merged_into_ix'", String.class)).as("V6").endsWith("WHERE (merged_into IS NOT NULL)");
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> store.upsert(rec("shop", T0, List.of(), Map.of("firstName", "X"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.upsert(rec(email(" ")))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.addInteraction(UUID.randomUUID(), Interaction.of("x", T0, "s", null)))
                .isInstanceOf(NoSuchProfileException.class);
        assertThat(store.find(UUID.randomUUID(), 1)).isEmpty();
        assertThat(count("outbox")).isZero();
    }

    @Test
    void outboxRowIsPartOfTheCallersTransaction() {
        TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(ds));
        outer.executeWithoutResult(s -> {
            store.upsert(rec(email("tx@example.com")));
            assertThat(count("outbox")).isEqualTo(1);
            s.setRollbackOnly();
        });
        assertThat(count("outbox")).isZero();
        assertThat(count("profile")).isZero();
        assertThat(count("identity")).isZero();
    }

    @Test
    void upsertAllHandsItsEventsToTheCallerInsteadOfWritingThem() {
        assertThatThrownBy(() -> store.upsertAll(List.of(rec(email("no-tx@example.com"))), new java.util.ArrayList<>()))
                .as("only inside the caller's transaction").isInstanceOf(IllegalStateException.class);
        UUID known = upsert(rec("crm", T0, List.of(email("known2@example.com")), Map.of("city", "Leeds"))).profileId();
        UUID x = upsert(rec(email("x@example.com"))).profileId();
        UUID y = upsert(rec(phone("+15550199"))).profileId();
        int rowsBefore = count("outbox");
        List<Object[]> events = new java.util.ArrayList<>();
        TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(ds));
        List<CrmStore.BatchItem> out = outer.execute(s -> store.upsertAll(List.of(
                rec("shop", T0, List.of(email("new@example.com")), Map.of(),
                        new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "shop", T0, "form", true)),
                rec("crm", T0.plusSeconds(5), List.of(email("known2@example.com")), Map.of("city", "York")),
                rec(email("x@example.com"), phone("+15550199"))), events));
        assertThat(out).allMatch(CrmStore.BatchItem::ok);
        assertThat(count("outbox")).as("nothing written by the store").isEqualTo(rowsBefore);
        UUID created = out.get(0).result().profileId();
        assertThat(events).extracting(e -> e[0] + " " + e[1]).startsWith(created + " profile.created",
                created + " consent.changed", known + " profile.updated").contains(x + " profile.merged");
        assertThat(events).allSatisfy(e -> {
            assertThat(e).hasSize(4);
            assertThat((String) e[2]).startsWith("{").doesNotContain("\n");
        });
        assertThat(store.find(created, 0)).isPresent();
        assertThat(status(y)).isEqualTo("MERGED");
    }

    // --- merge / unmerge ------------------------------------------------------------------------

    @Test
    void mergeMovesEverythingAndUnmergeRestoresBothExactly() throws Exception {
        UUID p1 = upsert(rec("crm", T0, List.of(email("jo@example.com")), Map.of("firstName", "Jo", "city", "Bath"),
                new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "crm", T0, "form-1", true))).profileId();
        UUID p2 = upsert(rec("shop", T0.plusSeconds(5), List.of(phone("+447700900001"), member("shop", "m-1")),
                Map.of("firstName", "Joanne", "lastName", "Smith"),
                new Consent(Channel.SMS, ConsentStatus.OPT_OUT, "shop", T0, "sms-stop", false))).profileId();
        long list = store.createList("newsletter", MemberType.CONTACT).id();
        long list2 = store.createList("vip", MemberType.CONTACT).id();
        assertThat(store.addListMember(list, p2, false, "import")).isTrue();
        assertThat(store.addListMember(list2, p1, false, "import")).isTrue();
        assertThat(store.addListMember(list2, p2, true, "import")).isTrue();
        store.addInteraction(p2, new Interaction("ecommerce.purchase", T0.plusSeconds(30), "shop", "web", null,
                new BigDecimal("19.90"), "EUR", "order 1", "o-1", "{\"items\":1}"));
        store.addInteraction(p1, Interaction.of("email.inbound", T0.plusSeconds(40), "mail", "hello"));
        store.putComputed(p1, Map.of("segment", "a"));
        store.putComputed(p2, Map.of("segment", "b", "value", "10"));
        long campaign = store.campaign("SPRING", "Spring sale", "EMAIL").id();
        store.addCampaignResponse(campaign, p2, "click", T0.plusSeconds(50), "esp");
        CustomerProfile before1 = store.find(p1, 10).orElseThrow();
        CustomerProfile before2 = store.find(p2, 10).orElseThrow();
        clock.advance(Duration.ofMinutes(1));

        UpsertResult m = upsert(rec("web", T0.plusSeconds(100), List.of(email("jo@example.com"),
                phone("+447700900001")), Map.of()));
        assertThat(m.outcome()).isEqualTo(Outcome.MERGED);
        assertThat(m.profileId()).as("the oldest profile survives").isEqualTo(p1);
        assertThat(m.mergedProfiles()).containsExactly(p2);
        assertThat(status(p2)).isEqualTo("MERGED");
        assertThat(sql.queryForObject("SELECT merged_into FROM profile WHERE id = ?", UUID.class, p2)).isEqualTo(p1);

        CustomerProfile merged = store.find(p1, 10).orElseThrow();
        assertThat(store.find(p2, 10).orElseThrow().id()).as("merged-away id answers with the survivor").isEqualTo(p1);
        assertThat(merged.identities()).hasSize(3);
        assertThat(merged.attributes().get("firstName").value()).as("crm outranks shop").isEqualTo("Jo");
        assertThat(merged.attributes().get("lastName").value()).isEqualTo("Smith");
        assertThat(merged.consents()).containsKeys(Channel.EMAIL, Channel.SMS);
        assertThat(merged.latestInteractions()).hasSize(2);
        assertThat(merged.lists()).extracting(CustomerProfile.ListMembership::listName)
                .containsExactlyInAnyOrder("newsletter", "vip");
        assertThat(merged.lists()).filteredOn(l -> l.listName().equals("vip"))
                .allMatch(CustomerProfile.ListMembership::suppressed);
        assertThat(count("campaign_response", "profile_id = ?", p1)).isEqualTo(1);

        Map<String, Object> journal = sql.queryForMap("SELECT * FROM merge_journal");
        assertThat(journal.get("survivor_id")).isEqualTo(p1);
        assertThat(journal.get("merged_id")).isEqualTo(p2);
        assertThat((String) journal.get("reason")).contains("EMAIL").contains("PHONE").doesNotContain("jo@example.com");
        JsonNode loserSnap = JSON.readTree((String) journal.get("merged_snapshot"));
        assertThat(loserSnap.get("identities")).hasSize(2);
        assertThat(loserSnap.get("movedInteractionIds")).hasSize(1);
        assertThat(JSON.readTree((String) journal.get("survivor_snapshot")).get("attributes").has("city")).isTrue();
        assertThat(outboxTypes()).contains("profile.merged");
        // V6: the merged_into index holds the merged profile only, and the look-up of merged ids uses it
        assertThat(sql.queryForObject("SELECT count(*) FROM (SELECT merged_into FROM profile"
                + " WHERE merged_into IS NOT NULL) m", Integer.class)).isEqualTo(1);
        assertThat(sql.queryForObject("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                + " AND indexname = 'profile_merged_into_ix'", String.class)).endsWith("WHERE (merged_into IS NOT NULL)");
        String plan = sql.execute((java.sql.Connection c) -> {
            try (var st = c.createStatement()) {
                st.execute("SET LOCAL enable_seqscan = off");
                StringBuilder b = new StringBuilder();
                try (var rs = st.executeQuery("EXPLAIN SELECT id FROM profile WHERE status = 'MERGED' AND merged_into IN ('"
                        + p1 + "', '" + p2 + "')")) {
                    while (rs.next()) {
                        b.append(rs.getString(1)).append('\n');
                    }
                }
                st.execute("RESET enable_seqscan");
                return b.toString();
            }
        });
        assertThat(plan).contains("profile_merged_into_ix");

        // a later record changes the survivor; unmerge still gives both their state at merge time
        upsert(rec("crm", T0.plusSeconds(200), List.of(email("jo@example.com")), Map.of("city", "Bristol")));
        CrmStore.UnmergeResult u = store.unmerge(p1, null);
        assertThat(u.restoredProfileId()).isEqualTo(p2);
        assertThat(status(p2)).isEqualTo("ACTIVE");
        assertThat(comparable(store.find(p1, 10).orElseThrow())).isEqualTo(comparable(before1));
        assertThat(comparable(store.find(p2, 10).orElseThrow())).isEqualTo(comparable(before2));
        assertThat(count("merge_journal", "unmerged_at IS NOT NULL")).isEqualTo(1);
        assertThat(outboxTypes()).endsWith("profile.unmerged");
        assertThatThrownBy(() -> store.unmerge(p1, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void threeProfilesMergeIntoTheOldestAndUnmergeGoesLatestFirst() {
        UUID a = upsert(rec(email("a@example.com"))).profileId();
        UUID b = upsert(rec(phone("+15550001"))).profileId();
        UUID c = upsert(rec(anon("dev-c"))).profileId();
        UpsertResult m = upsert(rec(anon("dev-c"), phone("+15550001"), email("a@example.com")));
        assertThat(m.profileId()).isEqualTo(a);
        assertThat(m.mergedProfiles()).containsExactlyInAnyOrder(b, c);
        assertThat(count("merge_journal")).isEqualTo(2);
        assertThat(count("identity", "profile_id = ?", a)).isEqualTo(3);
        UUID first = m.mergedProfiles().get(0);
        UUID second = m.mergedProfiles().get(1);
        assertThatThrownBy(() -> store.unmerge(a, first)).isInstanceOf(IllegalStateException.class);
        assertThat(store.unmerge(a, second).restoredProfileId()).isEqualTo(second);
        assertThat(store.unmerge(a, first).restoredProfileId()).isEqualTo(first);
        assertThat(count("identity", "profile_id = ?", a)).isEqualTo(1);
        assertThat(count("profile", "status = 'ACTIVE'")).isEqualTo(3);
    }

    // --- guards -----------------------------------------------------------------------------------

    @Test
    void roleMailboxNeverMerges() {
        UUID p1 = upsert(rec(email("info@acme.com"), phone("+15551111"))).profileId();
        UUID p2 = upsert(rec(phone("+15552222"))).profileId();

        UpsertResult r = upsert(rec(email("info@acme.com"), phone("+15552222")));
        assertThat(r.profileId()).isEqualTo(p2);
        assertThat(r.outcome()).isNotEqualTo(Outcome.MERGED);
        assertThat(r.identitiesNotLinked()).containsExactly(email("info@acme.com"));
        assertThat(status(p1)).isEqualTo("ACTIVE");
        assertThat(count("identity_sighting", "profile_id = ?", p2)).isEqualTo(1);

        // alone it still resolves to its owner
        assertThat(upsert(rec(email("info@acme.com"))).profileId()).isEqualTo(p1);
        // with a new strong identifier it does not pull that identifier into the owner's profile
        UpsertResult fresh = upsert(rec(email("info@acme.com"), phone("+15553333")));
        assertThat(fresh.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(fresh.identitiesNotLinked()).containsExactly(email("info@acme.com"));
        assertThat(count("merge_journal")).isZero();
    }

    @Test
    void identifierSeenOnMoreThanNProfilesNeverMerges() {
        Identity shared = email("family@example.com");
        UUID owner = upsert(rec(shared, member("club", "1"))).profileId();
        // three more members present the same e-mail: each a person of their own (different member id)
        for (int i = 2; i <= 4; i++) {
            UpsertResult r = upsert(rec(shared, member("club", String.valueOf(i))));
            assertThat(r.outcome()).isEqualTo(Outcome.CREATED);
            assertThat(r.identitiesNotLinked()).containsExactly(shared);
        }
        assertThat(count("identity_sighting")).isEqualTo(3);
        UUID other = upsert(rec(phone("+15559999"))).profileId();

        UpsertResult r = upsert(rec(shared, phone("+15559999")));
        assertThat(r.profileId()).isEqualTo(other);
        assertThat(r.mergedProfiles()).isEmpty();
        assertThat(r.identitiesNotLinked()).containsExactly(shared);
        assertThat(status(owner)).isEqualTo("ACTIVE");
        assertThat(count("merge_journal")).isZero();
    }

    @Test
    void identifierSeenOnFewProfilesStillMerges() {
        Identity shared = email("pair@example.com");
        UUID owner = upsert(rec(shared, member("club", "1"))).profileId();
        upsert(rec(shared, member("club", "2")));
        UUID other = upsert(rec(phone("+15558888"))).profileId();
        UpsertResult r = upsert(rec(shared, phone("+15558888")));
        assertThat(r.outcome()).isEqualTo(Outcome.MERGED);
        assertThat(r.profileId()).isEqualTo(owner);
        assertThat(r.mergedProfiles()).containsExactly(other);
    }

    @Test
    void sharedDeviceNeverMergesTwoLoggedInUsers() {
        UUID user1 = upsert(rec(member("web", "u1"), anon("device-9"))).profileId();
        UUID user2 = upsert(rec(member("web", "u2"), email("two@example.com"))).profileId();

        UpsertResult r = upsert(rec(member("web", "u2"), anon("device-9")));
        assertThat(r.profileId()).as("goes to the strongest identifier's profile").isEqualTo(user2);
        assertThat(r.mergedProfiles()).isEmpty();
        assertThat(r.identitiesNotLinked()).containsExactly(anon("device-9"));
        assertThat(store.lookup(anon("device-9"))).contains(user1);

        // a third user logging in on the device gets a profile of their own
        UpsertResult third = upsert(rec(member("web", "u3"), anon("device-9")));
        assertThat(third.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(third.identitiesNotLinked()).containsExactly(anon("device-9"));
        // a profile never gets a second member id of the same namespace
        UpsertResult two = upsert(rec(member("web", "u1"), member("web", "u5")));
        assertThat(two.profileId()).isEqualTo(user1);
        assertThat(two.identitiesNotLinked()).containsExactly(member("web", "u5"));
        assertThat(store.lookup(member("web", "u5"))).isEmpty();
        // another namespace is another id space
        assertThat(upsert(rec(member("web", "u1"), member("app", "u5"))).profileId()).isEqualTo(user1);
        assertThat(count("merge_journal")).isZero();
    }

    @Test
    void anonymousVisitorMergesIntoTheMemberWhoLogsIn() {
        UUID visitor = upsert(rec(anon("device-1"))).profileId();
        UUID member = upsert(rec(member("web", "u1"), email("m@example.com"))).profileId();
        UpsertResult r = upsert(rec(member("web", "u1"), anon("device-1")));
        assertThat(r.outcome()).isEqualTo(Outcome.MERGED);
        assertThat(r.profileId()).isEqualTo(visitor);
        assertThat(r.mergedProfiles()).containsExactly(member);
    }

    // --- survivorship and consent through the store -----------------------------------------------

    @Test
    void survivorshipByPriorityThenRecency() {
        UUID p = upsert(rec("shop", T0, List.of(email("s@example.com")), Map.of("firstName", "Ann"))).profileId();
        assertThat(upsert(rec("crm", T0.minusSeconds(3600), List.of(email("s@example.com")),
                Map.of("firstName", "Anna"))).outcome()).as("crm outranks shop even when older").isEqualTo(Outcome.UPDATED);
        assertThat(upsert(rec("shop", T0.plusSeconds(3600), List.of(email("s@example.com")),
                Map.of("firstName", "Annie"))).outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(upsert(rec("webform", T0.plusSeconds(7200), List.of(email("s@example.com")),
                Map.of("firstName", "Anny", "city", "Hull"))).outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(upsert(rec("crm", T0.plusSeconds(10), List.of(email("s@example.com")),
                Map.of("firstName", "Anna Maria"))).outcome()).as("same source, newer").isEqualTo(Outcome.UPDATED);
        CustomerProfile v = store.find(p, 0).orElseThrow();
        assertThat(v.attributes().get("firstName").value()).isEqualTo("Anna Maria");
        assertThat(v.attributes().get("firstName").source()).isEqualTo("crm");
        assertThat(v.attributes().get("city").value()).as("unknown source fills a gap").isEqualTo("Hull");
    }

    @Test
    void optOutIsNotLiftedByListImportButByNewerExplicitOptIn() {
        Identity e = email("c@example.com");
        UUID p = upsert(rec("esp", T0, List.of(e), Map.of(),
                new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "esp", T0, "unsubscribe-link", false))).profileId();
        UpsertResult imp = upsert(rec("list-import", T0.plusSeconds(86400), List.of(e), Map.of(),
                new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "list-import", T0.plusSeconds(86400), "file.csv", false)));
        assertThat(imp.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(store.find(p, 0).orElseThrow().consents().get(Channel.EMAIL).status()).isEqualTo(ConsentStatus.OPT_OUT);
        assertThat(count("consent_history", "profile_id = ?", p)).as("every statement kept").isEqualTo(2);
        assertThat(count("consent_history", "profile_id = ? AND effective", p)).isEqualTo(1);

        CrmStore.ConsentChange older = store.setConsent(p, new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "web",
                T0.minusSeconds(60), "double-opt-in", true));
        assertThat(older.changed()).isFalse();
        assertThat(older.effective().status()).isEqualTo(ConsentStatus.OPT_OUT);

        CrmStore.ConsentChange lifted = store.setConsent(p, new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "web",
                T0.plusSeconds(2 * 86400), "double-opt-in click 1.2.3.4", true));
        assertThat(lifted.changed()).isTrue();
        assertThat(lifted.effective().status()).isEqualTo(ConsentStatus.OPT_IN);
        assertThat(store.find(p, 0).orElseThrow().consents().get(Channel.EMAIL).evidence())
                .isEqualTo("double-opt-in click 1.2.3.4");

        UpsertResult unknown = upsert(rec("x", T0.plusSeconds(3 * 86400), List.of(e), Map.of(),
                new Consent(Channel.EMAIL, ConsentStatus.UNKNOWN, "x", T0.plusSeconds(3 * 86400), null, false)));
        assertThat(unknown.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(count("consent_history", "profile_id = ?", p)).isEqualTo(5);
        assertThat(outboxTypes()).containsExactly("profile.created", "consent.changed", "consent.changed");
    }

    // --- erasure ----------------------------------------------------------------------------------

    @Test
    void eraseRemovesPiiEverywhereAndKeepsATombstone() throws Exception {
        UUID p = upsert(rec("crm", T0, List.of(email("erase.me@example.com"), phone("+447700900123")),
                Map.of("firstName", "Eve"),
                new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "crm", T0, "form", true))).profileId();
        UUID loser = upsert(rec(member("shop", "eve-77"))).profileId();
        upsert(rec(member("shop", "eve-77"), email("erase.me@example.com")));
        UUID bystander = upsert(rec(email("bob@example.com"))).profileId();
        long list = store.createList("l", MemberType.LEAD).id();
        store.addListMember(list, p, false, "x");
        store.addInteraction(p, Interaction.of("web.page", T0, "web", "viewed /"));
        long c = store.campaign("C1", "c", "EMAIL").id();
        store.addCampaignResponse(c, p, "open", T0, "esp");
        store.putComputed(p, Map.of("score", "5"));
        store.quarantine(new CrmStore.QuarantineEntry(0, "r1", "shop", "file:in",
                "{\"email\":\"ERASE.ME@example.com\"}", Map.of(), "boom", 1, null, null, null));
        store.quarantine(new CrmStore.QuarantineEntry(0, "r1", "shop", "file:in",
                "{\"email\":\"bob@example.com\"}", Map.of(), "boom", 1, null, null, null));
        store.markSent(List.of(store.pendingOutbox(1).get(0).id()));

        ErasureReport report = store.erase(loser, "dpo@company");
        assertThat(report.profileId()).as("erasing a merged-away id erases the person").isEqualTo(p);
        assertThat(report.tombstoneHashes()).isEqualTo(3);
        assertThat(report.removed()).containsEntry("identity", 3).containsEntry("attributes", 1)
                .containsEntry("consent", 1).containsEntry("interaction", 1).containsEntry("list_member", 1)
                .containsEntry("campaign_response", 1).containsEntry("profile_computed", 1)
                .containsEntry("quarantine", 1).containsEntry("merge_journal", 1);
        assertThat(report.removed().get("consent_history")).isEqualTo(1);
        assertThat(report.removed().get("outbox")).isPositive();

        assertThat(status(p)).isEqualTo("ERASED");
        assertThat(status(loser)).isEqualTo("ERASED");
        assertThat(count("profile", "attributes IS NOT NULL AND id IN (?, ?)", p, loser)).as("attributes").isZero();
        for (String t : List.of("identity", "identity_sighting", "consent", "consent_history",
                "interaction", "list_member", "campaign_response", "profile_computed")) {
            assertThat(count(t, "profile_id IN (?, ?)", p, loser)).as(t).isZero();
        }
        assertThat(count("merge_journal", "merged_snapshot IS NOT NULL OR survivor_snapshot IS NOT NULL")).isZero();
        assertThat(count("quarantine")).isEqualTo(1);
        assertThat(count("identity", "profile_id = ?", bystander)).isEqualTo(1);
        assertThat(count("erasure_tombstone")).isEqualTo(3);
        String all = String.join("\n", sql.queryForList("SELECT payload FROM outbox", String.class));
        assertThat(all).doesNotContain("erase.me").doesNotContain("447700900123").doesNotContain("Eve")
                .doesNotContain("eve-77");
        assertThat(store.pendingOutbox(100)).extracting(OutboxEvent::eventType).contains("profile.erased");
        assertThat(store.find(p, 1)).isEmpty();

        assertThatThrownBy(() -> store.upsert(rec(email("erase.me@example.com"), phone("+15550000"))))
                .isInstanceOf(ErasedIdentityException.class).hasMessageNotContaining("erase.me");
        assertThat(store.lookup(phone("+15550000"))).isEmpty();
        assertThat(store.erase(p, "again").removed()).isEmpty();
        assertThatThrownBy(() -> store.addInteraction(p, Interaction.of("x", T0, "s", null)))
                .isInstanceOf(NoSuchProfileException.class);
    }

    // --- leases -----------------------------------------------------------------------------------

    @Test
    void leases() {
        Duration ttl = Duration.ofSeconds(30);
        assertThat(store.acquireLease("relay", "a", ttl)).isTrue();
        assertThat(store.acquireLease("relay", "b", ttl)).isFalse();
        assertThat(store.acquireLease("relay", "a", ttl)).as("renew").isTrue();
        clock.advance(Duration.ofSeconds(31));
        assertThat(store.acquireLease("relay", "b", ttl)).as("expired lease taken over").isTrue();
        assertThat(store.acquireLease("relay", "a", ttl)).isFalse();
        store.releaseLease("relay", "a");
        assertThat(store.acquireLease("relay", "a", ttl)).as("release by non-owner is a no-op").isFalse();
        store.releaseLease("relay", "b");
        assertThat(store.acquireLease("relay", "a", ttl)).isTrue();
        assertThat(store.acquireLease("other", "b", ttl)).isTrue();
    }

    // --- interactions, lists, campaigns, computed, quarantine ----------------------------------------

    @Test
    void interactionsAreIdempotentAndTimelineIsNewestFirst() throws Exception {
        UUID p = upsert(rec(email("t@example.com"))).profileId();
        Interaction order = new Interaction("ecommerce.purchase", T0, "shop", "web", "SPRING", new BigDecimal("42.50"),
                "EUR", "order 7", "order-7", "{\"lines\":2}");
        assertThat(store.addInteraction(p, order)).isTrue();
        assertThat(store.addInteraction(p, order)).isFalse();
        assertThat(store.addInteraction(p, Interaction.of("web.page", T0.plusSeconds(10), "web", "a"))).isTrue();
        assertThat(store.addInteraction(p, Interaction.of("web.page", T0.plusSeconds(10), "web", "a"))).as("no external id")
                .isTrue();
        List<CustomerProfile.StoredInteraction> tl = store.timeline(p, null, 10);
        assertThat(tl).hasSize(3);
        assertThat(tl.get(0).interaction().at()).isEqualTo(T0.plusSeconds(10));
        assertThat(tl.get(2).interaction()).isEqualTo(order);
        assertThat(store.timeline(p, T0.plusSeconds(10), 10)).hasSize(1);
        assertThat(outboxTypes()).containsExactly("profile.created", "interaction.added", "interaction.added",
                "interaction.added");
        JsonNode ev = JSON.readTree(store.pendingOutbox(2).get(1).payload());
        assertThat(ev.get("externalId").asText()).isEqualTo("order-7");
        assertThat(ev.get("amount").asText()).isEqualTo("42.50");
    }

    @Test
    void putComputedAllSetsManyProfilesInOneTransactionAndSkipsProfilesNoLongerActive() throws Exception {
        UUID a = upsert(rec(email("ca@example.com"))).profileId();
        UUID b = upsert(rec(email("cb@example.com"))).profileId();
        UUID gone = upsert(rec(email("cgone@example.com"))).profileId();
        assertThat(store.putComputed(b, Map.of("keep", "1", "drop", "x"))).isTrue();
        store.erase(gone, "test");
        int before = count("outbox", "event_type = 'profile.computed'");
        Map<String, String> forB = new java.util.HashMap<>(Map.of("keep", "1", "new", "n"));
        forB.put("drop", null);
        Map<UUID, Map<String, String>> all = new java.util.LinkedHashMap<>();
        all.put(gone, Map.of("x", "1"));
        all.put(b, forB);
        all.put(a, Map.of("pageViews", "4"));
        assertThat(store.putComputedAll(all)).as("erased profile skipped").containsExactlyInAnyOrder(a, b);
        assertThat(store.find(a, 0).orElseThrow().computed()).isEqualTo(Map.of("pageViews", "4"));
        assertThat(store.find(b, 0).orElseThrow().computed()).isEqualTo(Map.of("keep", "1", "new", "n"));
        assertThat(count("profile_computed", "profile_id = ?", gone)).isZero();
        List<CrmStore.OutboxEvent> events = store.pendingOutbox(1000).stream()
                .filter(e -> e.eventType().equals("profile.computed")).toList();
        assertThat(events).hasSize(before + 2);
        JsonNode forBEvent = JSON.readTree(events.stream().filter(e -> e.profileId().equals(b)).reduce((x, y) -> y)
                .orElseThrow().payload());
        assertThat(forBEvent.get("computed").toString()).isEqualTo("{\"drop\":null,\"new\":\"n\"}");
        assertThat(store.putComputedAll(all)).as("nothing changed").isEmpty();
        assertThat(count("outbox", "event_type = 'profile.computed'")).isEqualTo(before + 2);
    }

    @Test
    void listsCampaignsAndComputed() {
        UUID p = upsert(rec(email("l@example.com"))).profileId();
        CrmStore.MarketingList l = store.createList("Leads 2025", MemberType.LEAD);
        assertThat(store.createList("Leads 2025", MemberType.LEAD).id()).isEqualTo(l.id());
        assertThatThrownBy(() -> store.createList("Leads 2025", MemberType.ACCOUNT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.findList("Leads 2025")).contains(l);
        assertThat(store.findList("nope")).isEmpty();
        assertThat(store.addListMember(l.id(), p, false, "import")).isTrue();
        assertThat(store.addListMember(l.id(), p, false, "import")).isFalse();
        assertThat(store.addListMember(l.id(), p, true, "bounce")).isFalse();
        assertThat(store.addListMember(l.id(), p, false, "import")).isFalse();
        assertThat(store.find(p, 0).orElseThrow().lists()).singleElement()
                .satisfies(m -> assertThat(m.suppressed()).as("suppression is sticky").isTrue());

        CrmStore.Campaign c = store.campaign("BF25", "Black Friday", "EMAIL");
        assertThat(store.campaign("BF25", "other", "SMS")).isEqualTo(c);
        assertThat(store.addCampaignResponse(c.id(), p, "click", T0, "esp")).isTrue();
        assertThat(store.addCampaignResponse(c.id(), p, "click", T0, "esp")).isFalse();

        assertThat(store.putComputed(p, Map.of("rfm", "555", "segment", "vip"))).isTrue();
        assertThat(store.putComputed(p, Map.of("rfm", "555"))).isFalse();
        Map<String, String> remove = new java.util.HashMap<>();
        remove.put("segment", null);
        assertThat(store.putComputed(p, remove)).isTrue();
        assertThat(store.find(p, 0).orElseThrow().computed()).isEqualTo(Map.of("rfm", "555"));
        assertThat(outboxTypes()).containsExactly("profile.created", "list.member.added", "list.member.suppressed",
                "campaign.response", "profile.computed", "profile.computed");
    }

    @Test
    void quarantineDeduplicatesRepeatedFailures() {
        CrmStore.QuarantineEntry e = new CrmStore.QuarantineEntry(0, "import-route", "shop", "file:/in/a.csv",
                "a;b;c", Map.of("CamelFileName", "a.csv"), "parse error", 1, null, null, null);
        long id = store.quarantine(e);
        assertThat(store.quarantine(e)).isEqualTo(id);
        CrmStore.QuarantineEntry row = store.quarantined(id).orElseThrow();
        assertThat(row.attempts()).isEqualTo(2);
        assertThat(row.status()).isEqualTo("OPEN");
        assertThat(row.headers()).containsEntry("CamelFileName", "a.csv");
        assertThat(store.quarantined("OPEN", 10)).hasSize(1);
        store.markQuarantine(id, "REPLAYED");
        long again = store.quarantine(e);
        assertThat(again).isNotEqualTo(id);
        assertThat(store.quarantined("replayed", 10)).extracting(CrmStore.QuarantineEntry::id).containsExactly(id);
        assertThatThrownBy(() -> store.markQuarantine(id, "BOGUS")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.markQuarantine(999_999, "DISCARDED")).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.quarantined(999_999)).isEqualTo(Optional.empty());
    }

    @Test
    void camelIdempotentRepositoryTableIsUsable() {
        sql.update("INSERT INTO CAMEL_MESSAGEPROCESSED (processorName, messageId, createdAt) VALUES (?, ?, ?)",
                "p", "m-1", new java.sql.Timestamp(System.currentTimeMillis()));
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM CAMEL_MESSAGEPROCESSED WHERE processorName = ? AND messageId = ?",
                Integer.class, "p", "m-1")).isEqualTo(1);
        assertThatThrownBy(() -> sql.update("INSERT INTO CAMEL_MESSAGEPROCESSED (processorName, messageId, createdAt)"
                + " VALUES ('p', 'm-1', NULL)")).isInstanceOf(org.springframework.dao.DuplicateKeyException.class);
    }
}
