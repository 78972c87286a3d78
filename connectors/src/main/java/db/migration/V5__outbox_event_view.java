package db.migration;

import io.crmhub.connectors.jdbc.PostgresOnlyMigration;

/**
 * The view {@code outbox_event}: one row per event of the outbox, for operators and tests. Since
 * the set-based writers put consecutive events of one profile into one outbox row (event types joined
 * by a comma, payloads by a newline; {@code io.crmhub.connectors.crm.OutboxRows}), counting or reading
 * events from {@code outbox} itself would count rows. {@code key} is the event's de-duplication key
 * as the relay sends it ({@code hub_outbox_id}). Java rather than SQL because H2 has no
 * {@code unnest … WITH ORDINALITY} of two arrays (nothing to do there: H2 is the embedded default,
 * read through the store).
 */
public class V5__outbox_event_view extends PostgresOnlyMigration {

    @Override
    protected String[] statements() {
        return new String[]{
                "CREATE VIEW outbox_event AS"
                + " SELECT o.id, (e.n - 1)::int AS part,"
                + " CASE WHEN e.n = 1 THEN o.id::text ELSE o.id || '.' || (e.n - 1) END AS key,"
                + " o.profile_id, e.event_type, e.payload, o.created_at, o.sent_at"
                + " FROM outbox o CROSS JOIN LATERAL unnest(string_to_array(o.event_type, ','),"
                + " CASE WHEN strpos(o.event_type, ',') > 0 THEN string_to_array(o.payload, E'\\n')"
                + " ELSE ARRAY[o.payload] END) WITH ORDINALITY AS e(event_type, payload, n)"
        };
    }
}
