package io.crmhub.routes.membership;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code hub.membership.*}: the membership databases the hub syncs from (read-only). */
@ConfigurationProperties(prefix = "hub.membership")
public class MembershipProperties {

    /** Run the pollers on this instance (one instance at a time works on a source: a lease). */
    private boolean enabled = true;
    /** Lease of a source; another instance takes over when the holder has not renewed it for this long. */
    private Duration leaseTtl = Duration.ofSeconds(60);
    /** Threads writing pages into the CRM per source (pages are read by one). */
    private int writers = 2;
    /**
     * Also put a "joined" interaction on the timeline of every member of the initial full sync
     * (members who appear after it always get one).
     */
    private boolean joinedOnInitialSync = false;
    /** A reconciliation refuses to mark more than this share of a source's members deleted at once. */
    private double maxDeleteFraction = 0.5;
    /** Records per CrmStore.upsertAll call inside a page's transaction. */
    private int upsertChunk = 1000;
    /** The sources. */
    private List<Source> sources = new ArrayList<>();

    public static class Source {
        /** Name: the namespace of its MEMBER_IDs (member 42 of "website"), the lease and state key. */
        private String name;
        /** aspnet-membership, aspnetcore-identity or sql. */
        private String kind;
        private boolean enabled = true;
        /** JDBC URL (SQL Server, PostgreSQL, MariaDB/MySQL). Give a login that can only read. */
        private String url;
        private String user;
        private String password;
        /** aspnet-membership: the application name in aspnet_Applications (empty: the only one). */
        private String applicationName;
        /** Table qualifier (e.g. dbo). */
        private String schema;
        /** Prefix of the table names. */
        private String tablePrefix = "";
        /** Quote table and column names (mixed-case names created quoted, e.g. EF Core on PostgreSQL). */
        private boolean quoteIdentifiers = false;
        /** Mapping file (Spring resource; default file:config/mappings/membership-<kind>.properties). */
        private String mapping;
        /** Role → tier rules, checked before the mapping file's (first match wins). */
        private Map<String, String> tierRules = new LinkedHashMap<>();
        /** Tier of members no rule matches (overrides the mapping file's default-tier). */
        private String defaultTier;
        /** How often to look for changes. */
        private Duration pollInterval = Duration.ofSeconds(30);
        /** How often to reconcile (deletions, changes no watermark sees); 0 = never on a timer. */
        private Duration reconcileInterval = Duration.ofHours(1);
        /** Members per page and per CRM transaction. */
        private int batchSize = 2000;
        /** How far before the watermark each incremental pass starts again (commits that land late). */
        private Duration lookback = Duration.ofSeconds(5);
        /** Last-change column (aspnet-membership default LastActivityDate; identity/sql: none = full passes). */
        private String watermarkColumn;
        /** sql: the member id column of the query. */
        private String idColumn;
        /** sql: the SELECT yielding one row per member. */
        private String query;
        /** aspnetcore-identity: extra AspNetUsers columns to read (FirstName, LastName ...). */
        private List<String> extraColumns = new ArrayList<>();
        /** Zone of timestamps stored without offset (ASP.NET stores UTC). */
        private String sourceZone = "UTC";
        /** Connections to the source. */
        private int poolSize = 3;

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getKind() { return kind; }
        public void setKind(String kind) { this.kind = kind; }
        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getUrl() { return url; }
        public void setUrl(String url) { this.url = url; }
        public String getUser() { return user; }
        public void setUser(String user) { this.user = user; }
        public String getPassword() { return password; }
        public void setPassword(String password) { this.password = password; }
        public String getApplicationName() { return applicationName; }
        public void setApplicationName(String applicationName) { this.applicationName = applicationName; }
        public String getSchema() { return schema; }
        public void setSchema(String schema) { this.schema = schema; }
        public String getTablePrefix() { return tablePrefix; }
        public void setTablePrefix(String tablePrefix) { this.tablePrefix = tablePrefix; }
        public boolean isQuoteIdentifiers() { return quoteIdentifiers; }
        public void setQuoteIdentifiers(boolean quoteIdentifiers) { this.quoteIdentifiers = quoteIdentifiers; }
        public String getMapping() { return mapping; }
        public void setMapping(String mapping) { this.mapping = mapping; }
        public Map<String, String> getTierRules() { return tierRules; }
        public void setTierRules(Map<String, String> tierRules) { this.tierRules = tierRules; }
        public String getDefaultTier() { return defaultTier; }
        public void setDefaultTier(String defaultTier) { this.defaultTier = defaultTier; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public Duration getReconcileInterval() { return reconcileInterval; }
        public void setReconcileInterval(Duration reconcileInterval) { this.reconcileInterval = reconcileInterval; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public Duration getLookback() { return lookback; }
        public void setLookback(Duration lookback) { this.lookback = lookback; }
        public String getWatermarkColumn() { return watermarkColumn; }
        public void setWatermarkColumn(String watermarkColumn) { this.watermarkColumn = watermarkColumn; }
        public String getIdColumn() { return idColumn; }
        public void setIdColumn(String idColumn) { this.idColumn = idColumn; }
        public String getQuery() { return query; }
        public void setQuery(String query) { this.query = query; }
        public List<String> getExtraColumns() { return extraColumns; }
        public void setExtraColumns(List<String> extraColumns) { this.extraColumns = extraColumns; }
        public String getSourceZone() { return sourceZone; }
        public void setSourceZone(String sourceZone) { this.sourceZone = sourceZone; }
        public int getPoolSize() { return poolSize; }
        public void setPoolSize(int poolSize) { this.poolSize = poolSize; }
    }

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public Duration getLeaseTtl() { return leaseTtl; }
    public void setLeaseTtl(Duration leaseTtl) { this.leaseTtl = leaseTtl; }
    public int getWriters() { return writers; }
    public void setWriters(int writers) { this.writers = writers; }
    public boolean isJoinedOnInitialSync() { return joinedOnInitialSync; }
    public void setJoinedOnInitialSync(boolean joinedOnInitialSync) { this.joinedOnInitialSync = joinedOnInitialSync; }
    public double getMaxDeleteFraction() { return maxDeleteFraction; }
    public void setMaxDeleteFraction(double maxDeleteFraction) { this.maxDeleteFraction = maxDeleteFraction; }
    public int getUpsertChunk() { return upsertChunk; }
    public void setUpsertChunk(int upsertChunk) { this.upsertChunk = upsertChunk; }
    public List<Source> getSources() { return sources; }
    public void setSources(List<Source> sources) { this.sources = sources; }
}
