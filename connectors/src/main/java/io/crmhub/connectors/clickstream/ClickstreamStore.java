package io.crmhub.connectors.clickstream;

import io.crmhub.connectors.jdbc.Params;

import io.crmhub.connectors.crm.ConcurrentChangeException;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.ErasedIdentityException;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.InterestScore;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.NormalisedRecord;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.normalise.Result;
import io.crmhub.mappings.normalise.ValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BinaryOperator;

/**
 * Folds micro-batches of clickstream events into the CRM core store, in ONE transaction per batch:
 * <ol>
 *   <li>de-duplication by messageId against {@code click_message_key} (the id's 16-byte key, {@link MessageKeys};
 *       shared by all instances; a concurrent insert of the same id makes the batch retry and then see it);</li>
 *   <li>identity: anonymousId → {@code ANONYMOUS_ID}, userId → {@code EXTERNAL_ID} in the configured
 *       namespace, traits e-mail/phone; known combinations are looked up in one statement, new
 *       ones go through {@link CrmStore#upsertAll} (the backbone's resolution: create, update or
 *       journaled merge, with its guards — a device shared by two users never merges them);</li>
 *   <li>people with an ADS or PERSONALISATION opt-out: their events count only in the anonymous
 *       daily aggregates;</li>
 *   <li>everyone else: views, sessions, last seen, decaying interest per content category,
 *       campaigns touched, ad impressions and clicks, per profile, with one write per table per batch
 *       (the stats rows are read first; the batch's interest scores and campaign counts are added to
 *       the stored ones by the write itself); an ad click is recorded as a campaign response on the CRM
 *       campaign;</li>
 *   <li>anonymous daily aggregates (day × event / category / campaign) for every new event.</li>
 * </ol>
 * The caller commits its Kafka offsets only after {@link #apply} returned, so a crash or a database
 * outage loses nothing (the batch is delivered again) and counts nothing twice (the messageIds of a
 * committed batch are in {@code click_message_key}).
 */
public class ClickstreamStore {

    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamStore.class);
    public static final String SOURCE = "clickstream";
    private static final int ATTEMPTS = 4;

    /** Settings of the fold. */
    public record Settings(String userIdNamespace, Duration sessionTimeout, Duration interestHalfLife,
                           Map<ClickEvent.Type, Double> interestWeights) {
        public Settings {
            Objects.requireNonNull(userIdNamespace, "userIdNamespace");
            interestWeights = interestWeights == null ? Map.of() : Map.copyOf(interestWeights);
        }

        public static Settings defaults() {
            Map<ClickEvent.Type, Double> w = new EnumMap<>(ClickEvent.Type.class);
            w.put(ClickEvent.Type.PAGE, 1.0);
            w.put(ClickEvent.Type.SCREEN, 1.0);
            w.put(ClickEvent.Type.TRACK, 1.0);
            w.put(ClickEvent.Type.AD_CLICK, 3.0);
            return new Settings("web", Duration.ofMinutes(30), Duration.ofDays(14), w);
        }
    }

    /**
     * What one batch did. {@code rejections}: people whose events were not attached, with the reason;
     * {@code droppedTraits}: people whose traits were taken without the invalid ones, naming each trait and why (a
     * first name with digits …; the values are not repeated, they are personal data).
     */
    public record Report(int received, int duplicates, int attached, int anonymousOnly, int rejected,
                         int profilesTouched, int profilesCreated, int merges, List<String> rejections,
                         List<String> droppedTraits) {
    }

    private final Sql db;
    private final TransactionTemplate tx;
    private final CrmStore crm;
    private final RecordNormaliser normaliser;
    private final Settings settings;
    private final InterestScore interests;
    private final Table interestTable;
    private final Table statsTable;
    private final Clock clock;
    private final Map<String, Long> campaignIds = new ConcurrentHashMap<>();

    public ClickstreamStore(DataSource dataSource, CrmStore crm, RecordNormaliser normaliser, Settings settings,
                            Clock clock) {
        this.db = new Sql(new JdbcTemplate(dataSource));
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.crm = Objects.requireNonNull(crm, "crm");
        this.normaliser = Objects.requireNonNull(normaliser, "normaliser");
        this.settings = settings == null ? Settings.defaults() : settings;
        this.interests = new InterestScore(this.settings.interestHalfLife());
        this.interestTable = interestTable(interests, this.settings.interestHalfLife().toMillis() / 1000.0);
        this.statsTable = statsTable(this.settings.sessionTimeout());
        this.clock = clock == null ? Clock.systemUTC() : clock;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Applies a batch (events already mapped and checked against the tracking plan) in one
     * transaction, retried on write conflicts with another instance.
     *
     * @throws org.springframework.dao.DataAccessException when the database is unavailable: nothing
     *                                                     of the batch was stored
     */
    public Report apply(List<ClickEvent> events) {
        if (events.isEmpty()) {
            return new Report(0, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of());
        }
        for (int attempt = 1; ; attempt++) {
            Map<String, Long> newCampaigns = new HashMap<>();
            try {
                Report r = tx.execute(s -> fold(events, newCampaigns));
                campaignIds.putAll(newCampaigns);
                return r;
            } catch (DuplicateKeyException | ConcurrentChangeException | PessimisticLockingFailureException e) {
                if (attempt >= ATTEMPTS) {
                    throw e;
                }
                LOG.debug("clickstream batch met a concurrent writer (attempt {}): {}", attempt, e.getMessage());
            }
        }
    }

    // ----------------------------------------------------------------------------------------

    private static final class Person {
        final List<Identity> ids;
        final Map<String, String> attributes = new LinkedHashMap<>();
        Instant latest = Instant.EPOCH;
        UUID profile;
        boolean rejected;
        /** An alias's previousId other than its ids: an anonymous id, or a userId the alias renames. */
        String aliasOf;

        Person(List<Identity> ids) {
            this.ids = ids;
        }
    }

    private static final class Stats {
        long events, pageViews, sessions, impressions, clicks;
        Instant firstSeen, lastSeen, firstVisit, lastVisit;
        boolean exists;
    }

    /** A profile's row of the per-campaign table. */
    private record CampKey(UUID profile, long campaign) implements Comparable<CampKey> {
        @Override
        public int compareTo(CampKey o) {
            int c = profile.compareTo(o.profile);
            return c != 0 ? c : Long.compare(campaign, o.campaign);
        }
    }

    private static final class Camp {
        long touches, impressions, clicks;
        Instant first, last;
    }

    /*
     * fold() is cut into one method per step: each is compiled on its own, and a loop in one of them is
     * not an on-stack replacement of the whole fold. As one method of 300 lines, C2 compiled it eight times
     * in a 1M-event run (131-194 kB of code each time, 10.7 s of CPU), in the minute the fold shared the
     * machine's 2 cores with the broker and PostgreSQL.
     */
    private Report fold(List<ClickEvent> batch, Map<String, Long> newCampaigns) {
        long t0 = System.nanoTime();
        Instant now = clock.instant();
        // 1. de-duplication
        List<ClickEvent> fresh = dedup(batch, now);
        int duplicates = batch.size() - fresh.size();

        long tDedup = System.nanoTime();
        // 2. identity
        Resolution r = resolve(fresh, now);

        long tIdentity = System.nanoTime();
        // identified now: their engagement (if any) is projected into the profile at the next round
        Set<UUID> toProject = identified(r.toUpsert);

        // 3. consent
        Set<UUID> profiles = new TreeSet<>();
        r.people.values().forEach(p -> {
            if (p.profile != null) {
                profiles.add(p.profile);
            }
        });
        Set<UUID> optedOut = new HashSet<>();
        // identified profiles (an identifier other than ANONYMOUS_ID): their engagement waits for the projection
        Set<UUID> known = new HashSet<>();
        consentAndKnown(profiles, optedOut, known);
        Set<UUID> attach = new TreeSet<>(profiles);
        attach.removeAll(optedOut);

        // 4. H2: lock the profiles in id order (serialises the threads that fold the same person, as the stored
        // rows are read and written back). PostgreSQL adds the batch's part to the stored rows in the upserts,
        // which lock the rows they change, in key order (no deadlock between two batches); then fold merges
        if (!attach.isEmpty() && !postgres()) {
            db.queryIn("SELECT id FROM profile WHERE id IN ", " ORDER BY id FOR UPDATE", attach, (rs, n) -> null);
        }
        for (Map.Entry<UUID, UUID> m : r.mergedInto.entrySet()) {
            moveEngagement(m.getKey(), survivor(m.getValue(), r.mergedInto));
        }

        long tLock = System.nanoTime();
        // 5. nothing is read: the stats, interests and campaigns are folded as this batch's part alone and
        // added to the stored rows when they are written (counts summed, first and last times widened, decayed
        // scores combined, a session that goes on from the stored last visit counted once)
        long tRead = System.nanoTime();
        // 6. fold the events, oldest first
        Folded f = foldEvents(fresh, r.personOf, attach, newCampaigns);

        // 7. write; only identified profiles wait for the projection
        if (!postgres()) {
            known.addAll(db.queryIn("SELECT DISTINCT profile_id FROM identity WHERE type <> 'ANONYMOUS_ID'"
                    + " AND profile_id IN ", "", f.touched, (rs, n) -> Params.uuid(rs, "profile_id")));
        }
        long tFold = System.nanoTime();
        writeStats(f, now);
        // only identified profiles are projected into the profile: the changed ones, and the newly identified
        for (UUID id : f.touched) {
            if (known.contains(id)) {
                toProject.add(id);
            }
        }
        enqueueProjection(toProject, now);
        long tStats = System.nanoTime();
        writeInterests(f);
        long tInterest = System.nanoTime();
        writeCampaigns(f);
        long tCampaigns = System.nanoTime();
        writeDaily(f.daily);
        if (LOG.isDebugEnabled()) {
            long tEnd = System.nanoTime();
            LOG.debug("batch of {} ({} new, {} upserts, {} profiles): dedup {} ms, identity {} ms, consent+lock {} ms,"
                    + " read {} ms, fold {} ms, write stats {} ms, interests {} ms, campaigns {} ms, daily {} ms",
                    batch.size(), fresh.size(), r.toUpsert.size(), f.touched.size(), ms(tDedup - t0), ms(tIdentity - tDedup),
                    ms(tLock - tIdentity), ms(tRead - tLock), ms(tFold - tRead), ms(tStats - tFold),
                    ms(tInterest - tStats), ms(tCampaigns - tInterest), ms(tEnd - tCampaigns));
        }
        return new Report(batch.size(), duplicates, f.attached, f.anonymousOnly, f.rejected, f.touched.size(), r.created,
                r.merges, r.rejections, r.dropped);
    }

    /**
     * The events of the batch whose messageId was not seen before (recorded as seen now), in batch order. An id
     * is remembered by its key ({@link MessageKeys}).
     */
    private List<ClickEvent> dedup(List<ClickEvent> batch, Instant now) {
        Map<UUID, ClickEvent> unique = new LinkedHashMap<>();
        for (ClickEvent e : batch) {
            unique.putIfAbsent(MessageKeys.of(e.messageId()), e);
        }
        List<ClickEvent> fresh = new ArrayList<>(unique.size());
        if (postgres()) {
            // one statement: the keys not seen yet are inserted and returned; a key another instance inserts
            // concurrently waits for its transaction and then counts as seen (keys sorted: no deadlock)
            String[] keys = new String[unique.size()];
            int i = 0;
            for (UUID k : unique.keySet()) {
                keys[i++] = k.toString();
            }
            java.util.Arrays.sort(keys);
            Set<UUID> inserted = new HashSet<>(db.query("INSERT INTO click_message_key (message_key, seen_at)"
                    + " SELECT k, ? FROM unnest(?::uuid[]) AS u(k) ON CONFLICT (message_key) DO NOTHING RETURNING message_key",
                    (rs, n) -> rs.getObject(1, UUID.class), now, new Sql.ArrayParam("uuid", keys)));
            unique.forEach((k, e) -> {
                if (inserted.contains(k)) {
                    fresh.add(e);
                }
            });
        } else {
            Set<UUID> seen = new HashSet<>(db.queryIn("SELECT message_key FROM click_message_key WHERE message_key IN ",
                    "", unique.keySet(), (rs, n) -> rs.getObject(1, UUID.class)));
            List<Object[]> rows = new ArrayList<>();
            unique.forEach((k, e) -> {
                if (!seen.contains(k)) {
                    fresh.add(e);
                    rows.add(new Object[]{k, now});
                }
            });
            db.batch("INSERT INTO click_message_key (message_key, seen_at) VALUES (?, ?)", rows);
        }
        return fresh;
    }

    /** Step 2 of {@link #fold}: who the events' people are, after the upserts of the new and changed ones. */
    private static final class Resolution {
        final Map<String, Person> people = new LinkedHashMap<>();
        // by identity: an event's own hashCode hashes its properties and traits, per look-up
        final Map<ClickEvent, Person> personOf = new java.util.IdentityHashMap<>();
        final List<Person> toUpsert = new ArrayList<>();
        final List<String> rejections = new ArrayList<>();
        final List<String> dropped = new ArrayList<>();
        final Map<UUID, UUID> mergedInto = new HashMap<>();
        int created;
        int merges;
    }

    private Resolution resolve(List<ClickEvent> fresh, Instant now) {
        Resolution r = new Resolution();
        for (ClickEvent e : fresh) {
            List<Identity> ids = identities(e);
            String key = key(ids);
            Person p = r.people.computeIfAbsent(key, k -> new Person(ids));
            r.personOf.put(e, p);
            if (!e.traits().isEmpty() && !e.at().isBefore(p.latest)) {
                p.attributes.putAll(e.traits());
            }
            if (e.at().isAfter(p.latest)) {
                p.latest = e.at();
            }
            if (e.type() == ClickEvent.Type.ALIAS && e.previousId() != null && !e.previousId().equals(e.anonymousId())
                    && !e.previousId().equals(e.userId())) {
                p.aliasOf = e.previousId();
            }
        }
        Set<Identity> allIds = new HashSet<>();
        r.people.values().forEach(p -> {
            allIds.addAll(p.ids);
            if (p.aliasOf != null) {
                allIds.add(previousUser(p));
            }
        });
        Map<Identity, UUID> owners = owners(allIds);
        List<ProfileRecord> records = new ArrayList<>();
        for (Person p : r.people.values()) {
            if (p.aliasOf != null && owners.get(previousUser(p)) != null
                    && owners.get(Identity.of(IdentityType.ANONYMOUS_ID, p.aliasOf)) == null) {
                // Segment lets previousId be a userId too: an alias from one userId to another. A profile holds one
                // userId per namespace (the backbone's guard), so the two cannot be joined; taking the old userId
                // for an anonymous id would give the new user's profile a false one. Not applied, with the reason
                p.rejected = true;
                r.rejections.add("alias from userId '" + p.aliasOf + "' to another userId: a profile holds one userId"
                        + " per namespace, the two are not joined (" + p.ids + ")");
                continue;
            }
            Set<UUID> distinct = new HashSet<>();
            boolean allKnown = true;
            for (Identity id : p.ids) {
                UUID o = owners.get(id);
                if (o == null) {
                    allKnown = false;
                } else {
                    distinct.add(o);
                }
            }
            if (allKnown && distinct.size() == 1 && p.attributes.isEmpty()) {
                p.profile = distinct.iterator().next();
                continue;
            }
            try {
                ProfileRecord raw = new ProfileRecord(SOURCE, p.latest.equals(Instant.EPOCH) ? now : p.latest, p.ids,
                        p.attributes, List.of());
                NormalisedRecord normalised = normaliser.normalise(raw, false);
                if (!normalised.errors().isEmpty()) {
                    StringBuilder why = new StringBuilder().append(p.ids).append(':');
                    normalised.errors().forEach(fe -> why.append(' ').append(fe.field()).append(" (").append(fe.reason())
                            .append(')'));
                    r.dropped.add(why.toString());
                }
                records.add(normalised.record());
                r.toUpsert.add(p);
            } catch (ValidationException e) {
                p.rejected = true;
                r.rejections.add(p.ids + ": " + e.getMessage());
            }
        }
        if (!records.isEmpty()) {
            List<CrmStore.BatchItem> results = crm.upsertAll(records);
            for (int i = 0; i < results.size(); i++) {
                CrmStore.BatchItem item = results.get(i);
                Person p = r.toUpsert.get(i);
                if (item.ok()) {
                    p.profile = item.result().profileId();
                    if (item.result().outcome() == CrmStore.UpsertResult.Outcome.CREATED) {
                        r.created++;
                    }
                    for (UUID m : item.result().mergedProfiles()) {
                        r.mergedInto.put(m, p.profile);
                        r.merges++;
                    }
                } else if (isTransient(item.error())) {
                    throw item.error();
                } else {
                    p.rejected = true;
                    r.rejections.add((item.error() instanceof ErasedIdentityException ? "erased person: " : "")
                            + p.ids + ": " + item.error().getMessage());
                }
            }
        }
        for (Person p : r.people.values()) {
            if (p.profile != null) {
                p.profile = survivor(p.profile, r.mergedInto);
            }
        }
        return r;
    }

    /** The identity an alias's previousId has when it is a userId. */
    private Identity previousUser(Person p) {
        return Identity.of(IdentityType.EXTERNAL_ID, settings.userIdNamespace(), p.aliasOf);
    }

    /** Profiles that got an identifier other than ANONYMOUS_ID: their engagement waits for the next projection. */
    private static Set<UUID> identified(List<Person> upserted) {
        Set<UUID> identified = new TreeSet<>();
        for (Person p : upserted) {
            if (p.profile != null && p.ids.stream().anyMatch(i -> i.type() != IdentityType.ANONYMOUS_ID)) {
                identified.add(p.profile);
            }
        }
        return identified;
    }

    /**
     * Queues the profiles for the projection: one row of the queue per call (inside the caller's transaction, so
     * a change and its place in the queue are committed together). The engagement rows themselves carry no flag:
     * a flag that every upsert sets and the projection clears is an indexed column changed twice per profile and
     * round, which took each of those updates off PostgreSQL's HOT path (a new entry in every index per update).
     */
    void enqueueProjection(Set<UUID> profiles, Instant now) {
        if (profiles.isEmpty()) {
            return;
        }
        UUID[] ids = new TreeSet<>(profiles).toArray(UUID[]::new);
        db.update("INSERT INTO click_projection_queue (profile_ids, queued_at) VALUES (" + uuidArray() + ", ?)",
                uuidArrayParam(ids), now);
    }

    /** A parameter of type uuid[]: its placeholder ... */
    private String uuidArray() {
        return postgres() ? "?::uuid[]" : "?";
    }

    /** ... and its value (PostgreSQL: text cast in the SQL; H2: the array itself). */
    private Object uuidArrayParam(UUID[] ids) {
        if (!postgres()) {
            return ids;
        }
        String[] text = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            text[i] = ids[i].toString();
        }
        return new Sql.ArrayParam("uuid", text);
    }

    /** The ids of a uuid[] column (pgJDBC gives UUIDs, H2 objects that may be UUIDs). */
    private static List<UUID> uuids(java.sql.Array array) throws java.sql.SQLException {
        if (array == null) {
            return List.of();
        }
        Object[] values = (Object[]) array.getArray();
        List<UUID> out = new ArrayList<>(values.length);
        for (Object v : values) {
            if (v != null) {
                out.add(v instanceof UUID u ? u : UUID.fromString(v.toString()));
            }
        }
        return out;
    }

    /** Which of the profiles opted out of ads or personalisation, and (PostgreSQL) which are identified. */
    private void consentAndKnown(Set<UUID> profiles, Set<UUID> optedOut, Set<UUID> known) {
        if (postgres() && !profiles.isEmpty()) {
            // one statement: both look-ups by profile id
            db.query("SELECT q.id, EXISTS (SELECT 1 FROM consent c WHERE c.profile_id = q.id AND c.status = 'OPT_OUT'"
                    + " AND c.channel IN ('ADS', 'PERSONALISATION')), EXISTS (SELECT 1 FROM identity i"
                    + " WHERE i.profile_id = q.id AND i.type <> 'ANONYMOUS_ID') FROM unnest(?::uuid[]) AS q(id)", (rs, n) -> {
                UUID id = Params.uuid(rs, "id");
                if (rs.getBoolean(2)) {
                    optedOut.add(id);
                }
                if (rs.getBoolean(3)) {
                    known.add(id);
                }
                return null;
            }, new Sql.ArrayParam("uuid", profiles.stream().map(UUID::toString).toArray(String[]::new)));
        } else {
            optedOut.addAll(db.queryIn("SELECT DISTINCT profile_id FROM consent WHERE status = 'OPT_OUT'"
                    + " AND channel IN ('ADS', 'PERSONALISATION') AND profile_id IN ", "", profiles,
                    (rs, n) -> Params.uuid(rs, "profile_id")));
        }
    }

    /** Step 6 of {@link #fold}: this batch's part of the stats, interests and campaigns, and the daily counts. */
    private static final class Folded {
        final Map<UUID, Stats> stats = new HashMap<>();
        final Map<UUID, Map<String, InterestScore.Score>> scores = new HashMap<>();
        final Map<CampKey, Camp> camps = new HashMap<>();
        final Map<LocalDate, Map<String, Long>> daily = new TreeMap<>();
        final Set<UUID> touched = new TreeSet<>();
        final List<Object[]> responses = new ArrayList<>();
        int attached;
        int anonymousOnly;
        int rejected;
    }

    private Folded foldEvents(List<ClickEvent> fresh, Map<ClickEvent, Person> personOf, Set<UUID> attach,
                              Map<String, Long> newCampaigns) {
        List<ClickEvent> ordered = new ArrayList<>(fresh);
        ordered.sort(Comparator.comparing(ClickEvent::at));
        Folded f = new Folded();
        for (ClickEvent e : ordered) {
            foldEvent(f, e, personOf.get(e), attach, newCampaigns);
        }
        return f;
    }

    private void foldEvent(Folded f, ClickEvent e, Person p, Set<UUID> attach, Map<String, Long> newCampaigns) {
        countDaily(f.daily, e);
        if (p.rejected || p.profile == null) {
            f.rejected++;
            return;
        }
        if (!attach.contains(p.profile)) {
            f.anonymousOnly++;
            return;
        }
        f.attached++;
        if (e.type() == ClickEvent.Type.IDENTIFY || e.type() == ClickEvent.Type.ALIAS
                || e.type() == ClickEvent.Type.GROUP) {
            return;          // identity calls: stitched above, not engagement
        }
        UUID id = p.profile;
        f.touched.add(id);
        foldStats(f.stats.computeIfAbsent(id, k -> new Stats()), e);
        double weight = settings.interestWeights().getOrDefault(e.type(), 0.0);
        if (e.category() != null && weight > 0) {
            Map<String, InterestScore.Score> mine = f.scores.computeIfAbsent(id, k -> new HashMap<>());
            mine.put(e.category(), interests.add(mine.get(e.category()), weight, e.at()));
        }
        if (e.campaign() != null) {
            long campaignId = campaignId(e, newCampaigns);
            Camp c = f.camps.computeIfAbsent(new CampKey(id, campaignId), k -> new Camp());
            switch (e.type()) {
                case AD_IMPRESSION -> c.impressions++;
                case AD_CLICK -> c.clicks++;
                default -> c.touches++;
            }
            if (c.first == null || e.at().isBefore(c.first)) {
                c.first = e.at();
            }
            if (c.last == null || e.at().isAfter(c.last)) {
                c.last = e.at();
            }
            if (e.type() == ClickEvent.Type.AD_CLICK) {
                f.responses.add(new Object[]{campaignId, id, e.at()});
            }
        }
    }

    private void foldStats(Stats s, ClickEvent e) {
        s.events++;
        if (s.firstSeen == null || e.at().isBefore(s.firstSeen)) {
            s.firstSeen = e.at();
        }
        if (s.lastSeen == null || e.at().isAfter(s.lastSeen)) {
            s.lastSeen = e.at();
        }
        if (e.type() == ClickEvent.Type.AD_IMPRESSION) {
            s.impressions++;
            return;
        }
        if (e.isView()) {
            s.pageViews++;
        }
        if (e.type() == ClickEvent.Type.AD_CLICK) {
            s.clicks++;
        }
        if (s.lastVisit == null || e.at().isAfter(s.lastVisit.plus(settings.sessionTimeout()))) {
            s.sessions++;
        }
        if (s.lastVisit == null || e.at().isAfter(s.lastVisit)) {
            s.lastVisit = e.at();
        }
        if (s.firstVisit == null) {
            s.firstVisit = e.at();       // oldest first
        }
    }

    // rows in each table's column order and key order (the order in which the upserts lock them)

    private void writeStats(Folded f, Instant now) {
        List<Object[]> statRows = new ArrayList<>(f.touched.size());
        for (UUID id : f.touched) {
            Stats s = f.stats.get(id);
            statRows.add(new Object[]{id, s.events, s.pageViews, s.sessions, s.impressions, s.clicks, s.firstSeen,
                    s.lastSeen, Sql.time(s.firstVisit), Sql.time(s.lastVisit), now});
        }
        write(statsTable, statRows);
    }

    private void writeInterests(Folded f) {
        List<Object[]> interestRows = new ArrayList<>();
        new TreeMap<>(f.scores).forEach((id, mine) -> new TreeMap<>(mine).forEach((category, score) ->
                interestRows.add(new Object[]{id, category, score.value(), score.asOf()})));
        write(interestTable, interestRows);
    }

    private void writeCampaigns(Folded f) {
        List<Object[]> campRows = new ArrayList<>(f.camps.size());
        new TreeMap<>(f.camps).forEach((k, c) -> campRows.add(new Object[]{k.profile(), k.campaign(), c.touches,
                c.impressions, c.clicks, c.first, c.last}));
        write(CAMPAIGNS, campRows);
        for (Object[] r : f.responses) {
            crm.addCampaignResponse((Long) r[0], (UUID) r[1], "ad.click", (Instant) r[2], SOURCE);
        }
    }

    /**
     * One engagement table's writes. Rows are in the table's column order; the first {@code keyColumns}
     * columns are its key. PostgreSQL: {@code upsert} ({@code INSERT … SELECT * FROM unnest(…) ON CONFLICT DO
     * UPDATE}, array element types {@code types}), one statement. H2: the stored rows of the same profiles are
     * read ({@code select}, the columns in the same order, followed by the profile ids), combined with
     * {@code merge} (stored row, new row → row to store) and written by {@code update} (its parameters are
     * the row's columns in {@code updateOrder}) and {@code insert}.
     */
    private record Table(String upsert, String[] types, int keyColumns, String select, BinaryOperator<Object[]> merge,
                         String update, int[] updateOrder, String insert) {
    }

    /**
     * Stats: a row holds the batch's counts to add to the stored ones, first and last times to widen them by,
     * and the batch's sessions (counted from its own first visit). A batch whose first visit comes within the
     * session timeout of the stored last visit goes on with that session (one session fewer); a batch whose
     * visits all precede the stored last visit (late events) starts none, as when its events had come in time.
     */
    private static Table statsTable(Duration sessionTimeout) {
        long timeout = sessionTimeout.toSeconds();
        String[] types = {"uuid", "int8", "int8", "int8", "int8", "int8", "timestamptz", "timestamptz", "timestamptz",
                "timestamptz", "timestamptz"};
        return new Table("INSERT INTO click_profile_stats AS t (profile_id, events, page_views, sessions, ad_impressions,"
                + " ad_clicks, first_seen, last_seen, first_visit, last_visit, updated_at) " + unnestSelect(types)
                + " ON CONFLICT (profile_id) DO UPDATE SET"
                + " events = t.events + EXCLUDED.events, page_views = t.page_views + EXCLUDED.page_views,"
                + " sessions = t.sessions + CASE WHEN t.last_visit IS NULL OR EXCLUDED.first_visit IS NULL THEN EXCLUDED.sessions"
                + " WHEN EXCLUDED.last_visit <= t.last_visit THEN 0"
                + " WHEN EXCLUDED.first_visit <= t.last_visit + interval '" + timeout + " seconds' THEN EXCLUDED.sessions - 1"
                + " ELSE EXCLUDED.sessions END,"
                + " ad_impressions = t.ad_impressions + EXCLUDED.ad_impressions, ad_clicks = t.ad_clicks + EXCLUDED.ad_clicks,"
                + " first_seen = LEAST(t.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen),"
                + " first_visit = LEAST(t.first_visit, EXCLUDED.first_visit),"
                + " last_visit = GREATEST(t.last_visit, EXCLUDED.last_visit),"
                + " updated_at = EXCLUDED.updated_at",
                types, 1,
                "SELECT profile_id, events, page_views, sessions, ad_impressions, ad_clicks, first_seen, last_seen,"
                        + " first_visit, last_visit, updated_at FROM click_profile_stats WHERE profile_id IN ",
                (stored, row) -> {
                    Instant lastVisit = instant(stored[9]);
                    Instant firstVisit = instant(row[8]);
                    long sessions = addedSessions(lastVisit, firstVisit, instant(row[9]), (Long) row[3], sessionTimeout);
                    return new Object[]{row[0], (Long) stored[1] + (Long) row[1], (Long) stored[2] + (Long) row[2],
                            (Long) stored[3] + sessions, (Long) stored[4] + (Long) row[4], (Long) stored[5] + (Long) row[5],
                            min((Instant) stored[6], (Instant) row[6]), max((Instant) stored[7], (Instant) row[7]),
                            Sql.time(min(instant(stored[8]), firstVisit)), Sql.time(max(lastVisit, instant(row[9]))),
                            row[10]};
                },
                "UPDATE click_profile_stats SET events = ?, page_views = ?, sessions = ?, ad_impressions = ?, ad_clicks = ?,"
                        + " first_seen = ?, last_seen = ?, first_visit = ?, last_visit = ?, updated_at = ?"
                        + " WHERE profile_id = ?",
                new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0},
                "INSERT INTO click_profile_stats (profile_id, events, page_views, sessions, ad_impressions, ad_clicks,"
                        + " first_seen, last_seen, first_visit, last_visit, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }

    /**
     * The sessions a later part (visits {@code firstVisit}…{@code lastVisit}, {@code sessions} of them) adds to a
     * stored history whose last visit was {@code storedLastVisit}: none when it ends within the stored history, one
     * fewer when its first visit goes on from the stored last one (within the session timeout). As the upsert's SQL.
     */
    static long addedSessions(Instant storedLastVisit, Instant firstVisit, Instant lastVisit, long sessions,
                              Duration sessionTimeout) {
        if (storedLastVisit == null || firstVisit == null || lastVisit == null) {
            return sessions;
        }
        if (!lastVisit.isAfter(storedLastVisit)) {
            return 0;
        }
        return !firstVisit.isAfter(storedLastVisit.plus(sessionTimeout)) ? sessions - 1 : sessions;
    }

    /** A nullable time of a row: null, {@link Sql.NullTime} or an instant. */
    private static Instant instant(Object v) {
        return v instanceof Instant t ? t : null;
    }

    /**
     * Interest: a row holds a score to add to the stored one; the earlier of the two decays to the later's
     * as-of time ({@link InterestScore#add}), in SQL on PostgreSQL.
     */
    private static Table interestTable(InterestScore interests, double halfLifeSeconds) {
        // in float8 throughout: extract(epoch ...) is numeric since PostgreSQL 14, and power() of a numeric costs
        // ~6.5 us a row against ~0.4 us in float8 (200,000 rows: 1.31 s against 0.09 s); the score is a float8 anyway
        String halfLife = Double.toString(halfLifeSeconds) + "::float8";
        String[] types = {"uuid", "text", "float8", "timestamptz"};
        return new Table("INSERT INTO click_profile_interest AS t (profile_id, category, score, scored_at) "
                + unnestSelect(types) + " ON CONFLICT (profile_id, category)"
                + " DO UPDATE SET score = CASE WHEN EXCLUDED.scored_at >= t.scored_at"
                + " THEN t.score * power(0.5::float8, date_part('epoch', EXCLUDED.scored_at - t.scored_at) / " + halfLife + ")"
                + " + EXCLUDED.score"
                + " ELSE t.score + EXCLUDED.score * power(0.5::float8, date_part('epoch', t.scored_at - EXCLUDED.scored_at) / "
                + halfLife + ") END, scored_at = GREATEST(t.scored_at, EXCLUDED.scored_at)",
                types, 2,
                "SELECT profile_id, category, score, scored_at FROM click_profile_interest WHERE profile_id IN ",
                (stored, row) -> {
                    InterestScore.Score sum = interests.add(new InterestScore.Score((Double) stored[2], (Instant) stored[3]),
                            (Double) row[2], (Instant) row[3]);
                    return new Object[]{row[0], row[1], sum.value(), sum.asOf()};
                },
                "UPDATE click_profile_interest SET score = ?, scored_at = ? WHERE profile_id = ? AND category = ?",
                new int[]{2, 3, 0, 1},
                "INSERT INTO click_profile_interest (profile_id, category, score, scored_at) VALUES (?, ?, ?, ?)");
    }

    /** Campaigns: a row holds counts to add to the stored ones, and a first and last touch to widen them by. */
    private static final String[] CAMPAIGN_TYPES = {"uuid", "int8", "int8", "int8", "int8", "timestamptz", "timestamptz"};
    private static final Table CAMPAIGNS = new Table("INSERT INTO click_profile_campaign AS t (profile_id, campaign_id,"
            + " touches, impressions, clicks, first_touch, last_touch) " + unnestSelect(CAMPAIGN_TYPES)
            + " ON CONFLICT (profile_id, campaign_id)"
            + " DO UPDATE SET touches = t.touches + EXCLUDED.touches, impressions = t.impressions + EXCLUDED.impressions,"
            + " clicks = t.clicks + EXCLUDED.clicks, first_touch = LEAST(t.first_touch, EXCLUDED.first_touch),"
            + " last_touch = GREATEST(t.last_touch, EXCLUDED.last_touch)",
            CAMPAIGN_TYPES, 2,
            "SELECT profile_id, campaign_id, touches, impressions, clicks, first_touch, last_touch"
                    + " FROM click_profile_campaign WHERE profile_id IN ",
            (stored, row) -> new Object[]{row[0], row[1], (Long) stored[2] + (Long) row[2], (Long) stored[3] + (Long) row[3],
                    (Long) stored[4] + (Long) row[4], min((Instant) stored[5], (Instant) row[5]),
                    max((Instant) stored[6], (Instant) row[6])},
            "UPDATE click_profile_campaign SET touches = ?, impressions = ?, clicks = ?, first_touch = ?, last_touch = ?"
                    + " WHERE profile_id = ? AND campaign_id = ?",
            new int[]{2, 3, 4, 5, 6, 0, 1},
            "INSERT INTO click_profile_campaign (profile_id, campaign_id, touches, impressions, clicks, first_touch,"
                    + " last_touch) VALUES (?, ?, ?, ?, ?, ?, ?)");

    private void write(Table table, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        if (postgres()) {
            upsertUnnest(table.upsert(), rows, table.types());
            return;
        }
        Map<List<Object>, Object[]> stored = new HashMap<>();
        Set<UUID> profiles = new TreeSet<>();
        rows.forEach(r -> profiles.add((UUID) r[0]));
        db.queryIn(table.select(), "", profiles, (rs, n) -> {
            Object[] row = row(table, rs);
            stored.put(key(table, row), row);
            return null;
        });
        List<Object[]> updates = new ArrayList<>();
        List<Object[]> inserts = new ArrayList<>();
        for (Object[] row : rows) {
            Object[] old = stored.get(key(table, row));
            if (old == null) {
                inserts.add(row);
                continue;
            }
            Object[] merged = table.merge().apply(old, row);
            Object[] p = new Object[merged.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = merged[table.updateOrder()[i]];
            }
            updates.add(p);
        }
        db.batch(table.update(), updates);
        db.batch(table.insert(), inserts);
    }

    /** A row read by a table's {@code select}, in its column order, times as instants. */
    private static Object[] row(Table table, java.sql.ResultSet rs) throws java.sql.SQLException {
        Object[] row = new Object[table.types().length];
        for (int c = 0; c < row.length; c++) {
            Object v = rs.getObject(c + 1);
            row[c] = v instanceof java.time.OffsetDateTime t ? t.toInstant() : v instanceof java.sql.Timestamp t ? t.toInstant() : v;
        }
        return row;
    }

    private static List<Object> key(Table table, Object[] row) {
        return java.util.Arrays.asList(row).subList(0, table.keyColumns());
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private List<Identity> identities(ClickEvent e) {
        List<Identity> ids = new ArrayList<>(3);
        if (e.anonymousId() != null) {
            ids.add(Identity.of(IdentityType.ANONYMOUS_ID, e.anonymousId()));
        }
        if (e.previousId() != null && !e.previousId().equals(e.anonymousId())) {
            ids.add(Identity.of(IdentityType.ANONYMOUS_ID, e.previousId()));
        }
        if (e.userId() != null) {
            ids.add(Identity.of(IdentityType.EXTERNAL_ID, settings.userIdNamespace(), e.userId()));
        }
        if (e.email() != null) {
            Result<String> email = normaliser.emails().normalise(e.email());
            if (email.isOk()) {
                ids.add(Identity.of(IdentityType.EMAIL, email.value()));
            }
        }
        if (e.phone() != null) {
            Result<String> phone = normaliser.phones().normalise(e.phone());
            if (phone.isOk()) {
                ids.add(Identity.of(IdentityType.PHONE, phone.value()));
            }
        }
        return ids;
    }

    private boolean postgres() {
        return db.postgres();
    }

    /** PostgreSQL: rows turned into one array parameter per column, one statement. */
    private void upsertUnnest(String sql, List<Object[]> rows, String... types) {
        if (rows.isEmpty()) {
            return;
        }
        db.template().execute((org.springframework.jdbc.core.ConnectionCallback<Void>) con -> {
            try (java.sql.PreparedStatement ps = con.prepareStatement(sql)) {
                for (int c = 0; c < types.length; c++) {
                    // boxed arrays of these types go to pgJDBC's binary array encoders; times as microseconds
                    Object[] column = switch (types[c]) {
                        case "timestamptz" -> column(rows, c, Long[]::new, v -> v instanceof Instant t ? micros(t) : null);
                        case "int8" -> column(rows, c, Long[]::new, v -> v instanceof Number x ? x.longValue() : null);
                        case "float8" -> column(rows, c, Double[]::new, v -> v instanceof Number x ? x.doubleValue() : null);
                        case "bool" -> column(rows, c, Boolean[]::new, v -> (Boolean) v);
                        default -> null;
                    };
                    if (column != null) {
                        ps.setObject(c + 1, column);
                    } else {
                        ps.setArray(c + 1, con.createArrayOf(types[c], column(rows, c, Object[]::new, v -> v)));
                    }
                }
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Column {@code c} of the rows, each value converted. */
    private static <T> T[] column(List<Object[]> rows, int c, java.util.function.IntFunction<T[]> array,
                                  java.util.function.Function<Object, T> convert) {
        T[] out = array.apply(rows.size());
        for (int r = 0; r < out.length; r++) {
            out[r] = convert.apply(rows.get(r)[c]);
        }
        return out;
    }

    /**
     * {@code SELECT … FROM unnest(?::type[], …) AS u(c1, …)}: an upsert's rows as one array parameter per column.
     * A time column travels as int8 microseconds since the epoch ({@link #micros}) and is turned back into a
     * timestamptz in the select: pgJDBC sends int8, float8 and bool arrays binary, but a timestamptz array only as
     * text, which it formats and PostgreSQL parses again value by value.
     */
    static String unnestSelect(String... types) {
        StringBuilder select = new StringBuilder("SELECT ");
        StringBuilder from = new StringBuilder(" FROM unnest(");
        StringBuilder as = new StringBuilder(") AS u(");
        for (int c = 0; c < types.length; c++) {
            String col = "c" + (c + 1);
            if (c > 0) {
                select.append(", ");
                from.append(", ");
                as.append(", ");
            }
            boolean time = types[c].equals("timestamptz");
            select.append(time ? "timestamptz 'epoch' + " + col + " * interval '1 microsecond'" : col);
            from.append("?::").append(time ? "int8" : types[c]).append("[]");
            as.append(col);
        }
        return select.append(from).append(as).append(')').toString();
    }

    /** Microseconds since the epoch, the sub-microsecond part cut off (PostgreSQL keeps microseconds). */
    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private static String key(List<Identity> ids) {
        List<String> keys = new ArrayList<>(ids.size());
        ids.forEach(i -> keys.add(i.key()));
        keys.sort(null);
        return String.join("\u0001", keys);
    }

    private Map<Identity, UUID> owners(Set<Identity> ids) {
        Map<String, List<Identity>> byValue = new HashMap<>();
        ids.forEach(i -> byValue.computeIfAbsent(i.value(), k -> new ArrayList<>()).add(i));
        Map<Identity, UUID> out = new HashMap<>();
        db.queryIn("SELECT type, namespace, \"value\", profile_id FROM identity WHERE \"value\" IN ", "", byValue.keySet(),
                (rs, n) -> {
                    Identity found = new Identity(IdentityType.valueOf(rs.getString("type")), rs.getString("namespace"),
                            rs.getString("value"));
                    if (ids.contains(found)) {
                        out.put(found, Params.uuid(rs, "profile_id"));
                    }
                    return null;
                });
        return out;
    }

    private static UUID survivor(UUID id, Map<UUID, UUID> mergedInto) {
        UUID current = id;
        for (int hops = 0; hops < 100 && mergedInto.containsKey(current); hops++) {
            current = mergedInto.get(current);
        }
        return current;
    }

    private static boolean isTransient(RuntimeException e) {
        return e instanceof org.springframework.dao.TransientDataAccessException
                || e instanceof org.springframework.dao.RecoverableDataAccessException
                || e instanceof org.springframework.dao.DataAccessResourceFailureException
                || e instanceof org.springframework.transaction.CannotCreateTransactionException;
    }

    private long campaignId(ClickEvent e, Map<String, Long> newCampaigns) {
        Long id = campaignIds.get(e.campaign());
        if (id == null) {
            id = newCampaigns.get(e.campaign());
        }
        if (id == null) {
            // the utm_medium names the channel (an ad server's landing URL says display, video ...); else ads or web
            String channel = e.medium() != null ? e.medium().toLowerCase(java.util.Locale.ROOT)
                    : e.adCreative() != null ? "ads" : "web";
            id = crm.campaign(e.campaign(), e.campaignName(), channel).id();
            newCampaigns.put(e.campaign(), id);
        }
        return id;
    }

    private static void countDaily(Map<LocalDate, Map<String, Long>> daily, ClickEvent e) {
        Map<String, Long> day = daily.computeIfAbsent(LocalDate.ofInstant(e.at(), ZoneOffset.UTC), d -> new TreeMap<>());
        String event = e.type() == ClickEvent.Type.TRACK ? "track:" + e.name() : e.type().label();
        day.merge("event\u0001" + cap(event), 1L, Long::sum);
        if (e.category() != null) {
            day.merge("category\u0001" + e.category(), 1L, Long::sum);
        }
        if (e.campaign() != null) {
            day.merge("campaign\u0001" + e.campaign(), 1L, Long::sum);
        }
    }

    private static String cap(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200);
    }

    private void writeDaily(Map<LocalDate, Map<String, Long>> daily) {
        List<Object[]> updates = new ArrayList<>();
        daily.forEach((day, counts) -> counts.forEach((k, n) -> {
            int sep = k.indexOf('\u0001');
            updates.add(new Object[]{n, day, k.substring(0, sep), k.substring(sep + 1)});
        }));
        if (postgres()) {
            // rows in (day, dimension, value) order: two instances adding to the same days lock them in one order
            List<Object[]> rows = new ArrayList<>(updates.size());
            for (Object[] u : updates) {
                rows.add(new Object[]{u[1].toString(), u[2], u[3], u[0]});
            }
            upsertUnnest("INSERT INTO click_daily_aggregate (on_day, dimension, dim_value, events) SELECT * FROM"
                    + " unnest(?::date[], ?::text[], ?::text[], ?::int8[]) ON CONFLICT (on_day, dimension, dim_value)"
                    + " DO UPDATE SET events = click_daily_aggregate.events + EXCLUDED.events", rows,
                    "date", "text", "text", "int8");
            return;
        }
        int[] counts = db.batch("UPDATE click_daily_aggregate SET events = events + ? WHERE on_day = ? AND dimension = ?"
                + " AND dim_value = ?", updates);
        List<Object[]> inserts = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                Object[] u = updates.get(i);
                inserts.add(new Object[]{u[1], u[2], u[3], u[0]});
            }
        }
        // a concurrent first insert of the same row fails this batch with a duplicate key: apply() retries
        db.batch("INSERT INTO click_daily_aggregate (on_day, dimension, dim_value, events) VALUES (?, ?, ?, ?)", inserts);
    }

    /**
     * Moves the engagement of a merged-away profile to its survivor (inside the caller's transaction). A survivor
     * who opted out of ads or personalisation gets none of it: the merged profile's rows are dropped (its events
     * stay counted in the anonymous daily aggregates), as the events of such a person are never attached.
     */
    void moveEngagement(UUID from, UUID to) {
        if (from.equals(to)) {
            return;
        }
        if (!db.query("SELECT 1 FROM consent WHERE profile_id = ? AND status = 'OPT_OUT'"
                + " AND channel IN ('ADS', 'PERSONALISATION')", (rs, n) -> 1, to).isEmpty()) {
            db.update("DELETE FROM click_profile_interest WHERE profile_id = ?", from);
            db.update("DELETE FROM click_profile_campaign WHERE profile_id = ?", from);
            db.update("DELETE FROM click_profile_stats WHERE profile_id = ?", from);
            return;
        }
        List<Stats> both = new ArrayList<>();
        db.query("SELECT profile_id, events, page_views, sessions, ad_impressions, ad_clicks, first_seen, last_seen,"
                + " first_visit, last_visit FROM click_profile_stats WHERE profile_id IN (?, ?) ORDER BY profile_id FOR UPDATE",
                (rs, n) -> {
            Stats s = new Stats();
            s.exists = Params.uuid(rs, "profile_id").equals(to);
            s.events = rs.getLong("events");
            s.pageViews = rs.getLong("page_views");
            s.sessions = rs.getLong("sessions");
            s.impressions = rs.getLong("ad_impressions");
            s.clicks = rs.getLong("ad_clicks");
            s.firstSeen = Params.instant(rs, "first_seen");
            s.lastSeen = Params.instant(rs, "last_seen");
            s.firstVisit = Params.instant(rs, "first_visit");
            s.lastVisit = Params.instant(rs, "last_visit");
            both.add(s);
            return null;
        }, from, to);
        if (both.stream().noneMatch(s -> !s.exists)) {
            return;      // nothing recorded on the merged profile
        }
        Stats sum = new Stats();
        boolean survivorHas = false;
        // the sessions combine as a batch's with the stored row: the later history's first session goes on from the
        // earlier one's last visit when it is within the session timeout
        both.sort(java.util.Comparator.comparing((Stats s) -> s.firstVisit,
                java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder())));
        if (both.size() == 2) {
            both.get(1).sessions = addedSessions(both.get(0).lastVisit, both.get(1).firstVisit, both.get(1).lastVisit,
                    both.get(1).sessions, settings.sessionTimeout());
        }
        for (Stats s : both) {
            survivorHas |= s.exists;
            sum.events += s.events;
            sum.pageViews += s.pageViews;
            sum.sessions += s.sessions;
            sum.impressions += s.impressions;
            sum.clicks += s.clicks;
            sum.firstSeen = min(sum.firstSeen, s.firstSeen);
            sum.lastSeen = max(sum.lastSeen, s.lastSeen);
            sum.firstVisit = min(sum.firstVisit, s.firstVisit);
            sum.lastVisit = max(sum.lastVisit, s.lastVisit);
        }
        Instant now = clock.instant();
        if (survivorHas) {
            db.update("UPDATE click_profile_stats SET events = ?, page_views = ?, sessions = ?, ad_impressions = ?,"
                            + " ad_clicks = ?, first_seen = ?, last_seen = ?, first_visit = ?, last_visit = ?, updated_at = ?"
                            + " WHERE profile_id = ?", sum.events, sum.pageViews, sum.sessions,
                    sum.impressions, sum.clicks, sum.firstSeen, sum.lastSeen, Sql.time(sum.firstVisit),
                    Sql.time(sum.lastVisit), now, to);
        } else {
            db.update("INSERT INTO click_profile_stats (profile_id, events, page_views, sessions, ad_impressions,"
                            + " ad_clicks, first_seen, last_seen, first_visit, last_visit, updated_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", to, sum.events, sum.pageViews, sum.sessions,
                    sum.impressions, sum.clicks, sum.firstSeen, sum.lastSeen, Sql.time(sum.firstVisit),
                    Sql.time(sum.lastVisit), now);
        }
        db.update("DELETE FROM click_profile_stats WHERE profile_id = ?", from);
        enqueueProjection(Set.of(to), now);
        // interests and campaigns: the merged profile's rows are added to the survivor's, as a batch's are
        for (Table table : List.of(interestTable, CAMPAIGNS)) {
            List<Object[]> moved = db.query(table.select() + "(?)", (rs, n) -> row(table, rs), from);
            moved.forEach(r -> r[0] = to);
            write(table, moved);
        }
        db.update("DELETE FROM click_profile_interest WHERE profile_id = ?", from);
        db.update("DELETE FROM click_profile_campaign WHERE profile_id = ?", from);
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }

    private static Instant max(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    // ---- housekeeping -------------------------------------------------------------------------

    /** Deletes de-duplication entries older than {@code before}; returns how many. */
    public int purgeSeen(Instant before) {
        return db.update("DELETE FROM click_message_key WHERE seen_at < ?", before);
    }

    /**
     * Keeps engagement with live profiles: folds rows of profiles merged elsewhere (by another flow
     * or the API) into their survivor, and deletes rows of erased profiles. Returns rows handled.
     */
    public int reconcile() {
        int handled = 0;
        List<UUID> erased = db.query("SELECT s.profile_id FROM click_profile_stats s JOIN profile p ON p.id = s.profile_id"
                + " WHERE p.status = 'ERASED'", (rs, n) -> Params.uuid(rs, "profile_id"));
        for (UUID id : erased) {
            forget(id);
            handled++;
        }
        List<UUID[]> merged = db.query("SELECT s.profile_id, p.merged_into FROM click_profile_stats s"
                + " JOIN profile p ON p.id = s.profile_id WHERE p.status = 'MERGED'", (rs, n) ->
                new UUID[]{Params.uuid(rs, "profile_id"), Params.uuid(rs, "merged_into")});
        for (UUID[] m : merged) {
            tx.executeWithoutResult(s -> {
                UUID to = m[1];
                for (int hops = 0; hops < 100; hops++) {
                    List<UUID> next = db.query("SELECT merged_into FROM profile WHERE id = ? AND status = 'MERGED'",
                            (rs, n) -> Params.uuid(rs, "merged_into"), to);
                    if (next.isEmpty() || next.get(0) == null) {
                        break;
                    }
                    to = next.get(0);
                }
                db.queryIn("SELECT id FROM profile WHERE id IN ", " ORDER BY id FOR UPDATE",
                        new TreeSet<>(List.of(m[0], to)), (rs, n) -> null);
                moveEngagement(m[0], to);
            });
            handled++;
        }
        return handled;
    }

    /** Removes every engagement row of the profile (erasure). */
    public void forget(UUID profileId) {
        tx.executeWithoutResult(s -> {
            db.update("DELETE FROM click_profile_interest WHERE profile_id = ?", profileId);
            db.update("DELETE FROM click_profile_campaign WHERE profile_id = ?", profileId);
            db.update("DELETE FROM click_profile_stats WHERE profile_id = ?", profileId);
        });
    }

    /**
     * Projects changed engagement into the profiles' computed fields ({@code clickstream.*}, shown
     * in the 360° view and published as {@code profile.computed}), at most {@code limit} profiles.
     * Returns how many were projected.
     * <p>Set-based: the changed stats rows, their interests and their campaigns are read in one statement
     * each, and the fields of all of them are set in one transaction ({@link CrmStore#putComputedAll}); a
     * profile merged or erased meanwhile is skipped (its engagement is moved or dropped by {@link #reconcile}).
     * Only when that transaction fails on a field the store refuses are the profiles set one by one, so that
     * one profile cannot hold back the others.
     */
    public int project(int limit, int topInterests) {
        return project(Long.MAX_VALUE, limit, topInterests).count();
    }

    /**
     * What one call of {@link #project(long, int, int)} did: profiles projected, and whether changes queued up to
     * the round's end are still waiting.
     */
    public record Projected(int count, boolean more) {
    }

    /** The end of the projection queue now: a round projects what was queued up to it ({@link #project(long, int, int)}). */
    public long queueEnd() {
        Long end = db.template().queryForObject("SELECT MAX(id) FROM click_projection_queue", Long.class);
        return end == null ? 0 : end;
    }

    /**
     * As {@link #project(int, int)}, for the changes queued up to {@code upTo} ({@link #queueEnd} when the round
     * began): the queued profiles in id order, the first {@code limit} live ones with engagement. A profile changed
     * again during the round is queued behind its end and waits for the next round (under load its changes are
     * projected together), and none waits behind the others. The queue's entries are removed only after the
     * profiles' fields are set: a crash in between projects them again (the same values: no event).
     */
    public Projected project(long upTo, int limit, int topInterests) {
        int max = Math.max(1, limit);
        // 1. queued profiles, the queue's oldest rows first, until there are enough candidates
        Map<Long, List<UUID>> queued = new LinkedHashMap<>();
        TreeSet<UUID> candidates = new TreeSet<>();
        long after = 0;
        boolean exhausted = false;
        while (candidates.size() < max) {
            List<Long> page = db.query("SELECT id, profile_ids FROM click_projection_queue WHERE id > ? AND id <= ?"
                    + " ORDER BY id LIMIT " + QUEUE_PAGE, (rs, n) -> {
                List<UUID> ids = uuids(rs.getArray("profile_ids"));
                queued.put(rs.getLong("id"), ids);
                candidates.addAll(ids);
                return rs.getLong("id");
            }, after, upTo);
            if (page.size() < QUEUE_PAGE) {
                exhausted = true;
                break;
            }
            after = page.get(page.size() - 1);
        }
        if (queued.isEmpty()) {
            return new Projected(0, false);
        }
        // 2. the first live ones with engagement (anonymous profiles are never queued), the candidates looked at
        // in slices, in one order (Java's, not the database's: which ones were looked at must be known exactly)
        List<Row> rows = new ArrayList<>();
        List<UUID> order = new ArrayList<>(candidates);
        int looked = 0;
        while (rows.size() < max && looked < order.size()) {
            List<UUID> slice = order.subList(looked, Math.min(order.size(), looked + max));
            looked += slice.size();
            rows.addAll(db.queryIn("SELECT s.profile_id, s.page_views, s.sessions, s.ad_clicks, s.last_seen"
                            + " FROM click_profile_stats s JOIN profile p ON p.id = s.profile_id"
                            + " WHERE p.status = 'ACTIVE' AND s.profile_id IN ", "", slice,
                    (rs, n) -> new Row(Params.uuid(rs, "profile_id"), rs.getLong("page_views"), rs.getLong("sessions"),
                            rs.getLong("ad_clicks"), Params.instant(rs, "last_seen"))));
        }
        rows.sort(Comparator.comparing(Row::id));
        // the candidates done with: projected, or not to be projected (merged, erased, no engagement)
        Set<UUID> settled = new HashSet<>(order.subList(0, looked));
        if (rows.size() > max) {
            rows = new ArrayList<>(rows.subList(0, max));
            UUID last = rows.get(max - 1).id();
            settled.removeIf(id -> id.compareTo(last) > 0);
        }
        if (!rows.isEmpty()) {
            projectRows(rows, topInterests);
        }
        // 3. the queue: the rows read lose the profiles done with; a row left empty is deleted
        List<Object[]> deletes = new ArrayList<>();
        List<Object[]> updates = new ArrayList<>();
        queued.forEach((id, ids) -> {
            List<UUID> left = new ArrayList<>();
            for (UUID p : ids) {
                if (!settled.contains(p)) {
                    left.add(p);
                }
            }
            if (left.isEmpty()) {
                deletes.add(new Object[]{id});
            } else if (left.size() < ids.size()) {
                updates.add(new Object[]{uuidArrayParam(left.toArray(UUID[]::new)), id});
            }
        });
        db.batch("UPDATE click_projection_queue SET profile_ids = " + uuidArray() + " WHERE id = ?", updates);
        db.batch("DELETE FROM click_projection_queue WHERE id = ?", deletes);
        return new Projected(rows.size(), !exhausted || candidates.size() > settled.size());
    }

    /** Rows of the projection queue read at a time. */
    private static final int QUEUE_PAGE = 20;

    /** A profile's stats as the projection shows them. */
    private record Row(UUID id, long pageViews, long sessions, long clicks, Instant lastSeen) {
    }

    /** Sets the computed fields of the profiles from their stats rows, interests and campaigns. */
    private void projectRows(List<Row> rows, int topInterests) {
        List<UUID> ids = rows.stream().map(Row::id).toList();
        Instant now = clock.instant();
        Map<UUID, Map<String, Double>> scores = new HashMap<>();
        db.queryIn("SELECT profile_id, category, score, scored_at FROM click_profile_interest WHERE profile_id IN ", "", ids,
                (rs, n) -> scores.computeIfAbsent(Params.uuid(rs, "profile_id"), k -> new HashMap<>()).put(
                        rs.getString("category"), interests.valueAt(new InterestScore.Score(rs.getDouble("score"),
                                Params.instant(rs, "scored_at")), now)));
        Map<UUID, List<String>> campaigns = new HashMap<>();
        db.queryIn("SELECT pc.profile_id, c.code FROM click_profile_campaign pc JOIN campaign c ON c.id = pc.campaign_id"
                + " WHERE pc.profile_id IN ", " ORDER BY pc.profile_id, pc.last_touch DESC, c.code", ids, (rs, n) ->
                campaigns.computeIfAbsent(Params.uuid(rs, "profile_id"), k -> new ArrayList<>()).add(rs.getString("code")));
        Map<UUID, Map<String, String>> fields = new LinkedHashMap<>();
        for (Row r : rows) {
            UUID id = r.id();
            List<String> top = scores.getOrDefault(id, Map.of()).entrySet().stream()
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(topInterests).map(Map.Entry::getKey).toList();
            List<String> touched = campaigns.getOrDefault(id, List.of());
            Map<String, String> computed = new LinkedHashMap<>();
            computed.put("clickstream.pageViews", Long.toString(r.pageViews()));
            computed.put("clickstream.sessions", Long.toString(r.sessions()));
            computed.put("clickstream.adClicks", Long.toString(r.clicks()));
            computed.put("clickstream.lastSeen", r.lastSeen().toString());
            computed.put("clickstream.topInterests", top.isEmpty() ? null : String.join(",", top));
            computed.put("clickstream.campaigns", touched.isEmpty() ? null
                    : String.join(",", touched.subList(0, Math.min(20, touched.size()))));
            fields.put(id, computed);
        }
        try {
            crm.putComputedAll(fields);
        } catch (DataIntegrityViolationException | IllegalArgumentException e) {
            LOG.debug("projection of {} profiles at once failed ({}); one by one", fields.size(), e.getMessage());
            fields.forEach((id, computed) -> {
                try {
                    crm.putComputed(id, computed);
                } catch (DataIntegrityViolationException | IllegalArgumentException one) {   // NoSuchProfileException too
                    LOG.debug("projection of {} skipped: {}", id, one.getMessage());
                }
            });
        }
    }

    /** Engagement of one profile (for the API and tests); empty when none is recorded. */
    public java.util.Optional<Engagement> engagement(UUID profileId) {
        Instant now = clock.instant();
        List<Engagement> rows = db.query("SELECT events, page_views, sessions, ad_impressions, ad_clicks, first_seen,"
                + " last_seen FROM click_profile_stats WHERE profile_id = ?", (rs, n) -> new Engagement(profileId,
                rs.getLong("events"), rs.getLong("page_views"), rs.getLong("sessions"), rs.getLong("ad_impressions"),
                rs.getLong("ad_clicks"), Params.instant(rs, "first_seen"), Params.instant(rs, "last_seen"), new TreeMap<>(),
                new TreeMap<>()), profileId);
        if (rows.isEmpty()) {
            return java.util.Optional.empty();
        }
        Engagement e = rows.get(0);
        db.query("SELECT category, score, scored_at FROM click_profile_interest WHERE profile_id = ?", (rs, n) ->
                e.interests().put(rs.getString("category"), Math.round(interests.valueAt(
                        new InterestScore.Score(rs.getDouble("score"), Params.instant(rs, "scored_at")), now) * 1000) / 1000.0),
                profileId);
        db.query("SELECT c.code, pc.touches, pc.impressions, pc.clicks FROM click_profile_campaign pc JOIN campaign c"
                + " ON c.id = pc.campaign_id WHERE pc.profile_id = ?", (rs, n) -> e.campaigns().put(rs.getString(1),
                new long[]{rs.getLong(2), rs.getLong(3), rs.getLong(4)}), profileId);
        return java.util.Optional.of(e);
    }

    /**
     * Engagement of a profile.
     *
     * @param interests decayed score per category, as of now
     * @param campaigns per campaign code: touches (utm visits), impressions, clicks
     */
    public record Engagement(UUID profileId, long events, long pageViews, long sessions, long adImpressions,
                             long adClicks, Instant firstSeen, Instant lastSeen, Map<String, Double> interests,
                             Map<String, long[]> campaigns) {
    }

    /** Anonymous daily counts of one dimension between two days (inclusive). */
    public Map<String, Long> daily(String dimension, LocalDate from, LocalDate to) {
        Map<String, Long> out = new TreeMap<>();
        db.query("SELECT dim_value, SUM(events) AS n FROM click_daily_aggregate WHERE dimension = ? AND on_day >= ?"
                + " AND on_day <= ? GROUP BY dim_value", (rs, n) -> out.put(rs.getString(1), rs.getLong(2)),
                dimension, from, to);
        return out;
    }
}
