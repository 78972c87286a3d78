package io.crmhub.routes.membership;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.membership.MemberReader;
import io.crmhub.connectors.membership.MembershipStore;
import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.connectors.membership.SourceKind;
import io.crmhub.connectors.membership.SourceSpec;
import io.crmhub.mappings.membership.AspNetProfileDecoder;
import io.crmhub.mappings.membership.MemberMapper;
import io.crmhub.mappings.membership.MembershipMapping;
import io.crmhub.mappings.model.AttributeValue;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import javax.sql.DataSource;
import java.io.FileReader;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Membership databases into the CRM against real databases: an ASP.NET Membership/Profile schema
 * in MariaDB (SQL Server types mapped: uniqueidentifier → CHAR(36), bit → TINYINT(1), ntext →
 * LONGTEXT, image → LONGBLOB, datetime → DATETIME(3)) and an ASP.NET Core Identity schema in
 * PostgreSQL (EF Core's quoted names). The tests run in order on one fixture.
 */
@HubIntegrationTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MembershipSyncIT {

    static final String MARIA = "jdbc:mariadb://127.0.0.1:3306/test";
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String P = "mbrit_";
    static final String APP = "11111111-1111-1111-1111-111111111111";
    static final String OTHER_APP = "22222222-2222-2222-2222-222222222222";
    static final String ROLE_PREMIUM = "aaaaaaaa-0000-0000-0000-000000000001";
    static final String ROLE_VIP = "aaaaaaaa-0000-0000-0000-000000000002";
    static final String ROLE_EDITOR = "aaaaaaaa-0000-0000-0000-000000000003";
    static final String PASSWORD_HASH = "Zm9vYmFyLXNlY3JldC1oYXNo";
    static final LocalDateTime T0 = LocalDateTime.of(2026, 11, 1, 9, 30, 0);
    static final int USERS = 120;

    @LocalServerPort
    int port;
    @Autowired
    MembershipSources sources;
    @Autowired
    CrmStore crm;
    @Autowired
    DataSource core;
    @Autowired
    ObjectMapper json;
    ApiClient api;

    @BeforeAll
    static void fixtures() throws Exception {
        createAspNet();
        createIdentity();
    }

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    static String uid(int i) {
        return String.format("%08d-0000-4000-8000-%012d", i, i);
    }

    // ------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void initialSyncDecodesProfilesMapsTiersAndStatusesAndQuarantinesTheBadRow() throws Exception {
        ApiClient.Response r = api.post("/api/v1/membership/sources/it-maria/sync?wait=true", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode report = r.json();
        // 120 of /shop (60 of them sharing one LastActivityDate across page boundaries), none of /other
        assertThat(report.get("read").asInt()).isEqualTo(USERS);
        assertThat(report.get("changed").asInt()).isEqualTo(USERS - 1);
        assertThat(report.get("quarantined").asInt()).isEqualTo(1);
        assertThat(report.get("interactions").asInt()).isEqualTo(USERS - 1);

        CustomerProfile ann = profile("it-maria", uid(1)).orElseThrow();
        assertThat(value(ann, "firstName")).isEqualTo("Ann");
        assertThat(value(ann, "lastName")).isEqualTo("Smith");
        assertThat(value(ann, "city")).isEqualTo("Köln");
        assertThat(value(ann, "birthDate")).isEqualTo("1980-04-03");
        assertThat(value(ann, "membershipTier")).isEqualTo("STANDARD");
        assertThat(value(ann, "membershipStatus")).isEqualTo("ACTIVE");
        assertThat(ann.attributes().get("firstName").source()).isEqualTo("membership");
        assertThat(ann.identities()).contains(Identity.of(IdentityType.EMAIL, "user1@example.com"));
        assertThat(ann.latestInteractions()).anySatisfy(i -> {
            assertThat(i.interaction().type()).isEqualTo("membership.change");
            assertThat(i.interaction().summary()).startsWith("Joined it-maria as STANDARD");
        });
        // roles → tiers: Premium (mapping file) and VIP (tier-rules in config)
        assertThat(value(profile("it-maria", uid(2)).orElseThrow(), "membershipTier")).isEqualTo("PREMIUM");
        assertThat(value(profile("it-maria", uid(3)).orElseThrow(), "membershipTier")).isEqualTo("PREMIUM");
        assertThat(value(profile("it-maria", uid(4)).orElseThrow(), "membershipStatus")).isEqualTo("LOCKED_OUT");
        assertThat(value(profile("it-maria", uid(5)).orElseThrow(), "membershipStatus")).isEqualTo("UNAPPROVED");
        // a null property (-1 length) and a binary one leave no attribute behind
        CustomerProfile six = profile("it-maria", uid(6)).orElseThrow();
        assertThat(six.attributes()).doesNotContainKey("city");
        // the other application's user is not synced
        assertThat(crm.lookup(Identity.of(IdentityType.MEMBER_ID, "it-maria", uid(900)))).isEmpty();

        // the bad profile bag is quarantined with its reason, replayable
        CrmStore.QuarantineEntry q = quarantineOf(uid(7)).orElseThrow();
        assertThat(q.error()).contains("cannot be mapped").contains("PropertyValuesString");
        assertThat(q.endpointUri()).isEqualTo(MembershipRoutes.REPLAY);
        assertThat(profile("it-maria", uid(7))).isEmpty();

        // password hashes, salts and answers never reach the hub
        try (Connection c = core.getConnection(); Statement s = c.createStatement()) {
            for (String sql : List.of("SELECT COUNT(*) FROM profile WHERE attributes LIKE '%" + PASSWORD_HASH + "%'",
                    "SELECT COUNT(*) FROM quarantine WHERE payload LIKE '%" + PASSWORD_HASH + "%' OR payload LIKE '%PasswordSalt%'",
                    "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%" + PASSWORD_HASH + "%'")) {
                var rs = s.executeQuery(sql);
                rs.next();
                assertThat(rs.getInt(1)).as(sql).isZero();
            }
        }

        // a second pass finds nothing new (look-back rows are skipped as unchanged)
        JsonNode again = api.post("/api/v1/membership/sources/it-maria/sync?wait=true", null).json();
        assertThat(again.get("changed").asInt()).isZero();
        assertThat(again.get("quarantined").asInt()).isZero();
        JsonNode status = api.get("/api/v1/membership/sources/it-maria").json();
        assertThat(status.get("members").get("synced.ACTIVE").asInt()).isEqualTo(USERS - 3);
        assertThat(status.get("members").get("quarantined").asInt()).isEqualTo(1);
        assertThat(status.get("fullSyncDoneAt").isNull()).isFalse();
    }

    @Test
    @Order(2)
    void incrementalPassAppliesTierAndStatusChangesWithInteractionsAndLateCommitsWithinTheLookback() throws Exception {
        LocalDateTime later = T0.plusHours(2);
        try (Connection c = maria()) {
            // member 1 becomes premium and is active again later
            exec(c, "INSERT INTO " + P + "aspnet_UsersInRoles VALUES ('" + uid(1) + "', '" + ROLE_PREMIUM + "')");
            touch(c, 1, later);
            // member 4 is unlocked
            exec(c, "UPDATE " + P + "aspnet_Membership SET IsLockedOut = 0 WHERE UserId = '" + uid(4) + "'");
            touch(c, 4, later);
        }
        MembershipSync.Report r = sync("it-maria").poll();
        assertThat(r.changed()).isEqualTo(2);
        CustomerProfile ann = profile("it-maria", uid(1)).orElseThrow();
        assertThat(value(ann, "membershipTier")).isEqualTo("PREMIUM");
        assertThat(ann.latestInteractions()).anySatisfy(i ->
                assertThat(i.interaction().summary()).isEqualTo("Membership it-maria: tier STANDARD → PREMIUM"));
        assertThat(value(profile("it-maria", uid(4)).orElseThrow(), "membershipStatus")).isEqualTo("ACTIVE");
        assertThat(profile("it-maria", uid(4)).orElseThrow().latestInteractions()).anySatisfy(i ->
                assertThat(i.interaction().summary()).contains("status LOCKED_OUT → ACTIVE"));

        // a change committed late with a time just before the watermark (within the 2 s look-back)
        try (Connection c = maria()) {
            exec(c, "UPDATE " + P + "aspnet_Membership SET Email = 'user8.new@example.com' WHERE UserId = '" + uid(8) + "'");
            touch(c, 8, later.minusSeconds(1));
        }
        assertThat(sync("it-maria").poll().changed()).isEqualTo(1);
        assertThat(profile("it-maria", uid(8)).orElseThrow().identities())
                .contains(Identity.of(IdentityType.EMAIL, "user8.new@example.com"));
    }

    @Test
    @Order(3)
    void reconciliationFindsDeletionsAndRoleChangesNoWatermarkSees() throws Exception {
        try (Connection c = maria()) {
            exec(c, "DELETE FROM " + P + "aspnet_Profile WHERE UserId = '" + uid(9) + "'");
            exec(c, "DELETE FROM " + P + "aspnet_Membership WHERE UserId = '" + uid(9) + "'");
            exec(c, "DELETE FROM " + P + "aspnet_Users WHERE UserId = '" + uid(9) + "'");
            // a role granted without touching any timestamp (aspnet_UsersInRoles_AddUsersToRoles does not)
            exec(c, "INSERT INTO " + P + "aspnet_UsersInRoles VALUES ('" + uid(10) + "', '" + ROLE_VIP + "')");
        }
        assertThat(sync("it-maria").poll().changed()).isZero();
        JsonNode r = api.post("/api/v1/membership/sources/it-maria/reconcile?wait=true", null).json();
        assertThat(r.get("deleted").asInt()).isEqualTo(1);
        assertThat(r.get("changed").asInt()).isEqualTo(1);
        CustomerProfile gone = profile("it-maria", uid(9)).orElseThrow();
        assertThat(value(gone, "membershipStatus")).isEqualTo("DELETED");
        assertThat(gone.latestInteractions()).anySatisfy(i ->
                assertThat(i.interaction().summary()).startsWith("Left it-maria"));
        assertThat(value(profile("it-maria", uid(10)).orElseThrow(), "membershipTier")).isEqualTo("PREMIUM");
        // nothing more on a second run
        JsonNode again = api.post("/api/v1/membership/sources/it-maria/reconcile?wait=true", null).json();
        assertThat(again.get("deleted").asInt()).isZero();
        assertThat(again.get("changed").asInt()).isZero();
    }

    @Test
    @Order(4)
    void aQuarantinedMemberIsReplayedAfterItsRowWasFixed() throws Exception {
        CrmStore.QuarantineEntry q = quarantineOf(uid(7)).orElseThrow();
        String[] bag = AspNetProfileDecoder.encodeStrings(Map.of("FirstName", "Fixed"));
        try (Connection c = maria(); PreparedStatement ps = c.prepareStatement("UPDATE " + P
                + "aspnet_Profile SET PropertyNames = ?, PropertyValuesString = ? WHERE UserId = ?")) {
            ps.setString(1, bag[0]);
            ps.setString(2, bag[1]);
            ps.setString(3, uid(7));
            ps.executeUpdate();
        }
        assertThat(api.post("/api/v1/quarantine/" + q.id() + "/replay", null).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(profile("it-maria", uid(7)).map(p -> value(p, "firstName"))).contains("Fixed"));
        assertThat(sources.store().states("it-maria", List.of(uid(7))).get(uid(7)).syncState()).isEqualTo("SYNCED");
    }

    @Test
    @Order(5)
    void onlyTheLeaseHolderSyncsASource() {
        assertThat(sync("it-maria").poll().ran()).isTrue();
        assertThat(crm.acquireLease("membership:it-maria", "other-instance", Duration.ofSeconds(30))).isFalse(); // we hold it
        crm.releaseLease("membership:it-maria", sourcesOwner());
        assertThat(crm.acquireLease("membership:it-maria", "other-instance", Duration.ofSeconds(30))).isTrue();
        MembershipSync.Report r = sync("it-maria").poll();
        assertThat(r.ran()).isFalse();
        assertThat(r.note()).contains("another hub instance holds the lease");
        crm.releaseLease("membership:it-maria", "other-instance");
        assertThat(sync("it-maria").poll().ran()).isTrue();
    }

    @Test
    @Order(6)
    void aRestartMidSyncContinuesFromTheWatermarkAndRecordsEveryMemberOnce() throws Exception {
        SourceSpec spec = SourceSpec.of("it-restart", SourceKind.ASPNET_MEMBERSHIP).withTablePrefix(P)
                .withApplicationName("/shop").withBatchSize(20);
        MembershipMapping mapping;
        try (FileReader in = new FileReader("../config/mappings/membership-aspnet.properties")) {
            mapping = MembershipMapping.parse(in);
        }
        var props = new MembershipProperties.Source();
        props.setName("it-restart");
        props.setUrl(MARIA);
        props.setUser("root");
        props.setPassword("");
        AtomicInteger connections = new AtomicInteger();
        long firstChanged;
        try (var pool = MembershipSources.readOnlyPool(props)) {
            // the "crashing" instance: its source connection breaks after 3 pages (one connection to learn the schema, one per page)
            DataSource breaking = failingAfter(pool, 4, connections);
            MembershipStore store = sources.store();
            RecordNormaliser normaliser = new RecordNormaliser(NormaliserSettings.defaults().withStrict(false));
            try (MembershipSync first = new MembershipSync(spec, new MemberReader(spec, breaking),
                    new MemberMapper("it-restart", "membership", mapping), normaliser, crm, store, core, json,
                    new MembershipSync.Options("crashing", Duration.ofSeconds(1), 1, true, 0.5, null, 0))) {
                MembershipSync.Report r = first.poll();
                assertThat(r.note()).contains("source connection lost");
                assertThat(r.changed()).isEqualTo(60);
                firstChanged = r.changed();
            }
            MembershipStore.SourceState st = store.sourceState("it-restart").orElseThrow();
            assertThat(st.watermarkAt()).isNotNull();
            assertThat(st.fullSyncDoneAt()).isNull();
            // the new instance takes over once the dead one's lease expired, and continues
            await().atMost(Duration.ofSeconds(5)).until(() -> crm.acquireLease("membership:it-restart", "restarted",
                    Duration.ofSeconds(1)));
            try (MembershipSync second = new MembershipSync(spec, new MemberReader(spec, pool),
                    new MemberMapper("it-restart", "membership", mapping), normaliser, crm, store, core, json,
                    new MembershipSync.Options("restarted", Duration.ofSeconds(10), 2, true, 0.5, null, 0))) {
                MembershipSync.Report r = second.poll();
                assertThat(r.note()).isNull();
                // continues: only what the crashed instance had not committed is written
                assertThat(firstChanged + r.changed()).isEqualTo(USERS - 1);
                assertThat(store.sourceState("it-restart").orElseThrow().fullSyncDoneAt()).isNotNull();
            }
        }
        // every member of /shop once, with exactly one "joined" interaction each
        Map<String, Long> counts = sources.store().counts("it-restart");
        assertThat(counts.get("synced.ACTIVE") + counts.getOrDefault("synced.UNAPPROVED", 0L)
                + counts.getOrDefault("synced.LOCKED_OUT", 0L)).isEqualTo(USERS - 1); // member 9 was deleted
        try (Connection c = core.getConnection(); Statement s = c.createStatement()) {
            var rs = s.executeQuery("SELECT COUNT(*), COUNT(DISTINCT external_id) FROM interaction WHERE source = 'membership'"
                    + " AND external_id LIKE 'it-restart:%'");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(USERS - 1).isEqualTo(rs.getInt(2));
        }
    }

    @Test
    @Order(7)
    void sourceSessionsAreReadOnly() throws Exception {
        var props = new MembershipProperties.Source();
        props.setName("ro");
        props.setUrl(MARIA);
        props.setUser("root");
        props.setPassword("");
        try (var pool = MembershipSources.readOnlyPool(props); Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE " + P + "aspnet_Users SET UserName = 'x' WHERE 1 = 0"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("READ ONLY");
        }
        props.setUrl(PG);
        try (var pool = MembershipSources.readOnlyPool(props); Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("CREATE TEMP TABLE ro_probe (x int)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
        }
    }

    @Test
    @Order(8)
    void identityUsersArePolledWithClaimsRolesLockoutAndLaterChanges() throws Exception {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            CustomerProfile p = profile("it-identity", "id-1").orElseThrow();
            assertThat(value(p, "firstName")).isEqualTo("Ida");
            assertThat(value(p, "lastName")).isEqualTo("Meyer");
            assertThat(value(p, "birthDate")).isEqualTo("1990-12-24");
            assertThat(value(p, "membershipTier")).isEqualTo("PREMIUM");
            assertThat(p.identities()).contains(Identity.of(IdentityType.PHONE, "+4930123456"));
        });
        assertThat(value(profile("it-identity", "id-2").orElseThrow(), "membershipStatus")).isEqualTo("LOCKED_OUT");
        assertThat(value(profile("it-identity", "id-3").orElseThrow(), "membershipStatus")).isEqualTo("UNAPPROVED");
        // a later change (no watermark column: every pass is a whole pass, unchanged members skipped)
        try (Connection c = pg(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE mbrit_identity.\"AspNetUserClaims\" SET \"ClaimValue\" = 'Idalina'"
                    + " WHERE \"UserId\" = 'id-1' AND \"ClaimType\" = 'given_name'");
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(value(profile("it-identity", "id-1").orElseThrow(), "firstName")).isEqualTo("Idalina"));
        assertThat(api.get("/api/v1/membership/sources").json().findValuesAsText("name")).contains("it-maria", "it-identity");
        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/membership/sources").status()).isEqualTo(403);
        ApiClient.Response missing = api.get("/api/v1/membership/sources/nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).startsWith("application/problem+json");
        assertThat(missing.json().get("detail").asText()).contains("nope");
    }

    @Test
    @Order(9)
    void anErasedPersonIsNeverRecreatedAndNoStateLinksTheMemberId() throws Exception {
        java.util.UUID id = crm.lookup(Identity.of(IdentityType.MEMBER_ID, "it-maria", uid(11))).orElseThrow();
        assertThat(api.delete("/api/v1/profiles/" + id).status()).isEqualTo(200);
        JsonNode r = api.post("/api/v1/membership/sources/it-maria/reconcile?wait=true", null).json();
        assertThat(r.get("erased").asInt()).isEqualTo(1);
        assertThat(sources.store().states("it-maria", List.of(uid(11)))).isEmpty();
        try (Connection c = maria()) {
            exec(c, "UPDATE " + P + "aspnet_Membership SET Email = 'user11.again@example.com' WHERE UserId = '" + uid(11) + "'");
            touch(c, 11, T0.plusHours(3));
        }
        MembershipSync.Report p = sync("it-maria").poll();
        assertThat(p.erased()).isEqualTo(1);
        assertThat(p.quarantined()).isZero();
        assertThat(crm.lookup(Identity.of(IdentityType.MEMBER_ID, "it-maria", uid(11)))).isEmpty();
        assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "user11.again@example.com"))).isEmpty();
        assertThat(sources.store().states("it-maria", List.of(uid(11)))).isEmpty();
    }

    @Test
    @Order(10)
    void anySchemaBySelectAndColumnMapping() throws Exception {
        try (Connection c = maria()) {
            exec(c, "DROP TABLE IF EXISTS " + P + "legacy_members");
            exec(c, "CREATE TABLE " + P + "legacy_members (member_no INT PRIMARY KEY, mail VARCHAR(200), given VARCHAR(100),"
                    + " plan VARCHAR(50), active CHAR(1), pwd_hash VARCHAR(100), changed DATETIME(3) NOT NULL)");
            exec(c, "INSERT INTO " + P + "legacy_members VALUES (1, 'Legacy.One@Example.net', 'LENA', 'gold', 'Y', 'x', '2026-11-01 10:00:00'),"
                    + " (2, 'two@example.net', 'Tom', NULL, 'N', 'y', '2026-11-01 10:00:00'),"
                    + " (3, 'three@example.net', 'Tia', 'premium;gold', 'Y', 'z', '2026-11-01 10:00:01')");
        }
        MembershipMapping mapping = MembershipMapping.parse("""
                identity.EMAIL = mail
                attribute.firstName = given
                status.approved = active
                roles = plan
                tier.premium = PREMIUM
                tier.gold = GOLD
                default-tier = BASIC
                """);
        SourceSpec spec = new SourceSpec("it-legacy", SourceKind.SQL, null, null, "", false, "changed", "member_no",
                "SELECT member_no, mail, given, plan, active, changed FROM " + P + "legacy_members", List.of(), null, 2, null);
        try (AdHoc source = adHoc(MARIA, "root", spec, mapping, MembershipSync.Options.defaults("it"))) {
            MembershipSync sync = source.sync();
            MembershipSync.Report r = sync.poll();
            assertThat(r.note()).isNull();
            assertThat(r.changed()).isEqualTo(3);
            CustomerProfile one = profile("it-legacy", "1").orElseThrow();
            assertThat(value(one, "firstName")).isEqualTo("Lena");
            assertThat(value(one, "membershipTier")).isEqualTo("GOLD");
            assertThat(one.identities()).contains(Identity.of(IdentityType.EMAIL, "legacy.one@example.net"));
            assertThat(value(profile("it-legacy", "2").orElseThrow(), "membershipStatus")).isEqualTo("UNAPPROVED");
            assertThat(value(profile("it-legacy", "2").orElseThrow(), "membershipTier")).isEqualTo("BASIC");
            assertThat(value(profile("it-legacy", "3").orElseThrow(), "membershipTier")).isEqualTo("PREMIUM");
            // by default the initial full sync records no "joined" interactions; a member who comes later gets one
            assertThat(r.interactions()).isZero();
            try (Connection c = maria()) {
                exec(c, "INSERT INTO " + P + "legacy_members VALUES (4, 'four@example.net', 'Fia', NULL, 'Y', 'w',"
                        + " '2026-11-02 08:00:00')");
            }
            MembershipSync.Report later = sync.poll();
            assertThat(later.changed()).isEqualTo(1);
            assertThat(later.interactions()).isEqualTo(1);
            assertThat(profile("it-legacy", "4").orElseThrow().latestInteractions()).anySatisfy(i ->
                    assertThat(i.interaction().summary()).isEqualTo("Joined it-legacy as BASIC"));
        }
        // a query that selects a secret is refused, nothing is read
        SourceSpec leaky = new SourceSpec("it-leaky", SourceKind.SQL, null, null, "", false, "changed", "member_no",
                "SELECT * FROM " + P + "legacy_members", List.of(), null, 10, null);
        try (AdHoc source = adHoc(MARIA, "root", leaky, mapping, MembershipSync.Options.defaults("it"))) {
            MembershipSync.Report r = source.sync().poll();
            assertThat(r.note()).contains("pwd_hash").contains("holds a secret");
            assertThat(r.changed()).isZero();
        }
    }

    @Test
    @Order(11)
    void aMemberReadTwiceInTheFirstPassIsAppliedOnceWithItsLaterValues() throws Exception {
        // a first sync reads no member state before its pages (there is none yet); a member whose row
        // changes while the pass runs is read again in a later page and meets its own state then
        try (Connection c = pg()) {
            exec(c, "DROP TABLE IF EXISTS " + P + "member_changes");
            exec(c, "CREATE TABLE " + P + "member_changes (member_no INT NOT NULL, mail VARCHAR(200), given VARCHAR(100),"
                    + " changed TIMESTAMP NOT NULL)");
            exec(c, "INSERT INTO " + P + "member_changes VALUES (1, 'one@twice.example', 'Ada', '2026-11-01 10:00:00'),"
                    + " (2, 'two@twice.example', 'Ben', '2026-11-01 10:00:00'),"
                    + " (3, 'three@twice.example', 'Cem', '2026-11-01 10:00:01'),"
                    + " (2, 'two@twice.example', 'Bert', '2026-11-01 10:00:02'),"
                    + " (4, 'four@twice.example', 'Dana', '2026-11-01 10:00:03')");
        }
        MembershipMapping mapping = MembershipMapping.parse("""
                identity.EMAIL = mail
                attribute.firstName = given
                """);
        SourceSpec spec = new SourceSpec("it-twice", SourceKind.SQL, null, null, "", false, "changed", "member_no",
                "SELECT member_no, mail, given, changed FROM " + P + "member_changes", List.of(), null, 2, null);
        try (AdHoc source = adHoc(PG, "postgres", spec, mapping,
                     // one writer: the pages apply in order, so the second page meets the state the first wrote
                     // (with two, either may commit first and the older row's state can win until the next pass)
                     new MembershipSync.Options("it", Duration.ofSeconds(60), 1, false, 0.5, null, 1000))) {
            MembershipSync sync = source.sync();
            MembershipSync.Report r = sync.poll();
            assertThat(r.note()).isNull();
            assertThat(r.read()).isEqualTo(5);
            assertThat(r.changed()).isEqualTo(5);
            assertThat(r.quarantined()).isZero();
            assertThat(value(profile("it-twice", "2").orElseThrow(), "firstName")).isEqualTo("Bert");
            assertThat(value(profile("it-twice", "4").orElseThrow(), "firstName")).isEqualTo("Dana");
            assertThat(sources.store().counts("it-twice").entrySet().stream().filter(e -> e.getKey().startsWith("synced."))
                    .mapToLong(Map.Entry::getValue).sum()).isEqualTo(4);
            // in a real source the earlier version of the row is gone once it changed; then the next
            // pass (which re-reads the look-back) finds every member as it was applied
            try (Connection c = pg()) {
                exec(c, "DELETE FROM " + P + "member_changes WHERE member_no = 2 AND given = 'Ben'");
            }
            MembershipSync.Report next = sync.poll();
            assertThat(next.note()).isNull();
            assertThat(next.changed()).isZero();
        }
    }

    @Test
    @Order(12)
    void aspNetMembershipOnPostgresReadsEachMembersRolesWithItsRow() throws Exception {
        String pre = "mbrpg_";
        try (Connection c = pg()) {
            for (String t : List.of("UsersInRoles", "Roles", "Profile", "Membership", "Users", "Applications")) {
                exec(c, "DROP TABLE IF EXISTS " + pre + "aspnet_" + t);
            }
            exec(c, "CREATE TABLE " + pre + "aspnet_Applications (ApplicationName varchar(256) NOT NULL,"
                    + " LoweredApplicationName varchar(256) NOT NULL, ApplicationId uuid PRIMARY KEY, Description varchar(256))");
            exec(c, "CREATE TABLE " + pre + "aspnet_Users (ApplicationId uuid NOT NULL, UserId uuid PRIMARY KEY,"
                    + " UserName varchar(256) NOT NULL, LoweredUserName varchar(256) NOT NULL, MobileAlias varchar(16),"
                    + " IsAnonymous boolean NOT NULL DEFAULT false, LastActivityDate timestamp NOT NULL)");
            exec(c, "CREATE TABLE " + pre + "aspnet_Membership (ApplicationId uuid NOT NULL, UserId uuid PRIMARY KEY,"
                    + " Password varchar(128) NOT NULL, PasswordSalt varchar(128) NOT NULL, Email varchar(256), IsApproved boolean NOT NULL,"
                    + " IsLockedOut boolean NOT NULL, CreateDate timestamp NOT NULL, LastLoginDate timestamp NOT NULL)");
            exec(c, "CREATE TABLE " + pre + "aspnet_Profile (UserId uuid PRIMARY KEY, PropertyNames text NOT NULL,"
                    + " PropertyValuesString text NOT NULL, PropertyValuesBinary bytea NOT NULL, LastUpdatedDate timestamp NOT NULL)");
            exec(c, "CREATE TABLE " + pre + "aspnet_Roles (ApplicationId uuid NOT NULL, RoleId uuid PRIMARY KEY,"
                    + " RoleName varchar(256) NOT NULL, LoweredRoleName varchar(256) NOT NULL)");
            exec(c, "CREATE TABLE " + pre + "aspnet_UsersInRoles (UserId uuid NOT NULL, RoleId uuid NOT NULL, PRIMARY KEY (UserId, RoleId))");
            exec(c, "INSERT INTO " + pre + "aspnet_Applications VALUES ('/pg', '/pg', '" + APP + "', NULL)");
            exec(c, "INSERT INTO " + pre + "aspnet_Roles VALUES ('" + APP + "', '" + ROLE_PREMIUM + "', 'Premium', 'premium'),"
                    + " ('" + APP + "', '" + ROLE_VIP + "', 'Gold', 'gold'), ('" + APP + "', '" + ROLE_EDITOR + "', 'Editor', 'editor')");
            for (int i = 1; i <= 4; i++) {
                String at = "2026-11-01 10:00:0" + i;
                exec(c, "INSERT INTO " + pre + "aspnet_Users VALUES ('" + APP + "', '" + uid(i) + "', 'pg" + i + "', 'pg" + i
                        + "', NULL, false, '" + at + "')");
                exec(c, "INSERT INTO " + pre + "aspnet_Membership VALUES ('" + APP + "', '" + uid(i) + "', '" + PASSWORD_HASH
                        + "', 'salt', 'pg" + i + "@pg.example', true, false, '" + at + "', '" + at + "')");
                exec(c, "INSERT INTO " + pre + "aspnet_Profile VALUES ('" + uid(i) + "', 'FirstName:S:0:3:', 'Pia', '', '" + at + "')");
            }
            // 1: Gold and Premium (the first tier rule, Premium, wins); 2: Editor only; 3: Gold; 4: none
            exec(c, "INSERT INTO " + pre + "aspnet_UsersInRoles VALUES ('" + uid(1) + "', '" + ROLE_VIP + "'), ('" + uid(1) + "', '"
                    + ROLE_PREMIUM + "'), ('" + uid(2) + "', '" + ROLE_EDITOR + "'), ('" + uid(3) + "', '" + ROLE_VIP + "')");
        }
        MembershipMapping mapping;
        try (var in = new java.io.FileReader("../config/mappings/membership-aspnet.properties", java.nio.charset.StandardCharsets.UTF_8)) {
            mapping = MembershipMapping.parse(in);
        }
        SourceSpec spec = new SourceSpec("it-pgaspnet", SourceKind.ASPNET_MEMBERSHIP, "/pg", null, pre, false, null, null, null,
                List.of(), null, 2, null);
        try (AdHoc source = adHoc(PG, "postgres", spec, mapping, MembershipSync.Options.defaults("it"))) {
            MembershipSync sync = source.sync();
            MembershipSync.Report r = sync.poll();
            assertThat(r.note()).isNull();
            assertThat(r.changed()).isEqualTo(4);
            assertThat(value(profile("it-pgaspnet", uid(1)).orElseThrow(), "membershipTier")).isEqualTo("PREMIUM");
            assertThat(value(profile("it-pgaspnet", uid(2)).orElseThrow(), "membershipTier")).isEqualTo("STANDARD");
            assertThat(value(profile("it-pgaspnet", uid(3)).orElseThrow(), "membershipTier")).isEqualTo("GOLD");
            assertThat(value(profile("it-pgaspnet", uid(4)).orElseThrow(), "membershipTier")).isEqualTo("STANDARD");
            assertThat(value(profile("it-pgaspnet", uid(4)).orElseThrow(), "firstName")).isEqualTo("Pia");
            // a role granted later is seen by the reconciliation (ASP.NET does not touch LastActivityDate for it)
            try (Connection c = pg()) {
                exec(c, "INSERT INTO " + pre + "aspnet_UsersInRoles VALUES ('" + uid(4) + "', '" + ROLE_VIP + "')");
            }
            MembershipSync.Report rec = sync.reconcile();
            assertThat(rec.note()).isNull();
            assertThat(value(profile("it-pgaspnet", uid(4)).orElseThrow(), "membershipTier")).isEqualTo("GOLD");
        }
    }

    // ------------------------------------------------------------------------------------------

    /** A source a test sets up itself: its read-only pool and a sync over it; closing closes both. */
    record AdHoc(HikariDataSource pool, MembershipSync sync) implements AutoCloseable {
        @Override
        public void close() {
            sync.close();
            pool.close();
        }
    }

    AdHoc adHoc(String url, String user, SourceSpec spec, MembershipMapping mapping, MembershipSync.Options options) {
        var props = new MembershipProperties.Source();
        props.setName(spec.name());
        props.setUrl(url);
        props.setUser(user);
        props.setPassword("");
        HikariDataSource pool = MembershipSources.readOnlyPool(props);
        RecordNormaliser normaliser = new RecordNormaliser(NormaliserSettings.defaults().withStrict(false));
        return new AdHoc(pool, new MembershipSync(spec, new MemberReader(spec, pool),
                new MemberMapper(spec.name(), "membership", mapping), normaliser, crm, sources.store(), core, json, options));
    }

    MembershipSync sync(String name) {
        return sources.get(name).orElseThrow();
    }

    String sourcesOwner() {
        return sources.owner();
    }

    Optional<CustomerProfile> profile(String source, String memberId) {
        return crm.lookup(Identity.of(IdentityType.MEMBER_ID, source, memberId)).flatMap(id -> crm.find(id, 20));
    }

    static String value(CustomerProfile p, String attribute) {
        AttributeValue v = p.attributes().get(attribute);
        return v == null ? null : v.value();
    }

    Optional<CrmStore.QuarantineEntry> quarantineOf(String memberId) {
        return crm.quarantined("OPEN", 1000).stream()
                .filter(e -> memberId.equals(e.headers().get(MembershipSync.HEADER_MEMBER))).findFirst();
    }

    static DataSource failingAfter(DataSource ds, int okConnections, AtomicInteger count) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[]{DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && count.incrementAndGet() > okConnections) {
                        throw new SQLException("source connection lost (test)", "08006");
                    }
                    try {
                        return method.invoke(ds, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    static Connection maria() throws SQLException {
        return DriverManager.getConnection(MARIA, "root", "");
    }

    static Connection pg() throws SQLException {
        return DriverManager.getConnection(PG, "postgres", "");
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static void touch(Connection c, int user, LocalDateTime at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + P + "aspnet_Users SET LastActivityDate = ? WHERE UserId = ?")) {
            ps.setTimestamp(1, Timestamp.valueOf(at));
            ps.setString(2, uid(user));
            ps.executeUpdate();
        }
    }

    // --- fixtures --------------------------------------------------------------------------------

    static void createAspNet() throws SQLException {
        try (Connection c = maria()) {
            for (String t : List.of("UsersInRoles", "Roles", "Profile", "Membership", "Users", "Applications")) {
                exec(c, "DROP TABLE IF EXISTS " + P + "aspnet_" + t);
            }
            exec(c, "CREATE TABLE " + P + "aspnet_Applications (ApplicationName VARCHAR(256) NOT NULL,"
                    + " LoweredApplicationName VARCHAR(256) NOT NULL, ApplicationId CHAR(36) NOT NULL PRIMARY KEY,"
                    + " Description VARCHAR(256))");
            exec(c, "CREATE TABLE " + P + "aspnet_Users (ApplicationId CHAR(36) NOT NULL, UserId CHAR(36) NOT NULL PRIMARY KEY,"
                    + " UserName VARCHAR(256) NOT NULL, LoweredUserName VARCHAR(256) NOT NULL, MobileAlias VARCHAR(16),"
                    + " IsAnonymous TINYINT(1) NOT NULL DEFAULT 0, LastActivityDate DATETIME(3) NOT NULL,"
                    + " INDEX " + P + "aspnet_Users_Index2 (ApplicationId, LastActivityDate))");
            exec(c, "CREATE TABLE " + P + "aspnet_Membership (ApplicationId CHAR(36) NOT NULL, UserId CHAR(36) NOT NULL PRIMARY KEY,"
                    + " Password VARCHAR(128) NOT NULL, PasswordFormat INT NOT NULL DEFAULT 0, PasswordSalt VARCHAR(128) NOT NULL,"
                    + " MobilePIN VARCHAR(16), Email VARCHAR(256), LoweredEmail VARCHAR(256), PasswordQuestion VARCHAR(256),"
                    + " PasswordAnswer VARCHAR(128), IsApproved TINYINT(1) NOT NULL, IsLockedOut TINYINT(1) NOT NULL,"
                    + " CreateDate DATETIME(3) NOT NULL, LastLoginDate DATETIME(3) NOT NULL, LastPasswordChangedDate DATETIME(3) NOT NULL,"
                    + " LastLockoutDate DATETIME(3) NOT NULL, FailedPasswordAttemptCount INT NOT NULL DEFAULT 0,"
                    + " FailedPasswordAttemptWindowStart DATETIME(3) NOT NULL, FailedPasswordAnswerAttemptCount INT NOT NULL DEFAULT 0,"
                    + " FailedPasswordAnswerAttemptWindowStart DATETIME(3) NOT NULL, Comment LONGTEXT)");
            exec(c, "CREATE TABLE " + P + "aspnet_Profile (UserId CHAR(36) NOT NULL PRIMARY KEY, PropertyNames LONGTEXT NOT NULL,"
                    + " PropertyValuesString LONGTEXT NOT NULL, PropertyValuesBinary LONGBLOB NOT NULL, LastUpdatedDate DATETIME(3) NOT NULL)");
            exec(c, "CREATE TABLE " + P + "aspnet_Roles (ApplicationId CHAR(36) NOT NULL, RoleId CHAR(36) NOT NULL PRIMARY KEY,"
                    + " RoleName VARCHAR(256) NOT NULL, LoweredRoleName VARCHAR(256) NOT NULL, Description VARCHAR(256))");
            exec(c, "CREATE TABLE " + P + "aspnet_UsersInRoles (UserId CHAR(36) NOT NULL, RoleId CHAR(36) NOT NULL,"
                    + " PRIMARY KEY (UserId, RoleId))");
            exec(c, "INSERT INTO " + P + "aspnet_Applications VALUES ('/shop', '/shop', '" + APP + "', NULL),"
                    + " ('/other', '/other', '" + OTHER_APP + "', NULL)");
            exec(c, "INSERT INTO " + P + "aspnet_Roles VALUES ('" + APP + "', '" + ROLE_PREMIUM + "', 'Premium', 'premium', NULL),"
                    + " ('" + APP + "', '" + ROLE_VIP + "', 'VIP', 'vip', NULL),"
                    + " ('" + APP + "', '" + ROLE_EDITOR + "', 'Editors', 'editors', NULL)");
            for (int i = 1; i <= USERS; i++) {
                // users 31..90 share one LastActivityDate: ties across the 50-row pages
                LocalDateTime act = i > 30 && i <= 90 ? T0 : T0.plusSeconds(i);
                user(c, APP, i, act, i == 5 ? 0 : 1, i == 4 ? 1 : 0);
                Map<String, String> props = new LinkedHashMap<>();
                props.put("FirstName", i == 1 ? "ANN" : "First" + i);
                props.put("LastName", i == 1 ? "smith" : "Last" + i);
                props.put("City", i == 6 ? null : (i == 1 ? "Köln" : "City" + i));
                props.put("BirthDate", i == 1 ? "03.04.1980" : null);
                String[] bag = AspNetProfileDecoder.encodeStrings(props);
                String names = bag[0];
                byte[] binary = new byte[0];
                if (i == 6) {
                    names = names + "Cart:B:0:4:";
                    binary = new byte[]{1, 2, 3, 4};
                }
                if (i == 7) {
                    names = names + "Broken:S:9999:5:"; // points outside the values
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + P + "aspnet_Profile VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, uid(i));
                    ps.setString(2, names);
                    ps.setString(3, bag[1]);
                    ps.setBytes(4, binary);
                    ps.setTimestamp(5, Timestamp.valueOf(act));
                    ps.executeUpdate();
                }
            }
            exec(c, "INSERT INTO " + P + "aspnet_UsersInRoles VALUES ('" + uid(2) + "', '" + ROLE_PREMIUM + "'),"
                    + " ('" + uid(3) + "', '" + ROLE_VIP + "'), ('" + uid(3) + "', '" + ROLE_EDITOR + "')");
            user(c, OTHER_APP, 900, T0, 1, 0);
        }
    }

    static void user(Connection c, String app, int i, LocalDateTime act, int approved, int locked) throws SQLException {
        try (PreparedStatement u = c.prepareStatement("INSERT INTO " + P + "aspnet_Users (ApplicationId, UserId, UserName,"
                + " LoweredUserName, LastActivityDate) VALUES (?, ?, ?, ?, ?)");
             PreparedStatement m = c.prepareStatement("INSERT INTO " + P + "aspnet_Membership (ApplicationId, UserId, Password,"
                     + " PasswordSalt, Email, LoweredEmail, PasswordAnswer, IsApproved, IsLockedOut, CreateDate, LastLoginDate,"
                     + " LastPasswordChangedDate, LastLockoutDate, FailedPasswordAttemptWindowStart,"
                     + " FailedPasswordAnswerAttemptWindowStart) VALUES (?, ?, ?, 'PasswordSalt-xyz', ?, ?, 'secret answer', ?, ?, ?, ?, ?, ?, ?, ?)")) {
            u.setString(1, app);
            u.setString(2, uid(i));
            u.setString(3, "User" + i);
            u.setString(4, "user" + i);
            u.setTimestamp(5, Timestamp.valueOf(act));
            u.executeUpdate();
            Timestamp created = Timestamp.valueOf(T0.minusDays(30));
            m.setString(1, app);
            m.setString(2, uid(i));
            m.setString(3, PASSWORD_HASH);
            m.setString(4, "User" + i + "@Example.com");
            m.setString(5, "user" + i + "@example.com");
            m.setInt(6, approved);
            m.setInt(7, locked);
            for (int k = 8; k <= 13; k++) {
                m.setTimestamp(k, created);
            }
            m.executeUpdate();
        }
    }

    static void createIdentity() throws SQLException {
        try (Connection c = pg()) {
            exec(c, "DROP SCHEMA IF EXISTS mbrit_identity CASCADE");
            exec(c, "CREATE SCHEMA mbrit_identity");
            exec(c, "CREATE TABLE mbrit_identity.\"AspNetUsers\" (\"Id\" text PRIMARY KEY, \"UserName\" varchar(256),"
                    + " \"NormalizedUserName\" varchar(256), \"Email\" varchar(256), \"NormalizedEmail\" varchar(256),"
                    + " \"EmailConfirmed\" boolean NOT NULL, \"PasswordHash\" text, \"SecurityStamp\" text, \"ConcurrencyStamp\" text,"
                    + " \"PhoneNumber\" text, \"PhoneNumberConfirmed\" boolean NOT NULL, \"TwoFactorEnabled\" boolean NOT NULL,"
                    + " \"LockoutEnd\" timestamp with time zone, \"LockoutEnabled\" boolean NOT NULL, \"AccessFailedCount\" integer NOT NULL)");
            exec(c, "CREATE TABLE mbrit_identity.\"AspNetRoles\" (\"Id\" text PRIMARY KEY, \"Name\" varchar(256),"
                    + " \"NormalizedName\" varchar(256), \"ConcurrencyStamp\" text)");
            exec(c, "CREATE TABLE mbrit_identity.\"AspNetUserRoles\" (\"UserId\" text NOT NULL, \"RoleId\" text NOT NULL,"
                    + " PRIMARY KEY (\"UserId\", \"RoleId\"))");
            exec(c, "CREATE TABLE mbrit_identity.\"AspNetUserClaims\" (\"Id\" serial PRIMARY KEY, \"UserId\" text NOT NULL,"
                    + " \"ClaimType\" text, \"ClaimValue\" text)");
            exec(c, "INSERT INTO mbrit_identity.\"AspNetRoles\" VALUES ('r-premium', 'Premium', 'PREMIUM', 'x')");
            String future = Instant.now().plus(30, ChronoUnit.DAYS).atOffset(ZoneOffset.UTC).toString();
            exec(c, "INSERT INTO mbrit_identity.\"AspNetUsers\" VALUES"
                    + " ('id-1', 'ida', 'IDA', 'Ida.Meyer@Example.org', 'IDA.MEYER@EXAMPLE.ORG', true, '" + PASSWORD_HASH + "', 'STAMP', 'c1',"
                    + " '030 123456', true, false, NULL, true, 0),"
                    + " ('id-2', 'bob', 'BOB', 'bob@example.org', 'BOB@EXAMPLE.ORG', true, 'h', 's', 'c2', NULL, false, false,"
                    + " '" + future + "', true, 5),"
                    + " ('id-3', 'cy', 'CY', 'cy@example.org', 'CY@EXAMPLE.ORG', false, 'h', 's', 'c3', NULL, false, false, NULL, true, 0)");
            exec(c, "INSERT INTO mbrit_identity.\"AspNetUserRoles\" VALUES ('id-1', 'r-premium')");
            exec(c, "INSERT INTO mbrit_identity.\"AspNetUserClaims\" (\"UserId\", \"ClaimType\", \"ClaimValue\") VALUES"
                    + " ('id-1', 'given_name', 'Ida'), ('id-1', 'family_name', 'Meyer'), ('id-1', 'birthdate', '1990-12-24')");
        }
    }
}
