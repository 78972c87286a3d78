package io.crmhub.connectors.clickstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.JdbcCrmStore;
import io.crmhub.connectors.crm.Migrations;
import io.crmhub.mappings.clickstream.AudienceRule;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.SegmentMapper;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import io.crmhub.mappings.clickstream.InterestScore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The clickstream fold on both databases the hub runs on: H2 in PostgreSQL mode (the embedded
 * default) and the real PostgreSQL (schema crmhub_clickstream_store).
 */
class ClickstreamStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
    private static final List<HikariDataSource> POOLS = new ArrayList<>();

    @TempDir
    static Path dir;

    private final SegmentMapper mapper = new SegmentMapper();

    @AfterAll
    static void close() {
        POOLS.forEach(HikariDataSource::close);
    }

    private static HikariDataSource database(String kind) throws Exception {
        HikariConfig cfg = new HikariConfig();
        if (kind.equals("h2")) {
            cfg.setJdbcUrl("jdbc:h2:file:" + dir.resolve("click-" + UUID.randomUUID()).toAbsolutePath()
                    + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
            cfg.setUsername("sa");
            cfg.setPassword("");
        } else {
            String schema = "crmhub_clickstream_store";
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
            cfg.setJdbcUrl("jdbc:postgresql://127.0.0.1:5432/test?currentSchema=" + schema);
            cfg.setUsername("postgres");
            cfg.setPassword("");
            HikariDataSource ds = new HikariDataSource(cfg);
            POOLS.add(ds);
            Migrations.migrate(ds, schema);
            return ds;
        }
        cfg.setMaximumPoolSize(4);
        HikariDataSource ds = new HikariDataSource(cfg);
        POOLS.add(ds);
        Migrations.migrate(ds, null);
        return ds;
    }

    /** A clickstream store on a fresh database of the kind, with its CRM store, at a fixed clock. */
    private record Fixture(HikariDataSource ds, Clock clock, JdbcCrmStore crm, ClickstreamStore store, JdbcTemplate sql) {
    }

    private static Fixture fixture(String kind) throws Exception {
        HikariDataSource ds = database(kind);
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);
        JdbcCrmStore crm = new JdbcCrmStore(ds, SurvivorshipRules.parse("crm,clickstream"), new ConsentRules(),
                IdentityPolicy.defaults(), JSON, clock);
        RecordNormaliser normaliser = new RecordNormaliser(new NormaliserSettings("DE", ZoneId.of("Europe/Berlin"), true, false));
        return new Fixture(ds, clock, crm, new ClickstreamStore(ds, crm, normaliser, ClickstreamStore.Settings.defaults(), clock),
                new JdbcTemplate(ds));
    }

    /** The event as received at T0, or when it happened if later (a fold over days receives its events over days). */
    private ClickEvent event(String json) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(json);
            Instant received = T0;
            if (n.hasNonNull("timestamp") && Instant.parse(n.get("timestamp").asText()).isAfter(received)) {
                received = Instant.parse(n.get("timestamp").asText());
            }
            return mapper.map(n, received);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private ClickEvent page(String id, String anon, String user, Instant at, String category) {
        return event("{\"type\":\"page\",\"messageId\":\"" + id + "\"" + (anon == null ? "" : ",\"anonymousId\":\"" + anon + "\"")
                + (user == null ? "" : ",\"userId\":\"" + user + "\"") + ",\"timestamp\":\"" + at + "\""
                + (category == null ? "" : ",\"category\":\"" + category + "\"")
                + ",\"context\":{\"campaign\":{\"name\":\"Spring Launch\",\"medium\":\"email\"}}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theAnonymousHistoryOfSomeoneWhoOptedOutOfAdsIsNotAttachedByTheMerge(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        UUID tess = f.crm().upsert(new ProfileRecord("crm", T0, List.of(Identity.of(IdentityType.EXTERNAL_ID, "web", "t6")),
                Map.of(), List.of(new Consent(Channel.ADS, ConsentStatus.OPT_OUT, "crm", T0, "form", true)))).profileId();
        store.apply(List.of(page("t1", "dev-t", null, T0, "travel"), page("t2", "dev-t", null, T0.plusSeconds(60), "travel")));
        UUID anon = f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "dev-t")).orElseThrow();
        assertThat(store.engagement(anon).orElseThrow().pageViews()).isEqualTo(2);
        // she logs in: the anonymous profile is merged into hers, its engagement is dropped, not moved
        ClickstreamStore.Report r = store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"t3\","
                + "\"anonymousId\":\"dev-t\",\"userId\":\"t6\"}")));
        assertThat(r.merges()).isEqualTo(1);
        UUID survivor = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "t6")).orElseThrow();
        assertThat(survivor).isIn(tess, anon);
        assertThat(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "dev-t"))).contains(survivor);
        assertThat(store.engagement(tess)).isEmpty();
        assertThat(store.engagement(anon)).isEmpty();
        assertThat(f.sql().queryForObject("SELECT count(*) FROM click_profile_interest", Long.class)).isZero();
        // the events stay in the anonymous aggregates
        assertThat(store.daily("category", LocalDate.parse("2026-11-30"), LocalDate.parse("2026-12-01")))
                .containsEntry("travel", 2L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aMergeContinuesTheSessionThatGoesOnAcrossTheTwoProfiles(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        // logged in on one tab, anonymous on another, a minute apart: one visit; then she identifies
        store.apply(List.of(page("s1", null, "S-1", T0, "travel")));
        store.apply(List.of(page("s2", "dev-s", null, T0.plusSeconds(60), "travel"),
                page("s3", "dev-s", null, T0.plusSeconds(90), "travel")));
        assertThat(store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"s4\",\"anonymousId\":\"dev-s\","
                + "\"userId\":\"S-1\"}"))).merges()).isEqualTo(1);
        UUID s = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "S-1")).orElseThrow();
        ClickstreamStore.Engagement e = store.engagement(s).orElseThrow();
        assertThat(e.pageViews()).isEqualTo(3);
        assertThat(e.sessions()).as("one visit, not one per profile").isEqualTo(1);
        // a visit of the anonymous device hours later stays a session of its own
        store.apply(List.of(page("s5", "dev-t2", null, T0.plus(Duration.ofHours(3)), "travel")));
        store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"s6\",\"anonymousId\":\"dev-t2\","
                + "\"userId\":\"S-1\"}")));
        assertThat(store.engagement(s).orElseThrow().sessions()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void traitsThatAreNotValidValuesAreReportedWhileTheRestIsTaken(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        ClickstreamStore.Report r = store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"d1\","
                + "\"anonymousId\":\"dev-d\",\"userId\":\"D-1\",\"traits\":{\"firstName\":\"Fam1\",\"lastName\":\"Meyer\"}}")));
        assertThat(r.rejected()).isZero();
        assertThat(r.droppedTraits()).singleElement().asString().contains("D-1").contains("firstName")
                .contains("a name cannot contain digits").doesNotContain("Fam1");
        UUID d = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "D-1")).orElseThrow();
        CustomerProfile profile = f.crm().find(d, 0).orElseThrow();
        assertThat(profile.attributes()).containsKey("lastName").doesNotContainKey("firstName");
        assertThat(store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"d2\",\"userId\":\"D-1\","
                + "\"traits\":{\"firstName\":\"Dora\"}}"))).droppedTraits()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void anAliasFromOneUserIdToAnotherIsNotAppliedAndGivesNoFalseAnonymousId(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"a1\",\"anonymousId\":\"dev-1\","
                + "\"userId\":\"A-668679\",\"traits\":{\"email\":\"pat@example.com\"}}")));
        UUID pat = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "A-668679")).orElseThrow();
        // analytics.js: alias(newId) after identify(oldId) sends the old userId as previousId
        ClickstreamStore.Report r = store.apply(List.of(event("{\"type\":\"alias\",\"messageId\":\"a2\","
                + "\"anonymousId\":\"dev-1\",\"userId\":\"A-newid\",\"previousId\":\"A-668679\"}")));
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(r.rejections()).singleElement().asString().startsWith("alias from userId 'A-668679' to another userId");
        assertThat(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "A-668679"))).as("no false anonymous id").isEmpty();
        assertThat(f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "A-newid"))).isEmpty();
        assertThat(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "dev-1"))).contains(pat);
        // an alias whose previousId is an anonymous id stitches as before
        store.apply(List.of(page("p1", "dev-2", null, T0, "sports")));
        UUID visitor = f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "dev-2")).orElseThrow();
        ClickstreamStore.Report ok = store.apply(List.of(event("{\"type\":\"alias\",\"messageId\":\"a3\","
                + "\"userId\":\"B-1\",\"previousId\":\"dev-2\"}")));
        assertThat(ok.rejected()).isZero();
        assertThat(f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "B-1"))).contains(visitor);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void foldsEventsIntoProfilesOnBothDatabases(String kind) throws Exception {
        Fixture f = fixture(kind);
        JdbcCrmStore crm = f.crm();
        ClickstreamStore store = f.store();
        JdbcTemplate sql = f.sql();

        // anonymous visits: one profile per anonymousId, sessions split by 30 minutes of inactivity
        ClickstreamStore.Report r1 = store.apply(List.of(
                page("m1", "anon-1", null, T0, "Sports"),
                page("m2", "anon-1", null, T0.plus(Duration.ofMinutes(10)), "sports"),
                page("m2", "anon-1", null, T0.plus(Duration.ofMinutes(10)), "sports"),      // duplicate in the batch
                page("m3", "anon-1", null, T0.plus(Duration.ofHours(2)), "travel")));
        assertThat(r1.duplicates()).isEqualTo(1);
        assertThat(r1.attached()).isEqualTo(3);
        assertThat(r1.profilesCreated()).isEqualTo(1);
        UUID anon = crm.lookup(Identity.of(IdentityType.ANONYMOUS_ID, "anon-1")).orElseThrow();
        ClickstreamStore.Engagement e1 = store.engagement(anon).orElseThrow();
        assertThat(e1.pageViews()).isEqualTo(3);
        assertThat(e1.sessions()).isEqualTo(2);
        assertThat(e1.lastSeen()).isEqualTo(T0.plus(Duration.ofHours(2)));
        assertThat(e1.interests()).containsKeys("sports", "travel");
        assertThat(e1.interests().get("sports")).isGreaterThan(e1.interests().get("travel"));
        assertThat(e1.campaigns()).containsKey("spring-launch");
        assertThat(e1.campaigns().get("spring-launch")[0]).isEqualTo(3);

        // the same messageIds in a later batch (redelivery): nothing counted twice
        ClickstreamStore.Report again = store.apply(List.of(page("m1", "anon-1", null, T0, "sports"),
                page("m3", "anon-1", null, T0.plus(Duration.ofHours(2)), "travel")));
        assertThat(again.duplicates()).isEqualTo(2);
        assertThat(store.engagement(anon).orElseThrow().pageViews()).isEqualTo(3);

        // identify: anonymous history stitched into the known profile (journaled merge), engagement moved
        UUID known = crm.upsert(new ProfileRecord("crm", T0, List.of(Identity.of(IdentityType.EMAIL, "ann@example.com")),
                Map.of("firstName", "Ann"), List.of())).profileId();
        ClickstreamStore.Report r2 = store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"i1\","
                + "\"anonymousId\":\"anon-1\",\"userId\":\"u-ann\",\"timestamp\":\"" + T0.plus(Duration.ofHours(3)) + "\","
                + "\"traits\":{\"email\":\"Ann@Example.com\",\"gender\":\"female\",\"birthday\":\"1990-05-01\"}}"),
                page("m4", "anon-1", null, T0.plus(Duration.ofHours(3)), "sports")));
        assertThat(r2.merges()).isEqualTo(1);
        UUID survivor = crm.lookup(Identity.of(IdentityType.ANONYMOUS_ID, "anon-1")).orElseThrow();
        assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "ann@example.com"))).contains(survivor);
        assertThat(crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-ann"))).contains(survivor);
        assertThat(survivor).isIn(known, anon);
        assertThat(store.engagement(survivor).orElseThrow().pageViews()).as("history moved with the merge").isEqualTo(4);
        UUID mergedAway = survivor.equals(known) ? anon : known;
        assertThat(store.engagement(mergedAway)).isEmpty();
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM merge_journal WHERE survivor_id = ?", Long.class, survivor))
                .isEqualTo(1);

        // shared device: a second user on the same anonymousId is never merged with the first
        store.apply(List.of(event("{\"type\":\"identify\",\"messageId\":\"i2\",\"anonymousId\":\"anon-1\","
                + "\"userId\":\"u-bob\",\"traits\":{\"email\":\"bob@example.com\"}}")));
        UUID bob = crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-bob")).orElseThrow();
        assertThat(bob).isNotEqualTo(survivor);
        assertThat(crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-ann"))).contains(survivor);

        // opt-out of ads: counted only in the anonymous aggregates
        UUID carl = crm.upsert(new ProfileRecord("crm", T0, List.of(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-carl")),
                Map.of(), List.of(new Consent(Channel.ADS, ConsentStatus.OPT_OUT, "crm", T0, "form", true)))).profileId();
        ClickstreamStore.Report r3 = store.apply(List.of(page("c1", null, "u-carl", T0, "opted-out-topic")));
        assertThat(r3.anonymousOnly()).isEqualTo(1);
        assertThat(store.engagement(carl)).isEmpty();
        assertThat(store.daily("category", LocalDate.parse("2026-11-30"), LocalDate.parse("2026-11-30")))
                .containsEntry("opted-out-topic", 1L).containsEntry("sports", 3L);

        // ad-server click: campaign touched and a campaign response on the CRM campaign
        store.apply(List.of(event("{\"recordType\":\"impression\",\"eventId\":\"imp1\",\"cookieId\":\"anon-1\","
                        + "\"campaignId\":\"CMP-9\",\"timestamp\":\"" + T0.plus(Duration.ofHours(4)) + "\"}"),
                event("{\"recordType\":\"click\",\"eventId\":\"clk1\",\"cookieId\":\"anon-1\",\"campaignId\":\"CMP-9\","
                        + "\"timestamp\":\"" + T0.plus(Duration.ofHours(4).plusSeconds(5)) + "\",\"category\":\"Sports\"}")));
        ClickstreamStore.Engagement e2 = store.engagement(survivor).orElseThrow();
        assertThat(e2.adImpressions()).isEqualTo(1);
        assertThat(e2.adClicks()).isEqualTo(1);
        assertThat(e2.campaigns().get("cmp-9")).containsExactly(0, 1, 1);
        long campaignId = crm.campaign("cmp-9", null, null).id();
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM campaign_response WHERE campaign_id = ? AND profile_id = ?"
                + " AND type = 'ad.click'", Long.class, campaignId, survivor)).isEqualTo(1);

        // projection into the profile's computed fields
        assertThat(store.project(100, 3)).isGreaterThanOrEqualTo(1);
        CustomerProfile view = crm.find(survivor, 0).orElseThrow();
        assertThat(view.computed()).containsEntry("clickstream.pageViews", "4").containsEntry("clickstream.adClicks", "1");
        assertThat(view.computed().get("clickstream.topInterests")).startsWith("sports");
        assertThat(store.project(100, 3)).as("nothing changed since").isZero();

        // audiences: the aggregate and the match list, both with the floor
        crm.setConsent(survivor, new Consent(Channel.ADS, ConsentStatus.OPT_IN, "web", T0, "banner", true));
        AudienceStore audiences = new AudienceStore(f.ds(), Duration.ofDays(14), "DE", f.clock());
        AudienceRule sports = new AudienceRule("sports", Set.of("sports"), 0.1, Set.of(), null, null, Set.of(), Set.of(),
                Set.of(), 1);
        AudienceStore.Aggregate agg = audiences.aggregate(sports);
        assertThat(agg.members()).isEqualTo(1);
        assertThat(agg.cells()).singleElement().satisfies(c -> {
            assertThat(c.cell()).isEqualTo(new AudienceRule.Cell("35-44", "FEMALE", "unknown", "sports"));
            assertThat(c.count()).isEqualTo(1);
        });
        AudienceStore.MatchList list = audiences.matchList(sports);
        assertThat(list.suppressed()).isFalse();
        assertThat(list.entries()).singleElement().satisfies(m ->
                assertThat(m.hashedEmails()).containsExactly(io.crmhub.mappings.clickstream.MatchKeys.sha256("ann@example.com")));
        AudienceRule floor = new AudienceRule("floor", Set.of("sports"), 0.1, Set.of(), null, null, Set.of(), Set.of(),
                Set.of(), 100);
        assertThat(audiences.aggregate(floor).cells()).isEmpty();
        assertThat(audiences.aggregate(floor).suppressedCells()).isEqualTo(1);
        assertThat(audiences.aggregate(floor).members()).as("no count of the suppressed people").isZero();
        assertThat(audiences.matchList(floor).consentingMembers()).isNull();
        assertThat(audiences.matchList(floor).suppressed()).isTrue();
        assertThat(audiences.matchList(floor).entries()).isEmpty();

        // erasure: housekeeping drops the engagement of an erased profile
        crm.erase(survivor, "test");
        store.reconcile();
        assertThat(store.engagement(survivor)).isEmpty();
        assertThat(store.purgeSeen(Instant.parse("2100-01-01T00:00:00Z"))).isGreaterThan(5);
    }

    /**
     * A batch's interests and campaigns are added to the stored ones without reading them: the same events
     * split into batches, the earlier ones arriving last, give the scores and counts of one batch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void projectionSetsManyProfilesPerRoundAndOnlyWhatChangedSince(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        List<ClickEvent> batch = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            batch.add(page("p" + i, "a-" + i, "u-" + i, T0.plusSeconds(i), "topic-" + i));
        }
        batch.add(page("p3b", "a-3", "u-3", T0.plusSeconds(30), "topic-3"));
        batch.add(page("anon", "a-9", null, T0.plusSeconds(40), "topic-9"));
        store.apply(batch);
        UUID gone = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-5")).orElseThrow();
        f.crm().erase(gone, "test");

        assertThat(store.project(3, 3)).as("the limit per round").isEqualTo(3);
        assertThat(store.project(3, 3)).as("the rest; the erased and the anonymous profile are not projected").isEqualTo(1);
        assertThat(store.project(3, 3)).isZero();
        for (int i = 1; i <= 4; i++) {
            UUID p = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-" + i)).orElseThrow();
            assertThat(f.crm().find(p, 0).orElseThrow().computed())
                    .containsEntry("clickstream.pageViews", i == 3 ? "2" : "1")
                    .containsEntry("clickstream.topInterests", "topic-" + i)
                    .containsEntry("clickstream.campaigns", "spring-launch");
        }
        UUID anon = f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "a-9")).orElseThrow();
        assertThat(f.crm().find(anon, 0).orElseThrow().computed()).isEmpty();

        store.apply(List.of(page("p2b", "a-2", "u-2", T0.plusSeconds(50), "topic-2")));
        assertThat(store.project(3, 3)).as("only the profile changed since").isEqualTo(1);
        UUID two = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-2")).orElseThrow();
        assertThat(f.crm().find(two, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "2");

        // a round projects what was queued when it began, in id order: a profile changed again during the round is
        // queued behind its end and waits for the next round
        UUID one = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-1")).orElseThrow();
        UUID four = f.crm().lookup(Identity.of(IdentityType.EXTERNAL_ID, "web", "u-4")).orElseThrow();
        UUID low = one.compareTo(four) < 0 ? one : four;
        UUID high = low.equals(one) ? four : one;
        String lowUser = low.equals(one) ? "u-1" : "u-4";
        store.apply(List.of(page("p1b", "a-1", "u-1", T0.plusSeconds(60), "topic-1"),
                page("p4b", "a-4", "u-4", T0.plusSeconds(60), "topic-4")));
        long end = store.queueEnd();
        assertThat(store.project(end, 1, 3)).isEqualTo(new ClickstreamStore.Projected(1, true));
        assertThat(f.crm().find(low, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "2");
        assertThat(f.crm().find(high, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "1");
        store.apply(List.of(page("p-again", "a-" + lowUser.substring(2), lowUser, T0.plusSeconds(70), "topic-1")));
        assertThat(store.queueEnd()).isGreaterThan(end);
        assertThat(store.project(end, 1, 3)).isEqualTo(new ClickstreamStore.Projected(1, false));
        assertThat(f.crm().find(high, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "2");
        assertThat(store.project(end, 1, 3)).as("the round is over").isEqualTo(new ClickstreamStore.Projected(0, false));
        assertThat(f.crm().find(low, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "2");
        assertThat(store.project(store.queueEnd(), 1, 3)).as("the next round").isEqualTo(new ClickstreamStore.Projected(1, false));
        assertThat(f.crm().find(low, 0).orElseThrow().computed()).containsEntry("clickstream.pageViews", "3");
    }

    /**
     * The projection takes the queued profiles a few at a time and leaves the others queued: whatever order the
     * database sorts UUIDs in (PostgreSQL byte by byte, Java as two signed longs), none leaves the queue unprojected.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void everyQueuedProfileIsProjectedWhateverTheOrderOfItsId(String kind) throws Exception {
        Fixture f = fixture(kind);
        ClickstreamStore store = f.store();
        List<UUID> ids = List.of(UUID.fromString("00000000-0000-4000-8000-000000000001"),
                UUID.fromString("7fffffff-0000-4000-8000-000000000002"),
                UUID.fromString("80000000-0000-4000-8000-000000000003"),
                UUID.fromString("ffffffff-0000-4000-8000-000000000004"));
        java.time.OffsetDateTime t = java.time.OffsetDateTime.ofInstant(T0, ZoneOffset.UTC);
        for (int i = 0; i < ids.size(); i++) {
            f.sql().update("INSERT INTO profile (id, status, created_at, updated_at, version) VALUES (?, 'ACTIVE', ?, ?, 0)",
                    ids.get(i), t, t);
            f.sql().update("INSERT INTO click_profile_stats (profile_id, events, page_views, sessions, ad_impressions,"
                    + " ad_clicks, first_seen, last_seen, updated_at) VALUES (?, ?, ?, 1, 0, 0, ?, ?, ?)",
                    ids.get(i), 10 + i, 10 + i, t, t, t);
        }
        store.enqueueProjection(new java.util.HashSet<>(ids), T0);
        for (int round = 1; round <= ids.size(); round++) {
            assertThat(store.project(1, 3)).as("call %d", round).isEqualTo(1);
        }
        assertThat(store.project(1, 3)).isZero();
        for (int i = 0; i < ids.size(); i++) {
            assertThat(f.crm().find(ids.get(i), 0).orElseThrow().computed())
                    .containsEntry("clickstream.pageViews", Integer.toString(10 + i));
        }
        assertThat(f.sql().queryForObject("SELECT count(*) FROM click_projection_queue", Long.class)).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void interestsAndCampaignsAddUpAcrossBatchesAsInOne(String kind) throws Exception {
        Fixture f = fixture(kind);
        String[] categories = {"sports", "travel", "sports", "news", "sports", "travel"};
        long[] hours = {0, 20, 50, 51, 200, 390};
        List<ClickEvent> whole = new ArrayList<>();
        List<ClickEvent> split = new ArrayList<>();
        for (int i = 0; i < categories.length; i++) {
            Instant at = T0.plus(Duration.ofHours(hours[i]));
            whole.add(page("w" + i, "anon-whole", null, at, categories[i]));
            split.add(page("s" + i, "anon-split", null, at, categories[i]));
        }
        f.store().apply(whole);
        f.store().apply(split.subList(3, 6));
        f.store().apply(split.subList(1, 3));
        f.store().apply(split.subList(0, 1));

        InterestScore scores = new InterestScore(Duration.ofDays(14));
        InterestScore.Score sports = null;
        for (int i : new int[]{0, 2, 4}) {
            sports = scores.add(sports, 1.0, T0.plus(Duration.ofHours(hours[i])));
        }
        for (String anon : List.of("anon-whole", "anon-split")) {
            UUID id = f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, anon)).orElseThrow();
            Map<String, Double> stored = new java.util.TreeMap<>();
            f.sql().query("SELECT category, score, scored_at FROM click_profile_interest WHERE profile_id = ?", rs -> {
                stored.put(rs.getString(1), rs.getDouble(2));
                if (rs.getString(1).equals("sports")) {
                    assertThat(rs.getObject(3, java.time.OffsetDateTime.class).toInstant()).as(anon)
                            .isEqualTo(T0.plus(Duration.ofHours(200)));
                }
            }, id);
            assertThat(stored).as(anon).containsOnlyKeys("sports", "travel", "news");
            assertThat(stored.get("sports")).as(anon).isCloseTo(sports.value(), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(stored.get("sports")).as(anon).isBetween(2.0, 3.0);          // three visits, two of them decayed
            assertThat(stored.get("news")).as(anon).isEqualTo(1.0);
            f.sql().query("SELECT touches, impressions, clicks, first_touch, last_touch FROM click_profile_campaign"
                    + " WHERE profile_id = ?", rs -> {
                assertThat(rs.getLong(1)).as(anon).isEqualTo(6);
                assertThat(rs.getLong(2) + rs.getLong(3)).as(anon).isZero();
                assertThat(rs.getObject(4, java.time.OffsetDateTime.class).toInstant()).as(anon).isEqualTo(T0);
                assertThat(rs.getObject(5, java.time.OffsetDateTime.class).toInstant()).as(anon)
                        .isEqualTo(T0.plus(Duration.ofHours(390)));
            }, id);
            assertThat(f.store().engagement(id).orElseThrow().pageViews()).as(anon).isEqualTo(6);
        }
        Map<String, Double> whole0 = f.store().engagement(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "anon-whole"))
                .orElseThrow()).orElseThrow().interests();
        assertThat(f.store().engagement(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, "anon-split")).orElseThrow())
                .orElseThrow().interests()).isEqualTo(whole0);
    }

    /**
     * A batch's stats are added to the stored row without reading it: batches in order give the counts, times
     * and sessions of one batch, whether a batch boundary falls inside a session or between two; a late batch
     * (all its visits before the stored last visit) adds its events but starts no session.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void statsAddUpAcrossBatchesAsInOne(String kind) throws Exception {
        Fixture f = fixture(kind);
        // sessions (30 minutes of inactivity): [0, 10, 25], [70], [200, 220, 240], [300]
        long[] minutes = {0, 10, 25, 70, 200, 220, 240, 300};
        List<ClickEvent> whole = new ArrayList<>();
        List<ClickEvent> split = new ArrayList<>();
        for (int i = 0; i < minutes.length; i++) {
            Instant at = T0.plus(Duration.ofMinutes(minutes[i]));
            whole.add(page("w" + i, "stats-whole", null, at, null));
            split.add(page("s" + i, "stats-split", null, at, null));
        }
        f.store().apply(whole);
        f.store().apply(split.subList(0, 2));     // boundary inside the first session
        f.store().apply(split.subList(2, 4));     // ... and between the second and the third
        f.store().apply(split.subList(4, 6));
        f.store().apply(split.subList(6, 8));
        ClickstreamStore.Engagement one = engagement(f, "stats-whole");
        ClickstreamStore.Engagement four = engagement(f, "stats-split");
        assertThat(one.sessions()).isEqualTo(4);
        assertThat(one.pageViews()).isEqualTo(8);
        assertThat(four).usingRecursiveComparison().ignoringFields("profileId").isEqualTo(one);
        assertThat(four.firstSeen()).isEqualTo(T0);
        assertThat(four.lastSeen()).isEqualTo(T0.plus(Duration.ofMinutes(300)));

        // late events, an hour apart, all before the last visit: counted, no session started
        f.store().apply(List.of(page("late1", "stats-split", null, T0.plus(Duration.ofMinutes(100)), null),
                page("late2", "stats-split", null, T0.plus(Duration.ofMinutes(160)), null)));
        ClickstreamStore.Engagement late = engagement(f, "stats-split");
        assertThat(late.pageViews()).isEqualTo(10);
        assertThat(late.sessions()).isEqualTo(4);
        // a visit more than 30 minutes after the last one starts a session, one within them does not
        f.store().apply(List.of(page("next1", "stats-split", null, T0.plus(Duration.ofMinutes(320)), null),
                page("next2", "stats-split", null, T0.plus(Duration.ofMinutes(400)), null)));
        assertThat(engagement(f, "stats-split").sessions()).isEqualTo(5);
        f.store().apply(List.of(page("next3", "stats-split", null, T0.plus(Duration.ofMinutes(431)), null)));
        ClickstreamStore.Engagement last = engagement(f, "stats-split");
        assertThat(last.sessions()).isEqualTo(6);
        assertThat(last.events()).isEqualTo(13);
        assertThat(last.lastSeen()).isEqualTo(T0.plus(Duration.ofMinutes(431)));
        assertThat(last.firstSeen()).isEqualTo(T0);
    }

    /**
     * PostgreSQL folds without locking the profiles: two threads that fold batches over the same profiles at
     * the same time (each batch listing them in another order) wait for each other's rows and lose nothing —
     * every count is exact afterwards, the first batches creating the profiles concurrently.
     */
    @org.junit.jupiter.api.Test
    void concurrentBatchesOverTheSameProfilesAddUpOnPostgres() throws Exception {
        Fixture f = fixture("postgres");
        int people = 150;
        int batches = 12;
        String[] categories = {"sports", "travel", "news"};
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    java.util.Random rnd = new java.util.Random(thread);
                    for (int b = 0; b < batches; b++) {
                        List<ClickEvent> batch = new ArrayList<>();
                        for (int p = 0; p < people; p++) {
                            Instant at = T0.plus(Duration.ofMinutes(b * 10L + thread));
                            batch.add(page("c" + thread + "-" + b + "-" + p, "concurrent-" + p, null, at,
                                    categories[(p + b) % categories.length]));
                        }
                        java.util.Collections.shuffle(batch, rnd);
                        f.store().apply(batch);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> d : done) {
                d.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(f.sql().queryForObject("SELECT count(*) FROM profile", Long.class)).isEqualTo(people);
        List<Long> stats = f.sql().queryForObject("SELECT count(*), sum(events), sum(page_views), min(events),"
                + " max(events) FROM click_profile_stats", (rs, n) -> List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3),
                rs.getLong(4), rs.getLong(5)));
        assertThat(stats).containsExactly((long) people, 2L * batches * people, 2L * batches * people, 2L * batches,
                2L * batches);
        List<Long> touches = f.sql().queryForObject("SELECT sum(touches), min(touches) FROM click_profile_campaign",
                (rs, n) -> List.of(rs.getLong(1), rs.getLong(2)));
        assertThat(touches).containsExactly(2L * batches * people, 2L * batches);
        assertThat(f.sql().queryForObject("SELECT count(*) FROM click_profile_interest", Long.class))
                .isEqualTo(3L * people);
        Long messages = f.sql().queryForObject("SELECT count(*) FROM click_message_key", Long.class);
        assertThat(messages).isEqualTo(2L * batches * people);
    }

    private static ClickstreamStore.Engagement engagement(Fixture f, String anonymousId) {
        return f.store().engagement(f.crm().lookup(Identity.of(IdentityType.ANONYMOUS_ID, anonymousId)).orElseThrow())
                .orElseThrow();
    }
}
