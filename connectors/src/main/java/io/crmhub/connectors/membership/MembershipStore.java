package io.crmhub.connectors.membership;

import io.crmhub.connectors.jdbc.Params.TypedNull;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.crmhub.connectors.jdbc.Params.bind;
import static io.crmhub.connectors.jdbc.Params.marks;

/**
 * The membership flow's own tables in the CRM core database ({@code membership_source_state},
 * {@code membership_member}) and its batched timeline writes (interaction rows plus their
 * {@code interaction.added} outbox rows, as {@code CrmStore.addInteraction} writes them one by
 * one). Every method joins the caller's Spring transaction on the same DataSource when there is one.
 */
public class MembershipStore {

    public static final String SYNCED = "SYNCED";
    public static final String QUARANTINED = "QUARANTINED";
    public static final String ERASED = "ERASED";
    public static final String DELETED = "DELETED";

    static final int IN_CHUNK = 1000;

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final Clock clock;

    public MembershipStore(DataSource dataSource, ObjectMapper json) {
        this(dataSource, json, Clock.systemUTC());
    }

    public MembershipStore(DataSource dataSource, ObjectMapper json, Clock clock) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.kind = new io.crmhub.connectors.jdbc.DatabaseKind(jdbc);
        this.json = json == null ? new ObjectMapper() : json;
        this.clock = clock;
    }

    /** What the hub last applied for one member. */
    public record MemberState(String memberId, UUID profileId, String fingerprint, String tier, String status,
                              String syncState, Instant changedAt, Long quarantineId) {
    }

    /** Progress of one source. */
    public record SourceState(String source, Instant watermarkAt, String watermarkId, Instant fullSyncDoneAt,
                              Instant lastPassAt, Instant lastReconcileAt, String lastError) {
    }

    /** A state row to write. */
    public record StateWrite(String memberId, UUID profileId, String fingerprint, String tier, String status,
                             String syncState, Instant changedAt, String problems, Long quarantineId) {
    }

    /** A timeline entry to add. */
    public record NewInteraction(UUID profileId, String type, Instant at, String source, String summary,
                                 String externalId, String details) {
    }

    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private final io.crmhub.connectors.jdbc.DatabaseKind kind;

    /** PostgreSQL gets set-based statements (unnest arrays); H2 the portable batches. */
    boolean postgres() {
        return kind.isPostgres();
    }

    // --- member state ----------------------------------------------------------------------------

    public Map<String, MemberState> states(String source, Collection<String> memberIds) {
        Map<String, MemberState> out = new HashMap<>(memberIds.size() * 2);
        if (memberIds.isEmpty()) {
            return out;
        }
        if (postgres()) {
            // one probe of the key per id (LATERAL ... OFFSET 0): with a page of ids against a table of
            // some 100K rows the planner picks a scan of the whole table with a hashed filter otherwise
            query("SELECT m.member_id, m.profile_id, m.fingerprint, m.tier, m.status, m.sync_state, m.changed_at,"
                    + " m.quarantine_id FROM unnest(?::text[]) AS q(id) CROSS JOIN LATERAL (SELECT * FROM membership_member"
                    + " WHERE source = ? AND member_id = q.id OFFSET 0) AS m", rs -> {
                MemberState s = new MemberState(rs.getString(1), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), instant(rs, 7),
                        rs.getObject(8) == null ? null : rs.getLong(8));
                out.put(s.memberId(), s);
            }, memberIds.toArray(new String[0]), source);
            return out;
        }
        List<String> all = new ArrayList<>(memberIds);
        for (int from = 0; from < all.size(); from += IN_CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + IN_CHUNK));
            Object[] args = new Object[chunk.size() + 1];
            args[0] = source;
            for (int i = 0; i < chunk.size(); i++) {
                args[i + 1] = chunk.get(i);
            }
            query("SELECT member_id, profile_id, fingerprint, tier, status, sync_state, changed_at, quarantine_id"
                    + " FROM membership_member WHERE source = ? AND member_id IN (" + marks(chunk.size()) + ")", rs -> {
                MemberState s = new MemberState(rs.getString(1), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), instant(rs, 7),
                        rs.getObject(8) == null ? null : rs.getLong(8));
                out.put(s.memberId(), s);
            }, args);
        }
        return out;
    }

    /** Inserts the rows of members without a state row and updates the others. */
    public void writeStates(String source, List<StateWrite> inserts, List<StateWrite> updates) {
        Instant now = now();
        if (postgres()) {
            if (!inserts.isEmpty()) {
                Object[] cols = columns(inserts);
                update("INSERT INTO membership_member (source, member_id, profile_id, fingerprint, tier, status, sync_state,"
                        + " changed_at, synced_at, problems, quarantine_id) SELECT ?, x.m, x.p, x.f, x.t, x.st, x.ss, x.c, ?,"
                        + " x.pr, x.q FROM unnest(?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[],"
                        + " ?::timestamptz[], ?::text[], ?::bigint[]) AS x(m, p, f, t, st, ss, c, pr, q)",
                        concat(new Object[]{source, now}, cols));
            }
            if (!updates.isEmpty()) {
                Object[] cols = columns(updates);
                update("UPDATE membership_member mm SET profile_id = COALESCE(x.p, mm.profile_id), fingerprint = x.f,"
                        + " tier = x.t, status = x.st, sync_state = x.ss, changed_at = COALESCE(x.c, mm.changed_at),"
                        + " synced_at = ?, problems = x.pr, quarantine_id = x.q FROM unnest(?::text[], ?::uuid[], ?::text[],"
                        + " ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::bigint[]) AS x(m, p, f, t, st, ss, c, pr, q)"
                        + " WHERE mm.source = ? AND mm.member_id = x.m", concat(concat(new Object[]{now}, cols), new Object[]{source}));
            }
            return;
        }
        if (!inserts.isEmpty()) {
            batch("INSERT INTO membership_member (source, member_id, profile_id, fingerprint, tier, status, sync_state,"
                    + " changed_at, synced_at, problems, quarantine_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts.size(), (ps, i) -> {
                StateWrite w = inserts.get(i);
                bind(ps, source, w.memberId(), uuidOrNull(w.profileId()), w.fingerprint(), w.tier(), w.status(), w.syncState(),
                        tsOrNull(w.changedAt()), now, w.problems(), longOrNull(w.quarantineId()));
            });
        }
        if (!updates.isEmpty()) {
            batch("UPDATE membership_member SET profile_id = COALESCE(?, profile_id), fingerprint = ?, tier = ?, status = ?,"
                    + " sync_state = ?, changed_at = COALESCE(?, changed_at), synced_at = ?, problems = ?, quarantine_id = ?"
                    + " WHERE source = ? AND member_id = ?", updates.size(), (ps, i) -> {
                StateWrite w = updates.get(i);
                bind(ps, uuidOrNull(w.profileId()), w.fingerprint(), w.tier(), w.status(), w.syncState(),
                        tsOrNull(w.changedAt()), now, w.problems(), longOrNull(w.quarantineId()), source, w.memberId());
            });
        }
    }

    /** Drops the state of these members (their person was erased in the CRM). */
    public void forget(String source, List<String> memberIds) {
        for (int from = 0; from < memberIds.size(); from += IN_CHUNK) {
            List<String> chunk = memberIds.subList(from, Math.min(memberIds.size(), from + IN_CHUNK));
            Object[] args = new Object[chunk.size() + 1];
            args[0] = source;
            for (int i = 0; i < chunk.size(); i++) {
                args[i + 1] = chunk.get(i);
            }
            update("DELETE FROM membership_member WHERE source = ? AND member_id IN (" + marks(chunk.size()) + ")", args);
        }
    }

    /** Drops the state of members whose profile has been erased since; returns how many. */
    public int forgetErased(String source) {
        return jdbc.update(con -> {
            PreparedStatement ps = con.prepareStatement("DELETE FROM membership_member WHERE source = ? AND profile_id IN"
                    + " (SELECT id FROM profile WHERE status = 'ERASED')");
            bind(ps, source);
            return ps;
        });
    }

    /** Member ids of the source the hub holds as present in the source, in id order, after {@code afterId}. */
    public List<String> presentMemberIds(String source, String afterId, int limit) {
        List<String> out = new ArrayList<>(limit);
        if (afterId == null) {
            query("SELECT member_id FROM membership_member WHERE source = ? AND sync_state IN ('SYNCED', 'QUARANTINED')"
                    + " ORDER BY member_id LIMIT ?", rs -> out.add(rs.getString(1)), source, limit);
        } else {
            query("SELECT member_id FROM membership_member WHERE source = ? AND sync_state IN ('SYNCED', 'QUARANTINED')"
                    + " AND member_id > ? ORDER BY member_id LIMIT ?", rs -> out.add(rs.getString(1)), source, afterId, limit);
        }
        return out;
    }

    /** Members per sync state, and per membership status of the synced ones. */
    public Map<String, Long> counts(String source) {
        Map<String, Long> out = new LinkedHashMap<>();
        query("SELECT sync_state, status, COUNT(*) FROM membership_member WHERE source = ? GROUP BY sync_state, status"
                + " ORDER BY sync_state, status", rs -> {
            String key = SYNCED.equals(rs.getString(1)) ? "synced." + rs.getString(2) : rs.getString(1).toLowerCase(java.util.Locale.ROOT);
            out.merge(key, rs.getLong(3), Long::sum);
        }, source);
        query("SELECT COUNT(*) FROM membership_member WHERE source = ? AND problems IS NOT NULL",
                rs -> out.put("withFieldProblems", rs.getLong(1)), source);
        return out;
    }

    /** Whether the hub holds the state of any member of this source. */
    public boolean hasMembers(String source) {
        List<Boolean> found = new ArrayList<>(1);
        query("SELECT 1 FROM membership_member WHERE source = ? FETCH FIRST 1 ROWS ONLY", rs -> found.add(Boolean.TRUE), source);
        return !found.isEmpty();
    }

    // --- source state ----------------------------------------------------------------------------

    public Optional<SourceState> sourceState(String source) {
        List<SourceState> found = new ArrayList<>(1);
        query("SELECT source, watermark_at, watermark_id, full_sync_done_at, last_pass_at, last_reconcile_at, last_error"
                + " FROM membership_source_state WHERE source = ?", rs -> found.add(new SourceState(rs.getString(1),
                instant(rs, 2), rs.getString(3), instant(rs, 4), instant(rs, 5), instant(rs, 6), rs.getString(7))), source);
        return found.stream().findFirst();
    }

    private void ensureSource(String source) {
        jdbc.update(con -> {
            PreparedStatement ps = con.prepareStatement("INSERT INTO membership_source_state (source, updated_at)"
                    + " VALUES (?, ?) ON CONFLICT DO NOTHING");
            bind(ps, source, now());
            return ps;
        });
    }

    public void saveWatermark(String source, MemberReader.Key key) {
        ensureSource(source);
        update("UPDATE membership_source_state SET watermark_at = ?, watermark_id = ?, updated_at = ? WHERE source = ?",
                tsOrNull(key == null ? null : key.at()), key == null ? null : key.id(), now(), source);
    }

    public void passFinished(String source, boolean full, String error) {
        ensureSource(source);
        Instant now = now();
        if (full && error == null) {
            update("UPDATE membership_source_state SET last_pass_at = ?, last_error = NULL, updated_at = ?,"
                    + " full_sync_done_at = COALESCE(full_sync_done_at, ?) WHERE source = ?", now, now, now, source);
        } else {
            update("UPDATE membership_source_state SET last_pass_at = ?, last_error = ?, updated_at = ? WHERE source = ?",
                    now, error, now, source);
        }
    }

    public void reconcileFinished(String source, String error) {
        ensureSource(source);
        Instant now = now();
        update("UPDATE membership_source_state SET last_reconcile_at = ?, last_error = ?, updated_at = ? WHERE source = ?",
                now, error, now, source);
    }

    // --- timeline --------------------------------------------------------------------------------

    /**
     * Adds the interactions (idempotent on source + external id) and one {@code interaction.added}
     * outbox row for each one actually added. Returns how many were added.
     */
    public int addInteractions(List<NewInteraction> items) {
        if (items.isEmpty()) {
            return 0;
        }
        Instant now = now();
        if (postgres()) {
            int n = items.size();
            String[] p = new String[n];
            String[] type = new String[n];
            String[] at = new String[n];
            String[] src = new String[n];
            String[] summary = new String[n];
            String[] ext = new String[n];
            String[] details = new String[n];
            for (int i = 0; i < n; i++) {
                NewInteraction x = items.get(i);
                p[i] = x.profileId().toString();
                type[i] = x.type();
                at[i] = x.at().truncatedTo(ChronoUnit.MICROS).toString();
                src[i] = x.source();
                summary[i] = x.summary();
                ext[i] = x.externalId();
                details[i] = x.details();
            }
            // one statement: the interactions, and an outbox row for each one added (payload as addInteraction writes it)
            Integer added = jdbc.query("WITH ins AS (INSERT INTO interaction (profile_id, type, at, source, summary, external_id,"
                    + " details, recorded_at) SELECT x.p, x.t, x.a, x.s, x.su, x.e, x.d, ? FROM unnest(?::uuid[], ?::text[],"
                    + " ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[]) AS x(p, t, a, s, su, e, d)"
                    + " ON CONFLICT DO NOTHING RETURNING id, profile_id, type, at, source, summary, external_id),"
                    + " ob AS (INSERT INTO outbox (profile_id, event_type, payload, created_at) SELECT ins.profile_id,"
                    + " 'interaction.added', json_build_object('profileId', ins.profile_id, 'interactionId', ins.id, 'type', ins.type,"
                    + " 'at', to_char(ins.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'source', ins.source,"
                    + " 'summary', ins.summary, 'externalId', ins.external_id)::text, ? FROM ins RETURNING 1)"
                    + " SELECT count(*) FROM ob", ps -> bind(ps, now, p, type, at, src, summary, ext, details, now),
                    rs -> rs.next() ? rs.getInt(1) : 0);
            return added == null ? 0 : added;
        }
        batch("INSERT INTO interaction (profile_id, type, at, source, summary, external_id, details, recorded_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", items.size(), (ps, i) -> {
            NewInteraction n = items.get(i);
            bind(ps, n.profileId(), n.type(), n.at().truncatedTo(ChronoUnit.MICROS), n.source(), n.summary(),
                    n.externalId(), n.details(), now);
        });
        // the rows this call added (a row already recorded earlier keeps its older recorded_at)
        Map<String, NewInteraction> bySourceKey = new HashMap<>(items.size() * 2);
        Map<String, List<String>> keysBySource = new LinkedHashMap<>();
        for (NewInteraction n : items) {
            bySourceKey.put(n.source() + '\u0000' + n.externalId(), n);
            keysBySource.computeIfAbsent(n.source(), k -> new ArrayList<>()).add(n.externalId());
        }
        List<Object[]> events = new ArrayList<>(items.size());
        for (Map.Entry<String, List<String>> e : keysBySource.entrySet()) {
            List<String> keys = e.getValue();
            for (int from = 0; from < keys.size(); from += IN_CHUNK) {
                List<String> chunk = keys.subList(from, Math.min(keys.size(), from + IN_CHUNK));
                Object[] args = new Object[chunk.size() + 2];
                args[0] = e.getKey();
                args[1] = now;
                for (int i = 0; i < chunk.size(); i++) {
                    args[i + 2] = chunk.get(i);
                }
                query("SELECT id, profile_id, external_id FROM interaction WHERE source = ? AND recorded_at = ? AND external_id IN ("
                        + marks(chunk.size()) + ")", rs -> {
                    NewInteraction n = bySourceKey.get(e.getKey() + '\u0000' + rs.getString(3));
                    UUID profile = rs.getObject(2, UUID.class);
                    Map<String, Object> pl = new LinkedHashMap<>();
                    pl.put("profileId", profile.toString());
                    pl.put("interactionId", rs.getLong(1));
                    pl.put("type", n.type());
                    pl.put("at", n.at().truncatedTo(ChronoUnit.MICROS).toString());
                    pl.put("source", n.source());
                    pl.put("summary", n.summary());
                    pl.put("externalId", n.externalId());
                    events.add(new Object[]{profile, "interaction.added", toJson(pl), now});
                }, args);
            }
        }
        if (!events.isEmpty()) {
            batch("INSERT INTO outbox (profile_id, event_type, payload, created_at) VALUES (?, ?, ?, ?)", events.size(),
                    (ps, i) -> bind(ps, events.get(i)));
        }
        return events.size();
    }

    // --- helpers ---------------------------------------------------------------------------------

    @FunctionalInterface
    interface RowSink {
        void accept(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    interface Setter {
        void set(PreparedStatement ps, int i) throws SQLException;
    }

    private void query(String sql, RowSink sink, Object... args) {
        jdbc.query(sql, ps -> bind(ps, args), rs -> {
            sink.accept(rs);
        });
    }

    private void update(String sql, Object... args) {
        jdbc.update(sql, ps -> bind(ps, args));
    }

    private void batch(String sql, int size, Setter setter) {
        jdbc.batchUpdate(sql, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement ps, int i) throws SQLException {
                setter.set(ps, i);
            }

            @Override
            public int getBatchSize() {
                return size;
            }
        });
    }

    /** The state rows as column arrays (member, profile, fingerprint, tier, status, state, changed, problems, quarantine). */
    private static Object[] columns(List<StateWrite> rows) {
        int n = rows.size();
        String[][] c = new String[9][n];
        for (int i = 0; i < n; i++) {
            StateWrite w = rows.get(i);
            c[0][i] = w.memberId();
            c[1][i] = w.profileId() == null ? null : w.profileId().toString();
            c[2][i] = w.fingerprint();
            c[3][i] = w.tier();
            c[4][i] = w.status();
            c[5][i] = w.syncState();
            c[6][i] = w.changedAt() == null ? null : w.changedAt().truncatedTo(ChronoUnit.MICROS).toString();
            c[7][i] = w.problems();
            c[8][i] = w.quarantineId() == null ? null : w.quarantineId().toString();
        }
        return c;
    }

    private static Object[] concat(Object[] a, Object[] b) {
        Object[] out = new Object[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Object uuidOrNull(UUID u) {
        return u == null ? new TypedNull(Types.OTHER) : u;
    }

    private static Object tsOrNull(Instant t) {
        return t == null ? new TypedNull(Types.TIMESTAMP_WITH_TIMEZONE) : t.truncatedTo(ChronoUnit.MICROS);
    }

    private static Object longOrNull(Long l) {
        return l == null ? new TypedNull(Types.BIGINT) : l;
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
