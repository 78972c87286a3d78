package io.crmhub.connectors.crm;

import io.crmhub.connectors.jdbc.Params.TypedNull;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static io.crmhub.connectors.jdbc.Params.bind;
import static io.crmhub.connectors.jdbc.Params.marks;

/**
 * Thin JDBC helpers with explicit parameter binding (no parameter metadata round trips, typed
 * NULLs that PostgreSQL accepts for uuid and timestamptz columns).
 */
final class Jdbc {

    static final TypedNull NULL_UUID = new TypedNull(Types.OTHER);
    static final TypedNull NULL_NUMERIC = new TypedNull(Types.NUMERIC);
    static final TypedNull NULL_TIMESTAMP = new TypedNull(Types.TIMESTAMP_WITH_TIMEZONE);

    private final JdbcTemplate template;

    Jdbc(JdbcTemplate template) {
        this.template = template;
    }

    int update(String sql, Object... args) {
        return template.update(sql, ps -> bind(ps, args));
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        return template.query(sql, ps -> bind(ps, args), mapper);
    }

    /** Runs a batch; returns the sum of the update counts the driver reports (negative counts ignored). */
    int batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return 0;
        }
        if (rows.size() == 1) {
            return update(sql, rows.get(0));
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
        int sum = 0;
        for (int c : counts) {
            sum += Math.max(c, 0);
        }
        return sum;
    }

    /**
     * PostgreSQL: inserts the rows with one statement, each column one array parameter (elements sent as text
     * and cast to {@code types}), in the rows' order (the order their keys are locked in).
     */
    int insertUnnest(String table, String[] columns, String[] types, List<Object[]> rows) {
        String names = String.join(", ", columns);
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table).append(" (").append(names).append(") SELECT ")
                .append(names).append(" FROM unnest(");
        Object[] args = new Object[columns.length];
        for (int c = 0; c < columns.length; c++) {
            sql.append(c == 0 ? "" : ", ").append("?::").append(types[c]).append("[]");
            args[c] = io.crmhub.connectors.jdbc.Params.textColumn(rows, c);
        }
        sql.append(") WITH ORDINALITY AS u(").append(names).append(", o) ORDER BY o");
        return update(sql.toString(), args);
    }

    /** Whether the connection's database is PostgreSQL (H2 in PostgreSQL mode answers "H2"). */
    boolean isPostgres() {
        return new io.crmhub.connectors.jdbc.DatabaseKind(template).isPostgres();
    }

    /** Inserts one row and returns its generated {@code id}, or -1 when nothing was inserted. */
    long insertReturningId(String sql, Object... args) {
        KeyHolder kh = new GeneratedKeyHolder();
        int n = template.update(con -> {
            PreparedStatement ps = con.prepareStatement(sql, new String[]{"id"});
            bind(ps, args);
            return ps;
        }, kh);
        if (n == 0 || kh.getKeyList().isEmpty()) {
            return -1;
        }
        Object id = kh.getKeyList().get(0).values().iterator().next();
        return ((Number) id).longValue();
    }

    /** {@code (?, ?, ?), (?, ?, ?)} for n tuples of the given width. */
    static String tuples(int n, int width) {
        String one = "(" + marks(width) + ")";
        StringBuilder sb = new StringBuilder(n * (one.length() + 2));
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(one);
        }
        return sb.toString();
    }

    /** Timestamps are kept to the microsecond in both databases. */
    static Instant micros(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
    }
}
