package io.crmhub.connectors.clickstream;

import io.crmhub.connectors.crm.AttributeDocument;
import io.crmhub.connectors.jdbc.Params;

import io.crmhub.mappings.clickstream.AudienceRule;
import io.crmhub.mappings.clickstream.InterestScore;
import io.crmhub.mappings.clickstream.MatchKeys;
import io.crmhub.mappings.model.Attributes;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Audiences out: the anonymous aggregate profile of a segment (cells of age band × gender × region ×
 * interest with counts, cells under the k-anonymity floor suppressed), and the hashed match list of
 * its members who consented to ads. Reads the engagement the clickstream folded into profiles plus
 * the profiles' attributes, identities and consents; people with an ADS or PERSONALISATION opt-out
 * are never part of a segment.
 */
public class AudienceStore {

    /** The attributes an audience cell is banded by. */
    private static final Set<String> BANDED = Set.of(Attributes.BIRTH_DATE, Attributes.GENDER, Attributes.COUNTRY,
            Attributes.REGION);

    private final Sql db;
    private final InterestScore interests;
    private final MatchKeys matchKeys;
    private final Clock clock;

    public AudienceStore(DataSource dataSource, Duration interestHalfLife, String defaultRegion, Clock clock) {
        this.db = new Sql(new JdbcTemplate(dataSource));
        this.interests = new InterestScore(interestHalfLife);
        this.matchKeys = new MatchKeys(defaultRegion);
        this.clock = clock == null ? Clock.systemUTC() : clock;
    }

    /** One published cell. */
    public record CellCount(AudienceRule.Cell cell, long count) {
    }

    /**
     * The aggregate of a segment. Nothing tells how many people the suppressed cells hold: with the members of the
     * published cells and a total, one suppressed cell's size would be their difference.
     *
     * @param members         people in the published cells
     * @param cells           cells at or above the floor, largest first
     * @param suppressedCells how many cells were under the floor (not published)
     */
    public record Aggregate(String segment, Instant generatedAt, int kFloor, long members, List<CellCount> cells,
                            int suppressedCells) {
    }

    /**
     * The match list of a segment: hashed keys of members with an ADS opt-in.
     *
     * @param consentingMembers how many consented; null when suppressed (a count under the floor is not published)
     * @param suppressed        true when fewer than the floor consented: then {@code entries} is empty
     */
    public record MatchList(String segment, Instant generatedAt, int kFloor, Long consentingMembers,
                            boolean suppressed, List<MatchEntry> entries) {
    }

    /** SHA-256 keys of one person (Customer Match: one row per person, several keys). */
    public record MatchEntry(List<String> hashedEmails, List<String> hashedPhoneNumbers) {
    }

    public Aggregate aggregate(AudienceRule rule) {
        Instant now = clock.instant();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Map<AudienceRule.Cell, Long> cells = new HashMap<>();
        scan(rule, now, (id, m) -> cells.merge(rule.cellOf(m, today), 1L, Long::sum));
        List<CellCount> published = new ArrayList<>();
        int suppressedCells = 0;
        long members = 0;
        for (Map.Entry<AudienceRule.Cell, Long> e : cells.entrySet()) {
            if (e.getValue() >= rule.kFloor()) {
                published.add(new CellCount(e.getKey(), e.getValue()));
                members += e.getValue();
            } else {
                suppressedCells++;
            }
        }
        published.sort(Comparator.comparingLong(CellCount::count).reversed()
                .thenComparing(c -> c.cell().toString()));
        return new Aggregate(rule.name(), now, rule.kFloor(), members, published, suppressedCells);
    }

    public MatchList matchList(AudienceRule rule) {
        Instant now = clock.instant();
        List<UUID> ids = new ArrayList<>();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        scan(rule, now, (id, m) -> {
            Integer age = AudienceRule.age(m.birthDate(), today);
            if (age == null || age >= 18) {
                ids.add(id);       // minors are never on a match list (Customer Match: no data of children)
            }
        });
        Set<UUID> consenting = new LinkedHashSet<>(db.queryIn("SELECT profile_id FROM consent WHERE channel = 'ADS'"
                + " AND status = 'OPT_IN' AND profile_id IN ", " ORDER BY profile_id", ids, (rs, n) -> Params.uuid(rs, "profile_id")));
        if (consenting.size() < rule.kFloor()) {
            return new MatchList(rule.name(), now, rule.kFloor(), null, true, List.of());
        }
        Map<UUID, List<String>> emails = new TreeMap<>();
        Map<UUID, List<String>> phones = new TreeMap<>();
        db.queryIn("SELECT profile_id, type, \"value\" FROM identity WHERE type IN ('EMAIL', 'PHONE') AND profile_id IN ",
                " ORDER BY profile_id, type, \"value\"", consenting, (rs, n) -> {
                    UUID id = Params.uuid(rs, "profile_id");
                    boolean email = "EMAIL".equals(rs.getString("type"));
                    String hash = email ? matchKeys.email(rs.getString("value")) : matchKeys.phone(rs.getString("value"));
                    if (hash != null) {
                        List<String> list = (email ? emails : phones).computeIfAbsent(id, k -> new ArrayList<>());
                        if (!list.contains(hash)) {
                            list.add(hash);
                        }
                    }
                    return null;
                });
        List<MatchEntry> entries = new ArrayList<>();
        for (UUID id : consenting) {
            List<String> e = emails.getOrDefault(id, List.of());
            List<String> p = phones.getOrDefault(id, List.of());
            if (!e.isEmpty() || !p.isEmpty()) {
                entries.add(new MatchEntry(e, p));
            }
        }
        boolean suppressed = entries.size() < rule.kFloor();
        return new MatchList(rule.name(), now, rule.kFloor(), suppressed ? null : (long) consenting.size(), suppressed,
                suppressed ? List.of() : entries);
    }

    /** Every live, not opted-out profile with engagement that matches the rule, in chunks. */
    private void scan(AudienceRule rule, Instant now, java.util.function.BiConsumer<UUID, AudienceRule.Member> sink) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        String candidates;
        List<Object> args = new ArrayList<>();
        if (!rule.interests().isEmpty()) {
            candidates = "SELECT DISTINCT i.profile_id FROM click_profile_interest i WHERE i.category IN ("
                    + Params.marks(rule.interests().size()) + ")";
            args.addAll(rule.interests());
        } else {
            candidates = "SELECT s.profile_id FROM click_profile_stats s";
        }
        String sql = "SELECT c.profile_id FROM (" + candidates + ") c JOIN profile p ON p.id = c.profile_id"
                + " WHERE p.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM consent o WHERE o.profile_id = c.profile_id"
                + " AND o.status = 'OPT_OUT' AND o.channel IN ('ADS', 'PERSONALISATION')) ORDER BY c.profile_id";
        List<UUID> all = db.query(sql, (rs, n) -> Params.uuid(rs, "profile_id"), args.toArray());
        for (int from = 0; from < all.size(); from += Sql.CHUNK) {
            List<UUID> chunk = all.subList(from, Math.min(all.size(), from + Sql.CHUNK));
            Map<UUID, Map<String, Double>> scores = new HashMap<>();
            db.queryIn("SELECT profile_id, category, score, scored_at FROM click_profile_interest WHERE profile_id IN ", "",
                    chunk, (rs, n) -> {
                        scores.computeIfAbsent(Params.uuid(rs, "profile_id"), k -> new HashMap<>()).put(rs.getString("category"),
                                interests.valueAt(new InterestScore.Score(rs.getDouble("score"), Params.instant(rs, "scored_at")), now));
                        return null;
                    });
            Map<UUID, Set<String>> campaigns = new HashMap<>();
            db.queryIn("SELECT pc.profile_id, c.code FROM click_profile_campaign pc JOIN campaign c ON c.id = pc.campaign_id"
                    + " WHERE pc.profile_id IN ", "", chunk, (rs, n) -> {
                campaigns.computeIfAbsent(Params.uuid(rs, "profile_id"), k -> new HashSet<>()).add(rs.getString("code"));
                return null;
            });
            Map<UUID, Map<String, String>> attrs = new HashMap<>();
            db.queryIn("SELECT id, attributes FROM profile WHERE attributes IS NOT NULL AND id IN ", "", chunk, (rs, n) -> {
                attrs.put(Params.uuid(rs, "id"), AttributeDocument.values(rs.getString("attributes"), BANDED));
                return null;
            });
            for (UUID id : chunk) {
                Map<String, String> a = attrs.getOrDefault(id, Map.of());
                AudienceRule.Member m = new AudienceRule.Member(scores.getOrDefault(id, Map.of()),
                        campaigns.getOrDefault(id, Set.of()), a.get(Attributes.BIRTH_DATE), a.get(Attributes.GENDER),
                        a.get(Attributes.COUNTRY), a.get(Attributes.REGION));
                if (rule.matches(m, today)) {
                    sink.accept(id, m);
                }
            }
        }
    }
}
