package io.crmhub.connectors.crm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Several events of one profile in one outbox row. The set-based writers (a batch of
 * {@code upsertAll}, a chunk of a list import) write up to four events per new person — created,
 * consent, list member, timeline entry — and each outbox row costs the database a heap row and
 * three index entries. So consecutive events of the same profile written by one statement share a
 * row: {@code event_type} holds their types joined by {@value #TYPE_SEP} and {@code payload} their
 * JSON documents joined by a newline (compact JSON never contains a raw newline; an event whose
 * payload does, or whose type contains the separator, gets a row of its own). The relay publishes
 * the events of a row one by one, in order; the second and later get {@code <row id>.<n>} as
 * their de-duplication key ({@link CrmStore.OutboxEvent#key()}).
 */
public final class OutboxRows {

    /** At most this many events share a row. */
    public static final int MAX_EVENTS = 16;
    static final char TYPE_SEP = ',';
    static final char PAYLOAD_SEP = '\n';

    private OutboxRows() {
    }

    /**
     * Rows {@code (profileId, eventType, payload, …)} in write order, with runs of consecutive
     * rows of the same (non-null) profile joined into one; the other columns come from the first
     * row of a run. The input is not changed.
     */
    public static List<Object[]> bundle(List<Object[]> rows) {
        List<Object[]> out = new ArrayList<>(rows.size());
        Object[] open = null;
        int inOpen = 0;
        StringBuilder types = null;
        StringBuilder payloads = null;
        for (Object[] r : rows) {
            boolean joinable = r[0] instanceof UUID && joinable((String) r[1], (String) r[2]);
            if (joinable && open != null && inOpen < MAX_EVENTS && r[0].equals(open[0])) {
                types.append(TYPE_SEP).append((String) r[1]);
                payloads.append(PAYLOAD_SEP).append((String) r[2]);
                inOpen++;
                continue;
            }
            close(open, inOpen, types, payloads);
            Object[] row = r.clone();
            out.add(row);
            if (joinable) {
                open = row;
                inOpen = 1;
                types = new StringBuilder((String) r[1]);
                payloads = new StringBuilder((String) r[2]);
            } else {
                open = null;
            }
        }
        close(open, inOpen, types, payloads);
        return out;
    }

    /**
     * The events of {@code first} and then of {@code then}, with each profile's events brought
     * together where its first event is: the order of one profile's events is kept (the relay sends
     * a profile's events in order, under its key), the order between profiles is not (Kafka keeps no
     * order across keys either). Events without a profile keep their place. Used to write the events
     * of {@link CrmStore#upsertAll(List, List)} and a caller's own events of the same profiles as
     * one row per profile.
     */
    public static List<Object[]> byProfile(List<Object[]> first, List<Object[]> then) {
        java.util.LinkedHashMap<Object, List<Object[]>> groups = new java.util.LinkedHashMap<>();
        for (List<Object[]> part : List.of(first, then)) {
            for (Object[] e : part) {
                Object key = e[0] instanceof UUID ? e[0] : new Object();
                groups.computeIfAbsent(key, k -> new ArrayList<>(4)).add(e);
            }
        }
        List<Object[]> out = new ArrayList<>(first.size() + then.size());
        groups.values().forEach(out::addAll);
        return out;
    }

    private static boolean joinable(String type, String payload) {
        return type != null && payload != null && type.indexOf(TYPE_SEP) < 0 && payload.indexOf(PAYLOAD_SEP) < 0;
    }

    private static void close(Object[] open, int events, StringBuilder types, StringBuilder payloads) {
        if (open != null && events > 1) {
            open[1] = types.toString();
            open[2] = payloads.toString();
        }
    }

    /**
     * The events of one stored row, in order. A row whose payload does not split into as many
     * documents as it has types (not written by {@link #bundle}) comes out as one event, as stored.
     */
    public static List<CrmStore.OutboxEvent> expand(long id, UUID profileId, String eventType, String payload,
                                                   Instant createdAt) {
        if (eventType == null || eventType.indexOf(TYPE_SEP) < 0) {
            return List.of(new CrmStore.OutboxEvent(id, 0, profileId, eventType, payload, createdAt));
        }
        String[] types = eventType.split(String.valueOf(TYPE_SEP), -1);
        String[] docs = payload == null ? new String[0] : payload.split(String.valueOf(PAYLOAD_SEP), -1);
        if (docs.length != types.length) {
            return List.of(new CrmStore.OutboxEvent(id, 0, profileId, eventType, payload, createdAt));
        }
        List<CrmStore.OutboxEvent> events = new ArrayList<>(types.length);
        for (int i = 0; i < types.length; i++) {
            events.add(new CrmStore.OutboxEvent(id, i, profileId, types[i], docs[i], createdAt));
        }
        return events;
    }
}
