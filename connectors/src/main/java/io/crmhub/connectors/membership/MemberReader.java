package io.crmhub.connectors.membership;

import io.crmhub.mappings.membership.MemberRow;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Reads members from one membership database in keyset pages ordered by (watermark column, id),
 * or by id alone when the source has no watermark column, and by ids (reconciliation, replay).
 * Selects named columns only: password hashes, salts, security stamps and password answers are
 * never read. Works on SQL Server, PostgreSQL, MariaDB/MySQL and H2 (paging syntax by product).
 */
public final class MemberReader {

    /** A keyset position: the watermark value (null when the source has none) and the member id. */
    public record Key(Instant at, String id) {
    }

    /** One page and the key of its last row (null when empty). */
    public record Page(List<MemberRow> rows, Key last) {
    }

    /** IN lists are cut to this many ids (SQL Server allows 2100 parameters per statement). */
    static final int IN_CHUNK = 1000;

    /**
     * Role and claim look-ups of a page are cut to this many ids. With 1,000 ids PostgreSQL
     * estimates a scan of the whole aspnet_UsersInRoles table (150K rows) with a hashed IN filter
     * as cheaper than 1,000 probes of its primary key, and it is not: 27 ms against 2 ms for 500
     * ids by the key (measured on the membership bench's source). Small chunks keep every
     * database on the key.
     */
    static final int ROLE_CHUNK = 200;

    private final SourceSpec spec;
    private final DataSource ds;

    // learnt from the database on first use
    private volatile boolean initialised;
    private boolean sqlServer;
    /** PostgreSQL: a member's roles come with its row (one aggregate per row), not by a query per page. */
    private boolean rolesInline;
    private String quote = "";
    private boolean idIsUuid;
    private String idClass = "java.lang.String";
    private boolean tsWithZone;
    private Object applicationId;

    private String select;      // SELECT ... FROM ... (with the application filter in WHERE when any)
    private boolean hasWhere;
    private String idExpr;
    private String tsExpr;

    public MemberReader(SourceSpec spec, DataSource ds) {
        this.spec = spec;
        this.ds = ds;
    }

    public SourceSpec spec() {
        return spec;
    }

    /** The next page after {@code after} (null: from the start; {@code after.id} null: from {@code after.at} inclusive). */
    public Page page(Key after, int limit) {
        init();
        StringBuilder sql = new StringBuilder(select);
        List<Object> args = new ArrayList<>();
        if (applicationId != null) {
            args.add(applicationId);
        }
        if (after != null) {
            String and = hasWhere ? " AND " : " WHERE ";
            if (tsExpr != null && after.at() != null) {
                Object ts = bindTs(after.at());
                if (after.id() == null) {
                    sql.append(and).append(tsExpr).append(" >= ?");
                    args.add(ts);
                } else {
                    sql.append(and).append(tsExpr).append(" >= ? AND (").append(tsExpr).append(" > ? OR ")
                            .append(idExpr).append(" > ?)");
                    args.add(ts);
                    args.add(ts);
                    args.add(bindId(after.id()));
                }
            } else if (tsExpr == null && after.id() != null) {
                sql.append(and).append(idExpr).append(" > ?");
                args.add(bindId(after.id()));
            }
        }
        sql.append(" ORDER BY ");
        if (tsExpr != null) {
            sql.append(tsExpr).append(", ");
        }
        sql.append(idExpr);
        if (sqlServer) {
            sql.append(" OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY");
        } else {
            sql.append(" LIMIT ?");
        }
        args.add(limit);
        List<MemberRow> rows = query(sql.toString(), args);
        Key last = rows.isEmpty() ? null : new Key(rows.get(rows.size() - 1).changedAt(), rows.get(rows.size() - 1).memberId());
        return new Page(rows, last);
    }

    /** The members with these ids that exist in the source (any order). */
    public List<MemberRow> byIds(Collection<String> ids) {
        init();
        List<MemberRow> out = new ArrayList<>(ids.size());
        List<String> all = new ArrayList<>(ids);
        for (int from = 0; from < all.size(); from += IN_CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + IN_CHUNK));
            List<Object> args = new ArrayList<>();
            if (applicationId != null) {
                args.add(applicationId);
            }
            List<String> valid = new ArrayList<>();
            for (String id : chunk) {
                Object b = bindIdOrNull(id);
                if (b != null) {
                    args.add(b);
                    valid.add(id);
                }
            }
            if (valid.isEmpty()) {
                continue;
            }
            String sql = select + (hasWhere ? " AND " : " WHERE ") + idExpr + " IN (" + marks(valid.size()) + ")";
            out.addAll(query(sql, args));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------

    private List<MemberRow> query(String sql, List<Object> args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            List<Raw> raws = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                if (spec.kind() == SourceKind.SQL) {
                    checkColumns(md);
                }
                Columns cols = columns(md);
                while (rs.next()) {
                    raws.add(read(rs, md, cols));
                }
            }
            if (raws.isEmpty()) {
                return List.of();
            }
            Map<String, List<String>> roles = new HashMap<>();
            Map<String, Map<String, String>> claims = new HashMap<>();
            // the ids of the page, for the look-ups by IN list (roles off PostgreSQL, claims)
            List<Object> ids = new ArrayList<>(raws.size());
            if (!rolesInline || spec.kind() == SourceKind.ASPNETCORE_IDENTITY) {
                for (Raw r : raws) {
                    ids.add(r.idValue);
                }
            }
            if (rolesInline) {
                for (Raw r : raws) {
                    if (r.roles() != null) {
                        roles.put(r.id(), r.roles());
                    }
                }
            } else if (spec.kind() == SourceKind.ASPNET_MEMBERSHIP) {
                pairs(c, "SELECT uir." + q("UserId") + ", r." + q("RoleName") + " FROM " + t("aspnet_UsersInRoles") + " uir JOIN "
                        + t("aspnet_Roles") + " r ON r." + q("RoleId") + " = uir." + q("RoleId") + " WHERE uir." + q("UserId")
                        + " IN ", ids, (id, a, b) -> roles.computeIfAbsent(id, k -> new ArrayList<>()).add(a));
            } else if (spec.kind() == SourceKind.ASPNETCORE_IDENTITY) {
                pairs(c, "SELECT ur." + q("UserId") + ", r." + q("Name") + " FROM " + t("AspNetUserRoles") + " ur JOIN "
                        + t("AspNetRoles") + " r ON r." + q("Id") + " = ur." + q("RoleId") + " WHERE ur." + q("UserId") + " IN ",
                        ids, (id, a, b) -> roles.computeIfAbsent(id, k -> new ArrayList<>()).add(a));
            }
            if (spec.kind() == SourceKind.ASPNETCORE_IDENTITY) {
                pairs(c, "SELECT " + q("UserId") + ", " + q("ClaimType") + ", " + q("ClaimValue") + " FROM "
                        + t("AspNetUserClaims") + " WHERE " + q("UserId") + " IN ", ids,
                        (id, a, b) -> {
                            if (a != null) {
                                claims.computeIfAbsent(id, k -> new LinkedHashMap<>()).putIfAbsent("claim." + a, b);
                            }
                        });
            }
            List<MemberRow> out = new ArrayList<>(raws.size());
            for (Raw r : raws) {
                Map<String, String> fields = r.fields;
                Map<String, String> cl = claims.get(r.id);
                if (cl != null) {
                    fields.putAll(cl);
                }
                List<String> rl = roles.getOrDefault(r.id, List.of());
                out.add(new MemberRow(r.id, r.at, fields, rl));
            }
            return out;
        } catch (SQLException e) {
            throw new MembershipSourceException("membership source " + spec.name() + ": " + e.getMessage(), e);
        }
    }

    /** roles: null unless they come with the row ({@link #rolesInline}). */
    private record Raw(String id, Object idValue, Instant at, Map<String, String> fields, List<String> roles) {
    }

    @FunctionalInterface
    private interface PairSink {
        void accept(String id, String a, String b);
    }

    private void pairs(Connection c, String sqlPrefix, List<Object> ids, PairSink sink) throws SQLException {
        for (int from = 0; from < ids.size(); from += ROLE_CHUNK) {
            List<Object> chunk = ids.subList(from, Math.min(ids.size(), from + ROLE_CHUNK));
            try (PreparedStatement ps = c.prepareStatement(sqlPrefix + "(" + marks(chunk.size()) + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setObject(i + 1, chunk.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        sink.accept(idText(rs.getObject(1)), rs.getString(2), cols >= 3 ? rs.getString(3) : null);
                    }
                }
            }
        }
    }

    private static final int OTHER = 0;
    private static final int TIMESTAMP = 1;     // date and time without zone: in the source's zone
    private static final int TIMESTAMP_TZ = 2;  // with offset or zone

    /** What a result set's columns are, worked out once per query rather than once per row. */
    private record Columns(String[] names, int[] kinds, int id, int at, int roles) {
    }

    private Columns columns(ResultSetMetaData md) throws SQLException {
        int n = md.getColumnCount();
        String[] names = new String[n + 1];
        int[] kinds = new int[n + 1];
        int id = -1;
        int at = -1;
        int roles = -1;
        for (int i = 1; i <= n; i++) {
            String label = md.getColumnLabel(i);
            if (label.equalsIgnoreCase("hub_member_id")) {
                id = i;
            } else if (label.equalsIgnoreCase("hub_changed_at")) {
                at = i;
            } else if (rolesInline && label.equalsIgnoreCase("hub_roles")) {
                roles = i;
            }
            names[i] = fieldName(label);
            String type = md.getColumnTypeName(i) == null ? "" : md.getColumnTypeName(i).toLowerCase(Locale.ROOT);
            if (type.contains("offset") || type.contains("tz") || type.contains("time zone")) {
                kinds[i] = TIMESTAMP_TZ;
            } else if (md.getColumnType(i) == java.sql.Types.TIMESTAMP) {
                kinds[i] = TIMESTAMP;
            }
        }
        return new Columns(names, kinds, id, at, roles);
    }

    /** A date-time column's value as an instant (null when NULL). */
    private Instant instant(ResultSet rs, int i, ResultSetMetaData md, Columns cols) throws SQLException {
        switch (cols.kinds()[i]) {
            case TIMESTAMP -> {
                LocalDateTime t = rs.getObject(i, LocalDateTime.class);
                return t == null ? null : t.atZone(spec.sourceZone()).toInstant();
            }
            case TIMESTAMP_TZ -> {
                OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
                return t == null ? null : t.toInstant();
            }
            default -> {
                return instant(rs, i, md);
            }
        }
    }

    private Raw read(ResultSet rs, ResultSetMetaData md, Columns cols) throws SQLException {
        Map<String, String> fields = new LinkedHashMap<>();
        Object idValue = null;
        Instant at = null;
        List<String> roles = null;
        int n = md.getColumnCount();
        for (int i = 1; i <= n; i++) {
            if (i == cols.id()) {
                idValue = rs.getObject(i);
                continue;
            }
            if (i == cols.at()) {
                at = instant(rs, i, md, cols);
                continue;
            }
            if (i == cols.roles()) {
                String all = rs.getString(i);
                roles = all == null ? List.of() : List.of(all.split("\u001f"));
                continue;
            }
            String value;
            if (cols.kinds()[i] == OTHER) {
                value = text(rs, i, md);
            } else {
                Instant t = instant(rs, i, md, cols);
                value = t == null ? null : t.toString();
            }
            fields.put(cols.names()[i], value);
        }
        if (spec.kind() == SourceKind.ASPNETCORE_IDENTITY) {
            String lockoutEnd = fields.get("LockoutEnd");
            boolean locked = lockoutEnd != null && Instant.parse(lockoutEnd).isAfter(Instant.now());
            fields.put("LockedOut", Boolean.toString(locked));
        }
        if (idValue == null) {
            throw new MembershipSourceException("membership source " + spec.name() + ": a member row without an id", null);
        }
        return new Raw(idText(idValue), idValue, at, fields, roles);
    }

    /** Column labels come back in the database's case; the known ones get their documented spelling. */
    private String fieldName(String label) {
        for (String known : KNOWN_FIELDS) {
            if (known.equalsIgnoreCase(label)) {
                return known;
            }
        }
        for (String extra : spec.extraColumns()) {
            if (extra.equalsIgnoreCase(label)) {
                return extra;
            }
        }
        return label;
    }

    private static final List<String> KNOWN_FIELDS = List.of("UserName", "Email", "IsApproved", "IsLockedOut",
            "CreateDate", "LastLoginDate", "LastActivityDate", "LastLockoutDate", "PropertyNames", "PropertyValuesString",
            "PropertyValuesBinary", "LastUpdatedDate", "EmailConfirmed", "PhoneNumber", "PhoneNumberConfirmed",
            "LockoutEnd", "LockoutEnabled", "Comment");

    private void checkColumns(ResultSetMetaData md) throws SQLException {
        for (int i = 1; i <= md.getColumnCount(); i++) {
            String label = md.getColumnLabel(i);
            if (SourceSpec.Sensitive.isSensitive(label)) {
                throw new MembershipSourceException("membership source " + spec.name() + ": the query selects column '"
                        + label + "', which holds a secret (password, hash, salt, stamp, answer); remove it from the query", null);
            }
        }
    }

    private String text(ResultSet rs, int i, ResultSetMetaData md) throws SQLException {
        Object o = rs.getObject(i);
        if (o == null) {
            return null;
        }
        if (o instanceof byte[] b) {
            return Base64.getEncoder().encodeToString(b);
        }
        if (o instanceof Boolean b) {
            return b.toString();
        }
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Timestamp || o instanceof LocalDateTime || o instanceof OffsetDateTime
                || o instanceof java.time.ZonedDateTime || o.getClass().getName().startsWith("microsoft.sql.DateTimeOffset")) {
            Instant t = instant(rs, i, md);
            return t == null ? null : t.toString();
        }
        if (o instanceof java.sql.Clob clob) {
            return clob.getSubString(1, (int) Math.min(Integer.MAX_VALUE, clob.length()));
        }
        if (o instanceof java.sql.Blob blob) {
            return Base64.getEncoder().encodeToString(blob.getBytes(1, (int) Math.min(Integer.MAX_VALUE, blob.length())));
        }
        return o.toString();
    }

    private Instant instant(ResultSet rs, int i, ResultSetMetaData md) throws SQLException {
        String type = md.getColumnTypeName(i) == null ? "" : md.getColumnTypeName(i).toLowerCase(Locale.ROOT);
        if (type.contains("offset") || type.contains("tz") || type.contains("time zone")) {
            OffsetDateTime odt = rs.getObject(i, OffsetDateTime.class);
            return odt == null ? null : odt.toInstant();
        }
        Object o = rs.getObject(i);
        if (o == null) {
            return null;
        }
        if (o instanceof LocalDateTime ldt) {
            return ldt.atZone(spec.sourceZone()).toInstant();
        }
        if (o instanceof Timestamp ts) {
            return ts.toLocalDateTime().atZone(spec.sourceZone()).toInstant();
        }
        if (o instanceof OffsetDateTime odt) {
            return odt.toInstant();
        }
        if (o instanceof java.time.ZonedDateTime z) {
            return z.toInstant();
        }
        if (o instanceof java.util.Date d) {
            return d.toInstant();
        }
        if (o instanceof java.time.LocalDate d) {
            return d.atStartOfDay(spec.sourceZone()).toInstant();
        }
        OffsetDateTime odt = rs.getObject(i, OffsetDateTime.class);
        return odt == null ? null : odt.toInstant();
    }

    private static String idText(Object o) {
        return o == null ? null : o.toString();
    }

    private Object bindId(String id) {
        Object b = bindIdOrNull(id);
        if (b == null) {
            throw new IllegalArgumentException("membership source " + spec.name() + ": '" + id + "' is not a valid member id");
        }
        return b;
    }

    /** The id as the column's type wants it (uuid, integer ids are not compared with text everywhere); null if it cannot be one. */
    private Object bindIdOrNull(String id) {
        try {
            if (idIsUuid) {
                return UUID.fromString(id);
            }
            return switch (idClass) {
                case "java.lang.Integer", "java.lang.Short" -> Integer.valueOf(id);
                case "java.lang.Long" -> Long.valueOf(id);
                case "java.math.BigDecimal", "java.math.BigInteger" -> new java.math.BigDecimal(id);
                default -> id;
            };
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Object bindTs(Instant at) {
        if (tsWithZone) {
            return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
        }
        return LocalDateTime.ofInstant(at, spec.sourceZone());
    }

    // --- schema knowledge ------------------------------------------------------------------------

    private synchronized void init() {
        if (initialised) {
            return;
        }
        try (Connection c = ds.getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            String product = md.getDatabaseProductName().toLowerCase(Locale.ROOT);
            sqlServer = product.contains("microsoft") || product.contains("sql server");
            boolean postgres = product.contains("postgresql");
            if (spec.quoteIdentifiers()) {
                String qs = md.getIdentifierQuoteString();
                quote = qs == null || qs.isBlank() ? "\"" : qs.trim();
            }
            switch (spec.kind()) {
                case ASPNET_MEMBERSHIP -> initAspNet(c);
                case ASPNETCORE_IDENTITY -> initIdentity();
                case SQL -> initSql();
                default -> throw new IllegalStateException();
            }
            if (postgres && spec.kind() != SourceKind.SQL) {
                // one probe of the user-roles key per member inside the page query instead of a
                // second round of queries with IN lists (measured on the bench's source: +15 ms per
                // page of 5,000 against ~50 ms for the 25 role queries)
                String roles = spec.kind() == SourceKind.ASPNET_MEMBERSHIP
                        ? "(SELECT string_agg(r." + q("RoleName") + ", chr(31)) FROM " + t("aspnet_UsersInRoles") + " uir JOIN "
                                + t("aspnet_Roles") + " r ON r." + q("RoleId") + " = uir." + q("RoleId") + " WHERE uir."
                                + q("UserId") + " = u." + q("UserId") + ") AS hub_roles"
                        : "(SELECT string_agg(r." + q("Name") + ", chr(31)) FROM " + t("AspNetUserRoles") + " ur JOIN "
                                + t("AspNetRoles") + " r ON r." + q("Id") + " = ur." + q("RoleId") + " WHERE ur." + q("UserId")
                                + " = u." + q("Id") + ") AS hub_roles";
                int from = select.indexOf(" FROM ");
                select = select.substring(0, from) + ", " + roles + select.substring(from);
                rolesInline = true;
            }
            // learn the id and watermark column types from the statement's metadata (no rows read)
            try (PreparedStatement ps = c.prepareStatement(select + (hasWhere ? " AND " : " WHERE ") + "1 = 0")) {
                if (applicationId != null) {
                    ps.setObject(1, applicationId);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData rmd = rs.getMetaData();
                    for (int i = 1; i <= rmd.getColumnCount(); i++) {
                        String label = rmd.getColumnLabel(i);
                        if (label.equalsIgnoreCase("hub_member_id")) {
                            idIsUuid = "java.util.UUID".equals(rmd.getColumnClassName(i))
                                    || "uuid".equalsIgnoreCase(rmd.getColumnTypeName(i));
                            idClass = String.valueOf(rmd.getColumnClassName(i));
                        } else if (label.equalsIgnoreCase("hub_changed_at")) {
                            String type = rmd.getColumnTypeName(i) == null ? "" : rmd.getColumnTypeName(i).toLowerCase(Locale.ROOT);
                            tsWithZone = type.contains("offset") || type.contains("tz") || type.contains("time zone");
                        }
                    }
                }
            }
            initialised = true;
        } catch (SQLException e) {
            throw new MembershipSourceException("membership source " + spec.name() + ": " + e.getMessage(), e);
        }
    }

    private void initAspNet(Connection c) throws SQLException {
        String app = spec.applicationName();
        List<Object[]> apps = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + q("ApplicationId") + ", " + q("ApplicationName")
                + " FROM " + t("aspnet_Applications"));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                apps.add(new Object[]{rs.getObject(1), rs.getString(2)});
            }
        }
        Object id = null;
        if (app == null || app.isBlank()) {
            if (apps.size() != 1) {
                throw new MembershipSourceException("membership source " + spec.name() + ": set application-name; the database has "
                        + apps.size() + " applications " + apps.stream().map(a -> (String) a[1]).toList(), null);
            }
            id = apps.get(0)[0];
        } else {
            for (Object[] a : apps) {
                if (app.equalsIgnoreCase((String) a[1])) {
                    id = a[0];
                }
            }
            if (id == null) {
                throw new MembershipSourceException("membership source " + spec.name() + ": no application '" + app
                        + "' in aspnet_Applications; there are " + apps.stream().map(a -> (String) a[1]).toList(), null);
            }
        }
        applicationId = id;
        String wm = spec.watermarkColumn();
        tsExpr = wm.contains(".") ? wm : "u." + q(wm);
        idExpr = "u." + q("UserId");
        select = "SELECT u." + q("UserId") + " AS hub_member_id, " + tsExpr + " AS hub_changed_at, u." + q("UserName")
                + ", m." + q("Email") + ", m." + q("IsApproved") + ", m." + q("IsLockedOut") + ", m." + q("CreateDate")
                + ", m." + q("LastLoginDate") + ", u." + q("LastActivityDate") + ", p." + q("PropertyNames")
                + ", p." + q("PropertyValuesString") + ", p." + q("PropertyValuesBinary")
                + " FROM " + t("aspnet_Users") + " u JOIN " + t("aspnet_Membership") + " m ON m." + q("UserId") + " = u." + q("UserId")
                + " LEFT JOIN " + t("aspnet_Profile") + " p ON p." + q("UserId") + " = u." + q("UserId")
                + " WHERE u." + q("ApplicationId") + " = ?";
        hasWhere = true;
    }

    private void initIdentity() {
        idExpr = "u." + q("Id");
        tsExpr = spec.hasWatermark() ? "u." + q(spec.watermarkColumn()) : null;
        StringBuilder s = new StringBuilder("SELECT u." + q("Id") + " AS hub_member_id, ");
        if (tsExpr != null) {
            s.append(tsExpr).append(" AS hub_changed_at, ");
        }
        s.append("u.").append(q("UserName")).append(", u.").append(q("Email")).append(", u.").append(q("EmailConfirmed"))
                .append(", u.").append(q("PhoneNumber")).append(", u.").append(q("PhoneNumberConfirmed"))
                .append(", u.").append(q("LockoutEnd")).append(", u.").append(q("LockoutEnabled"));
        for (String extra : spec.extraColumns()) {
            s.append(", u.").append(q(extra));
        }
        s.append(" FROM ").append(t("AspNetUsers")).append(" u");
        select = s.toString();
        hasWhere = false;
    }

    private void initSql() {
        String id = spec.idColumn();
        idExpr = "q." + q(id);
        tsExpr = spec.hasWatermark() ? "q." + q(spec.watermarkColumn()) : null;
        select = "SELECT " + idExpr + " AS hub_member_id, " + (tsExpr == null ? "" : tsExpr + " AS hub_changed_at, ")
                + "q.* FROM (" + spec.query().strip().replaceAll(";\\s*$", "") + ") q";
        hasWhere = false;
    }

    private String q(String identifier) {
        return quote.isEmpty() ? identifier : quote + identifier + quote;
    }

    /** A table name with the configured schema and prefix. */
    private String t(String table) {
        String name = q(spec.tablePrefix() + table);
        return spec.schema() == null || spec.schema().isBlank() ? name : q(spec.schema()) + "." + name;
    }

    private static String marks(int n) {
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ", ?");
        }
        return sb.toString();
    }
}
