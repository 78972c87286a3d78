package io.crmhub.connectors.clickstream;

import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

import static io.crmhub.connectors.jdbc.Params.marks;

/** Small JDBC helpers of the clickstream stores: explicit binding, IN-list chunks, batches with counts. */
final class Sql {

    /** Longest IN list sent in one statement. */
    static final int CHUNK = 1000;

    private final JdbcTemplate template;

    private final io.crmhub.connectors.jdbc.DatabaseKind kind;

    Sql(JdbcTemplate template) {
        this.template = template;
        this.kind = new io.crmhub.connectors.jdbc.DatabaseKind(template);
    }

    JdbcTemplate template() {
        return template;
    }

    int update(String sql, Object... args) {
        return template.update(sql, ps -> bind(ps, args));
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        return template.query(sql, ps -> bind(ps, args), mapper);
    }

    /**
     * Runs {@code sqlPrefix + "(?, ?, ...)" + sqlSuffix} once per chunk of {@code values}, with
     * {@code leading} parameters bound before the chunk, and concatenates the rows.
     */
    <V, T> List<T> queryIn(String sqlPrefix, String sqlSuffix, Collection<V> values, RowMapper<T> mapper,
                           Object... leading) {
        if (values.isEmpty()) {
            return new ArrayList<>();
        }
        String type = arrayType(values);
        if (type != null && sqlPrefix.endsWith(" IN ") && postgres()) {
            // PostgreSQL: one statement whatever the number of values, the array as one parameter (one
            // prepared statement reused, no planning of a list of a thousand constants per call)
            Object[] args = new Object[leading.length + 1];
            System.arraycopy(leading, 0, args, 0, leading.length);
            args[leading.length] = new ArrayParam(type, values.stream().map(Object::toString).toArray(String[]::new));
            return query(sqlPrefix.substring(0, sqlPrefix.length() - 4) + " = ANY (?::" + type + "[])" + sqlSuffix,
                    mapper, args);
        }
        List<T> out = new ArrayList<>();
        List<V> all = new ArrayList<>(values);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<V> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
            Object[] args = new Object[leading.length + chunk.size()];
            System.arraycopy(leading, 0, args, 0, leading.length);
            for (int i = 0; i < chunk.size(); i++) {
                args[leading.length + i] = chunk.get(i);
            }
            out.addAll(query(sqlPrefix + "(" + marks(chunk.size()) + ")" + sqlSuffix, mapper, args));
        }
        return out;
    }

    /** An array parameter: element type ("uuid", "text") and the values as text. */
    record ArrayParam(String type, String[] values) {
    }

    private static String arrayType(Collection<?> values) {
        boolean uuids = true;
        boolean strings = true;
        for (Object v : values) {
            uuids &= v instanceof UUID;
            strings &= v instanceof String;
        }
        return uuids ? "uuid" : strings ? "text" : null;
    }

    boolean postgres() {
        return kind.isPostgres();
    }

    /** Batch; per-row update counts (a driver's "no info" reported as 1). */
    int[] batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return new int[0];
        }
        int[] counts = template.batchUpdate(sql, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement ps, int i) throws SQLException {
                bind(ps, rows.get(i));
            }

            @Override
            public int getBatchSize() {
                return rows.size();
            }
        });
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
                counts[i] = 1;
            }
        }
        return counts;
    }

    static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            int p = i + 1;
            if (a == null) {
                ps.setNull(p, Types.VARCHAR);
            } else if (a == NullTime.INSTANCE) {
                ps.setNull(p, Types.TIMESTAMP_WITH_TIMEZONE);
            } else if (a instanceof String s) {
                ps.setString(p, s);
            } else if (a instanceof UUID u) {
                ps.setObject(p, u);
            } else if (a instanceof Instant t) {
                ps.setObject(p, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
            } else if (a instanceof LocalDate d) {
                ps.setObject(p, d);
            } else if (a instanceof Long l) {
                ps.setLong(p, l);
            } else if (a instanceof Integer n) {
                ps.setInt(p, n);
            } else if (a instanceof Double d) {
                ps.setDouble(p, d);
            } else if (a instanceof Boolean b) {
                ps.setBoolean(p, b);
            } else if (a instanceof ArrayParam arr) {
                ps.setArray(p, ps.getConnection().createArrayOf("text", arr.values()));   // cast in the SQL
            } else {
                ps.setObject(p, a);
            }
        }
    }

    /** A NULL timestamp parameter. */
    enum NullTime { INSTANCE }

    static Object time(Instant t) {
        return t == null ? NullTime.INSTANCE : t;
    }

}
