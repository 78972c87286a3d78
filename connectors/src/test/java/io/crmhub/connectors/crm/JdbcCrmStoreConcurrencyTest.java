package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore.UpsertResult;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
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

import javax.sql.DataSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Identity resolution under concurrency against the real PostgreSQL. Two stores over two pools
 * stand in for two JVMs: nothing in the store is shared but the database.
 */
class JdbcCrmStoreConcurrencyTest {

    static final int THREADS = 8;
    static HikariDataSource ds;
    static HikariDataSource ds2;
    static JdbcTemplate sql;
    JdbcCrmStore storeA;
    JdbcCrmStore storeB;

    @BeforeAll
    static void schema() throws Exception {
        ds = PgTestSupport.freshSchema(THREADS / 2 + 1);
        ds2 = PgTestSupport.pool(THREADS / 2 + 1);
        sql = new JdbcTemplate(ds);
    }

    @AfterAll
    static void close() {
        ds.close();
        ds2.close();
    }

    @BeforeEach
    void clean() {
        sql.execute("TRUNCATE " + PgTestSupport.ALL_TABLES + " CASCADE");
        storeA = new JdbcCrmStore(ds, SurvivorshipRules.recencyOnly(), new ConsentRules(), IdentityPolicy.defaults(),
                new ObjectMapper());
        storeB = new JdbcCrmStore(ds2, SurvivorshipRules.recencyOnly(), new ConsentRules(), IdentityPolicy.defaults(),
                new ObjectMapper());
    }

    JdbcCrmStore store(int thread) {
        return thread % 2 == 0 ? storeA : storeB;
    }

    @Test
    void sameNewIdentityOnEightThreadsAtOnceYieldsOneProfile() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int round = 0; round < 25; round++) {
                Identity e = Identity.of(IdentityType.EMAIL, "same-" + round + "@example.com");
                CyclicBarrier barrier = new CyclicBarrier(THREADS);
                List<Future<UpsertResult>> fs = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    Identity own = Identity.of(IdentityType.ANONYMOUS_ID, "dev-" + round + "-" + t);
                    fs.add(pool.submit(() -> {
                        barrier.await(10, TimeUnit.SECONDS);
                        return store(thread).upsert(new ProfileRecord("web", Instant.now(), List.of(e, own),
                                Map.of("city", "c" + thread), List.of()));
                    }));
                }
                Set<UUID> ids = new HashSet<>();
                int created = 0;
                for (Future<UpsertResult> f : fs) {
                    UpsertResult r = f.get(60, TimeUnit.SECONDS);
                    ids.add(r.profileId());
                    created += r.outcome() == UpsertResult.Outcome.CREATED ? 1 : 0;
                }
                assertThat(ids).as("round %d", round).hasSize(1);
                assertThat(created).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM profile", Integer.class)).isEqualTo(25);
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM identity", Integer.class)).isEqualTo(25 * (THREADS + 1));
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM outbox_event WHERE event_type = 'profile.created'", Integer.class))
                .isEqualTo(25);
    }

    /**
     * 8 threads x 200 records over overlapping identity clusters: each record carries two random
     * identifiers of one cluster, so profiles get created on both ends and merged concurrently.
     */
    @Test
    void overlappingClustersConvergeToOneProfileEach() throws Exception {
        int clusters = 60;
        int perCluster = 5;
        int perThread = 200;
        Random seed = new Random(7);
        List<List<ProfileRecord>> work = new ArrayList<>();
        // union-find over identity keys, to know the expected clusters (connected components)
        Map<String, String> parent = new HashMap<>();
        for (int t = 0; t < THREADS; t++) {
            List<ProfileRecord> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                int c = seed.nextInt(clusters);
                int a = seed.nextInt(perCluster);
                int b = seed.nextInt(perCluster);
                Identity x = clusterId(c, a);
                Identity y = clusterId(c, b);
                union(parent, x.key(), y.key());
                mine.add(new ProfileRecord("src" + t, Instant.now(), List.of(x, y),
                        Map.of("lastSeenBy", "t" + t, "n", String.valueOf(i)), List.of()));
            }
            work.add(mine);
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            fs.add(pool.submit(() -> {
                try {
                    barrier.await(10, TimeUnit.SECONDS);
                    List<ProfileRecord> mine = work.get(thread);
                    if (thread < THREADS / 2) {
                        for (ProfileRecord r : mine) {
                            store(thread).upsert(r);
                        }
                    } else if (thread % 2 == 1) {
                        // as a list import does: batches inside the caller's transaction, the store's outbox
                        // events handed back and written by the caller; a failed transaction (a profile
                        // locked by another thread: inside a caller's transaction the store never waits)
                        // is tried again. The outbox counts below must come out exact.
                        DataSource own = ds2; // the pool of store(thread) for an odd thread
                        TransactionTemplate tt = new TransactionTemplate(new DataSourceTransactionManager(own));
                        JdbcTemplate ownSql = new JdbcTemplate(own);
                        for (int from = 0; from < mine.size(); from += 10) {
                            List<ProfileRecord> batch = mine.subList(from, from + 10);
                            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                            while (true) {
                                try {
                                    List<CrmStore.BatchItem> items = tt.execute(st -> {
                                        List<Object[]> events = new ArrayList<>();
                                        List<CrmStore.BatchItem> r = store(thread).upsertAll(batch, events);
                                        ownSql.batchUpdate("INSERT INTO outbox (profile_id, event_type, payload, created_at)"
                                                + " VALUES (?::uuid, ?, ?, now())", OutboxRows.bundle(events).stream()
                                                .map(e -> new Object[]{e[0] instanceof UUID u ? u.toString() : null, e[1], e[2]})
                                                .toList());
                                        return r;
                                    });
                                    for (CrmStore.BatchItem b : items) {
                                        if (!b.ok()) {
                                            errors.add(b.error());
                                        }
                                    }
                                    break;
                                } catch (RuntimeException e) {
                                    if (System.nanoTime() > giveUp) {
                                        throw e;
                                    }
                                    Thread.sleep(5 + (long) (Math.random() * 45));
                                }
                            }
                        }
                    } else {
                        // the other batch threads import in small batches (one transaction each, fallback on conflict)
                        for (int from = 0; from < mine.size(); from += 10) {
                            for (CrmStore.BatchItem b : store(thread).upsertAll(mine.subList(from, from + 10))) {
                                if (!b.ok()) {
                                    errors.add(b.error());
                                }
                            }
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        long ms = (System.nanoTime() - start) / 1_000_000;
        int merges = sql.queryForObject("SELECT COUNT(*) FROM merge_journal", Integer.class);
        System.out.printf("concurrency: %d upserts in %d ms, %d merges, %d retries%n", THREADS * perThread, ms, merges,
                storeA.retryCount() + storeB.retryCount());
        assertThat(errors).isEmpty();
        assertThat(merges).as("the workload does exercise merges").isPositive();

        // every identity owned by an ACTIVE profile, one profile per connected component
        Map<String, UUID> owner = new HashMap<>();
        sql.query("SELECT i.type, i.namespace, i.\"value\", i.profile_id, p.status FROM identity i"
                + " JOIN profile p ON p.id = i.profile_id", rs -> {
            Identity id = new Identity(IdentityType.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3));
            assertThat(rs.getString(5)).as("identity %s points to a live profile", id).isEqualTo("ACTIVE");
            owner.put(id.key(), rs.getObject(4, UUID.class));
        });
        assertThat(owner.keySet()).isEqualTo(parent.keySet());
        Map<String, UUID> profileOfComponent = new HashMap<>();
        for (String key : parent.keySet()) {
            String root = find(parent, key);
            UUID p = owner.get(key);
            UUID prev = profileOfComponent.putIfAbsent(root, p);
            assertThat(prev == null || prev.equals(p)).as("component of %s on one profile", key).isTrue();
        }
        Set<UUID> live = new HashSet<>(sql.queryForList("SELECT id FROM profile WHERE status = 'ACTIVE'", UUID.class));
        assertThat(live).as("one live profile per component, no empty profiles")
                .isEqualTo(new HashSet<>(profileOfComponent.values()));
        // journal: exactly one open row per merged profile, pointing at its merged_into
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM profile p WHERE p.status = 'MERGED' AND 1 <> (SELECT COUNT(*)"
                + " FROM merge_journal j WHERE j.merged_id = p.id AND j.survivor_id = p.merged_into"
                + " AND j.unmerged_at IS NULL)", Integer.class)).isZero();
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM merge_journal", Integer.class))
                .isEqualTo(sql.queryForObject("SELECT COUNT(*) FROM profile WHERE status = 'MERGED'", Integer.class));
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM profile p WHERE p.attributes IS NOT NULL"
                + " AND p.status <> 'ACTIVE'", Integer.class)).as("no attributes left on merged profiles").isZero();
        // outbox: one created per profile ever made, one merged per journal row (the events, not the rows)
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM outbox_event WHERE event_type = 'profile.created'", Integer.class))
                .isEqualTo(sql.queryForObject("SELECT COUNT(*) FROM profile", Integer.class));
        assertThat(sql.queryForObject("SELECT COUNT(*) FROM outbox_event WHERE event_type = 'profile.merged'", Integer.class))
                .isEqualTo(sql.queryForObject("SELECT COUNT(*) FROM merge_journal", Integer.class));
    }

    static Identity clusterId(int cluster, int i) {
        return switch (i % 3) {
            case 0 -> Identity.of(IdentityType.EMAIL, "c" + cluster + "-" + i + "@example.com");
            case 1 -> Identity.of(IdentityType.PHONE, "+1555" + (cluster * 100 + i));
            default -> Identity.of(IdentityType.ANONYMOUS_ID, "anon-" + cluster + "-" + i);
        };
    }

    static String find(Map<String, String> parent, String x) {
        parent.putIfAbsent(x, x);
        while (!parent.get(x).equals(x)) {
            parent.put(x, parent.get(parent.get(x)));
            x = parent.get(x);
        }
        return x;
    }

    static void union(Map<String, String> parent, String a, String b) {
        String ra = find(parent, a);
        String rb = find(parent, b);
        if (!ra.equals(rb)) {
            parent.put(ra, rb);
        }
    }
}
