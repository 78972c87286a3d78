package io.crmhub.connectors.membership;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.ErasedIdentityException;
import io.crmhub.mappings.membership.MemberMapper;
import io.crmhub.mappings.membership.MemberRow;
import io.crmhub.mappings.membership.MembershipStatus;
import io.crmhub.mappings.model.Hashes;
import io.crmhub.mappings.model.InteractionType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.FieldError;
import io.crmhub.mappings.normalise.NormalisedRecord;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.normalise.ValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Syncs one membership source into the CRM core store.
 * <ul>
 *   <li>{@link #poll()}: a keyset pass from the stored watermark (minus the look-back) to the end:
 *       the first one is the initial full sync, streamed in pages; later ones are incremental. Each
 *       page is one CRM transaction: {@code CrmStore.upsertAll} of the changed members, their
 *       membership interactions (tier / status changes) and their sync state. Pages are applied by
 *       {@code writers} threads; the watermark advances, in a statement of its own, to the last
 *       row of the longest run of committed pages, so a restart continues where it stopped and a
 *       re-read page is skipped member by member (fingerprints).</li>
 *   <li>{@link #reconcile()}: walks the members the hub holds, re-reads them from the source by id:
 *       those gone are marked DELETED (profile attribute, timeline), those that differ are applied
 *       (changes no watermark sees, e.g. role changes in aspnet_UsersInRoles).</li>
 *   <li>{@link #replay(String)}: re-reads one member and applies it (quarantine replay).</li>
 * </ul>
 * Only the holder of the lease {@code membership:<source>} works on a source; a pass renews it
 * after every page and stops when it lost it. Bad rows (undecodable profile bag, no usable
 * identity, a value that is not what the mapping says) go to the quarantine with the reason and
 * are not retried until they change or are replayed.
 */
public final class MembershipSync implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MembershipSync.class);

    public static final String ROUTE_ID = "membership-sync";
    public static final String HEADER_SOURCE = "membershipSource";
    public static final String HEADER_MEMBER = "memberId";

    /** Tuning and behaviour. */
    public record Options(String owner, Duration leaseTtl, int writers, boolean joinedOnInitialSync, double maxDeleteFraction,
                          String replayUri, int upsertChunk) {
        public Options {
            Objects.requireNonNull(owner, "owner");
            upsertChunk = upsertChunk <= 0 ? 1000 : upsertChunk;
            leaseTtl = leaseTtl == null ? Duration.ofSeconds(60) : leaseTtl;
            writers = Math.max(1, writers);
            maxDeleteFraction = maxDeleteFraction <= 0 ? 0.5 : maxDeleteFraction;
            replayUri = replayUri == null ? "direct:membership-replay" : replayUri;
        }

        public static Options defaults(String owner) {
            return new Options(owner, Duration.ofSeconds(60), 2, false, 0.5, null, 1000);
        }
    }

    /** What one pass did. */
    public record Report(String source, String kind, Instant startedAt, long millis, long read, long changed,
                         long unchanged, long quarantined, long erased, long deleted, long interactions,
                         long fieldProblems, boolean ran, String note, MemberReader.Key watermark,
                         Map<String, Long> timings) {
        public double perSecond() {
            return millis <= 0 ? read : read * 1000.0 / millis;
        }
    }

    private final SourceSpec spec;
    private final MemberReader reader;
    private final MemberMapper mapper;
    private final RecordNormaliser normaliser;
    private final CrmStore crm;
    private final MembershipStore store;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final Options options;
    private final String lease;
    private final ReentrantLock running = new ReentrantLock();
    private final ExecutorService writers;
    private final AtomicReference<Report> lastPass = new AtomicReference<>();
    private final AtomicReference<Report> lastReconcile = new AtomicReference<>();
    private volatile Counters progress;
    private volatile String lastError;
    /** Whether the pass running now is (part of) the initial full sync. */
    private volatile boolean initialSync;

    public MembershipSync(SourceSpec spec, MemberReader reader, MemberMapper mapper, RecordNormaliser normaliser,
                          CrmStore crm, MembershipStore store, DataSource coreDataSource, ObjectMapper json, Options options) {
        this.spec = spec;
        this.reader = reader;
        this.mapper = mapper;
        this.normaliser = normaliser;
        this.crm = crm;
        this.store = store;
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(coreDataSource));
        this.json = json == null ? new ObjectMapper() : json;
        this.options = options;
        this.lease = "membership:" + spec.name();
        AtomicInteger n = new AtomicInteger();
        this.writers = Executors.newFixedThreadPool(options.writers(), r -> {
            Thread t = new Thread(r, "membership-" + spec.name() + "-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public String name() {
        return spec.name();
    }

    public SourceSpec spec() {
        return spec;
    }

    public Report lastPass() {
        return lastPass.get();
    }

    public Report lastReconcile() {
        return lastReconcile.get();
    }

    /** Counters of the pass running now (null when none). */
    public Map<String, Long> running() {
        Counters c = progress;
        return c == null ? null : c.asMap();
    }

    @Override
    public void close() {
        writers.shutdownNow();
    }

    // =============================================================================================
    // pass
    // =============================================================================================

    /** One pass from the watermark to the end of the source. */
    public Report poll() {
        Instant started = Instant.now();
        if (!running.tryLock()) {
            return skipped("pass", started, "another pass or reconciliation of this source is running");
        }
        try {
            if (!crm.acquireLease(lease, options.owner(), options.leaseTtl())) {
                return skipped("pass", started, "another hub instance holds the lease " + lease);
            }
            Counters c = new Counters();
            progress = c;
            MembershipStore.SourceState st = store.sourceState(spec.name()).orElse(null);
            boolean full = st == null || st.fullSyncDoneAt() == null;
            initialSync = full;
            MemberReader.Key start = startKey(st);
            MemberReader.Key mark = st == null || (st.watermarkAt() == null && st.watermarkId() == null) ? null
                    : new MemberReader.Key(st.watermarkAt(), st.watermarkId());
            String error = null;
            // a first sync into a CRM that holds no member of this source yet: the pages need not read
            // the members' states first (there are none); a member read twice in the pass meets its own
            // state through the key, and its page is retried the ordinary way
            boolean blank = full && !store.hasMembers(spec.name());
            try {
                mark = runPass(start, mark, c, blank);
            } catch (RuntimeException e) {
                error = describe(e);
                if (error.equals(lastError)) {
                    log.debug("membership source {}: pass failed again: {}", spec.name(), error);
                } else {
                    log.warn("membership source {}: pass failed: {}", spec.name(), error);
                }
            }
            lastError = error;
            if (!spec.hasWatermark() && error == null) {
                // id-only sources: every pass is a whole pass; the next starts from the beginning
                store.saveWatermark(spec.name(), null);
                mark = null;
            }
            store.passFinished(spec.name(), full || !spec.hasWatermark(), error);
            Report r = c.report(spec.name(), "pass", started, true, error, mark);
            lastPass.set(r);
            if (r.changed() > 0 || r.quarantined() > 0 || error != null) {
                log.info("membership source {}: pass read {} changed {} quarantined {} in {} ms ({}/s){}", spec.name(),
                        r.read(), r.changed(), r.quarantined(), r.millis(), Math.round(r.perSecond()),
                        error == null ? "" : " — " + error);
            }
            return r;
        } finally {
            progress = null;
            initialSync = false;
            running.unlock();
        }
    }

    private MemberReader.Key startKey(MembershipStore.SourceState st) {
        if (st == null) {
            return null;
        }
        if (spec.hasWatermark()) {
            if (st.watermarkAt() == null) {
                return null;
            }
            return spec.lookback().isZero() ? new MemberReader.Key(st.watermarkAt(), st.watermarkId())
                    : new MemberReader.Key(st.watermarkAt().minus(spec.lookback()), null);
        }
        return st.watermarkId() == null ? null : new MemberReader.Key(null, st.watermarkId());
    }

    private record InFlight(Future<Counters> result, MemberReader.Key last) {
    }

    private MemberReader.Key runPass(MemberReader.Key start, MemberReader.Key mark, Counters total, boolean blank) {
        Deque<InFlight> inflight = new ArrayDeque<>();
        MemberReader.Key key = start;
        MemberReader.Key best = mark;
        RuntimeException failure = null;
        try {
            while (true) {
                MemberReader.Page page = reader.page(key, spec.batchSize());
                if (page.rows().isEmpty()) {
                    break;
                }
                if (key != null && page.last().equals(key)) {
                    throw new MembershipSourceException("membership source " + spec.name()
                            + ": paging made no progress at " + key + " (watermark column precision?)", null);
                }
                List<MemberRow> rows = page.rows();
                total.read.addAndGet(rows.size());
                inflight.add(new InFlight(writers.submit(() -> apply(rows, false, false, blank)), page.last()));
                key = page.last();
                // pages queue up to as many again as there are writers: a writer whose page was not the
                // oldest finds the next one waiting instead of idling until the oldest is done
                while (inflight.size() > 2 * options.writers()) {
                    best = complete(inflight.poll(), best, total);
                }
                if (rows.size() < spec.batchSize()) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        // drain in order: the watermark moves only over pages whose predecessors all committed
        boolean advancing = true;
        while (!inflight.isEmpty()) {
            InFlight f = inflight.poll();
            if (!advancing) {
                try {
                    f.result().get();
                } catch (Exception ignored) {
                    // a page before it failed: this one is read again next time (and skipped if it committed)
                }
                continue;
            }
            try {
                best = complete(f, best, total);
            } catch (RuntimeException e) {
                advancing = false;
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return best;
    }

    private MemberReader.Key complete(InFlight f, MemberReader.Key best, Counters total) {
        Counters c;
        try {
            c = f.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
        total.add(c);
        MemberReader.Key next = max(best, f.last());
        if (!next.equals(best)) {
            store.saveWatermark(spec.name(), next);
        }
        if (!crm.acquireLease(lease, options.owner(), options.leaseTtl())) {
            throw new IllegalStateException("lost the lease " + lease + " to another instance; stopping this pass");
        }
        return next;
    }

    private MemberReader.Key max(MemberReader.Key a, MemberReader.Key b) {
        if (a == null) {
            return b;
        }
        if (spec.hasWatermark()) {
            if (a.at() == null) {
                return b;
            }
            int c = a.at().compareTo(b.at());
            return c > 0 ? a : b; // same instant: the later page's key (database order of ids)
        }
        return b; // id-only: pages come in database id order
    }

    // =============================================================================================
    // reconciliation
    // =============================================================================================

    /**
     * Re-reads every member the hub holds from the source by id: members that are gone are marked
     * DELETED; members that differ from what was applied are applied. Refuses to mark more than
     * {@code maxDeleteFraction} of the members deleted at once (a wrong application name or an
     * emptied table is more likely than that many real deletions) and reports that instead.
     */
    public Report reconcile() {
        Instant started = Instant.now();
        if (!running.tryLock()) {
            return skipped("reconcile", started, "another pass or reconciliation of this source is running");
        }
        try {
            if (!crm.acquireLease(lease, options.owner(), options.leaseTtl())) {
                return skipped("reconcile", started, "another hub instance holds the lease " + lease);
            }
            Counters c = new Counters();
            progress = c;
            String error = null;
            try {
                // members whose profile was erased (GDPR) since they were synced: drop their state
                c.erased += store.forgetErased(spec.name());
                List<String> missing = new ArrayList<>();
                long held = 0;
                String after = null;
                while (true) {
                    List<String> ids = store.presentMemberIds(spec.name(), after, spec.batchSize());
                    if (ids.isEmpty()) {
                        break;
                    }
                    held += ids.size();
                    after = ids.get(ids.size() - 1);
                    List<MemberRow> rows = reader.byIds(ids);
                    Set<String> found = new HashSet<>(rows.size() * 2);
                    for (MemberRow r : rows) {
                        found.add(r.memberId());
                    }
                    for (String id : ids) {
                        if (!found.contains(id)) {
                            missing.add(id);
                        }
                    }
                    c.read.addAndGet(rows.size());
                    c.add(apply(rows, false, false));
                    if (!crm.acquireLease(lease, options.owner(), options.leaseTtl())) {
                        throw new IllegalStateException("lost the lease " + lease + " to another instance");
                    }
                }
                if (missing.size() > 10 && missing.size() > options.maxDeleteFraction() * held) {
                    error = "refused to mark " + missing.size() + " of " + held + " members deleted (more than "
                            + Math.round(options.maxDeleteFraction() * 100) + "%): check the source's connection,"
                            + " application name and query";
                    log.error("membership source {}: {}", spec.name(), error);
                } else {
                    for (int from = 0; from < missing.size(); from += spec.batchSize()) {
                        c.add(applyDeletions(missing.subList(from, Math.min(missing.size(), from + spec.batchSize()))));
                    }
                }
            } catch (RuntimeException e) {
                error = describe(e);
                log.warn("membership source {}: reconciliation failed: {}", spec.name(), error);
            }
            store.reconcileFinished(spec.name(), error);
            Report r = c.report(spec.name(), "reconcile", started, true, error, null);
            lastReconcile.set(r);
            log.info("membership source {}: reconciliation read {} changed {} deleted {} in {} ms{}", spec.name(), r.read(),
                    r.changed(), r.deleted(), r.millis(), error == null ? "" : " — " + error);
            return r;
        } finally {
            progress = null;
            running.unlock();
        }
    }

    // =============================================================================================
    // replay
    // =============================================================================================

    /**
     * Reads the member again from the source and applies it whatever its fingerprint; a member
     * gone from the source is marked deleted.
     *
     * @throws IllegalArgumentException when the member still cannot be mapped or upserted (the
     *                                  caller's error handling quarantines it again)
     */
    public Report replay(String memberId) {
        Instant started = Instant.now();
        running.lock();
        try {
            Counters c = new Counters();
            List<MemberRow> rows = reader.byIds(List.of(memberId));
            if (rows.isEmpty()) {
                c.add(applyDeletions(List.of(memberId)));
            } else {
                c.read.addAndGet(rows.size());
                c.add(apply(rows, true, true));
            }
            return c.report(spec.name(), "replay", started, true, null, null);
        } finally {
            running.unlock();
        }
    }

    /** Forgets the watermark: the next pass reads the whole source again (unchanged members are skipped). */
    public void resetWatermark() {
        running.lock();
        try {
            store.saveWatermark(spec.name(), null);
        } finally {
            running.unlock();
        }
    }

    // =============================================================================================
    // applying a page
    // =============================================================================================

    private static final class Counters {
        final AtomicInteger read = new AtomicInteger();
        long changed;
        long unchanged;
        long quarantined;
        long erased;
        long deleted;
        long interactions;
        long fieldProblems;
        long prepareNanos;
        long upsertNanos;
        long recordNanos;
        final long startNanos = System.nanoTime();

        synchronized void add(Counters o) {
            prepareNanos += o.prepareNanos;
            upsertNanos += o.upsertNanos;
            recordNanos += o.recordNanos;
            changed += o.changed;
            unchanged += o.unchanged;
            quarantined += o.quarantined;
            erased += o.erased;
            deleted += o.deleted;
            interactions += o.interactions;
            fieldProblems += o.fieldProblems;
        }

        synchronized Report report(String source, String kind, Instant started, boolean ran, String note, MemberReader.Key wm) {
            Map<String, Long> t = new LinkedHashMap<>();
            t.put("prepareMillis", prepareNanos / 1_000_000);
            t.put("upsertMillis", upsertNanos / 1_000_000);
            t.put("recordMillis", recordNanos / 1_000_000);
            return new Report(source, kind, started, (System.nanoTime() - startNanos) / 1_000_000, read.get(), changed,
                    unchanged, quarantined, erased, deleted, interactions, fieldProblems, ran, note, wm, t);
        }

        synchronized Map<String, Long> asMap() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("read", (long) read.get());
            m.put("changed", changed);
            m.put("unchanged", unchanged);
            m.put("quarantined", quarantined);
            m.put("deleted", deleted);
            m.put("millis", (System.nanoTime() - startNanos) / 1_000_000);
            m.put("prepareMillis", prepareNanos / 1_000_000);
            m.put("upsertMillis", upsertNanos / 1_000_000);
            m.put("recordMillis", recordNanos / 1_000_000);
            return m;
        }
    }

    private Report skipped(String kind, Instant started, String note) {
        return new Report(spec.name(), kind, started, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, note, null, Map.of());
    }

    /** One row, prepared outside the transaction. */
    private static final class Item {
        final MemberRow row;
        MemberMapper.Mapped mapped;
        ProfileRecord record;       // normalised
        String fingerprint;
        String problems;
        String error;               // bad row: the reason

        Item(MemberRow row) {
            this.row = row;
        }
    }

    /** Attempts of a page's transaction joined with upsertAll before upsertAll runs in its own. */
    static final int JOINED_ATTEMPTS = 3;

    /**
     * Applies one page: maps and normalises the rows that changed since they were last applied,
     * then in one transaction upserts them, records their tier/status interactions and their state.
     */
    Counters apply(List<MemberRow> rows, boolean force, boolean throwOnBad) {
        return apply(rows, force, throwOnBad, false);
    }

    /** {@code blank}: the hub holds no member of the source (first sync): no state is read before the transaction. */
    private Counters apply(List<MemberRow> rows, boolean force, boolean throwOnBad, boolean blank) {
        Counters c = new Counters();
        long t0 = System.nanoTime();
        // map; skip what is unchanged (read outside the transaction: a cheap pre-filter)
        List<Item> items = new ArrayList<>(rows.size());
        List<String> ids = new ArrayList<>(rows.size());
        // attributes are observed when read: a change no source timestamp shows (a role granted,
        // found by reconciliation) must still win survivorship over what was read before
        Instant readAt = Instant.now();
        for (MemberRow r : rows) {
            Item it = new Item(r);
            try {
                MemberMapper.Mapped m = mapper.map(r);
                ProfileRecord rec = m.record();
                it.mapped = new MemberMapper.Mapped(m.memberId(), new ProfileRecord(rec.source(), readAt, rec.identities(),
                        rec.attributes(), rec.consents()), m.tier(), m.status(), m.fingerprint());
                it.fingerprint = it.mapped.fingerprint();
            } catch (RuntimeException e) {
                it.error = "member " + r.memberId() + " of " + spec.name() + " cannot be mapped: " + e.getMessage();
                it.fingerprint = "raw:" + rawFingerprint(r);
            }
            items.add(it);
            ids.add(r.memberId());
        }
        long tm = System.nanoTime();
        Map<String, MembershipStore.MemberState> before = blank ? Map.of() : store.states(spec.name(), ids);
        long ts = System.nanoTime();
        List<Item> todo = new ArrayList<>(items.size());
        for (Item it : items) {
            MembershipStore.MemberState s = before.get(it.row.memberId());
            if (!force && s != null && it.fingerprint.equals(s.fingerprint()) && !MembershipStore.DELETED.equals(s.syncState())) {
                c.unchanged++;
                continue;
            }
            if (it.error == null) {
                try {
                    NormalisedRecord n = normaliser.normalise(it.mapped.record(), false);
                    it.record = n.record();
                    if (n.hasErrors()) {
                        it.problems = problems(n.errors());
                    }
                } catch (ValidationException e) {
                    it.error = "member " + it.row.memberId() + " of " + spec.name() + " has no usable identity: "
                            + problems(e.errors());
                }
            }
            if (it.error != null && throwOnBad) {
                throw new IllegalArgumentException(it.error);
            }
            todo.add(it);
        }
        c.prepareNanos += System.nanoTime() - t0;
        if (log.isDebugEnabled()) {
            log.debug("membership source {}: page of {}: map {} ms, states {} ms, normalise {} ms", spec.name(), rows.size(),
                    (tm - t0) / 1_000_000, (ts - tm) / 1_000_000, (System.nanoTime() - ts) / 1_000_000);
        }
        if (todo.isEmpty()) {
            return c;
        }
        for (int attempt = 1; ; attempt++) {
            boolean joined = attempt <= JOINED_ATTEMPTS;
            try {
                // the first attempt decides insert / update from the states read above; a retry reads them again
                Map<String, MembershipStore.MemberState> known = attempt == 1 ? before : null;
                Counters done = joined ? tx.execute(s -> write(todo, true, throwOnBad, known))
                        : write(todo, false, throwOnBad, null);
                c.add(done);
                return c;
            } catch (RuntimeException e) {
                if (!retryable(e) || attempt > JOINED_ATTEMPTS) {
                    throw e;
                }
                log.debug("membership source {}: page of {} failed ({}), attempt {}", spec.name(), todo.size(), e.toString(), attempt);
                sleepQuietly(attempt * 20L);
            }
        }
    }

    /**
     * The writes of one page. {@code inTx}: we are in the page transaction and upsertAll joins it;
     * otherwise upsertAll runs in its own transaction(s) first and the rest in a second one.
     */
    private Counters write(List<Item> todo, boolean inTx, boolean throwOnBad, Map<String, MembershipStore.MemberState> known) {
        List<Item> good = new ArrayList<>(todo.size());
        List<ProfileRecord> records = new ArrayList<>(todo.size());
        for (Item it : todo) {
            if (it.error == null) {
                good.add(it);
                records.add(it.record);
            }
        }
        long t0 = System.nanoTime();
        List<CrmStore.BatchItem> results = new ArrayList<>(records.size());
        for (int from = 0; from < records.size(); from += options.upsertChunk()) {
            results.addAll(crm.upsertAll(records.subList(from, Math.min(records.size(), from + options.upsertChunk()))));
        }
        long t1 = System.nanoTime();
        Counters c = inTx ? finish(todo, good, results, throwOnBad, known)
                : tx.execute(s -> finish(todo, good, results, throwOnBad, null));
        c.upsertNanos += t1 - t0;
        c.recordNanos += System.nanoTime() - t1;
        return c;
    }

    private Counters finish(List<Item> todo, List<Item> good, List<CrmStore.BatchItem> results, boolean throwOnBad,
                            Map<String, MembershipStore.MemberState> known) {
        Counters c = new Counters();
        Map<String, MembershipStore.MemberState> states = known;
        if (states == null) {
            // the state as of this transaction (decides insert or update, and what changed)
            List<String> ids = new ArrayList<>(todo.size());
            for (Item it : todo) {
                ids.add(it.row.memberId());
            }
            states = store.states(spec.name(), ids);
        }
        Map<Item, CrmStore.BatchItem> outcome = new java.util.IdentityHashMap<>();
        for (int i = 0; i < good.size(); i++) {
            outcome.put(good.get(i), results.get(i));
        }
        List<MembershipStore.StateWrite> inserts = new ArrayList<>();
        List<MembershipStore.StateWrite> updates = new ArrayList<>();
        List<MembershipStore.NewInteraction> interactions = new ArrayList<>();
        List<String> forget = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Item it : todo) {
            String id = it.row.memberId();
            if (!seen.add(id)) {
                continue; // the same member twice in one page: the first wins, the next pass takes the other
            }
            MembershipStore.MemberState prev = states.get(id);
            MembershipStore.StateWrite w;
            CrmStore.BatchItem res = outcome.get(it);
            String error = it.error;
            if (error == null && res != null && !res.ok()) {
                RuntimeException e = res.error();
                if (retryable(e)) {
                    throw e;
                }
                if (isErased(e)) {
                    // the person was erased in the CRM: not re-created, and no state kept that links the member id
                    c.erased++;
                    if (prev != null) {
                        forget.add(id);
                    }
                    continue;
                }
                error = "member " + id + " of " + spec.name() + " was refused by the CRM store: " + describe(e);
            }
            if (error != null) {
                if (throwOnBad) {
                    throw new IllegalArgumentException(error);
                }
                long qid = crm.quarantine(new CrmStore.QuarantineEntry(0, ROUTE_ID, "membership:" + spec.name(),
                        options.replayUri(), payload(it.row), Map.of(HEADER_SOURCE, spec.name(), HEADER_MEMBER, id),
                        error, 1, null, null, "OPEN"));
                c.quarantined++;
                w = new MembershipStore.StateWrite(id, prev == null ? null : prev.profileId(), it.fingerprint,
                        prev == null ? null : prev.tier(), prev == null ? null : prev.status(), MembershipStore.QUARANTINED,
                        it.row.changedAt(), null, qid);
                (prev == null ? inserts : updates).add(w);
                continue;
            }
            UUID profile = res.result().profileId();
            String tier = it.mapped.tier();
            String status = it.mapped.status();
            c.changed++;
            if (it.problems != null) {
                c.fieldProblems++;
            }
            MembershipStore.NewInteraction change = interaction(profile, id, it.row, prev, tier, status);
            if (change != null) {
                interactions.add(change);
            }
            w = new MembershipStore.StateWrite(id, profile, it.fingerprint, tier, status, MembershipStore.SYNCED,
                    it.row.changedAt(), it.problems, null);
            (prev == null ? inserts : updates).add(w);
        }
        long a = System.nanoTime();
        c.interactions += store.addInteractions(interactions);
        long b = System.nanoTime();
        store.writeStates(spec.name(), inserts, updates);
        store.forget(spec.name(), forget);
        if (log.isDebugEnabled()) {
            log.debug("membership source {}: page of {}: interactions {} ms, state {} ms", spec.name(), todo.size(),
                    (b - a) / 1_000_000, (System.nanoTime() - b) / 1_000_000);
        }
        return c;
    }

    private Counters applyDeletions(List<String> memberIds) {
        Counters c = new Counters();
        Instant now = Instant.now();
        for (int attempt = 1; ; attempt++) {
            try {
                Counters done = tx.execute(s -> {
                    Counters d = new Counters();
                    Map<String, MembershipStore.MemberState> states = store.states(spec.name(), memberIds);
                    List<String> ids = new ArrayList<>();
                    List<ProfileRecord> records = new ArrayList<>();
                    List<MembershipStore.StateWrite> neverSynced = new ArrayList<>();
                    for (String id : memberIds) {
                        MembershipStore.MemberState st = states.get(id);
                        if (st == null || MembershipStore.DELETED.equals(st.syncState())) {
                            continue;
                        }
                        if (st.profileId() == null) {
                            // quarantined before it ever reached the CRM: nothing to mark there
                            neverSynced.add(new MembershipStore.StateWrite(id, null, null, null, MembershipStatus.DELETED,
                                    MembershipStore.DELETED, null, null, null));
                            continue;
                        }
                        ids.add(id);
                        records.add(mapper.deleted(id, now));
                    }
                    List<CrmStore.BatchItem> results = records.isEmpty() ? List.of() : crm.upsertAll(records);
                    List<MembershipStore.StateWrite> updates = new ArrayList<>(neverSynced);
                    List<MembershipStore.NewInteraction> interactions = new ArrayList<>();
                    List<String> forget = new ArrayList<>();
                    for (int i = 0; i < ids.size(); i++) {
                        String id = ids.get(i);
                        MembershipStore.MemberState prev = states.get(id);
                        CrmStore.BatchItem r = results.get(i);
                        if (!r.ok()) {
                            if (retryable(r.error())) {
                                throw r.error();
                            }
                            if (isErased(r.error())) {
                                d.erased++;
                                forget.add(id);
                            } else {
                                updates.add(new MembershipStore.StateWrite(id, null, null, prev.tier(), prev.status(),
                                        MembershipStore.DELETED, null, null, null));
                            }
                            continue;
                        }
                        UUID profile = r.result().profileId();
                        d.deleted++;
                        String summary = "Left " + spec.name() + " (member deleted from the membership database)";
                        interactions.add(new MembershipStore.NewInteraction(profile, InteractionType.MEMBERSHIP, now, "membership",
                                summary, externalId(id, now, MembershipStatus.DELETED, prev.tier()),
                                details(id, prev.tier(), prev.tier(), prev.status(), MembershipStatus.DELETED)));
                        updates.add(new MembershipStore.StateWrite(id, profile, null, prev.tier(), MembershipStatus.DELETED,
                                MembershipStore.DELETED, null, null, null));
                    }
                    d.interactions += store.addInteractions(interactions);
                    store.writeStates(spec.name(), List.of(), updates);
                    store.forget(spec.name(), forget);
                    return d;
                });
                c.add(done);
                return c;
            } catch (RuntimeException e) {
                if (!retryable(e) || attempt >= JOINED_ATTEMPTS) {
                    throw e;
                }
                sleepQuietly(attempt * 20L);
            }
        }
    }

    private MembershipStore.NewInteraction interaction(UUID profile, String memberId, MemberRow row,
                                                       MembershipStore.MemberState prev, String tier, String status) {
        Instant at = row.changedAt() == null ? Instant.now() : row.changedAt();
        if (prev == null || prev.status() == null) {
            if (initialSync && !options.joinedOnInitialSync()) {
                return null; // the initial full sync does not put a million "joined" entries on timelines and topics
            }
            Instant joined = parseInstant(row.field("CreateDate"));
            Instant when = joined == null ? at : joined;
            String summary = "Joined " + spec.name() + (tier == null ? "" : " as " + tier)
                    + (MembershipStatus.ACTIVE.equals(status) ? "" : " (" + status + ")");
            return new MembershipStore.NewInteraction(profile, InteractionType.MEMBERSHIP, when, "membership", summary,
                    externalId(memberId, when, status, tier), details(memberId, null, tier, null, status));
        }
        boolean tierChanged = !Objects.equals(prev.tier(), tier);
        boolean statusChanged = !Objects.equals(prev.status(), status);
        if (!tierChanged && !statusChanged) {
            return null;
        }
        StringBuilder summary = new StringBuilder("Membership ").append(spec.name()).append(':');
        if (tierChanged) {
            summary.append(" tier ").append(prev.tier()).append(" → ").append(tier);
        }
        if (statusChanged) {
            summary.append(tierChanged ? ";" : "").append(" status ").append(prev.status()).append(" → ").append(status);
        }
        return new MembershipStore.NewInteraction(profile, InteractionType.MEMBERSHIP, at, "membership", summary.toString(),
                externalId(memberId, at, status, tier), details(memberId, prev.tier(), tier, prev.status(), status));
    }

    private String externalId(String memberId, Instant at, String status, String tier) {
        return spec.name() + ":" + memberId + ":" + at.toEpochMilli() + ":" + status + ":" + (tier == null ? "" : tier);
    }

    private String details(String memberId, String fromTier, String toTier, String fromStatus, String toStatus) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("membershipSource", spec.name());
        d.put("memberId", memberId);
        d.put("tierFrom", fromTier);
        d.put("tierTo", toTier);
        d.put("statusFrom", fromStatus);
        d.put("statusTo", toStatus);
        return toJson(d);
    }

    private String payload(MemberRow row) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("membershipSource", spec.name());
        p.put("memberId", row.memberId());
        p.put("changedAt", row.changedAt() == null ? null : row.changedAt().toString());
        p.put("roles", row.roles());
        p.put("fields", new TreeMap<>(row.fields()));
        return toJson(p);
    }

    private static String problems(List<FieldError> errors) {
        StringBuilder sb = new StringBuilder();
        for (FieldError e : errors) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(e.field()).append(": ").append(e.reason());
            if (e.rejectedValue() != null) {
                sb.append(" ('").append(e.rejectedValue()).append("')");
            }
        }
        return sb.toString();
    }

    private static String rawFingerprint(MemberRow r) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(r.fields()).forEach((k, v) -> sb.append(k).append('\u0001').append(v).append('\u0001'));
        r.roles().forEach(x -> sb.append(x).append('\u0002'));
        return HexFormat.of().formatHex(Hashes.sha256(sb.toString().getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    private static Instant parseInstant(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static boolean isErased(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ErasedIdentityException) {
                return true;
            }
        }
        return false;
    }

    static boolean retryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TransientDataAccessException || t instanceof DuplicateKeyException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String st = sql.getSQLState();
                if (st.equals("40001") || st.equals("40P01") || st.equals("23505") || st.equals("55P03")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !String.valueOf(e.getMessage()).contains(root.getMessage())) {
            sb.append(" (caused by ").append(root.getClass().getSimpleName()).append(": ").append(root.getMessage()).append(')');
        }
        return sb.toString();
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
