package io.crmhub.connectors.membership;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * What the hub needs to read one membership database.
 *
 * @param name             source name; the namespace of its MEMBER_IDs, the lease and state key
 * @param kind             schema kind
 * @param applicationName  aspnet-membership: the {@code aspnet_Applications} name (null: the only one)
 * @param schema           table qualifier (e.g. {@code dbo}), null for the connection's default
 * @param tablePrefix      prefix of the table names (normally empty)
 * @param quoteIdentifiers quote table and column names (case-sensitive names, e.g. EF Core on PostgreSQL)
 * @param watermarkColumn  last-change column; aspnet-membership defaults to aspnet_Users.LastActivityDate,
 *                         aspnetcore-identity has none by default (then every pass is a full pass
 *                         by id, skipping unchanged members), sql needs one or runs full passes
 * @param idColumn         sql: the member id column of the query
 * @param query            sql: the SELECT that yields one row per member
 * @param extraColumns     aspnetcore-identity: further AspNetUsers columns to read (e.g. FirstName)
 * @param sourceZone       zone of timestamps stored without offset (ASP.NET stores UTC)
 * @param batchSize        members per page and per CRM transaction
 * @param lookback         how far before the watermark each incremental pass starts (late commits)
 */
public record SourceSpec(String name, SourceKind kind, String applicationName, String schema, String tablePrefix,
                         boolean quoteIdentifiers, String watermarkColumn, String idColumn, String query,
                         List<String> extraColumns, ZoneId sourceZone, int batchSize, Duration lookback) {

    public SourceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("membership source name must be letters, digits, '.', '_' or '-': '" + name + "'");
        }
        tablePrefix = tablePrefix == null ? "" : tablePrefix;
        extraColumns = extraColumns == null ? List.of() : List.copyOf(extraColumns);
        sourceZone = sourceZone == null ? ZoneId.of("UTC") : sourceZone;
        lookback = lookback == null ? Duration.ofSeconds(5) : lookback;
        if (batchSize <= 0) {
            batchSize = 1000;
        }
        if (kind == SourceKind.SQL) {
            if (query == null || query.isBlank()) {
                throw new IllegalArgumentException("membership source " + name + " (sql) needs a query");
            }
            if (idColumn == null || idColumn.isBlank()) {
                throw new IllegalArgumentException("membership source " + name + " (sql) needs an id-column");
            }
        }
        if (kind == SourceKind.ASPNET_MEMBERSHIP && (watermarkColumn == null || watermarkColumn.isBlank())) {
            watermarkColumn = "LastActivityDate";
        }
        for (String c : extraColumns) {
            if (!c.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("membership source " + name + ": bad extra column '" + c + "'");
            }
            if (Sensitive.isSensitive(c)) {
                throw new IllegalArgumentException("membership source " + name + ": column " + c
                        + " holds a secret (password, hash, salt, stamp, answer) and is never read");
            }
        }
    }

    public static SourceSpec of(String name, SourceKind kind) {
        return new SourceSpec(name, kind, null, null, "", false, null, null, null, List.of(), null, 1000, null);
    }

    public boolean hasWatermark() {
        return watermarkColumn != null && !watermarkColumn.isBlank();
    }

    public SourceSpec withBatchSize(int size) {
        return new SourceSpec(name, kind, applicationName, schema, tablePrefix, quoteIdentifiers, watermarkColumn, idColumn,
                query, extraColumns, sourceZone, size, lookback);
    }

    public SourceSpec withTablePrefix(String prefix) {
        return new SourceSpec(name, kind, applicationName, schema, prefix, quoteIdentifiers, watermarkColumn, idColumn,
                query, extraColumns, sourceZone, batchSize, lookback);
    }

    public SourceSpec withApplicationName(String app) {
        return new SourceSpec(name, kind, app, schema, tablePrefix, quoteIdentifiers, watermarkColumn, idColumn,
                query, extraColumns, sourceZone, batchSize, lookback);
    }

    /** Column names that are never read into the hub. */
    static final class Sensitive {
        private Sensitive() {
        }

        static boolean isSensitive(String column) {
            String c = column.toLowerCase(java.util.Locale.ROOT);
            return c.contains("password") || c.contains("salt") || c.contains("securitystamp") || c.contains("hash")
                    || c.contains("answer") || c.contains("concurrencystamp") || c.contains("secret")
                    || c.contains("twofactor") || c.contains("token");
        }
    }
}
