package io.crmhub.connectors.jdbc;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Explicit JDBC parameter binding and result reading shared by the stores: no parameter metadata
 * round trips, typed NULLs that PostgreSQL accepts for uuid and timestamptz columns, instants as
 * UTC {@code OffsetDateTime} (portable between PostgreSQL and H2).
 */
public final class Params {

    private Params() {
    }

    /** A NULL parameter of a given JDBC type. */
    public record TypedNull(int sqlType) {
    }

    /** Binds {@code args} to parameters 1..n; a plain {@code null} is bound as a VARCHAR NULL. */
    public static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            int p = i + 1;
            if (a == null) {
                ps.setNull(p, Types.VARCHAR);
            } else if (a instanceof TypedNull t) {
                ps.setNull(p, t.sqlType());
            } else if (a instanceof String s) {
                ps.setString(p, s);
            } else if (a instanceof UUID u) {
                ps.setObject(p, u);
            } else if (a instanceof Instant t) {
                ps.setObject(p, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
            } else if (a instanceof Long l) {
                ps.setLong(p, l);
            } else if (a instanceof Integer n) {
                ps.setInt(p, n);
            } else if (a instanceof Boolean b) {
                ps.setBoolean(p, b);
            } else if (a instanceof BigDecimal d) {
                ps.setBigDecimal(p, d);
            } else if (a instanceof Enum<?> e) {
                ps.setString(p, e.name());
            } else if (a instanceof String[] arr) {
                // PostgreSQL text[]; the SQL casts it where another element type is meant (?::uuid[])
                ps.setArray(p, ps.getConnection().createArrayOf("text", arr));
            } else {
                ps.setObject(p, a);
            }
        }
    }

    /**
     * Column {@code c} of the rows as a text array parameter (bound as PostgreSQL {@code text[]}, cast in the
     * SQL: {@code ?::uuid[]} ...): null and typed nulls stay null, an enum is its name, anything else (uuid,
     * instant in ISO-8601, number, boolean) its {@code toString()}.
     */
    public static String[] textColumn(java.util.List<Object[]> rows, int c) {
        String[] out = new String[rows.size()];
        for (int r = 0; r < out.length; r++) {
            Object v = rows.get(r)[c];
            out[r] = v == null || v instanceof TypedNull ? null : v instanceof Enum<?> e ? e.name() : v.toString();
        }
        return out;
    }

    /** {@code ?, ?, ?} for n parameters. */
    public static String marks(int n) {
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ", ?");
        }
        return sb.toString();
    }

    public static Instant instant(ResultSet rs, String col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    public static UUID uuid(ResultSet rs, String col) throws SQLException {
        return rs.getObject(col, UUID.class);
    }
}
