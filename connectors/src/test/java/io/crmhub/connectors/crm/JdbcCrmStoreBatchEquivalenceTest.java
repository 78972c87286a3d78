package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The set-based {@code upsertAll} of PostgreSQL against one {@code upsert} per record, on the same
 * records: same outcome per record, same identities per live profile, same attribute values and
 * consents, same outbox event counts. Records overlap within and across batches, carry role
 * mailboxes, unique-per-profile member ids (conflicts), consents and attributes from ranked and
 * unranked sources.
 */
class JdbcCrmStoreBatchEquivalenceTest {

    static HikariDataSource ds;
    static JdbcTemplate sql;

    @BeforeAll
    static void schema() throws Exception {
        ds = PgTestSupport.freshSchema(2);
        sql = new JdbcTemplate(ds);
    }

    @AfterAll
    static void close() {
        ds.close();
    }

    JdbcCrmStore store() {
        sql.execute("TRUNCATE " + PgTestSupport.ALL_TABLES + " CASCADE");
        return new JdbcCrmStore(ds, new SurvivorshipRules(List.of("crm", "shop")), new ConsentRules(),
                IdentityPolicy.defaults(), new ObjectMapper());
    }

    static List<ProfileRecord> records(long seed, int n) {
        Random r = new Random(seed);
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        String[] sources = {"crm", "shop", "lists"};
        String[] cities = {"Berlin", "Hamburg", "Köln"};
        List<ProfileRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Identity> ids = new ArrayList<>();
            int k = 1 + r.nextInt(3);
            for (int j = 0; j < k; j++) {
                switch (r.nextInt(5)) {
                    case 0 -> ids.add(Identity.of(IdentityType.EMAIL, "e" + r.nextInt(150) + "@example.com"));
                    case 1 -> ids.add(Identity.of(IdentityType.PHONE, "+4930" + (1000 + r.nextInt(120))));
                    case 2 -> ids.add(Identity.of(IdentityType.MEMBER_ID, "web", "m" + r.nextInt(60)));
                    case 3 -> ids.add(Identity.of(IdentityType.ANONYMOUS_ID, "a" + r.nextInt(200)));
                    default -> ids.add(r.nextInt(4) == 0 ? Identity.of(IdentityType.EMAIL, "info@example.com")
                            : Identity.of(IdentityType.EMAIL, "n" + i + "@example.com"));
                }
            }
            Map<String, String> attrs = new HashMap<>();
            attrs.put("city", cities[r.nextInt(cities.length)]);
            if (r.nextBoolean()) {
                attrs.put("tier", "t" + r.nextInt(3));
            }
            // mostly newer, sometimes older than what came before
            Instant at = t0.plusSeconds(60L * i - (r.nextInt(5) == 0 ? 3600 : 0));
            String source = sources[r.nextInt(sources.length)];
            List<Consent> consents = new ArrayList<>();
            if (r.nextInt(4) == 0) {
                consents.add(new Consent(Channel.EMAIL, r.nextBoolean() ? ConsentStatus.OPT_IN : ConsentStatus.OPT_OUT,
                        source, at, "form", r.nextBoolean()));
            }
            out.add(new ProfileRecord(source, at, ids, attrs, consents));
        }
        return out;
    }

    /** Outcome (or error) per record. */
    static List<String> outcomes(List<CrmStore.BatchItem> items) {
        List<String> o = new ArrayList<>();
        for (CrmStore.BatchItem b : items) {
            o.add(b.ok() ? b.result().outcome() + " notLinked=" + new TreeSet<>(keys(b.result().identitiesNotLinked()))
                    : b.error().getClass().getSimpleName());
        }
        return o;
    }

    static List<String> keys(List<Identity> ids) {
        List<String> k = new ArrayList<>();
        ids.forEach(i -> k.add(i.key()));
        return k;
    }

    /** Live profiles keyed by their identities: attribute values and consent statuses. */
    static Map<String, String> state() {
        Map<UUID, TreeSet<String>> ids = new HashMap<>();
        sql.query("SELECT i.type, i.namespace, i.\"value\", i.profile_id FROM identity i JOIN profile p ON p.id = i.profile_id"
                + " WHERE p.status = 'ACTIVE'", rs -> {
            ids.computeIfAbsent(rs.getObject(4, UUID.class), x -> new TreeSet<>())
                    .add(rs.getString(1) + ":" + rs.getString(2) + ":" + rs.getString(3));
        });
        Map<UUID, TreeMap<String, String>> data = new HashMap<>();
        sql.query("SELECT id, attributes FROM profile WHERE attributes IS NOT NULL", rs -> {
            UUID id = rs.getObject(1, UUID.class);
            AttributeDocument.read(rs.getString(2)).forEach((name, v) ->
                    data.computeIfAbsent(id, x -> new TreeMap<>()).put("attr." + name, v.value()));
        });
        sql.query("SELECT profile_id, channel, status FROM consent", rs -> {
            data.computeIfAbsent(rs.getObject(1, UUID.class), x -> new TreeMap<>()).put("consent." + rs.getString(2), rs.getString(3));
        });
        Map<String, String> out = new TreeMap<>();
        ids.forEach((p, keys) -> out.put(String.join(",", keys), String.valueOf(data.getOrDefault(p, new TreeMap<>()))));
        sql.query("SELECT event_type, COUNT(*) FROM outbox_event GROUP BY event_type", rs -> {
            out.put("outbox." + rs.getString(1), rs.getString(2));
        });
        out.put("profiles.active", String.valueOf(sql.queryForObject(
                "SELECT COUNT(*) FROM profile WHERE status = 'ACTIVE'", Integer.class)));
        out.put("sightings", String.valueOf(sql.queryForObject("SELECT COUNT(*) FROM identity_sighting", Integer.class)));
        out.put("versions", String.valueOf(sql.queryForObject(
                "SELECT COALESCE(SUM(version), 0) FROM profile WHERE status = 'ACTIVE'", Long.class)));
        return out;
    }

    @Test
    void batchesAndSingleUpsertsAgree() {
        for (long seed : new long[]{1, 2, 3}) {
            List<ProfileRecord> recs = records(seed, 400);

            JdbcCrmStore one = store();
            List<CrmStore.BatchItem> single = new ArrayList<>();
            for (ProfileRecord r : recs) {
                try {
                    single.add(new CrmStore.BatchItem(one.upsert(r), null));
                } catch (RuntimeException e) {
                    single.add(new CrmStore.BatchItem(null, e));
                }
            }
            Map<String, String> expected = state();

            JdbcCrmStore batch = store();
            List<CrmStore.BatchItem> batched = new ArrayList<>();
            for (int from = 0; from < recs.size(); from += 50) {
                batched.addAll(batch.upsertAll(recs.subList(from, from + 50)));
            }
            assertThat(outcomes(batched)).as("seed %d", seed).isEqualTo(outcomes(single));
            assertThat(state()).as("seed %d", seed).isEqualTo(expected);
        }
    }
}
