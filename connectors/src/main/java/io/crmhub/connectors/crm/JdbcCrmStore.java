package io.crmhub.connectors.crm;

import io.crmhub.connectors.jdbc.Params;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.mappings.model.AttributeValue;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Hashes;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.Interaction;
import io.crmhub.mappings.model.MemberType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.rules.ConsentRules;
import io.crmhub.mappings.rules.IdentityPolicy;
import io.crmhub.mappings.rules.SurvivorshipRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@link CrmStore} over JDBC (PostgreSQL 15, or H2 2.x in PostgreSQL mode), schema from
 * {@link Migrations}.
 * <p>
 * Every public method runs in one READ COMMITTED transaction of its own and is retried, a bounded
 * number of times ({@link #maxAttempts(int)}), on unique violations, deadlocks, serialization or
 * lock-timeout failures and {@link ConcurrentChangeException}. Called inside a transaction the
 * caller already has, a method joins it and is NOT retried: the caller must retry the whole
 * transaction then.
 * <p>
 * Identity resolution in {@link #upsert}: unowned identifiers are claimed with
 * {@code INSERT ... ON CONFLICT DO NOTHING} (a lost claim rolls back and retries, seeing the
 * winner's commit); profiles involved are locked {@code SELECT ... FOR UPDATE} in id order and
 * their versions re-checked against the lookup, so the same new identity arriving on many threads
 * or JVMs at once yields exactly one profile.
 */
public class JdbcCrmStore implements CrmStore {

    private static final Logger log = LoggerFactory.getLogger(JdbcCrmStore.class);

    public static final int DEFAULT_MAX_ATTEMPTS = 10;

    static final String ACTIVE = "ACTIVE";
    static final String MERGED = "MERGED";
    static final String ERASED = "ERASED";

    public static final String EV_CREATED = "profile.created";
    public static final String EV_UPDATED = "profile.updated";
    public static final String EV_MERGED = "profile.merged";
    public static final String EV_UNMERGED = "profile.unmerged";
    public static final String EV_CONSENT = "consent.changed";
    public static final String EV_ERASED = "profile.erased";
    public static final String EV_INTERACTION = "interaction.added";
    public static final String EV_LIST_MEMBER = "list.member.added";
    public static final String EV_LIST_SUPPRESSED = "list.member.suppressed";
    public static final String EV_CAMPAIGN_RESPONSE = "campaign.response";
    public static final String EV_COMPUTED = "profile.computed";

    private static final Set<String> QUARANTINE_STATUSES = Set.of("OPEN", "REPLAYED", "DISCARDED");
    /** Identity values shorter than this are not searched for in quarantine payloads (too many false hits). */
    static final int MIN_QUARANTINE_MATCH_LENGTH = 6;

    private final Jdbc db;
    private final TransactionTemplate tx;
    private final SurvivorshipRules survivorship;
    private final ConsentRules consentRules;
    private final IdentityPolicy policy;
    private final ObjectMapper json;
    private final Clock clock;
    private volatile int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private final AtomicLong retries = new AtomicLong();
    private final StoreTimings timings = new StoreTimings();

    public JdbcCrmStore(DataSource dataSource, SurvivorshipRules survivorship, ConsentRules consentRules,
                        IdentityPolicy policy, ObjectMapper objectMapper) {
        this(dataSource, survivorship, consentRules, policy, objectMapper, Clock.systemUTC());
    }

    public JdbcCrmStore(DataSource dataSource, SurvivorshipRules survivorship, ConsentRules consentRules,
                        IdentityPolicy policy, ObjectMapper objectMapper, Clock clock) {
        Objects.requireNonNull(dataSource, "dataSource");
        this.db = new Jdbc(new JdbcTemplate(dataSource));
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        // The store is written for READ COMMITTED, the default of both PostgreSQL and H2. It is not set
        // explicitly: that would cost two extra round trips per transaction on PostgreSQL.
        this.survivorship = survivorship == null ? SurvivorshipRules.recencyOnly() : survivorship;
        this.consentRules = consentRules == null ? new ConsentRules() : consentRules;
        this.policy = policy == null ? IdentityPolicy.defaults() : policy;
        this.json = objectMapper == null ? new ObjectMapper() : objectMapper;
        this.clock = clock == null ? Clock.systemUTC() : clock;
    }

    /** Recency-only survivorship, default consent rules and identity policy. */
    public static JdbcCrmStore withDefaults(DataSource dataSource) {
        return new JdbcCrmStore(dataSource, SurvivorshipRules.recencyOnly(), new ConsentRules(),
                IdentityPolicy.defaults(), new ObjectMapper());
    }

    /** Attempts per call on transient conflicts (default {@value #DEFAULT_MAX_ATTEMPTS}). */
    public JdbcCrmStore maxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1");
        }
        this.maxAttempts = attempts;
        return this;
    }

    /**
     * Time spent so far per phase of the set-based {@code upsertAll} path (look-up, lock, each
     * table's statement, the whole batch including its commit), in milliseconds, with call counts.
     */
    public Map<String, long[]> timings() {
        return timings.snapshot();
    }

    /** Number of transaction retries so far (a contention gauge). */
    public long retryCount() {
        return retries.get();
    }

    public IdentityPolicy identityPolicy() {
        return policy;
    }

    // =========================================================================================
    // transactions and retry
    // =========================================================================================

    private <T> T inTx(String op, Supplier<T> work) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            return tx.execute(s -> work.get());
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return tx.execute(s -> work.get());
            } catch (RuntimeException e) {
                if (attempt >= maxAttempts || !retryable(e)) {
                    throw e;
                }
                retries.incrementAndGet();
                if (log.isDebugEnabled()) {
                    log.debug("{}: attempt {} failed ({}), retrying", op, attempt, e.toString());
                }
                backoff(attempt);
            }
        }
    }

    static boolean retryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TransientDataAccessException || t instanceof DuplicateKeyException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String st = sql.getSQLState();
                if (st.equals("40001") || st.equals("40P01") || st.equals("23505") || st.equals("55P03")
                        || st.equals("HYT00")) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static void backoff(int attempt) {
        long max = Math.min(100, 2L << Math.min(attempt, 6));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, max + 1));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new ConcurrentChangeException("interrupted while backing off");
        }
    }

    private Instant now() {
        return Jdbc.micros(clock.instant());
    }

    // =========================================================================================
    // upsert: identity resolution
    // =========================================================================================

    /** Owner of an identity as seen by the lookup. */
    record Owner(UUID profileId, long version) {
    }

    record Lookup(Map<Identity, Owner> owners, Set<String> tombstoned) {
        Set<UUID> profiles() {
            Set<UUID> s = new LinkedHashSet<>();
            owners.values().forEach(o -> s.add(o.profileId()));
            return s;
        }

        long version(UUID profile) {
            for (Owner o : owners.values()) {
                if (o.profileId().equals(profile)) {
                    return o.version();
                }
            }
            return -1;
        }
    }

    /** Sightings on other live profiles, and the unique-per-profile identities of the owners. */
    record Context(Map<Identity, Integer> sightings, Map<UUID, List<Identity>> unique) {
        static final Context EMPTY = new Context(Map.of(), Map.of());
    }

    record Plan(List<UUID> group, List<Identity> claims, List<Identity> notLinked) {
    }

    record Locked(UUID id, String status, long version, Instant createdAt) {
    }

    /** A validated record: identities de-duplicated and sorted, blank attributes dropped, times in microseconds. */
    record Prepared(String source, Instant observed, List<Identity> ids, Map<String, String> attrs,
                    List<Consent> consents) {
    }

    static Prepared prepare(ProfileRecord record) {
        Objects.requireNonNull(record, "record");
        TreeMap<String, Identity> byKey = new TreeMap<>();
        for (Identity i : record.identities()) {
            if (i.value().isBlank()) {
                throw new IllegalArgumentException("blank " + i.type() + " value in record from " + record.source());
            }
            byKey.putIfAbsent(i.key(), i);
        }
        if (byKey.isEmpty()) {
            throw new IllegalArgumentException("record from " + record.source() + " carries no identity");
        }
        Map<String, String> attrs = new TreeMap<>();
        record.attributes().forEach((k, v) -> {
            if (k != null && !k.isBlank() && v != null && !v.isBlank()) {
                attrs.put(k, v);
            }
        });
        List<Consent> consents = new ArrayList<>();
        for (Consent c : record.consents()) {
            consents.add(new Consent(c.channel(), c.status(), c.source(), Jdbc.micros(c.at()), c.evidence(),
                    c.explicit()));
        }
        return new Prepared(record.source(), Jdbc.micros(record.observedAt()), List.copyOf(byKey.values()), attrs,
                consents);
    }

    @Override
    public UpsertResult upsert(ProfileRecord record) {
        Prepared p = prepare(record);
        return inTx("upsert", () -> doUpsert(p, false));
    }

    /**
     * Applies the records in ONE transaction (one commit), in order. A record whose identifiers hit
     * the erasure tombstone, or that is invalid, yields its error and the others go on. If the
     * transaction fails for any other reason (a conflict with a concurrent writer, a deadlock ...)
     * it is rolled back and every record is applied again in a transaction of its own, with the
     * usual retries. Inside a caller's transaction the records simply join it.
     */
    @Override
    public List<BatchItem> upsertAll(List<ProfileRecord> records) {
        int n = records.size();
        BatchItem[] out = new BatchItem[n];
        Prepared[] prepared = new Prepared[n];
        for (int i = 0; i < n; i++) {
            try {
                prepared[i] = prepare(records.get(i));
            } catch (RuntimeException e) {
                out[i] = new BatchItem(null, e);
            }
        }
        boolean pg = postgres();
        for (int round = 1; ; round++) {
            BatchItem[] attempt = out.clone();
            long batchStart = System.nanoTime();
            long[] workEnd = {0};
            try {
                lastSegmentEnd.remove();
                joinedTx.set(TransactionSynchronizationManager.isActualTransactionActive());
                tx.executeWithoutResult(s -> {
                    try {
                        applyBatch(s, pg, prepared, attempt);
                    } finally {
                        workEnd[0] = System.nanoTime();
                    }
                });
                timings.add("batch.commit", workEnd[0]);
                timings.add("batch.total", batchStart);
                return List.of(attempt);
            } catch (RuntimeException e) {
                if (TransactionSynchronizationManager.isActualTransactionActive()) {
                    throw e;
                }
                retries.incrementAndGet();
                if (round < BATCH_ATTEMPTS && retryable(e)) {
                    // a conflict with a concurrent writer: the batch again, now seeing its commit
                    log.debug("upsertAll: batch of {} failed ({}), retrying the batch", n, e.toString());
                    backoff(round);
                    continue;
                }
                log.debug("upsertAll: batch of {} failed ({}), applying records one by one", n, e.toString());
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            if (prepared[i] == null) {
                continue;
            }
            Prepared p = prepared[i];
            try {
                out[i] = new BatchItem(inTx("upsert", () -> doUpsert(p, false)), null);
            } catch (RuntimeException e) {
                out[i] = new BatchItem(null, e);
            }
        }
        return List.of(out);
    }

    /** Where this thread's {@link #upsertAll(List, List)} collects its outbox events instead of writing them. */
    private final ThreadLocal<List<Object[]>> deferredEvents = new ThreadLocal<>();

    @Override
    public List<BatchItem> upsertAll(List<ProfileRecord> records, List<Object[]> events) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("upsertAll with deferred outbox events runs in the caller's transaction");
        }
        List<Object[]> outer = deferredEvents.get();
        List<Object[]> mine = new ArrayList<>();
        deferredEvents.set(mine);
        try {
            List<BatchItem> result = upsertAll(records);
            events.addAll(mine);
            return result;
        } finally {
            if (outer == null) {
                deferredEvents.remove();
            } else {
                deferredEvents.set(outer);
            }
        }
    }

    /** The work of one {@link #upsertAll} transaction. */
    private void applyBatch(org.springframework.transaction.TransactionStatus s, boolean pg, Prepared[] prepared,
                            BatchItem[] attempt) {
        int n = prepared.length;
        if (pg) {
            // set-based: a few statements per batch; a record that merges goes through doUpsert
            int i = 0;
            while (i < n) {
                int from = i;
                // the first segment needs no savepoint: when it fails the batch has done nothing yet
                i = from == 0 ? fastSegment(prepared, attempt, 0)
                        : withSavepoint(s, attempt, () -> fastSegment(prepared, attempt, from));
                if (i < n) {
                    int one = i;
                    withSavepoint(s, attempt, () -> {
                        long t = System.nanoTime();
                        applyOne(prepared, attempt, one);
                        timings.add("pg.mergeOne", t);
                        return one;
                    });
                    i++;
                }
            }
            return;
        }
        boolean[] done = createFresh(prepared, attempt);
        for (int i = 0; i < n; i++) {
            if (!done[i]) {
                applyOne(prepared, attempt, i);
            }
        }
    }

    /** Transactions {@link #upsertAll} tries for a whole batch before it applies the records one by one. */
    static final int BATCH_ATTEMPTS = 3;

    private volatile Boolean postgres;

    private boolean postgres() {
        Boolean pg = postgres;
        if (pg == null) {
            pg = db.isPostgres();
            postgres = pg;
        }
        return pg;
    }

    /** Attempts of one part of a batch (a set-based segment, or a merging record) inside the batch transaction. */
    static final int PART_ATTEMPTS = 6;

    /**
     * Runs one part of a batch behind a savepoint: on a conflict with a concurrent writer (a claim
     * lost to a transaction that just committed, a profile locked by another batch ...) only that
     * part is rolled back and tried again, with a fresh look-up; the batch keeps what it did before.
     */
    private int withSavepoint(org.springframework.transaction.TransactionStatus status, BatchItem[] out,
                              Supplier<Integer> part) {
        List<Object[]> deferred = deferredEvents.get();
        for (int attempt = 1; ; attempt++) {
            Object savepoint = status.createSavepoint();
            BatchItem[] before = out.clone();
            int deferredBefore = deferred == null ? 0 : deferred.size();
            try {
                int r = part.get();
                status.releaseSavepoint(savepoint);
                return r;
            } catch (RuntimeException e) {
                if (attempt >= PART_ATTEMPTS || !retryable(e)) {
                    throw e;
                }
                status.rollbackToSavepoint(savepoint);
                System.arraycopy(before, 0, out, 0, out.length);
                if (deferred != null) {
                    // the part's events went with it (today every part hands its events over last, so this
                    // only guards a part that would fail after that)
                    deferred.subList(deferredBefore, deferred.size()).clear();
                }
                retries.incrementAndGet();
                if (log.isDebugEnabled()) {
                    log.debug("upsertAll: part attempt {} failed ({}), retrying it", attempt, e.toString());
                }
                backoff(attempt);
            }
        }
    }

    private void applyOne(Prepared[] prepared, BatchItem[] out, int i) {
        if (prepared[i] == null) {
            return;
        }
        try {
            out[i] = new BatchItem(doUpsert(prepared[i], true), null);
        } catch (ErasedIdentityException e) {
            // thrown before the record wrote anything: the transaction is still clean
            out[i] = new BatchItem(null, e);
        }
    }

    /**
     * Set-based path of {@link #upsertAll}: records none of whose identifiers is known, nor shared
     * with another record of the batch, are created with a few multi-row statements for all of
     * them. Returns which records it handled (created, or failed on the erasure tombstone).
     */
    private boolean[] createFresh(Prepared[] prepared, BatchItem[] out) {
        int n = prepared.length;
        boolean[] done = new boolean[n];
        Map<Identity, Integer> seen = new HashMap<>();
        for (Prepared p : prepared) {
            if (p != null) {
                p.ids().forEach(i -> seen.merge(i, 1, Integer::sum));
            }
        }
        List<Integer> candidates = new ArrayList<>();
        List<Identity> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Prepared p = prepared[i];
            if (p != null && p.ids().stream().allMatch(x -> seen.get(x) == 1)) {
                candidates.add(i);
                all.addAll(p.ids());
            }
        }
        if (candidates.size() < 2) {
            return done;
        }
        Lookup lk = lookup(all);
        Instant now = now();
        List<Object[]> profiles = new ArrayList<>();
        List<Object[]> identities = new ArrayList<>();
        List<Object[]> events = new ArrayList<>();
        ConsentWrites consents = new ConsentWrites();
        for (int i : candidates) {
            Prepared p = prepared[i];
            if (p.ids().stream().anyMatch(x -> lk.owners().containsKey(x))) {
                continue; // known: the regular path
            }
            List<String> hit = new ArrayList<>();
            for (Identity x : p.ids()) {
                String h = hash(x);
                if (lk.tombstoned().contains(h)) {
                    hit.add(h);
                }
            }
            done[i] = true;
            if (!hit.isEmpty()) {
                out[i] = new BatchItem(null, erased(hit));
                continue;
            }
            Plan plan = resolve(p.ids(), new Lookup(Map.of(), Set.of()), Context.EMPTY);
            UUID id = ProfileIds.next();
            Map<String, AttributeValue> attrs = new TreeMap<>();
            p.attrs().forEach((k, v) -> attrs.put(k, new AttributeValue(v, p.source(), p.observed())));
            profiles.add(new Object[]{id, now, now, AttributeDocument.write(attrs)});
            for (Identity c : plan.claims()) {
                identities.add(new Object[]{c.type().name(), c.namespace(), c.value(), id, p.source(), now});
            }
            List<Object[]> consentEvents = new ArrayList<>();
            Map<Channel, Consent> changed = collectConsents(id, p.consents(), new EnumMap<>(Channel.class), now,
                    consentEvents, consents);
            Map<String, Object> pl = new LinkedHashMap<>();
            pl.put("profileId", id.toString());
            pl.put("source", p.source());
            pl.put("observedAt", p.observed().toString());
            pl.put("identities", keys(plan.claims()));
            pl.put("attributes", p.attrs());
            pl.put("consents", statuses(changed));
            events.add(event(id, EV_CREATED, pl, now));
            events.addAll(consentEvents);
            out[i] = new BatchItem(new UpsertResult(id, UpsertResult.Outcome.CREATED, List.of(),
                    List.copyOf(plan.notLinked())), null);
        }
        if (profiles.isEmpty()) {
            return done;
        }
        db.batch("INSERT INTO profile (id, status, created_at, updated_at, version, attributes) VALUES (?, 'ACTIVE', ?, ?, 0, ?)",
                profiles);
        int claimed = 0;
        for (int from = 0; from < identities.size(); from += 2000) {
            List<Object[]> part = identities.subList(from, Math.min(identities.size(), from + 2000));
            List<Object> args = new ArrayList<>(part.size() * 6);
            part.forEach(r -> args.addAll(List.of(r)));
            claimed += db.update("INSERT INTO identity (type, namespace, \"value\", profile_id, source, created_at) VALUES "
                    + Jdbc.tuples(part.size(), 6) + " ON CONFLICT DO NOTHING", args.toArray());
        }
        if (claimed != identities.size()) {
            throw new ConcurrentChangeException("an identifier was claimed concurrently");
        }
        flush(consents);
        writeOutbox(events);
        return done;
    }

    // --- PostgreSQL set-based batch path ------------------------------------------------------

    /** End of the created_at range the previous segment of this thread's batch used (monotonic within a batch). */
    private final ThreadLocal<Instant> lastSegmentEnd = new ThreadLocal<>();
    /** Whether this thread's batch joined a caller's transaction. */
    private final ThreadLocal<Boolean> joinedTx = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** One record of a set-based segment, resolved in memory. */
    private record Step(int index, UUID target, boolean created, Plan plan, List<Identity> sightings) {
    }

    /**
     * Applies records {@code from ..} of the batch set-based (PostgreSQL): one look-up of all their
     * identifiers and tombstones, one read of sightings and unique identifiers of the owners, one
     * lock of the profiles they update (id order, NOWAIT, versions re-checked), one read of those
     * profiles' attributes and consents, then each table written with one statement. Records are
     * resolved in order against that read plus the effect of the earlier records of the batch,
     * through the same {@link #resolve} as {@link #upsert}. Stops before the first record that
     * would merge profiles and returns its index (n when none): the caller applies it through
     * {@link #doUpsert} and starts a new segment after it.
     */
    private int fastSegment(Prepared[] prepared, BatchItem[] out, int from) {
        int n = prepared.length;
        LinkedHashSet<Identity> distinct = new LinkedHashSet<>();
        for (int i = from; i < n; i++) {
            if (prepared[i] != null) {
                distinct.addAll(prepared[i].ids());
            }
        }
        if (distinct.isEmpty()) {
            return n;
        }
        long tm = System.nanoTime();
        Map<Identity, String> hashes = new HashMap<>();
        Map<Identity, Set<UUID>> sighted = new HashMap<>();
        Map<UUID, List<Identity>> unique = new HashMap<>();
        Lookup lk = lookupSet(new ArrayList<>(distinct), hashes, sighted, unique);
        tm = timings.add("pg.lookup", tm);
        Map<Identity, Owner> owners = new HashMap<>(lk.owners());

        Map<UUID, Long> toLock = new LinkedHashMap<>();
        Set<UUID> createdHere = new HashSet<>();
        List<Step> steps = new ArrayList<>();
        int stop = n;
        for (int i = from; i < n; i++) {
            Prepared p = prepared[i];
            if (p == null) {
                continue;
            }
            List<String> hit = new ArrayList<>();
            for (Identity x : p.ids()) {
                String h = hashes.get(x);
                if (lk.tombstoned().contains(h)) {
                    hit.add(h);
                }
            }
            if (!hit.isEmpty()) {
                out[i] = new BatchItem(null, erased(hit));
                continue;
            }
            Map<Identity, Owner> mine = new HashMap<>();
            for (Identity x : p.ids()) {
                Owner o = owners.get(x);
                if (o != null) {
                    mine.put(x, o);
                }
            }
            Lookup rl = new Lookup(mine, Set.of());
            Context ctx = Context.EMPTY;
            if (needsContext(p.ids(), rl)) {
                Map<Identity, Integer> counts = new HashMap<>();
                mine.forEach((x, o) -> {
                    int c = 0;
                    for (UUID s : sighted.getOrDefault(x, Set.of())) {
                        if (!s.equals(o.profileId())) {
                            c++;
                        }
                    }
                    if (c > 0) {
                        counts.put(x, c);
                    }
                });
                Map<UUID, List<Identity>> u = new HashMap<>();
                for (UUID prof : rl.profiles()) {
                    List<Identity> l = unique.get(prof);
                    if (l != null) {
                        u.put(prof, List.copyOf(l));
                    }
                }
                ctx = new Context(counts, u);
            }
            Plan plan = resolve(p.ids(), rl, ctx);
            if (plan.group().size() > 1) {
                stop = i;
                break;
            }
            UUID target;
            boolean created = plan.group().isEmpty();
            long version;
            if (created) {
                target = ProfileIds.next();
                createdHere.add(target);
                version = 0;
            } else {
                target = plan.group().get(0);
                version = rl.version(target);
                if (!createdHere.contains(target)) {
                    toLock.putIfAbsent(target, version);
                }
            }
            for (Identity c : plan.claims()) {
                owners.put(c, new Owner(target, version));
                if (policy.isUniquePerProfile(c)) {
                    unique.computeIfAbsent(target, x -> new ArrayList<>()).add(c);
                }
            }
            List<Identity> sightings = new ArrayList<>();
            for (Identity x : plan.notLinked()) {
                Owner o = mine.get(x);
                if (o != null && !o.profileId().equals(target)) {
                    sightings.add(x);
                    sighted.computeIfAbsent(x, k -> new HashSet<>()).add(target);
                }
            }
            steps.add(new Step(i, target, created, plan, sightings));
        }
        if (steps.isEmpty()) {
            return stop;
        }

        tm = timings.add("pg.resolve", tm);
        // lock the existing profiles the segment updates, and read their state
        Map<UUID, State> states = new HashMap<>();
        if (!toLock.isEmpty()) {
            // inside a caller's transaction nothing is known about what it holds: never wait there
            boolean joined = joinedTx.get();
            List<UUID> ids = new ArrayList<>(toLock.keySet());
            // The first segment holds no lock and no row yet when it gets here, and takes its locks in id
            // order in one statement: it may wait for them without risk of a cycle through it. Later
            // segments hold what earlier ones wrote: they do not wait (NOWAIT), their part is retried.
            List<Locked> locked = db.query("SELECT id, status, version, created_at FROM profile"
                            + " WHERE id = ANY (?::uuid[]) ORDER BY id FOR UPDATE" + (from == 0 && !joined ? "" : " NOWAIT"),
                    (rs, k) -> new Locked(Params.uuid(rs, "id"), rs.getString("status"), rs.getLong("version"),
                            Params.instant(rs, "created_at")), (Object) texts(ids));
            if (locked.size() != ids.size()) {
                throw new ConcurrentChangeException("a profile vanished during resolution");
            }
            for (Locked l : locked) {
                if (!ACTIVE.equals(l.status()) || l.version() != toLock.get(l.id())) {
                    throw new ConcurrentChangeException("profile " + l.id() + " changed during resolution");
                }
            }
            tm = timings.add("pg.lock", tm);
            states.putAll(loadStates(ids));
            tm = timings.add("pg.loadStates", tm);
        }

        Instant now = now();
        Instant previous = lastSegmentEnd.get();
        if (previous != null && !now.isAfter(previous)) {
            now = previous.plus(1, java.time.temporal.ChronoUnit.MICROS);
        }
        lastSegmentEnd.set(now.plus(steps.size(), java.time.temporal.ChronoUnit.MICROS));
        List<Object[]> events = new ArrayList<>();
        ConsentWrites consentWrites = new ConsentWrites();
        Map<UUID, Integer> bumps = new HashMap<>();
        Set<UUID> attrWrites = new HashSet<>();
        List<Identity> claimRows = new ArrayList<>();
        List<UUID> claimOwners = new ArrayList<>();
        List<String> claimSources = new ArrayList<>();
        Set<List<Object>> sightingRows = new LinkedHashSet<>();
        List<UUID> createdProfiles = new ArrayList<>();
        for (Step step : steps) {
            Prepared p = prepared[step.index()];
            UUID target = step.target();
            String source = p.source();
            Instant observed = p.observed();
            State state;
            if (step.created()) {
                state = new State(new HashMap<>(), new EnumMap<>(Channel.class));
                states.put(target, state);
                createdProfiles.add(target);
            } else {
                state = states.get(target);
            }
            List<Identity> claimed = step.plan().claims();
            for (Identity c : claimed) {
                claimRows.add(c);
                claimOwners.add(target);
                claimSources.add(source);
            }
            Map<String, String> changedAttrs = new TreeMap<>();
            p.attrs().forEach((name, value) -> {
                AttributeValue incoming = new AttributeValue(value, source, observed);
                AttributeValue current = state.attributes().get(name);
                if (current != null && Objects.equals(current.value(), value)) {
                    if (survivorship.rank(source) > survivorship.rank(current.source())) {
                        // same value from a stronger source: keep its provenance, not a visible change
                        attrWrites.add(target);
                        state.attributes().put(name, incoming);
                    }
                    return;
                }
                if (survivorship.incomingWins(current, incoming)) {
                    attrWrites.add(target);
                    changedAttrs.put(name, value);
                    state.attributes().put(name, incoming);
                }
            });
            List<Object[]> recordEvents = new ArrayList<>();
            Map<Channel, Consent> changedConsents = collectConsents(target, p.consents(), state.consents(), now,
                    recordEvents, consentWrites);
            for (Identity x : step.sightings()) {
                sightingRows.add(List.of(x.type().name(), x.namespace(), x.value(), target));
            }
            boolean changed = !claimed.isEmpty() || !changedAttrs.isEmpty() || !changedConsents.isEmpty();
            if (changed && !step.created()) {
                bumps.merge(target, 1, Integer::sum);
            }
            if (step.created()) {
                Map<String, Object> pl = new LinkedHashMap<>();
                pl.put("profileId", target.toString());
                pl.put("source", source);
                pl.put("observedAt", observed.toString());
                pl.put("identities", keys(claimed));
                pl.put("attributes", changedAttrs);
                pl.put("consents", statuses(changedConsents));
                recordEvents.add(0, event(target, EV_CREATED, pl, now));
            } else if (!claimed.isEmpty() || !changedAttrs.isEmpty()) {
                Map<String, Object> pl = new LinkedHashMap<>();
                pl.put("profileId", target.toString());
                pl.put("source", source);
                pl.put("observedAt", observed.toString());
                pl.put("identitiesAdded", keys(claimed));
                pl.put("attributes", changedAttrs);
                recordEvents.add(0, event(target, EV_UPDATED, pl, now));
            }
            events.addAll(recordEvents);
            UpsertResult.Outcome outcome = step.created() ? UpsertResult.Outcome.CREATED
                    : changed ? UpsertResult.Outcome.UPDATED : UpsertResult.Outcome.UNCHANGED;
            out[step.index()] = new BatchItem(new UpsertResult(target, outcome, List.of(),
                    List.copyOf(step.plan().notLinked())), null);
        }

        // writes: one statement per table, parents first
        tm = timings.add("pg.build", tm);
        String ts = now.toString();
        if (!createdProfiles.isEmpty()) {
            String[] ids = new String[createdProfiles.size()];
            String[] versions = new String[ids.length];
            String[] created = new String[ids.length];
            String[] attributes = new String[ids.length];
            for (int i = 0; i < ids.length; i++) {
                UUID id = createdProfiles.get(i);
                ids[i] = id.toString();
                versions[i] = String.valueOf(bumps.getOrDefault(id, 0));
                bumps.remove(id);
                attributes[i] = AttributeDocument.write(states.get(id).attributes());
                attrWrites.remove(id);
                // one microsecond apart, in record order: "merge into the oldest" keeps meaning what it
                // means for one upsert per record (ties would otherwise go by random id)
                created[i] = now.plus(i, java.time.temporal.ChronoUnit.MICROS).toString();
            }
            db.update("INSERT INTO profile (id, status, created_at, updated_at, version, attributes)"
                    + " SELECT u.id, 'ACTIVE', u.c, u.c, u.v, u.a"
                    + " FROM unnest(?::uuid[], ?::bigint[], ?::timestamptz[], ?::text[]) AS u(id, v, c, a)",
                    ids, versions, created, attributes);
            tm = timings.add("pg.w.profile", tm);
        }
        if (!claimRows.isEmpty()) {
            Integer[] order = new Integer[claimRows.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            // one key order for every writer: concurrent batches wait on each other's claims, never in a cycle
            java.util.Arrays.sort(order, Comparator.<Integer, String>comparing(i -> claimRows.get(i).value())
                    .thenComparing(i -> claimRows.get(i).type().name()).thenComparing(i -> claimRows.get(i).namespace()));
            String[] t = new String[order.length];
            String[] ns = new String[order.length];
            String[] v = new String[order.length];
            String[] owner = new String[order.length];
            String[] src = new String[order.length];
            for (int k = 0; k < order.length; k++) {
                int i = order[k];
                Identity c = claimRows.get(i);
                t[k] = c.type().name();
                ns[k] = c.namespace();
                v[k] = c.value();
                owner[k] = claimOwners.get(i).toString();
                src[k] = claimSources.get(i);
            }
            // A plain INSERT, not ON CONFLICT DO NOTHING: the look-up found every one of these unowned, so a
            // duplicate key means a concurrent writer claimed it since; the unique violation (retryable) rolls
            // this part back to its savepoint (or the whole batch) and it is resolved again, exactly as a short
            // count used to. Speculative insertion cost about 40% more per identity row.
            int claimed = db.update("INSERT INTO identity (type, namespace, \"value\", profile_id, source, created_at)"
                    + " SELECT u.t, u.ns, u.v, u.p, u.s, ?::timestamptz"
                    + " FROM unnest(?::text[], ?::text[], ?::text[], ?::uuid[], ?::text[]) WITH ORDINALITY AS u(t, ns, v, p, s, o)"
                    + " ORDER BY u.o", ts, t, ns, v, owner, src);
            if (claimed != order.length) {
                throw new ConcurrentChangeException("an identifier was claimed concurrently");
            }
            tm = timings.add("pg.w.identity", tm);
        }
        if (!consentWrites.history().isEmpty()) {
            flush(consentWrites);
            tm = timings.add("pg.w.consent", tm);
        }
        if (!sightingRows.isEmpty()) {
            List<Object[]> rows = new ArrayList<>();
            for (List<Object> r : sightingRows) {
                rows.add(new Object[]{r.get(0), r.get(1), r.get(2), r.get(3), now});
            }
            db.batch("INSERT INTO identity_sighting (type, namespace, \"value\", profile_id, first_seen) VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING", rows);
            tm = timings.add("pg.w.sighting", tm);
        }
        if (!bumps.isEmpty() || !attrWrites.isEmpty()) {
            // the profile row carries the attributes: one update per changed profile, in id order
            List<Object[]> bumped = new ArrayList<>();
            List<Object[]> attrsOnly = new ArrayList<>();
            java.util.TreeSet<UUID> ids = new java.util.TreeSet<>(bumps.keySet());
            ids.addAll(attrWrites);
            for (UUID id : ids) {
                String doc = attrWrites.contains(id) ? AttributeDocument.write(states.get(id).attributes()) : null;
                Integer bump = bumps.get(id);
                if (bump != null) {
                    bumped.add(new Object[]{bump, now, doc, id});
                } else {
                    attrsOnly.add(new Object[]{doc, id});
                }
            }
            db.batch("UPDATE profile SET version = version + ?, updated_at = ?, attributes = COALESCE(?, attributes)"
                    + " WHERE id = ?", bumped);
            db.batch("UPDATE profile SET attributes = ? WHERE id = ?", attrsOnly);
            tm = timings.add("pg.w.profile.update", tm);
        }
        writeOutboxSet(events);
        timings.add("pg.w.outbox", tm);
        return stop;
    }

    private static String[] texts(Collection<UUID> ids) {
        String[] a = new String[ids.size()];
        int i = 0;
        for (UUID u : ids) {
            a[i++] = u.toString();
        }
        return a;
    }

    /**
     * One statement for a whole segment: owners of the identifiers (with their profile's version),
     * tombstone hits, the live profiles each owned identifier was sighted on (its owner is left out per
     * record by {@link #fastSegment}) and the unique-per-profile identifiers of the owners.
     * LATERAL ... OFFSET 0 makes every part one index probe per key, whatever the planner's
     * statistics say (on young tables it picks a hash join over the whole identity table otherwise).
     */
    private Lookup lookupSet(List<Identity> ids, Map<Identity, String> hashes, Map<Identity, Set<UUID>> sighted,
                             Map<UUID, List<Identity>> unique) {
        String[] t = new String[ids.size()];
        String[] ns = new String[ids.size()];
        String[] v = new String[ids.size()];
        String[] h = new String[ids.size()];
        for (int i = 0; i < t.length; i++) {
            Identity x = ids.get(i);
            t[i] = x.type().name();
            ns[i] = x.namespace();
            v[i] = x.value();
            h[i] = hash(x);
            hashes.put(x, h[i]);
        }
        Set<IdentityType> uniqueTypes = policy.uniquePerProfileTypes();
        StringBuilder sql = new StringBuilder("WITH q AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) AS q(v, t, ns)),"
                + " o AS (SELECT i.* FROM q CROSS JOIN LATERAL (SELECT x.type, x.namespace, x.\"value\", x.profile_id,"
                + " p.version FROM identity x JOIN profile p ON p.id = x.profile_id"
                + " WHERE x.\"value\" = q.v AND x.type = q.t AND x.namespace = q.ns OFFSET 0) AS i)"
                + " SELECT 'I' AS k, o.type, o.namespace, o.\"value\", o.profile_id, o.version, NULL AS h FROM o"
                + " UNION ALL SELECT 'T', NULL, NULL, NULL, NULL, NULL, t.identity_hash FROM erasure_tombstone t"
                + " WHERE t.identity_hash = ANY (?::text[])"
                // sightings count only for identifiers somebody owns (as in context(): a sighting is an owned
                // identifier presented with another profile), so only those are probed
                + " UNION ALL SELECT 'S', s.type, s.namespace, s.\"value\", s.profile_id, NULL, NULL"
                + " FROM o CROSS JOIN LATERAL (SELECT y.type, y.namespace, y.\"value\", y.profile_id FROM identity_sighting y"
                + " JOIN profile p ON p.id = y.profile_id WHERE p.status = 'ACTIVE'"
                + " AND y.\"value\" = o.\"value\" AND y.type = o.type AND y.namespace = o.namespace OFFSET 0) AS s");
        List<Object> args = new ArrayList<>(List.of(v, t, ns, h));
        if (!uniqueTypes.isEmpty()) {
            sql.append(" UNION ALL SELECT 'U', u.type, u.namespace, u.\"value\", u.profile_id, NULL, NULL"
                    + " FROM (SELECT DISTINCT profile_id FROM o) AS d CROSS JOIN LATERAL (SELECT x.type, x.namespace,"
                    + " x.\"value\", x.profile_id FROM identity x WHERE x.profile_id = d.profile_id"
                    + " AND x.type = ANY (?::text[]) OFFSET 0) AS u");
            args.add(uniqueTypes.stream().map(Enum::name).toArray(String[]::new));
        }
        Map<Identity, Owner> owners = new HashMap<>();
        Set<String> tombstoned = new LinkedHashSet<>();
        db.query(sql.toString(), (rs, k) -> {
            switch (rs.getString("k")) {
                case "T" -> tombstoned.add(rs.getString("h"));
                case "I" -> owners.put(identity(rs), new Owner(Params.uuid(rs, "profile_id"), rs.getLong("version")));
                case "S" -> sighted.computeIfAbsent(identity(rs), x -> new HashSet<>()).add(Params.uuid(rs, "profile_id"));
                default -> unique.computeIfAbsent(Params.uuid(rs, "profile_id"), x -> new ArrayList<>()).add(identity(rs));
            }
            return null;
        }, args.toArray());
        return new Lookup(owners, tombstoned);
    }

    /** Attributes and consents of many profiles in one statement. */
    private Map<UUID, State> loadStates(List<UUID> profiles) {
        Map<UUID, State> states = new HashMap<>();
        for (UUID p : profiles) {
            states.put(p, new State(new HashMap<>(), new EnumMap<>(Channel.class)));
        }
        String[] ids = texts(profiles);
        db.query("SELECT 'A' AS k, p.id AS profile_id, p.attributes AS a, NULL AS b, NULL AS c, NULL::timestamptz AS t,"
                + " NULL AS e, FALSE AS x FROM profile p WHERE p.id = ANY (?::uuid[]) AND p.attributes IS NOT NULL"
                + " UNION ALL SELECT 'C', c.profile_id, c.channel, c.status, c.source, c.at, c.evidence, c.explicit"
                + " FROM unnest(?::uuid[]) AS q(id) CROSS JOIN LATERAL (SELECT * FROM consent WHERE profile_id = q.id OFFSET 0) AS c",
                (rs, n) -> {
            State st = states.get(Params.uuid(rs, "profile_id"));
            if ("A".equals(rs.getString(1))) {
                st.attributes().putAll(AttributeDocument.read(rs.getString(3)));
            } else {
                Channel ch = Channel.valueOf(rs.getString(3));
                st.consents().put(ch, new Consent(ch, ConsentStatus.valueOf(rs.getString(4)), rs.getString(5),
                        Params.instant(rs, "t"), rs.getString(7), rs.getBoolean(8)));
            }
            return null;
        }, ids, ids);
        return states;
    }

    /** Outbox rows in one statement, ids allocated in list order; a profile's consecutive events share a row. */
    private void writeOutboxSet(List<Object[]> all) {
        if (handedToCaller(all)) {
            return;
        }
        List<Object[]> events = OutboxRows.bundle(all);
        if (events.size() < 2) {
            writeOutbox(events);
            return;
        }
        String[] p = new String[events.size()];
        String[] type = new String[p.length];
        String[] payload = new String[p.length];
        String[] at = new String[p.length];
        for (int i = 0; i < p.length; i++) {
            Object[] e = events.get(i);
            p[i] = e[0] instanceof UUID u ? u.toString() : null;
            type[i] = (String) e[1];
            payload[i] = (String) e[2];
            at[i] = e[3].toString();
        }
        db.update("INSERT INTO outbox (profile_id, event_type, payload, created_at)"
                + " SELECT u.p, u.e, u.d, u.t FROM unnest(?::uuid[], ?::text[], ?::text[], ?::timestamptz[])"
                + " WITH ORDINALITY AS u(p, e, d, t, o) ORDER BY u.o", p, type, payload, at);
    }

    /**
     * @param noWait lock profiles with NOWAIT (batch mode: a batch that would wait for a lock fails
     *               at once and its records are applied one by one, instead of holding its locks
     *               while it waits)
     */
    private UpsertResult doUpsert(Prepared prepared, boolean noWait) {
        String source = prepared.source();
        Instant observed = prepared.observed();
        List<Identity> ids = prepared.ids();
        Map<String, String> attrs = prepared.attrs();
        List<Consent> consents = prepared.consents();
        Lookup lk = lookup(ids);
        Plan plan;
        Map<UUID, Locked> locked = new HashMap<>();
        for (int round = 0; ; round++) {
            checkTombstones(lk);
            Context ctx = needsContext(ids, lk) ? context(ids, lk) : Context.EMPTY;
            plan = resolve(ids, lk, ctx);
            List<UUID> toLock = new ArrayList<>();
            for (UUID p : plan.group()) {
                if (!locked.containsKey(p)) {
                    toLock.add(p);
                }
            }
            if (!toLock.isEmpty()) {
                for (Locked l : lock(toLock, noWait)) {
                    locked.put(l.id(), l);
                }
            }
            boolean consistent = true;
            for (UUID p : plan.group()) {
                Locked l = locked.get(p);
                if (l == null || !ACTIVE.equals(l.status()) || l.version() != lk.version(p)) {
                    consistent = false;
                    break;
                }
            }
            if (consistent) {
                break;
            }
            if (round >= 2) {
                throw new ConcurrentChangeException("profiles kept changing during resolution");
            }
            lk = lookup(ids);
        }

        Instant now = now();
        List<Object[]> events = new ArrayList<>();
        List<UUID> mergedAway = new ArrayList<>();
        UUID target;
        boolean created = false;
        State state;
        if (plan.group().isEmpty()) {
            target = ProfileIds.next();
            db.update("INSERT INTO profile (id, status, created_at, updated_at, version) VALUES (?, 'ACTIVE', ?, ?, 0)",
                    target, now, now);
            created = true;
            state = new State(new HashMap<>(), new EnumMap<>(Channel.class));
        } else {
            List<Locked> group = new ArrayList<>();
            for (UUID p : plan.group()) {
                group.add(locked.get(p));
            }
            group.sort(Comparator.comparing(Locked::createdAt).thenComparing(l -> l.id().toString()));
            target = group.get(0).id();
            for (int i = 1; i < group.size(); i++) {
                UUID loser = group.get(i).id();
                UUID survivor = target;
                List<String> viaSurvivor = new ArrayList<>();
                List<String> viaLoser = new ArrayList<>();
                lk.owners().forEach((ident, o) -> {
                    if (o.profileId().equals(loser)) {
                        viaLoser.add(ident.key());
                    } else if (o.profileId().equals(survivor)) {
                        viaSurvivor.add(ident.key());
                    }
                });
                mergeInto(target, loser, source, viaSurvivor, viaLoser, now, events);
                mergedAway.add(loser);
            }
            state = loadState(target, !attrs.isEmpty(), !consents.isEmpty());
        }

        // identities
        List<Identity> claimed = plan.claims();
        if (!claimed.isEmpty()) {
            StringBuilder sql = new StringBuilder(
                    "INSERT INTO identity (type, namespace, \"value\", profile_id, source, created_at) VALUES ");
            List<Object> args = new ArrayList<>(claimed.size() * 6);
            for (int i = 0; i < claimed.size(); i++) {
                Identity c = claimed.get(i);
                sql.append(i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)");
                args.add(c.type().name());
                args.add(c.namespace());
                args.add(c.value());
                args.add(target);
                args.add(source);
                args.add(now);
            }
            sql.append(" ON CONFLICT DO NOTHING");
            int n = db.update(sql.toString(), args.toArray());
            if (n != claimed.size()) {
                throw new ConcurrentChangeException("an identifier was claimed concurrently");
            }
        }

        // attributes through survivorship
        Map<String, String> changedAttrs = new TreeMap<>();
        boolean attrsDirty = false;
        for (Map.Entry<String, String> a : attrs.entrySet()) {
            String name = a.getKey();
            String value = a.getValue();
            AttributeValue incoming = new AttributeValue(value, source, observed);
            AttributeValue current = state.attributes().get(name);
            if (current != null && Objects.equals(current.value(), value)) {
                if (survivorship.rank(source) > survivorship.rank(current.source())) {
                    // same value from a stronger source: keep its provenance, not a visible change
                    state.attributes().put(name, incoming);
                    attrsDirty = true;
                }
                continue;
            }
            if (survivorship.incomingWins(current, incoming)) {
                changedAttrs.put(name, value);
                state.attributes().put(name, incoming);
                attrsDirty = true;
            }
        }
        String attrDoc = attrsDirty ? AttributeDocument.write(state.attributes()) : null;

        // consents through the consent rules
        Map<Channel, Consent> changedConsents = applyConsents(target, consents, state.consents(), now, events);

        // sightings of identifiers presented with this profile but owned by another
        List<Object[]> sightings = new ArrayList<>();
        for (Identity i : plan.notLinked()) {
            Owner o = lk.owners().get(i);
            if (o != null && !o.profileId().equals(target)) {
                sightings.add(new Object[]{i.type().name(), i.namespace(), i.value(), target, now});
            }
        }
        db.batch("INSERT INTO identity_sighting (type, namespace, \"value\", profile_id, first_seen) VALUES (?, ?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING", sightings);

        boolean changed = !claimed.isEmpty() || !changedAttrs.isEmpty() || !changedConsents.isEmpty();
        if (changed && !created) {
            db.update("UPDATE profile SET version = version + 1, updated_at = ?, attributes = COALESCE(?, attributes)"
                    + " WHERE id = ?", now, attrDoc, target);
        } else if (attrDoc != null) {
            db.update("UPDATE profile SET attributes = ? WHERE id = ?", attrDoc, target);
        }
        if (created) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("profileId", target.toString());
            p.put("source", source);
            p.put("observedAt", observed.toString());
            p.put("identities", keys(claimed));
            p.put("attributes", changedAttrs);
            p.put("consents", statuses(changedConsents));
            events.add(0, event(target, EV_CREATED, p, now));
        } else if (!claimed.isEmpty() || !changedAttrs.isEmpty()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("profileId", target.toString());
            p.put("source", source);
            p.put("observedAt", observed.toString());
            p.put("identitiesAdded", keys(claimed));
            p.put("attributes", changedAttrs);
            events.add(mergedAway.size(), event(target, EV_UPDATED, p, now));
        }
        writeOutbox(events);

        UpsertResult.Outcome outcome = created ? UpsertResult.Outcome.CREATED
                : !mergedAway.isEmpty() ? UpsertResult.Outcome.MERGED
                : changed ? UpsertResult.Outcome.UPDATED : UpsertResult.Outcome.UNCHANGED;
        return new UpsertResult(target, outcome, List.copyOf(mergedAway), List.copyOf(plan.notLinked()));
    }

    static final int LOOKUP_CHUNK = 500;

    private Lookup lookup(List<Identity> ids) {
        if (ids.size() <= LOOKUP_CHUNK) {
            return lookupChunk(ids);
        }
        Map<Identity, Owner> owners = new HashMap<>();
        Set<String> tombstoned = new LinkedHashSet<>();
        for (int from = 0; from < ids.size(); from += LOOKUP_CHUNK) {
            Lookup part = lookupChunk(ids.subList(from, Math.min(ids.size(), from + LOOKUP_CHUNK)));
            owners.putAll(part.owners());
            tombstoned.addAll(part.tombstoned());
        }
        return new Lookup(owners, tombstoned);
    }

    private Lookup lookupChunk(List<Identity> ids) {
        List<Object> args = new ArrayList<>(ids.size() * 5);
        for (Identity i : ids) {
            args.add(i.value());
        }
        for (Identity i : ids) {
            args.add(i.type().name());
            args.add(i.namespace());
            args.add(i.value());
        }
        Map<String, Identity> byHash = new HashMap<>();
        for (Identity i : ids) {
            String h = hash(i);
            byHash.put(h, i);
            args.add(h);
        }
        String sql = "SELECT 'I' AS k, i.type, i.namespace, i.\"value\", i.profile_id, p.version, NULL AS h"
                + " FROM identity i JOIN profile p ON p.id = i.profile_id"
                + " WHERE i.\"value\" IN (" + Params.marks(ids.size()) + ")"
                + " AND (i.type, i.namespace, i.\"value\") IN (" + Jdbc.tuples(ids.size(), 3) + ")"
                + " UNION ALL SELECT 'T', NULL, NULL, NULL, NULL, NULL, t.identity_hash FROM erasure_tombstone t"
                + " WHERE t.identity_hash IN (" + Params.marks(ids.size()) + ")";
        Map<Identity, Owner> owners = new HashMap<>();
        Set<String> tombstoned = new LinkedHashSet<>();
        db.query(sql, (rs, n) -> {
            if ("T".equals(rs.getString("k"))) {
                tombstoned.add(rs.getString("h"));
            } else {
                owners.put(identity(rs), new Owner(Params.uuid(rs, "profile_id"), rs.getLong("version")));
            }
            return null;
        }, args.toArray());
        return new Lookup(owners, tombstoned);
    }

    private void checkTombstones(Lookup lk) {
        if (!lk.tombstoned().isEmpty()) {
            throw erased(lk.tombstoned());
        }
    }

    private static ErasedIdentityException erased(Collection<String> tombstoned) {
        List<String> hashes = List.copyOf(tombstoned);
        StringBuilder msg = new StringBuilder("record carries identifiers of an erased person (hash ");
        for (int i = 0; i < hashes.size(); i++) {
            msg.append(i == 0 ? "" : ", ").append(hashes.get(i), 0, 12);
        }
        return new ErasedIdentityException(msg.append("...)").toString(), hashes);
    }

    /** Sighting counts and owners' unique identities only matter when the record may link or merge. */
    private static boolean needsContext(List<Identity> ids, Lookup lk) {
        int owned = lk.owners().size();
        return owned > 0 && (lk.profiles().size() > 1 || owned < ids.size());
    }

    private Context context(List<Identity> ids, Lookup lk) {
        List<Identity> owned = new ArrayList<>();
        for (Identity i : ids) {
            if (lk.owners().containsKey(i)) {
                owned.add(i);
            }
        }
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder(
                "SELECT 'S' AS k, s.type, s.namespace, s.\"value\", CAST(NULL AS UUID) AS profile_id,"
                        + " COUNT(DISTINCT s.profile_id) AS n FROM identity_sighting s JOIN profile p ON p.id = s.profile_id"
                        + " WHERE p.status = 'ACTIVE' AND s.\"value\" IN (").append(Params.marks(owned.size()))
                .append(") AND (s.type, s.namespace, s.\"value\") IN (")
                .append(Jdbc.tuples(owned.size(), 3))
                .append(") AND NOT EXISTS (SELECT 1 FROM identity o WHERE o.type = s.type AND o.namespace = s.namespace"
                        + " AND o.\"value\" = s.\"value\" AND o.profile_id = s.profile_id)"
                        + " GROUP BY s.type, s.namespace, s.\"value\"");
        for (Identity i : owned) {
            args.add(i.value());
        }
        for (Identity i : owned) {
            args.add(i.type().name());
            args.add(i.namespace());
            args.add(i.value());
        }
        Set<IdentityType> uniqueTypes = policy.uniquePerProfileTypes();
        Set<UUID> profiles = lk.profiles();
        if (!uniqueTypes.isEmpty()) {
            sql.append(" UNION ALL SELECT 'U', i.type, i.namespace, i.\"value\", i.profile_id, 0 FROM identity i"
                    + " WHERE i.profile_id IN (").append(Params.marks(profiles.size()))
                    .append(") AND i.type IN (").append(Params.marks(uniqueTypes.size())).append(")");
            args.addAll(profiles);
            uniqueTypes.forEach(t -> args.add(t.name()));
        }
        Map<Identity, Integer> sightings = new HashMap<>();
        Map<UUID, List<Identity>> unique = new HashMap<>();
        db.query(sql.toString(), (rs, n) -> {
            Identity i = identity(rs);
            if ("S".equals(rs.getString("k"))) {
                sightings.put(i, rs.getInt("n"));
            } else {
                unique.computeIfAbsent(Params.uuid(rs, "profile_id"), x -> new ArrayList<>()).add(i);
            }
            return null;
        }, args.toArray());
        return new Context(sightings, unique);
    }

    /**
     * Decides which profiles the record links (the group: merged when more than one), which
     * unowned identifiers it claims, and which it does not link. Pure: no database access.
     */
    Plan resolve(List<Identity> ids, Lookup lk, Context ctx) {
        Comparator<Identity> strongestFirst = Comparator.<Identity>comparingInt(i -> -policy.strength(i.type()))
                .thenComparing(Identity::key);
        List<Identity> strong = new ArrayList<>();
        List<Identity> guarded = new ArrayList<>();
        for (Identity i : ids) {
            Owner o = lk.owners().get(i);
            boolean overShared = o != null && policy.isOverShared(1 + ctx.sightings().getOrDefault(i, 0));
            (policy.isRoleMailbox(i) || overShared ? guarded : strong).add(i);
        }
        strong.sort(strongestFirst);
        guarded.sort(strongestFirst);

        Group g = new Group();
        for (Identity i : strong) {
            g.consider(i, true, lk, ctx);
        }
        boolean onlyGuarded = g.profiles.isEmpty() && g.claims.isEmpty();
        for (Identity i : guarded) {
            // a guarded identifier never merges; it resolves the record only when nothing else does
            g.consider(i, onlyGuarded && g.profiles.isEmpty(), lk, ctx);
        }
        return new Plan(List.copyOf(g.profiles), List.copyOf(g.claims), List.copyOf(g.notLinked));
    }

    private final class Group {
        final LinkedHashSet<UUID> profiles = new LinkedHashSet<>();
        final List<Identity> claims = new ArrayList<>();
        final List<Identity> notLinked = new ArrayList<>();
        final Map<String, String> unique = new HashMap<>();

        void consider(Identity i, boolean mayJoinOwner, Lookup lk, Context ctx) {
            Owner o = lk.owners().get(i);
            if (o != null) {
                UUID p = o.profileId();
                if (profiles.contains(p)) {
                    return;
                }
                List<Identity> theirs = ctx.unique().getOrDefault(p, List.of());
                if (!mayJoinOwner || conflicts(theirs)) {
                    notLinked.add(i);
                    return;
                }
                profiles.add(p);
                theirs.forEach(this::addUnique);
            } else {
                if (conflicts(List.of(i))) {
                    notLinked.add(i);
                    return;
                }
                claims.add(i);
                addUnique(i);
            }
        }

        private boolean conflicts(List<Identity> others) {
            for (Identity x : others) {
                if (policy.isUniquePerProfile(x)) {
                    String have = unique.get(uniqueSlot(x));
                    if (have != null && !have.equals(x.value())) {
                        return true;
                    }
                }
            }
            return false;
        }

        private void addUnique(Identity x) {
            if (policy.isUniquePerProfile(x)) {
                unique.putIfAbsent(uniqueSlot(x), x.value());
            }
        }
    }

    private static String uniqueSlot(Identity i) {
        return i.type().name() + '\u0000' + i.namespace();
    }

    private List<Locked> lock(Collection<UUID> ids) {
        return lock(ids, false);
    }

    private List<Locked> lock(Collection<UUID> ids, boolean noWait) {
        return db.query("SELECT id, status, version, created_at FROM profile WHERE id IN (" + Params.marks(ids.size())
                        + ") ORDER BY id FOR UPDATE" + (noWait ? " NOWAIT" : ""),
                (rs, n) -> new Locked(Params.uuid(rs, "id"), rs.getString("status"), rs.getLong("version"),
                        Params.instant(rs, "created_at")), ids.toArray());
    }

    /** Locks the profile, following merges to the survivor. */
    private Locked lockResolve(UUID profileId) {
        Objects.requireNonNull(profileId, "profileId");
        UUID id = profileId;
        for (int hop = 0; hop < 64; hop++) {
            UUID cur = id;
            List<Object[]> rows = db.query("SELECT id, status, merged_into, version, created_at FROM profile WHERE id = ? FOR UPDATE",
                    (rs, n) -> new Object[]{rs.getString("status"), Params.uuid(rs, "merged_into"), rs.getLong("version"),
                            Params.instant(rs, "created_at")}, cur);
            if (rows.isEmpty()) {
                throw new NoSuchProfileException(profileId, false);
            }
            Object[] r = rows.get(0);
            String status = (String) r[0];
            if (ERASED.equals(status)) {
                throw new NoSuchProfileException(profileId, true);
            }
            if (MERGED.equals(status)) {
                id = (UUID) r[1];
                continue;
            }
            return new Locked(cur, status, (Long) r[2], (Instant) r[3]);
        }
        throw new IllegalStateException("merge chain too long from " + profileId);
    }

    /** Follows merges without locking; empty when missing or erased. */
    private Optional<UUID> resolveLive(UUID profileId) {
        UUID id = profileId;
        for (int hop = 0; hop < 64 && id != null; hop++) {
            UUID cur = id;
            List<Object[]> rows = db.query("SELECT status, merged_into FROM profile WHERE id = ?",
                    (rs, n) -> new Object[]{rs.getString("status"), Params.uuid(rs, "merged_into")}, cur);
            if (rows.isEmpty() || ERASED.equals(rows.get(0)[0])) {
                return Optional.empty();
            }
            if (ACTIVE.equals(rows.get(0)[0])) {
                return Optional.of(cur);
            }
            id = (UUID) rows.get(0)[1];
        }
        return Optional.empty();
    }

    // --- profile state ------------------------------------------------------------------------

    record State(Map<String, AttributeValue> attributes, Map<Channel, Consent> consents) {
    }

    private State loadState(UUID profile, boolean attributes, boolean consents) {
        Map<String, AttributeValue> attrs = new HashMap<>();
        Map<Channel, Consent> cons = new EnumMap<>(Channel.class);
        if (!attributes && !consents) {
            return new State(attrs, cons);
        }
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        if (attributes) {
            sql.append("SELECT 'A' AS k, attributes AS a, NULL AS b, NULL AS c, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS t,"
                    + " NULL AS e, FALSE AS x FROM profile WHERE id = ? AND attributes IS NOT NULL");
            args.add(profile);
        }
        if (consents) {
            if (attributes) {
                sql.append(" UNION ALL ");
            }
            sql.append("SELECT 'C' AS k, channel, status, source, at, evidence, explicit FROM consent WHERE profile_id = ?");
            args.add(profile);
        }
        db.query(sql.toString(), (rs, n) -> {
            if ("A".equals(rs.getString(1))) {
                attrs.putAll(AttributeDocument.read(rs.getString(2)));
            } else {
                Channel ch = Channel.valueOf(rs.getString(2));
                cons.put(ch, new Consent(ch, ConsentStatus.valueOf(rs.getString(3)), rs.getString(4),
                        rs.getObject(5, java.time.OffsetDateTime.class).toInstant(), rs.getString(6), rs.getBoolean(7)));
            }
            return null;
        }, args.toArray());
        return new State(attrs, cons);
    }

    /** Consent rows to write, collected across one or many profiles. */
    record ConsentWrites(List<Object[]> history, List<Object[]> inserts, List<Object[]> updates) {
        ConsentWrites() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    private static final String[] HISTORY_COLUMNS = {"profile_id", "channel", "status", "source", "at", "evidence",
            "explicit", "effective", "recorded_at"};
    private static final String[] HISTORY_TYPES = {"uuid", "text", "text", "text", "timestamptz", "text", "bool", "bool",
            "timestamptz"};
    private static final String[] CONSENT_COLUMNS = {"status", "source", "at", "evidence", "explicit", "updated_at",
            "profile_id", "channel"};
    private static final String[] CONSENT_TYPES = {"text", "text", "timestamptz", "text", "bool", "timestamptz", "uuid",
            "text"};

    private void flush(ConsentWrites w) {
        if (postgres() && w.history().size() > 1) {
            // a batch's consents: one statement per table, the rows in the order they were collected
            db.insertUnnest("consent_history", HISTORY_COLUMNS, HISTORY_TYPES, w.history());
            if (!w.inserts().isEmpty()) {
                db.insertUnnest("consent", CONSENT_COLUMNS, CONSENT_TYPES, w.inserts());
            }
            db.batch("UPDATE consent SET status = ?, source = ?, at = ?, evidence = ?, explicit = ?, updated_at = ?"
                    + " WHERE profile_id = ? AND channel = ?", w.updates());
            return;
        }
        db.batch("INSERT INTO consent_history (profile_id, channel, status, source, at, evidence, explicit, effective,"
                + " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", w.history());
        db.batch("INSERT INTO consent (status, source, at, evidence, explicit, updated_at, profile_id, channel)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", w.inserts());
        db.batch("UPDATE consent SET status = ?, source = ?, at = ?, evidence = ?, explicit = ?, updated_at = ?"
                + " WHERE profile_id = ? AND channel = ?", w.updates());
    }

    private Map<Channel, Consent> applyConsents(UUID profile, List<Consent> statements, Map<Channel, Consent> current,
                                                Instant now, List<Object[]> events) {
        ConsentWrites w = new ConsentWrites();
        Map<Channel, Consent> changed = collectConsents(profile, statements, current, now, events, w);
        flush(w);
        return changed;
    }

    private Map<Channel, Consent> collectConsents(UUID profile, List<Consent> statements, Map<Channel, Consent> current,
                                                  Instant now, List<Object[]> events, ConsentWrites w) {
        if (statements.isEmpty()) {
            return Map.of();
        }
        Map<Channel, List<Consent>> byChannel = new EnumMap<>(Channel.class);
        for (Consent c : statements) {
            byChannel.computeIfAbsent(c.channel(), x -> new ArrayList<>()).add(c);
        }
        List<Object[]> history = w.history();
        List<Object[]> inserts = w.inserts();
        List<Object[]> updates = w.updates();
        Map<Channel, Consent> changed = new EnumMap<>(Channel.class);
        byChannel.forEach((ch, list) -> {
            list.sort(Comparator.comparing(Consent::at));
            Consent before = current.get(ch);
            Consent eff = before;
            for (Consent c : list) {
                if (c.equals(eff)) {
                    continue; // the very statement already in force: a replay
                }
                Consent next = consentRules.effective(eff, c);
                boolean adopted = next == c;
                history.add(new Object[]{profile, ch.name(), c.status().name(), c.source(), c.at(), c.evidence(),
                        c.explicit(), adopted, now});
                eff = next;
            }
            if (!Objects.equals(eff, before)) {
                Object[] row = {eff.status().name(), eff.source(), eff.at(), eff.evidence(), eff.explicit(), now,
                        profile, ch.name()};
                (before == null ? inserts : updates).add(row);
                changed.put(ch, eff);
                current.put(ch, eff);
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("profileId", profile.toString());
                p.put("channel", ch.name());
                p.put("status", eff.status().name());
                p.put("previousStatus", before == null ? null : before.status().name());
                p.put("source", eff.source());
                p.put("at", eff.at().toString());
                p.put("explicit", eff.explicit());
                events.add(event(profile, EV_CONSENT, p, now));
            }
        });
        return changed;
    }

    // =========================================================================================
    // merge and unmerge
    // =========================================================================================

    /** Everything a merge changes about one profile, as it was before. */
    record IdentityRow(Identity identity, String source, Instant createdAt) {
    }

    record ConsentRow(Consent consent, Instant updatedAt) {
    }

    record MemberRow(long listId, boolean suppressed, Instant addedAt, String source) {
    }

    record ComputedRow(String value, Instant updatedAt) {
    }

    record FullState(UUID id, Instant createdAt, Instant updatedAt, long version, List<IdentityRow> identities,
                     Map<String, AttributeValue> attributes, List<ConsentRow> consents, List<MemberRow> lists,
                     Map<String, ComputedRow> computed, List<Long> interactionIds, List<Object[]> responses) {
    }

    private FullState loadFull(UUID id) {
        Object[] p = db.query("SELECT created_at, updated_at, version, attributes FROM profile WHERE id = ?",
                (rs, n) -> new Object[]{Params.instant(rs, "created_at"), Params.instant(rs, "updated_at"),
                        rs.getLong("version"), rs.getString("attributes")}, id).get(0);
        List<IdentityRow> identities = db.query("SELECT type, namespace, \"value\", source, created_at FROM identity"
                        + " WHERE profile_id = ? ORDER BY type, namespace, \"value\"",
                (rs, n) -> new IdentityRow(identity(rs), rs.getString("source"), Params.instant(rs, "created_at")), id);
        Map<String, AttributeValue> attributes = AttributeDocument.read((String) p[3]);
        List<ConsentRow> consents = db.query("SELECT channel, status, source, at, evidence, explicit, updated_at"
                + " FROM consent WHERE profile_id = ? ORDER BY channel", (rs, n) -> new ConsentRow(consent(rs),
                Params.instant(rs, "updated_at")), id);
        List<MemberRow> lists = db.query("SELECT list_id, suppressed, added_at, source FROM list_member WHERE profile_id = ?"
                        + " ORDER BY list_id", (rs, n) -> new MemberRow(rs.getLong("list_id"), rs.getBoolean("suppressed"),
                        Params.instant(rs, "added_at"), rs.getString("source")), id);
        Map<String, ComputedRow> computed = new TreeMap<>();
        db.query("SELECT name, \"value\", updated_at FROM profile_computed WHERE profile_id = ?", (rs, n) ->
                computed.put(rs.getString("name"), new ComputedRow(rs.getString("value"),
                        Params.instant(rs, "updated_at"))), id);
        List<Long> interactions = db.query("SELECT id FROM interaction WHERE profile_id = ? ORDER BY id",
                (rs, n) -> rs.getLong(1), id);
        List<Object[]> responses = db.query("SELECT id, campaign_id, type, at FROM campaign_response WHERE profile_id = ?"
                        + " ORDER BY id", (rs, n) -> new Object[]{rs.getLong("id"), rs.getLong("campaign_id"),
                        rs.getString("type"), Params.instant(rs, "at")}, id);
        return new FullState(id, (Instant) p[0], (Instant) p[1], (Long) p[2], identities, attributes, consents, lists,
                computed, interactions, responses);
    }

    private Map<String, Object> snapshot(FullState s, List<Long> movedInteractions, List<Long> movedResponses) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("profileId", s.id().toString());
        m.put("createdAt", s.createdAt().toString());
        m.put("updatedAt", s.updatedAt().toString());
        m.put("version", s.version());
        List<Map<String, Object>> ids = new ArrayList<>();
        for (IdentityRow r : s.identities()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("type", r.identity().type().name());
            x.put("namespace", r.identity().namespace());
            x.put("value", r.identity().value());
            x.put("source", r.source());
            x.put("createdAt", r.createdAt().toString());
            ids.add(x);
        }
        m.put("identities", ids);
        Map<String, Object> attrs = new LinkedHashMap<>();
        s.attributes().forEach((k, v) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("value", v.value());
            x.put("source", v.source());
            x.put("at", v.at().toString());
            attrs.put(k, x);
        });
        m.put("attributes", attrs);
        List<Map<String, Object>> cons = new ArrayList<>();
        for (ConsentRow r : s.consents()) {
            Consent c = r.consent();
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("channel", c.channel().name());
            x.put("status", c.status().name());
            x.put("source", c.source());
            x.put("at", c.at().toString());
            x.put("evidence", c.evidence());
            x.put("explicit", c.explicit());
            x.put("updatedAt", r.updatedAt().toString());
            cons.add(x);
        }
        m.put("consents", cons);
        List<Map<String, Object>> lists = new ArrayList<>();
        for (MemberRow r : s.lists()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("listId", r.listId());
            x.put("suppressed", r.suppressed());
            x.put("addedAt", r.addedAt().toString());
            x.put("source", r.source());
            lists.add(x);
        }
        m.put("lists", lists);
        Map<String, Object> comp = new LinkedHashMap<>();
        s.computed().forEach((k, v) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("value", v.value());
            x.put("updatedAt", v.updatedAt().toString());
            comp.put(k, x);
        });
        m.put("computed", comp);
        if (movedInteractions != null) {
            m.put("movedInteractionIds", movedInteractions);
            m.put("movedCampaignResponseIds", movedResponses);
        }
        return m;
    }

    private void mergeInto(UUID survivor, UUID loser, String source, List<String> viaSurvivor, List<String> viaLoser,
                           Instant now, List<Object[]> events) {
        FullState s = loadFull(survivor);
        FullState l = loadFull(loser);

        // campaign responses that would duplicate one of the survivor's stay with the loser
        Set<String> survivorResponses = new HashSet<>();
        for (Object[] r : s.responses()) {
            survivorResponses.add(r[1] + "|" + r[2] + "|" + r[3]);
        }
        List<Long> movedResponses = new ArrayList<>();
        for (Object[] r : l.responses()) {
            if (!survivorResponses.contains(r[1] + "|" + r[2] + "|" + r[3])) {
                movedResponses.add((Long) r[0]);
            }
        }
        String survivorSnap = toJson(snapshot(s, null, null));
        String loserSnap = toJson(snapshot(l, l.interactionIds(), movedResponses));

        db.update("UPDATE identity SET profile_id = ? WHERE profile_id = ?", survivor, loser);

        Map<String, AttributeValue> merged = new TreeMap<>(s.attributes());
        l.attributes().forEach((name, lv) -> {
            AttributeValue sv = s.attributes().get(name);
            if (survivorship.incomingWins(sv, lv) && (sv == null || !Objects.equals(sv.value(), lv.value())
                    || survivorship.rank(lv.source()) > survivorship.rank(sv.source()))) {
                merged.put(name, lv);
            }
        });

        Map<Channel, Consent> sc = new EnumMap<>(Channel.class);
        s.consents().forEach(r -> sc.put(r.consent().channel(), r.consent()));
        List<Object[]> consentInserts = new ArrayList<>();
        List<Object[]> consentUpdates = new ArrayList<>();
        for (ConsentRow r : l.consents()) {
            Consent lc = r.consent();
            Consent cur = sc.get(lc.channel());
            Consent eff = consentRules.effective(cur, lc);
            if (!Objects.equals(eff, cur)) {
                Object[] row = {eff.status().name(), eff.source(), eff.at(), eff.evidence(), eff.explicit(), now,
                        survivor, eff.channel().name()};
                (cur == null ? consentInserts : consentUpdates).add(row);
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("profileId", survivor.toString());
                p.put("channel", eff.channel().name());
                p.put("status", eff.status().name());
                p.put("previousStatus", cur == null ? null : cur.status().name());
                p.put("source", eff.source());
                p.put("at", eff.at().toString());
                p.put("explicit", eff.explicit());
                p.put("cause", "merge");
                events.add(event(survivor, EV_CONSENT, p, now));
            }
        }
        db.update("DELETE FROM consent WHERE profile_id = ?", loser);
        db.batch("INSERT INTO consent (status, source, at, evidence, explicit, updated_at, profile_id, channel)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", consentInserts);
        db.batch("UPDATE consent SET status = ?, source = ?, at = ?, evidence = ?, explicit = ?, updated_at = ?"
                + " WHERE profile_id = ? AND channel = ?", consentUpdates);

        Map<Long, MemberRow> sl = new HashMap<>();
        s.lists().forEach(r -> sl.put(r.listId(), r));
        List<Object[]> moveMember = new ArrayList<>();
        List<Object[]> suppressMember = new ArrayList<>();
        for (MemberRow r : l.lists()) {
            MemberRow mine = sl.get(r.listId());
            if (mine == null) {
                moveMember.add(new Object[]{survivor, r.listId(), loser});
            } else if (r.suppressed() && !mine.suppressed()) {
                suppressMember.add(new Object[]{r.listId(), survivor});
            }
        }
        db.batch("UPDATE list_member SET profile_id = ? WHERE list_id = ? AND profile_id = ?", moveMember);
        db.batch("UPDATE list_member SET suppressed = TRUE WHERE list_id = ? AND profile_id = ?", suppressMember);
        db.update("DELETE FROM list_member WHERE profile_id = ?", loser);
        db.update("DELETE FROM profile_computed WHERE profile_id = ?", loser);
        db.update("UPDATE interaction SET profile_id = ? WHERE profile_id = ?", survivor, loser);
        if (!movedResponses.isEmpty()) {
            List<Object> args = new ArrayList<>();
            args.add(survivor);
            args.addAll(movedResponses);
            db.update("UPDATE campaign_response SET profile_id = ? WHERE id IN (" + Params.marks(movedResponses.size()) + ")",
                    args.toArray());
        }
        // the loser's attributes live on in the merge journal's snapshot (an unmerge restores them)
        db.update("UPDATE profile SET status = 'MERGED', merged_into = ?, attributes = NULL, version = version + 1,"
                + " updated_at = ? WHERE id = ?", survivor, now, loser);
        db.update("UPDATE profile SET version = version + 1, updated_at = ?, attributes = ? WHERE id = ?", now,
                AttributeDocument.write(merged), survivor);

        // the reason names identifier types only (no PII); the keys go to linking_identities
        String reason = "identity resolution: a record from " + source + " carries " + types(viaSurvivor)
                + " of the survivor and " + types(viaLoser) + " of the merged profile";
        Map<String, List<String>> linking = new LinkedHashMap<>();
        linking.put("survivor", viaSurvivor);
        linking.put("merged", viaLoser);
        long mergeId = db.insertReturningId("INSERT INTO merge_journal (survivor_id, merged_id, reason, linking_identities,"
                        + " survivor_snapshot, merged_snapshot, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                survivor, loser, reason, toJson(linking), survivorSnap, loserSnap, now);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("profileId", survivor.toString());
        p.put("mergedProfileId", loser.toString());
        p.put("mergeId", mergeId);
        p.put("reason", reason);
        events.add(event(survivor, EV_MERGED, p, now));
        log.info("merged profile {} into {} (merge {}): {}", loser, survivor, mergeId, reason);
    }

    @Override
    public UnmergeResult unmerge(UUID survivorId, UUID mergedProfileId) {
        Objects.requireNonNull(survivorId, "survivorId");
        return inTx("unmerge", () -> doUnmerge(survivorId, mergedProfileId));
    }

    private UnmergeResult doUnmerge(UUID survivorId, UUID mergedProfileId) {
        List<Object[]> journal = db.query("SELECT id, merged_id, survivor_snapshot, merged_snapshot FROM merge_journal"
                        + " WHERE survivor_id = ? AND unmerged_at IS NULL ORDER BY id DESC",
                (rs, n) -> new Object[]{rs.getLong("id"), Params.uuid(rs, "merged_id"), rs.getString("survivor_snapshot"),
                        rs.getString("merged_snapshot")}, survivorId);
        if (journal.isEmpty()) {
            throw new IllegalArgumentException("no merge into " + survivorId + " to undo");
        }
        Object[] row = journal.get(0);
        if (mergedProfileId != null && !mergedProfileId.equals(row[1])) {
            boolean exists = journal.stream().anyMatch(r -> mergedProfileId.equals(r[1]));
            if (exists) {
                throw new IllegalStateException("merge of " + mergedProfileId + " into " + survivorId
                        + " is not the latest one: unmerge " + row[1] + " first");
            }
            throw new IllegalArgumentException("no merge of " + mergedProfileId + " into " + survivorId + " to undo");
        }
        long mergeId = (Long) row[0];
        UUID loser = (UUID) row[1];
        if (row[2] == null || row[3] == null) {
            throw new IllegalStateException("merge " + mergeId + " cannot be undone: its snapshots were erased");
        }
        Map<UUID, Locked> locked = new HashMap<>();
        lock(List.of(survivorId, loser)).forEach(l -> locked.put(l.id(), l));
        Locked s = locked.get(survivorId);
        Locked l = locked.get(loser);
        if (s == null || !ACTIVE.equals(s.status())) {
            throw new IllegalStateException("survivor " + survivorId + " is not active ("
                    + (s == null ? "missing" : s.status()) + ")");
        }
        if (l == null || !MERGED.equals(l.status())) {
            throw new IllegalStateException("profile " + loser + " is not merged");
        }
        JsonNode ss = readJson((String) row[2]);
        JsonNode ls = readJson((String) row[3]);
        Instant now = now();

        // identities of the merged profile go back
        List<Object[]> idMoves = new ArrayList<>();
        for (JsonNode x : ls.path("identities")) {
            idMoves.add(new Object[]{loser, x.get("type").asText(), x.get("namespace").asText(), x.get("value").asText(),
                    survivorId});
        }
        db.batch("UPDATE identity SET profile_id = ? WHERE type = ? AND namespace = ? AND \"value\" = ? AND profile_id = ?",
                idMoves);
        // interactions and campaign responses moved by the merge go back
        moveBack("interaction", ls.path("movedInteractionIds"), loser, survivorId);
        moveBack("campaign_response", ls.path("movedCampaignResponseIds"), loser, survivorId);
        // attributes, consents, computed: exactly as at merge time, for both (restoreRows rewrites the attribute documents)
        for (UUID p : List.of(survivorId, loser)) {
            db.update("DELETE FROM consent WHERE profile_id = ?", p);
            db.update("DELETE FROM profile_computed WHERE profile_id = ?", p);
        }
        restoreRows(survivorId, ss);
        restoreRows(loser, ls);
        // memberships of the lists either held at merge time: exactly as then; later lists stay
        Set<Long> lists = new HashSet<>();
        ss.path("lists").forEach(x -> lists.add(x.get("listId").asLong()));
        ls.path("lists").forEach(x -> lists.add(x.get("listId").asLong()));
        if (!lists.isEmpty()) {
            List<Object> args = new ArrayList<>();
            args.add(survivorId);
            args.add(loser);
            args.addAll(lists);
            db.update("DELETE FROM list_member WHERE profile_id IN (?, ?) AND list_id IN (" + Params.marks(lists.size()) + ")",
                    args.toArray());
            List<Object[]> rows = new ArrayList<>();
            for (UUID p : List.of(survivorId, loser)) {
                for (JsonNode x : (p.equals(survivorId) ? ss : ls).path("lists")) {
                    rows.add(new Object[]{x.get("listId").asLong(), p, x.get("suppressed").asBoolean(),
                            Instant.parse(x.get("addedAt").asText()), text(x, "source")});
                }
            }
            db.batch("INSERT INTO list_member (list_id, profile_id, suppressed, added_at, source) VALUES (?, ?, ?, ?, ?)",
                    rows);
        }
        db.update("UPDATE profile SET status = 'ACTIVE', merged_into = NULL, version = version + 1, updated_at = ? WHERE id = ?",
                now, loser);
        db.update("UPDATE profile SET version = version + 1, updated_at = ? WHERE id = ?", now, survivorId);
        db.update("UPDATE merge_journal SET unmerged_at = ? WHERE id = ?", now, mergeId);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("profileId", survivorId.toString());
        p.put("restoredProfileId", loser.toString());
        p.put("mergeId", mergeId);
        writeOutbox(List.<Object[]>of(event(survivorId, EV_UNMERGED, p, now)));
        log.info("unmerged profile {} from {} (merge {})", loser, survivorId, mergeId);
        return new UnmergeResult(survivorId, loser, mergeId);
    }

    private void moveBack(String table, JsonNode ids, UUID to, UUID from) {
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            return;
        }
        List<Object> args = new ArrayList<>();
        args.add(to);
        args.add(from);
        ids.forEach(x -> args.add(x.asLong()));
        db.update("UPDATE " + table + " SET profile_id = ? WHERE profile_id = ? AND id IN (" + Params.marks(ids.size()) + ")",
                args.toArray());
    }

    private void restoreRows(UUID profile, JsonNode snap) {
        Map<String, AttributeValue> attrs = new TreeMap<>();
        snap.path("attributes").fields().forEachRemaining(e -> attrs.put(e.getKey(), new AttributeValue(
                text(e.getValue(), "value"), e.getValue().get("source").asText(),
                Instant.parse(e.getValue().get("at").asText()))));
        db.update("UPDATE profile SET attributes = ? WHERE id = ?", AttributeDocument.write(attrs), profile);
        List<Object[]> cons = new ArrayList<>();
        for (JsonNode x : snap.path("consents")) {
            cons.add(new Object[]{x.get("status").asText(), x.get("source").asText(), Instant.parse(x.get("at").asText()),
                    text(x, "evidence"), x.get("explicit").asBoolean(), Instant.parse(x.get("updatedAt").asText()),
                    profile, x.get("channel").asText()});
        }
        db.batch("INSERT INTO consent (status, source, at, evidence, explicit, updated_at, profile_id, channel)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cons);
        List<Object[]> comp = new ArrayList<>();
        snap.path("computed").fields().forEachRemaining(e -> comp.add(new Object[]{profile, e.getKey(),
                text(e.getValue(), "value"), Instant.parse(e.getValue().get("updatedAt").asText())}));
        db.batch("INSERT INTO profile_computed (profile_id, name, \"value\", updated_at) VALUES (?, ?, ?, ?)", comp);
    }

    // =========================================================================================
    // reads
    // =========================================================================================

    @Override
    public Optional<CustomerProfile> find(UUID profileId, int latestInteractions) {
        Objects.requireNonNull(profileId, "profileId");
        return tx.execute(s -> {
            Optional<UUID> live = resolveLive(profileId);
            if (live.isEmpty()) {
                return Optional.<CustomerProfile>empty();
            }
            UUID id = live.get();
            Object[] p = db.query("SELECT created_at, updated_at, attributes FROM profile WHERE id = ?",
                    (rs, n) -> new Object[]{Params.instant(rs, "created_at"), Params.instant(rs, "updated_at"),
                            rs.getString("attributes")}, id).get(0);
            List<Identity> identities = db.query("SELECT type, namespace, \"value\" FROM identity WHERE profile_id = ?"
                    + " ORDER BY type, namespace, \"value\"", (rs, n) -> identity(rs), id);
            Map<String, AttributeValue> attributes = AttributeDocument.read((String) p[2]);
            Map<Channel, Consent> consents = new EnumMap<>(Channel.class);
            db.query("SELECT channel, status, source, at, evidence, explicit FROM consent WHERE profile_id = ?",
                    (rs, n) -> {
                        Consent c = consent(rs);
                        consents.put(c.channel(), c);
                        return null;
                    }, id);
            Map<String, String> computed = new TreeMap<>();
            db.query("SELECT name, \"value\" FROM profile_computed WHERE profile_id = ?",
                    (rs, n) -> computed.put(rs.getString(1), rs.getString(2)), id);
            List<CustomerProfile.StoredInteraction> latest = latestInteractions <= 0 ? List.of()
                    : timelineOf(id, null, latestInteractions);
            List<CustomerProfile.ListMembership> lists = db.query("SELECT m.list_id, l.name, l.member_type, m.suppressed,"
                            + " m.added_at FROM list_member m JOIN marketing_list l ON l.id = m.list_id WHERE m.profile_id = ?"
                            + " ORDER BY l.name",
                    (rs, n) -> new CustomerProfile.ListMembership(rs.getLong(1), rs.getString(2),
                            MemberType.valueOf(rs.getString(3)), rs.getBoolean(4), Params.instant(rs, "added_at")), id);
            return Optional.of(new CustomerProfile(id, (Instant) p[0], (Instant) p[1], identities, attributes, consents,
                    computed, latest, lists));
        });
    }

    @Override
    public Optional<UUID> lookup(Identity identity) {
        Objects.requireNonNull(identity, "identity");
        List<UUID> r = db.query("SELECT profile_id FROM identity WHERE type = ? AND namespace = ? AND \"value\" = ?",
                (rs, n) -> Params.uuid(rs, "profile_id"), identity.type().name(), identity.namespace(), identity.value());
        return r.stream().findFirst();
    }

    @Override
    public List<CustomerProfile.StoredInteraction> timeline(UUID profileId, Instant before, int limit) {
        Objects.requireNonNull(profileId, "profileId");
        if (limit <= 0) {
            return List.of();
        }
        return tx.execute(s -> resolveLive(profileId).map(id -> timelineOf(id, before, limit)).orElse(List.of()));
    }

    private List<CustomerProfile.StoredInteraction> timelineOf(UUID id, Instant before, int limit) {
        String cols = "SELECT id, type, at, source, channel, campaign, amount, currency, summary, external_id, details"
                + " FROM interaction WHERE profile_id = ?";
        org.springframework.jdbc.core.RowMapper<CustomerProfile.StoredInteraction> m = (rs, n) ->
                new CustomerProfile.StoredInteraction(rs.getLong("id"), new Interaction(rs.getString("type"),
                        Params.instant(rs, "at"), rs.getString("source"), rs.getString("channel"), rs.getString("campaign"),
                        rs.getBigDecimal("amount"), rs.getString("currency"), rs.getString("summary"),
                        rs.getString("external_id"), rs.getString("details")));
        if (before == null) {
            return db.query(cols + " ORDER BY at DESC, id DESC LIMIT ?", m, id, limit);
        }
        return db.query(cols + " AND at < ? ORDER BY at DESC, id DESC LIMIT ?", m, id, Jdbc.micros(before), limit);
    }

    // =========================================================================================
    // interactions, consent
    // =========================================================================================

    @Override
    public boolean addInteraction(UUID profileId, Interaction interaction) {
        Objects.requireNonNull(interaction, "interaction");
        return inTx("addInteraction", () -> {
            Locked p = lockResolve(profileId);
            Instant now = now();
            Instant at = Jdbc.micros(interaction.at());
            String externalId = interaction.externalId() == null || interaction.externalId().isBlank()
                    ? null : interaction.externalId();
            long id = db.insertReturningId("INSERT INTO interaction (profile_id, type, at, source, channel, campaign,"
                            + " amount, currency, summary, external_id, details, recorded_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    p.id(), interaction.type(), at, interaction.source(), interaction.channel(), interaction.campaign(),
                    interaction.amount() == null ? Jdbc.NULL_NUMERIC : interaction.amount(), interaction.currency(),
                    interaction.summary(), externalId, interaction.details(), now);
            if (id < 0) {
                return false;
            }
            Map<String, Object> pl = new LinkedHashMap<>();
            pl.put("profileId", p.id().toString());
            pl.put("interactionId", id);
            pl.put("type", interaction.type());
            pl.put("at", at.toString());
            pl.put("source", interaction.source());
            pl.put("channel", interaction.channel());
            pl.put("campaign", interaction.campaign());
            pl.put("amount", interaction.amount() == null ? null : interaction.amount().toPlainString());
            pl.put("currency", interaction.currency());
            pl.put("externalId", externalId);
            writeOutbox(List.<Object[]>of(event(p.id(), EV_INTERACTION, pl, now)));
            return true;
        });
    }

    @Override
    public ConsentChange setConsent(UUID profileId, Consent consent) {
        Objects.requireNonNull(consent, "consent");
        Consent c = new Consent(consent.channel(), consent.status(), consent.source(), Jdbc.micros(consent.at()),
                consent.evidence(), consent.explicit());
        return inTx("setConsent", () -> {
            Locked p = lockResolve(profileId);
            Instant now = now();
            Map<Channel, Consent> current = new EnumMap<>(Channel.class);
            db.query("SELECT channel, status, source, at, evidence, explicit FROM consent WHERE profile_id = ? AND channel = ?",
                    (rs, n) -> current.put(c.channel(), consent(rs)), p.id(), c.channel().name());
            List<Object[]> events = new ArrayList<>();
            Map<Channel, Consent> changed = applyConsents(p.id(), List.of(c), current, now, events);
            if (!changed.isEmpty()) {
                db.update("UPDATE profile SET version = version + 1, updated_at = ? WHERE id = ?", now, p.id());
            }
            writeOutbox(events);
            return new ConsentChange(c.channel(), current.get(c.channel()), !changed.isEmpty());
        });
    }

    // =========================================================================================
    // erasure
    // =========================================================================================

    @Override
    public ErasureReport erase(UUID profileId, String requestedBy) {
        Objects.requireNonNull(profileId, "profileId");
        return inTx("erase", () -> doErase(profileId, requestedBy));
    }

    private ErasureReport doErase(UUID profileId, String requestedBy) {
        Instant now = now();
        List<Object[]> row = db.query("SELECT status, merged_into FROM profile WHERE id = ?",
                (rs, n) -> new Object[]{rs.getString(1), Params.uuid(rs, "merged_into")}, profileId);
        if (row.isEmpty()) {
            throw new NoSuchProfileException(profileId, false);
        }
        Locked root;
        if (ERASED.equals(row.get(0)[0])) {
            return new ErasureReport(profileId, Map.of(), 0, now);
        }
        root = lockResolve(profileId);
        // the person is the live profile and everything ever merged into it
        List<UUID> all = new ArrayList<>(List.of(root.id()));
        List<UUID> frontier = List.of(root.id());
        while (!frontier.isEmpty()) {
            List<UUID> next = db.query("SELECT id FROM profile WHERE status = 'MERGED' AND merged_into IN ("
                    + Params.marks(frontier.size()) + ")", (rs, n) -> Params.uuid(rs, "id"), frontier.toArray());
            next.removeAll(all);
            all.addAll(next);
            frontier = next;
        }
        lock(all);
        String in = " IN (" + Params.marks(all.size()) + ")";
        Object[] ids = all.toArray();

        List<Identity> identities = db.query("SELECT type, namespace, \"value\" FROM identity WHERE profile_id" + in,
                (rs, n) -> identity(rs), ids);
        Map<String, Integer> removed = new LinkedHashMap<>();
        removed.put("identity", db.update("DELETE FROM identity WHERE profile_id" + in, ids));
        int sightings = db.update("DELETE FROM identity_sighting WHERE profile_id" + in, ids);
        if (!identities.isEmpty()) {
            List<Object> args = new ArrayList<>();
            for (Identity i : identities) {
                args.add(i.value());
            }
            for (Identity i : identities) {
                args.add(i.type().name());
                args.add(i.namespace());
                args.add(i.value());
            }
            sightings += db.update("DELETE FROM identity_sighting WHERE \"value\" IN (" + Params.marks(identities.size())
                    + ") AND (type, namespace, \"value\") IN (" + Jdbc.tuples(identities.size(), 3) + ")", args.toArray());
        }
        removed.put("identity_sighting", sightings);
        int attributes = 0;
        for (String doc : db.query("SELECT attributes FROM profile WHERE attributes IS NOT NULL AND id" + in,
                (rs, n) -> rs.getString(1), ids)) {
            attributes += AttributeDocument.read(doc).size();
        }
        removed.put("attributes", attributes);   // the documents are cleared with the status below
        removed.put("consent", db.update("DELETE FROM consent WHERE profile_id" + in, ids));
        removed.put("consent_history", db.update("DELETE FROM consent_history WHERE profile_id" + in, ids));
        removed.put("interaction", db.update("DELETE FROM interaction WHERE profile_id" + in, ids));
        removed.put("list_member", db.update("DELETE FROM list_member WHERE profile_id" + in, ids));
        removed.put("campaign_response", db.update("DELETE FROM campaign_response WHERE profile_id" + in, ids));
        removed.put("profile_computed", db.update("DELETE FROM profile_computed WHERE profile_id" + in, ids));
        Object[] twice = new Object[ids.length * 2];
        System.arraycopy(ids, 0, twice, 0, ids.length);
        System.arraycopy(ids, 0, twice, ids.length, ids.length);
        removed.put("merge_journal", db.update("UPDATE merge_journal SET survivor_snapshot = NULL, merged_snapshot = NULL,"
                + " linking_identities = NULL, reason = 'erased' WHERE (survivor_id" + in + " OR merged_id" + in + ")"
                + " AND (survivor_snapshot IS NOT NULL OR merged_snapshot IS NOT NULL OR linking_identities IS NOT NULL)",
                twice));
        removed.put("quarantine", eraseFromQuarantine(identities));
        int outbox = db.update("DELETE FROM outbox WHERE sent_at IS NULL AND profile_id" + in, ids);
        outbox += db.update("UPDATE outbox SET payload = '{\"erased\":true}' WHERE sent_at IS NOT NULL AND profile_id" + in
                + " AND payload <> '{\"erased\":true}'", ids);
        removed.put("outbox", outbox);

        Set<String> hashes = new LinkedHashSet<>();
        identities.forEach(i -> hashes.add(hash(i)));
        List<Object[]> tomb = new ArrayList<>();
        hashes.forEach(h -> tomb.add(new Object[]{h, now}));
        db.batch("INSERT INTO erasure_tombstone (identity_hash, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING", tomb);

        Object[] statusArgs = new Object[ids.length + 1];
        statusArgs[0] = now;
        System.arraycopy(ids, 0, statusArgs, 1, ids.length);
        db.update("UPDATE profile SET status = 'ERASED', attributes = NULL, version = version + 1, updated_at = ? WHERE id" + in,
                statusArgs);

        Map<String, Object> p = new LinkedHashMap<>();
        p.put("profileId", root.id().toString());
        List<String> erasedIds = new ArrayList<>();
        all.forEach(u -> erasedIds.add(u.toString()));
        p.put("erasedProfileIds", erasedIds);
        p.put("erasedAt", now.toString());
        writeOutbox(List.<Object[]>of(event(root.id(), EV_ERASED, p, now)));
        log.info("erased profile {} ({} profiles, {} identity hashes kept) at the request of {}", root.id(), all.size(),
                hashes.size(), requestedBy);
        return new ErasureReport(root.id(), Map.copyOf(removed), hashes.size(), now);
    }

    private int eraseFromQuarantine(List<Identity> identities) {
        List<String> patterns = new ArrayList<>();
        for (Identity i : identities) {
            if (i.value().length() >= MIN_QUARANTINE_MATCH_LENGTH) {
                patterns.add("%" + i.value().toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%")
                        .replace("_", "\\_") + "%");
            }
        }
        if (patterns.isEmpty()) {
            return 0;
        }
        StringBuilder sql = new StringBuilder("DELETE FROM quarantine WHERE ");
        for (int i = 0; i < patterns.size(); i++) {
            sql.append(i == 0 ? "" : " OR ").append("LOWER(payload) LIKE ? ESCAPE '\\'");
        }
        return db.update(sql.toString(), patterns.toArray());
    }

    // =========================================================================================
    // quarantine
    // =========================================================================================

    @Override
    public long quarantine(QuarantineEntry e) {
        return quarantine(e, null);
    }

    @Override
    public long quarantine(QuarantineEntry e, String key) {
        Objects.requireNonNull(e, "entry");
        String fingerprint = Hashes.sha256Hex((e.routeId() == null ? "" : e.routeId()) + '\u0000'
                + (e.endpointUri() == null ? "" : e.endpointUri()) + '\u0000'
                + (key != null ? "key\u0000" + key : e.payload() == null ? "" : e.payload()));
        String headers = e.headers() == null ? null : toJson(new TreeMap<>(e.headers()));
        int attempts = Math.max(1, e.attempts());
        return inTx("quarantine", () -> {
            Instant now = now();
            Instant first = e.firstSeen() == null ? now : Jdbc.micros(e.firstSeen());
            Instant last = e.lastSeen() == null ? now : Jdbc.micros(e.lastSeen());
            long id = db.insertReturningId("INSERT INTO quarantine (route_id, source, endpoint_uri, payload, headers, error,"
                            + " attempts, first_seen, last_seen, status, fingerprint, open_fingerprint)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'OPEN', ?, ?) ON CONFLICT DO NOTHING",
                    e.routeId(), e.source(), e.endpointUri(), e.payload(), headers, e.error(), attempts, first, last,
                    fingerprint, fingerprint);
            if (id >= 0) {
                return id;
            }
            db.update("UPDATE quarantine SET attempts = attempts + ?, last_seen = ?, error = ?, headers = ?"
                    + " WHERE open_fingerprint = ?", attempts, last, e.error(), headers, fingerprint);
            List<Long> found = db.query("SELECT id FROM quarantine WHERE open_fingerprint = ?", (rs, n) -> rs.getLong(1),
                    fingerprint);
            if (found.isEmpty()) {
                throw new ConcurrentChangeException("quarantine row changed concurrently");
            }
            return found.get(0);
        });
    }

    private QuarantineEntry quarantineRow(ResultSet rs) throws SQLException {
        String h = rs.getString("headers");
        Map<String, String> headers = h == null ? Map.of() : fromJson(h, new TypeReference<Map<String, String>>() {
        });
        return new QuarantineEntry(rs.getLong("id"), rs.getString("route_id"), rs.getString("source"),
                rs.getString("endpoint_uri"), rs.getString("payload"), headers, rs.getString("error"),
                rs.getInt("attempts"), Params.instant(rs, "first_seen"), Params.instant(rs, "last_seen"),
                rs.getString("status"));
    }

    private static final String QUARANTINE_COLS = "SELECT id, route_id, source, endpoint_uri, payload, headers, error,"
            + " attempts, first_seen, last_seen, status FROM quarantine";

    @Override
    public List<QuarantineEntry> quarantined(String status, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        if (status == null || status.isBlank()) {
            return db.query(QUARANTINE_COLS + " ORDER BY id DESC LIMIT ?", (rs, n) -> quarantineRow(rs), limit);
        }
        // newest first (the contract): the entries an operator is looking for are the latest
        return db.query(QUARANTINE_COLS + " WHERE status = ? ORDER BY id DESC LIMIT ?", (rs, n) -> quarantineRow(rs),
                checkStatus(status), limit);
    }

    @Override
    public Optional<QuarantineEntry> quarantined(long id) {
        return db.query(QUARANTINE_COLS + " WHERE id = ?", (rs, n) -> quarantineRow(rs), id).stream().findFirst();
    }

    @Override
    public void markQuarantine(long id, String status) {
        String st = checkStatus(status);
        inTx("markQuarantine", () -> {
            int n;
            if ("OPEN".equals(st)) {
                // re-opening keeps de-duplication only when no other open row has the same fingerprint
                n = db.update("UPDATE quarantine SET status = 'OPEN', open_fingerprint = fingerprint WHERE id = ?"
                        + " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.open_fingerprint = quarantine.fingerprint"
                        + " AND q.id <> quarantine.id)", id);
                if (n == 0) {
                    n = db.update("UPDATE quarantine SET status = 'OPEN' WHERE id = ?", id);
                }
            } else {
                n = db.update("UPDATE quarantine SET status = ?, open_fingerprint = NULL WHERE id = ?", st, id);
            }
            if (n == 0) {
                throw new IllegalArgumentException("no quarantine entry " + id);
            }
            return null;
        });
    }

    private static String checkStatus(String status) {
        String st = status == null ? "" : status.trim().toUpperCase(Locale.ROOT);
        if (!QUARANTINE_STATUSES.contains(st)) {
            throw new IllegalArgumentException("quarantine status must be OPEN, REPLAYED or DISCARDED, got '" + status + "'");
        }
        return st;
    }

    // =========================================================================================
    // outbox
    // =========================================================================================

    private Object[] event(UUID profile, String type, Map<String, Object> payload, Instant now) {
        return new Object[]{profile == null ? Jdbc.NULL_UUID : profile, type, toJson(payload), now};
    }

    /** Inside {@link #upsertAll(List, List)}: the events go to the caller instead of the outbox (true). */
    private boolean handedToCaller(List<Object[]> events) {
        List<Object[]> deferred = deferredEvents.get();
        if (deferred == null) {
            return false;
        }
        deferred.addAll(events);
        return true;
    }

    private void writeOutbox(List<Object[]> events) {
        if (handedToCaller(events)) {
            return;
        }
        db.batch("INSERT INTO outbox (profile_id, event_type, payload, created_at) VALUES (?, ?, ?, ?)", events);
    }

    @Override
    public List<OutboxEvent> pendingOutbox(int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<OutboxEvent> events = new ArrayList<>();
        for (List<OutboxEvent> row : db.query("SELECT id, profile_id, event_type, payload, created_at FROM outbox"
                        + " WHERE sent_at IS NULL ORDER BY id LIMIT ?", (rs, n) -> OutboxRows.expand(rs.getLong("id"),
                        Params.uuid(rs, "profile_id"), rs.getString("event_type"), rs.getString("payload"),
                        Params.instant(rs, "created_at")), limit)) {
            events.addAll(row);
        }
        return events;
    }

    @Override
    public void markSent(List<Long> outboxIds) {
        if (outboxIds == null || outboxIds.isEmpty()) {
            return;
        }
        Instant now = now();
        for (int from = 0; from < outboxIds.size(); from += 1000) {
            List<Long> chunk = outboxIds.subList(from, Math.min(outboxIds.size(), from + 1000));
            List<Object> args = new ArrayList<>();
            args.add(now);
            args.addAll(chunk);
            db.update("UPDATE outbox SET sent_at = ? WHERE sent_at IS NULL AND id IN (" + Params.marks(chunk.size()) + ")",
                    args.toArray());
        }
    }

    @Override
    public int purgeSentOutbox(Instant sentBefore, int limit) {
        Objects.requireNonNull(sentBefore, "sentBefore");
        if (limit <= 0) {
            return 0;
        }
        // by the (sent_at, id) index: a range of sent rows, never the unsent ones (sent_at NULL)
        return db.update("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at < ?"
                + " ORDER BY sent_at, id FETCH FIRST ? ROWS ONLY)", sentBefore, limit);
    }

    // =========================================================================================
    // leases
    // =========================================================================================

    @Override
    public boolean acquireLease(String name, String owner, Duration ttl) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive");
        }
        return inTx("acquireLease", () -> {
            Instant now = now();
            Instant expires = now.plus(ttl);
            if (db.update("INSERT INTO hub_lease (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    name, owner, expires) == 1) {
                return true;
            }
            return db.update("UPDATE hub_lease SET owner = ?, expires_at = ? WHERE name = ? AND (owner = ? OR expires_at < ?)",
                    owner, expires, name, owner, now) == 1;
        });
    }

    @Override
    public void releaseLease(String name, String owner) {
        db.update("DELETE FROM hub_lease WHERE name = ? AND owner = ?", name, owner);
    }

    // =========================================================================================
    // lists, campaigns, computed
    // =========================================================================================

    @Override
    public MarketingList createList(String name, MemberType memberType) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("list name must not be blank");
        }
        Objects.requireNonNull(memberType, "memberType");
        String n = name.trim();
        return inTx("createList", () -> {
            db.update("INSERT INTO marketing_list (name, member_type, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    n, memberType.name(), now());
            MarketingList l = findListIn(n).orElseThrow(() -> new ConcurrentChangeException("list vanished: " + n));
            if (l.memberType() != memberType) {
                throw new IllegalArgumentException("list '" + n + "' exists with member type " + l.memberType()
                        + ", not " + memberType);
            }
            return l;
        });
    }

    @Override
    public Optional<MarketingList> findList(String name) {
        return name == null ? Optional.empty() : findListIn(name.trim());
    }

    private Optional<MarketingList> findListIn(String name) {
        return db.query("SELECT id, name, member_type, created_at FROM marketing_list WHERE name = ?",
                (rs, n) -> new MarketingList(rs.getLong("id"), rs.getString("name"),
                        MemberType.valueOf(rs.getString("member_type")), Params.instant(rs, "created_at")), name)
                .stream().findFirst();
    }

    @Override
    public boolean addListMember(long listId, UUID profileId, boolean suppressed, String source) {
        return inTx("addListMember", () -> {
            Locked p = lockResolve(profileId);
            Instant now = now();
            int n = db.update("INSERT INTO list_member (list_id, profile_id, suppressed, added_at, source)"
                    + " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", listId, p.id(), suppressed, now, source);
            Map<String, Object> pl = new LinkedHashMap<>();
            pl.put("profileId", p.id().toString());
            pl.put("listId", listId);
            pl.put("suppressed", suppressed);
            pl.put("source", source);
            if (n == 1) {
                writeOutbox(List.<Object[]>of(event(p.id(), EV_LIST_MEMBER, pl, now)));
                return true;
            }
            if (suppressed && db.update("UPDATE list_member SET suppressed = TRUE WHERE list_id = ? AND profile_id = ?"
                    + " AND suppressed = FALSE", listId, p.id()) == 1) {
                writeOutbox(List.<Object[]>of(event(p.id(), EV_LIST_SUPPRESSED, pl, now)));
            }
            return false;
        });
    }

    @Override
    public Campaign campaign(String code, String name, String channel) {
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("campaign code must not be blank");
        }
        String c = code.trim();
        return inTx("campaign", () -> {
            db.update("INSERT INTO campaign (code, name, channel, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    c, name, channel, now());
            return db.query("SELECT id, code, name, channel FROM campaign WHERE code = ?", (rs, n) ->
                            new Campaign(rs.getLong("id"), rs.getString("code"), rs.getString("name"), rs.getString("channel")), c)
                    .stream().findFirst().orElseThrow(() -> new ConcurrentChangeException("campaign vanished: " + c));
        });
    }

    @Override
    public boolean addCampaignResponse(long campaignId, UUID profileId, String type, Instant at, String source) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(at, "at");
        Instant when = Jdbc.micros(at);
        return inTx("addCampaignResponse", () -> {
            Locked p = lockResolve(profileId);
            Instant now = now();
            int n = db.update("INSERT INTO campaign_response (campaign_id, profile_id, type, at, source)"
                    + " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", campaignId, p.id(), type, when, source);
            if (n == 0) {
                return false;
            }
            Map<String, Object> pl = new LinkedHashMap<>();
            pl.put("profileId", p.id().toString());
            pl.put("campaignId", campaignId);
            pl.put("type", type);
            pl.put("at", when.toString());
            pl.put("source", source);
            writeOutbox(List.<Object[]>of(event(p.id(), EV_CAMPAIGN_RESPONSE, pl, now)));
            return true;
        });
    }

    @Override
    public boolean putComputed(UUID profileId, Map<String, String> values) {
        if (values == null || values.isEmpty()) {
            return false;
        }
        return inTx("putComputed", () -> {
            Locked p = lockResolve(profileId);
            Instant now = now();
            Map<String, String> current = new HashMap<>();
            db.query("SELECT name, \"value\" FROM profile_computed WHERE profile_id = ?",
                    (rs, n) -> current.put(rs.getString(1), rs.getString(2)), p.id());
            ComputedWrites w = new ComputedWrites(now);
            if (!w.add(p.id(), current, values)) {
                return false;
            }
            w.write();
            writeOutbox(w.events);
            return true;
        });
    }

    /**
     * {@inheritDoc}
     * <p>The profiles are locked in id order in one statement, their stored fields read in one, and the
     * inserts, updates, deletes and outbox rows written in one batch each.
     */
    @Override
    public Set<UUID> putComputedAll(Map<UUID, Map<String, String>> values) {
        if (values == null || values.isEmpty()) {
            return Set.of();
        }
        return inTx("putComputedAll", () -> {
            List<UUID> ids = new ArrayList<>(new TreeSet<>(values.keySet()));
            List<UUID> live = byIds("SELECT id FROM profile WHERE status = 'ACTIVE' AND id", " ORDER BY id FOR UPDATE", ids,
                    (rs, n) -> Params.uuid(rs, "id"));
            Map<UUID, Map<String, String>> current = new HashMap<>();
            byIds("SELECT profile_id, name, \"value\" FROM profile_computed WHERE profile_id", "", live, (rs, n) ->
                    current.computeIfAbsent(Params.uuid(rs, "profile_id"), k -> new HashMap<>())
                            .put(rs.getString("name"), rs.getString("value")));
            ComputedWrites w = new ComputedWrites(now());
            Set<UUID> changed = new LinkedHashSet<>();
            for (UUID id : live) {
                Map<String, String> wanted = values.get(id);
                if (wanted != null && w.add(id, current.getOrDefault(id, Map.of()), wanted)) {
                    changed.add(id);
                }
            }
            w.write();
            if (postgres()) {
                writeOutboxSet(w.events);
            } else {
                writeOutbox(w.events);
            }
            return changed;
        });
    }

    /** Rows of {@code sql + " = ANY (array)" + tail} (PostgreSQL) or {@code sql + " IN (...)" + tail} per 1,000 ids. */
    private <T> List<T> byIds(String sql, String tail, List<UUID> ids, RowMapper<T> mapper) {
        if (ids.isEmpty()) {
            return List.of();
        }
        if (postgres()) {
            return db.query(sql + " = ANY (?::uuid[])" + tail, mapper, (Object) texts(ids));
        }
        List<T> out = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += 1000) {
            List<UUID> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
            out.addAll(db.query(sql + " IN (" + Params.marks(chunk.size()) + ")" + tail, mapper, chunk.toArray()));
        }
        return out;
    }

    /** The writes that set computed fields of profiles, and their {@code profile.computed} events. */
    private final class ComputedWrites {
        final Instant now;
        final List<Object[]> inserts = new ArrayList<>();
        final List<Object[]> updates = new ArrayList<>();
        final List<Object[]> deletes = new ArrayList<>();
        final List<Object[]> events = new ArrayList<>();

        ComputedWrites(Instant now) {
            this.now = now;
        }

        /** Adds what turns the profile's {@code current} fields into {@code values} (null removes); false when nothing. */
        boolean add(UUID id, Map<String, String> current, Map<String, String> values) {
            Map<String, String> changed = new TreeMap<>();
            values.forEach((k, v) -> {
                if (k == null || k.isBlank()) {
                    return;
                }
                if (v == null) {
                    if (current.containsKey(k)) {
                        deletes.add(new Object[]{id, k});
                        changed.put(k, null);
                    }
                } else if (!current.containsKey(k)) {
                    inserts.add(new Object[]{id, k, v, now});
                    changed.put(k, v);
                } else if (!Objects.equals(current.get(k), v)) {
                    updates.add(new Object[]{v, now, id, k});
                    changed.put(k, v);
                }
            });
            if (changed.isEmpty()) {
                return false;
            }
            Map<String, Object> pl = new LinkedHashMap<>();
            pl.put("profileId", id.toString());
            pl.put("computed", changed);
            events.add(event(id, EV_COMPUTED, pl, now));
            return true;
        }

        void write() {
            db.batch("INSERT INTO profile_computed (profile_id, name, \"value\", updated_at) VALUES (?, ?, ?, ?)", inserts);
            db.batch("UPDATE profile_computed SET \"value\" = ?, updated_at = ? WHERE profile_id = ? AND name = ?", updates);
            db.batch("DELETE FROM profile_computed WHERE profile_id = ? AND name = ?", deletes);
        }
    }

    // =========================================================================================
    // helpers
    // =========================================================================================

    private static Identity identity(ResultSet rs) throws SQLException {
        return new Identity(IdentityType.valueOf(rs.getString("type")), rs.getString("namespace"), rs.getString("value"));
    }

    private static Consent consent(ResultSet rs) throws SQLException {
        return new Consent(Channel.valueOf(rs.getString("channel")), ConsentStatus.valueOf(rs.getString("status")),
                rs.getString("source"), Params.instant(rs, "at"), rs.getString("evidence"), rs.getBoolean("explicit"));
    }

    private static List<String> keys(List<Identity> ids) {
        List<String> k = new ArrayList<>(ids.size());
        ids.forEach(i -> k.add(i.key()));
        return k;
    }

    private static String types(List<String> keys) {
        Set<String> types = new java.util.TreeSet<>();
        for (String k : keys) {
            types.add(k.substring(0, k.indexOf(':')));
        }
        return types.isEmpty() ? "(earlier merges)" : String.join("+", types);
    }

    private static Map<String, String> statuses(Map<Channel, Consent> consents) {
        Map<String, String> m = new TreeMap<>();
        consents.forEach((ch, c) -> m.put(ch.name(), c.status().name()));
        return m;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** SHA-256 hex of {@code TYPE|namespace|value}: the erasure tombstone key. */
    public static String hash(Identity i) {
        return Hashes.sha256Hex(i.type().name() + '|' + i.namespace() + '|' + i.value());
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private JsonNode readJson(String s) {
        try {
            return json.readTree(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read JSON", e);
        }
    }

    private <T> T fromJson(String s, TypeReference<T> type) {
        try {
            return json.readValue(s, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read JSON", e);
        }
    }
}
