package io.crmhub.connectors.crm;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Time and calls per named phase, summed over all threads (cheap: two adders per phase and call). */
public final class StoreTimings {

    private final ConcurrentHashMap<String, LongAdder[]> phases = new ConcurrentHashMap<>();

    /** Adds the time since {@code startNanos} to the phase and returns now (the next phase's start). */
    public long add(String phase, long startNanos) {
        long now = System.nanoTime();
        LongAdder[] a = phases.computeIfAbsent(phase, k -> new LongAdder[]{new LongAdder(), new LongAdder()});
        a[0].add(now - startNanos);
        a[1].increment();
        return now;
    }

    /** phase → {milliseconds, calls}. */
    public Map<String, long[]> snapshot() {
        Map<String, long[]> out = new TreeMap<>();
        phases.forEach((k, a) -> out.put(k, new long[]{a[0].sum() / 1_000_000, a[1].sum()}));
        return out;
    }
}
