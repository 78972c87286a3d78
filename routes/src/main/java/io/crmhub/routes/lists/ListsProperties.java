package io.crmhub.routes.lists;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/** Settings of the marketing-list imports, under {@code hub.lists.*}. */
@ConfigurationProperties(prefix = "hub.lists", ignoreUnknownFields = false)
public class ListsProperties implements io.crmhub.routes.config.CheckedSettings {

    /** What is checked as the settings are bound; the folders only when the flow runs (they are created then). */
    @Override
    public io.crmhub.routes.config.SettingChecks checks() {
        io.crmhub.routes.config.SettingChecks c = new io.crmhub.routes.config.SettingChecks()
                .positive("hub.lists.chunk-size", chunkSize)
                .positive("hub.lists.workers", workers)
                .positive("hub.lists.upload-concurrency", uploadConcurrency)
                .positive("hub.lists.max-upload-bytes", maxUploadBytes)
                .positive("hub.lists.poll-interval", pollInterval)
                .notNegative("hub.lists.read-lock-min-age", readLockMinAge)
                .positive("hub.lists.max-pause", maxPause)
                .positive("hub.lists.stale-after", staleAfter)
                .positive("hub.lists.recovery-interval", recoveryInterval)
                .positive("hub.lists.orphan-manifest-after", orphanManifestAfter)
                .positive("hub.lists.progress-log-interval", progressLogInterval);
        if (enabled) {
            c.folder("hub.lists.inbox", inbox).folder("hub.lists.outbox", outbox);
        }
        // the default table may be absent (the built-in aliases serve, with a log line); one set on purpose that is
        // not there is a typo that would drop the deployer's aliases
        if (!DEFAULT_COLUMN_ALIASES.equals(columnAliases)) {
            c.existingFile("hub.lists.column-aliases", columnAliases);
        }
        return c;
    }

    /** Watch the drop folder (false: uploads only). */
    private boolean enabled = true;
    /** Drop folder, relative to the working directory; done/, failed/ and .processing/ live inside it. */
    private String inbox = "data/inbox/lists";
    /** Where reports ({@code <basename>.report.json}) and errors files ({@code <basename>.errors.csv}) go. */
    private String outbox = "data/outbox/lists";
    /** Header alias table; the copy in the jar is used when the file does not exist. */
    static final String DEFAULT_COLUMN_ALIASES = "config/mappings/list-columns.yml";
    private String columnAliases = DEFAULT_COLUMN_ALIASES;
    /** How often the drop folder is scanned. */
    private Duration pollInterval = Duration.ofSeconds(2);
    /** A file is taken only when its size and time stamp stayed unchanged this long (still being written otherwise). */
    private Duration readLockMinAge = Duration.ofSeconds(1);
    /** Rows per transaction (identity resolution, members, timeline and progress commit together). */
    private int chunkSize = 1000;
    /**
     * Lanes of a new run, one thread each, committing chunks in parallel (PostgreSQL; the embedded H2
     * and dry runs use one). Rows with one e-mail all go to one lane, so parallel chunks do not share them.
     */
    private int workers = 3;
    /** How long a run waits for the database to come back before it gives up for now (recovery resumes it). */
    private Duration maxPause = Duration.ofMinutes(15);
    /** A run whose owner shows no heartbeat for this long is taken over and resumed (crash recovery). */
    private Duration staleAfter = Duration.ofMinutes(2);
    /** How often recovery looks for stale runs. */
    private Duration recoveryInterval = Duration.ofSeconds(30);
    /** A manifest with no file of its name beside it for this long is set aside to failed/ (it would apply to the next one). */
    private Duration orphanManifestAfter = Duration.ofMinutes(10);

    public Duration getOrphanManifestAfter() { return orphanManifestAfter; }
    public void setOrphanManifestAfter(Duration orphanManifestAfter) { this.orphanManifestAfter = orphanManifestAfter; }
    /** Progress line in the log at most this often per run. */
    private Duration progressLogInterval = Duration.ofSeconds(10);
    /** Largest upload accepted by POST /api/v1/lists/imports. */
    private long maxUploadBytes = 2L * 1024 * 1024 * 1024;
    /** Imports running at once from uploads (drops run one at a time per instance). */
    private int uploadConcurrency = 1;

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public String getInbox() { return inbox; }
    public void setInbox(String inbox) { this.inbox = inbox; }
    public String getOutbox() { return outbox; }
    public void setOutbox(String outbox) { this.outbox = outbox; }
    public String getColumnAliases() { return columnAliases; }
    public void setColumnAliases(String columnAliases) { this.columnAliases = columnAliases; }
    public Duration getPollInterval() { return pollInterval; }
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    public Duration getReadLockMinAge() { return readLockMinAge; }
    public void setReadLockMinAge(Duration readLockMinAge) { this.readLockMinAge = readLockMinAge; }
    public int getChunkSize() { return chunkSize; }
    public void setChunkSize(int chunkSize) { this.chunkSize = chunkSize; }
    public int getWorkers() { return workers; }
    public void setWorkers(int workers) { this.workers = workers; }
    public Duration getMaxPause() { return maxPause; }
    public void setMaxPause(Duration maxPause) { this.maxPause = maxPause; }
    public Duration getStaleAfter() { return staleAfter; }
    public void setStaleAfter(Duration staleAfter) { this.staleAfter = staleAfter; }
    public Duration getRecoveryInterval() { return recoveryInterval; }
    public void setRecoveryInterval(Duration recoveryInterval) { this.recoveryInterval = recoveryInterval; }
    public Duration getProgressLogInterval() { return progressLogInterval; }
    public void setProgressLogInterval(Duration progressLogInterval) { this.progressLogInterval = progressLogInterval; }
    public long getMaxUploadBytes() { return maxUploadBytes; }
    public void setMaxUploadBytes(long maxUploadBytes) { this.maxUploadBytes = maxUploadBytes; }
    public int getUploadConcurrency() { return uploadConcurrency; }
    public void setUploadConcurrency(int uploadConcurrency) { this.uploadConcurrency = uploadConcurrency; }
}
