package io.crmhub.routes.clickstream;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings of the clickstream flow, {@code hub.clickstream.*}. */
@ConfigurationProperties(prefix = "hub.clickstream", ignoreUnknownFields = false)
public class ClickstreamProperties implements io.crmhub.routes.config.CheckedSettings {

    /** What is checked as the settings are bound; the folders only when the flow (or the export) runs. */
    @Override
    public io.crmhub.routes.config.SettingChecks checks() {
        io.crmhub.routes.config.SettingChecks c = new io.crmhub.routes.config.SettingChecks()
                .notBlank("hub.clickstream.topic", topic)
                .notBlank("hub.clickstream.user-id-namespace", userIdNamespace)
                .atLeast("hub.clickstream.dedup-retention", dedupRetention, Duration.ofHours(24),
                        "the issue's and Segment's de-duplication window")
                .atLeast("hub.clickstream.session-timeout", sessionTimeout, Duration.ofMinutes(1),
                        "a visit's pause between pages; Segment's is 30m")
                .positive("hub.clickstream.interest-half-life", interestHalfLife)
                .positive("hub.clickstream.rest.max-event-bytes", rest.getMaxEventBytes())
                .positive("hub.clickstream.rest.max-batch-bytes", rest.getMaxBatchBytes())
                .check(rest.getMaxBatchBytes() >= rest.getMaxEventBytes(), "hub.clickstream.rest.max-batch-bytes ("
                        + rest.getMaxBatchBytes() + ") must not be below hub.clickstream.rest.max-event-bytes ("
                        + rest.getMaxEventBytes() + ")")
                .positive("hub.clickstream.rest.produce-timeout", rest.getProduceTimeout())
                .notNegative("hub.clickstream.rest.linger", rest.getLinger())
                .notBlank("hub.clickstream.consumer.group-id", consumer.getGroupId())
                .positive("hub.clickstream.consumer.threads", consumer.getThreads())
                .positive("hub.clickstream.consumer.batch-size", consumer.getBatchSize())
                .positive("hub.clickstream.consumer.poll-timeout", consumer.getPollTimeout())
                .positive("hub.clickstream.consumer.fetch-min-bytes", consumer.getFetchMinBytes())
                .positive("hub.clickstream.consumer.retry-initial-delay", consumer.getRetryInitialDelay())
                .positive("hub.clickstream.consumer.retry-max-delay", consumer.getRetryMaxDelay())
                .positive("hub.clickstream.projection.interval", projection.getInterval())
                .positive("hub.clickstream.projection.batch-size", projection.getBatchSize())
                .positive("hub.clickstream.projection.top-interests", projection.getTopInterests())
                .positive("hub.clickstream.projection.housekeeping-interval", projection.getHousekeepingInterval())
                .positive("hub.clickstream.audiences.anonymity-floor", audiences.getAnonymityFloor())
                .positive("hub.clickstream.audiences.export.interval", audiences.getExport().getInterval())
                .notBlank("hub.clickstream.audiences.export.topic", audiences.getExport().getTopic());
        audiences.getSegments().forEach((name, seg) -> c
                .check(seg.getAnonymityFloor() == null || seg.getAnonymityFloor() >= 1, "hub.clickstream.audiences.segments."
                        + name + ".anonymity-floor must be at least 1, is " + seg.getAnonymityFloor()));
        if (enabled) {
            // the default folder may be absent (a hub started outside its directory: the plan is off, with a WARN);
            // a folder set on purpose that is not there is a typo that would switch the plan off
            if (!TrackingPlan.DEFAULT_FOLDER.equals(trackingPlan.getFolder())) {
                c.existingFolder("hub.clickstream.tracking-plan.folder", trackingPlan.getFolder());
            }
            if (audiences.getExport().isEnabled()) {
                c.folder("hub.clickstream.audiences.export.folder", audiences.getExport().getFolder());
            }
        }
        return c;
    }

    /** Run the flow (REST intake, consumer, projection, audience export). */
    private boolean enabled = true;
    /** Topic of raw events: what POST /events writes and direct producers write. */
    private String topic = "hub.clickstream";
    /** Namespace of the EXTERNAL_ID identity a Segment userId becomes. */
    private String userIdNamespace = "web";
    /** How long a messageId is remembered for de-duplication (at least 24h). */
    private Duration dedupRetention = Duration.ofHours(48);
    /** A visit after this much inactivity starts a new session. */
    private Duration sessionTimeout = Duration.ofMinutes(30);
    /** Interest scores halve every this long. */
    private Duration interestHalfLife = Duration.ofDays(14);
    /** Interest weight per event type (page, screen, track, ad_click, ad_impression). */
    private Map<String, Double> interestWeights = new LinkedHashMap<>(Map.of("page", 1.0, "screen", 1.0,
            "track", 1.0, "ad_click", 3.0));
    private final Rest rest = new Rest();
    private final Consumer consumer = new Consumer();
    private final TrackingPlan trackingPlan = new TrackingPlan();
    private final Projection projection = new Projection();
    private final Audiences audiences = new Audiences();

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public String getTopic() { return topic; }
    public void setTopic(String topic) { this.topic = topic; }
    public String getUserIdNamespace() { return userIdNamespace; }
    public void setUserIdNamespace(String userIdNamespace) { this.userIdNamespace = userIdNamespace; }
    public Duration getDedupRetention() { return dedupRetention; }
    public void setDedupRetention(Duration dedupRetention) { this.dedupRetention = dedupRetention; }
    public Duration getSessionTimeout() { return sessionTimeout; }
    public void setSessionTimeout(Duration sessionTimeout) { this.sessionTimeout = sessionTimeout; }
    public Duration getInterestHalfLife() { return interestHalfLife; }
    public void setInterestHalfLife(Duration interestHalfLife) { this.interestHalfLife = interestHalfLife; }
    public Map<String, Double> getInterestWeights() { return interestWeights; }
    public void setInterestWeights(Map<String, Double> interestWeights) { this.interestWeights = interestWeights; }
    public Rest getRest() { return rest; }
    public Consumer getConsumer() { return consumer; }
    public TrackingPlan getTrackingPlan() { return trackingPlan; }
    public Projection getProjection() { return projection; }
    public Audiences getAudiences() { return audiences; }

    /** POST /api/v1/events. */
    public static class Rest {
        /** Largest single event (Segment: 32 KB). */
        private int maxEventBytes = 32 * 1024;
        /** Largest request (Segment: 500 KB per batch). */
        private int maxBatchBytes = 500 * 1024;
        /** How long a request waits for the broker's acknowledgement (acks=all) before answering 503. */
        private Duration produceTimeout = Duration.ofSeconds(10);
        /** Also serve POST /api/v1/events/_bare (202 without Kafka), the benchmark's baseline. */
        private boolean bareEndpoint = false;
        /**
         * How long the intake's producer waits to group the events of concurrent requests into one produce
         * request (Kafka's linger.ms): fewer, larger requests cost the hub and the broker less CPU.
         */
        private Duration linger = Duration.ofMillis(2);
        /**
         * Compression of the intake's produce requests (Kafka's compression.type: none, gzip, snappy, lz4,
         * zstd). The producer compresses a batch while it holds that partition's queue, which every request
         * thread appends to.
         */
        private String compression = "lz4";

        public int getMaxEventBytes() { return maxEventBytes; }
        public void setMaxEventBytes(int maxEventBytes) { this.maxEventBytes = maxEventBytes; }
        public int getMaxBatchBytes() { return maxBatchBytes; }
        public void setMaxBatchBytes(int maxBatchBytes) { this.maxBatchBytes = maxBatchBytes; }
        public Duration getProduceTimeout() { return produceTimeout; }
        public void setProduceTimeout(Duration produceTimeout) { this.produceTimeout = produceTimeout; }
        public boolean isBareEndpoint() { return bareEndpoint; }
        public void setBareEndpoint(boolean bareEndpoint) { this.bareEndpoint = bareEndpoint; }
        public Duration getLinger() { return linger; }
        public void setLinger(Duration linger) { this.linger = linger; }
        public String getCompression() { return compression; }
        public void setCompression(String compression) { this.compression = compression; }
    }

    /** The consumer that folds the topic into profiles. */
    public static class Consumer {
        private boolean enabled = true;
        private String groupId = "crm-hub.clickstream";
        /** Consumer threads of this instance (each its own partitions). */
        private int threads = 1;
        /** Most events per micro-batch (one database transaction). */
        private int batchSize = 5000;
        private Duration pollTimeout = Duration.ofMillis(500);
        /**
         * The broker answers a fetch once it has this much for the consumer (or {@link #fetchMaxWait} has
         * passed): at a moderate rate the fold then takes a few thousand events per transaction instead of a
         * few hundred, and its fixed cost per batch (a dozen statements, the commit) is paid less often.
         */
        private int fetchMinBytes = 1024 * 1024;
        /** Longest the broker holds a fetch for {@link #fetchMinBytes}: how stale the profiles may lag at a low rate. */
        private Duration fetchMaxWait = Duration.ofMillis(500);
        /** Back-off after a failed batch (database away): first and longest delay. */
        private Duration retryInitialDelay = Duration.ofMillis(500);
        private Duration retryMaxDelay = Duration.ofSeconds(30);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getGroupId() { return groupId; }
        public void setGroupId(String groupId) { this.groupId = groupId; }
        public int getThreads() { return threads; }
        public void setThreads(int threads) { this.threads = threads; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public Duration getPollTimeout() { return pollTimeout; }
        public void setPollTimeout(Duration pollTimeout) { this.pollTimeout = pollTimeout; }
        public int getFetchMinBytes() { return fetchMinBytes; }
        public void setFetchMinBytes(int fetchMinBytes) { this.fetchMinBytes = fetchMinBytes; }
        public Duration getFetchMaxWait() { return fetchMaxWait; }
        public void setFetchMaxWait(Duration fetchMaxWait) { this.fetchMaxWait = fetchMaxWait; }
        public Duration getRetryInitialDelay() { return retryInitialDelay; }
        public void setRetryInitialDelay(Duration d) { this.retryInitialDelay = d; }
        public Duration getRetryMaxDelay() { return retryMaxDelay; }
        public void setRetryMaxDelay(Duration d) { this.retryMaxDelay = d; }
    }

    /** JSON Schemas of the planned events. */
    public static class TrackingPlan {
        /** Folder of *.json schemas (relative to the working directory). */
        static final String DEFAULT_FOLDER = "config/tracking-plan";
        private String folder = DEFAULT_FOLDER;
        /** Accept track events that have no schema (otherwise: quarantined as unplanned). */
        private boolean allowUnplanned = false;

        public String getFolder() { return folder; }
        public void setFolder(String folder) { this.folder = folder; }
        public boolean isAllowUnplanned() { return allowUnplanned; }
        public void setAllowUnplanned(boolean allowUnplanned) { this.allowUnplanned = allowUnplanned; }
    }

    /** Engagement into the profiles' computed fields (clickstream.*). */
    public static class Projection {
        private Duration interval = Duration.ofSeconds(2);
        private int batchSize = 500;
        private int topInterests = 3;
        /** Housekeeping: purge old messageIds, fold engagement of merged profiles, drop erased ones. */
        private Duration housekeepingInterval = Duration.ofMinutes(1);

        public Duration getInterval() { return interval; }
        public void setInterval(Duration interval) { this.interval = interval; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public int getTopInterests() { return topInterests; }
        public void setTopInterests(int topInterests) { this.topInterests = topInterests; }
        public Duration getHousekeepingInterval() { return housekeepingInterval; }
        public void setHousekeepingInterval(Duration d) { this.housekeepingInterval = d; }
    }

    /** Anonymous audiences out. */
    public static class Audiences {
        /** Cells (and match lists) with fewer people are suppressed. */
        private int anonymityFloor = 100;
        /** Segments by name. */
        private Map<String, Segment> segments = new LinkedHashMap<>();
        private final Export export = new Export();

        public int getAnonymityFloor() { return anonymityFloor; }
        public void setAnonymityFloor(int k) { this.anonymityFloor = k; }
        public Map<String, Segment> getSegments() { return segments; }
        public void setSegments(Map<String, Segment> segments) { this.segments = segments; }
        public Export getExport() { return export; }
    }

    /** One segment rule. Empty criteria do not restrict. */
    public static class Segment {
        private List<String> interests = new ArrayList<>();
        /** Minimum decayed interest score. */
        private double minScore = 0.5;
        private List<String> campaigns = new ArrayList<>();
        private Integer minAge;
        private Integer maxAge;
        private List<String> genders = new ArrayList<>();
        private List<String> countries = new ArrayList<>();
        private List<String> regions = new ArrayList<>();
        /** Overrides the global floor for this segment (never below 1). */
        private Integer anonymityFloor;

        public List<String> getInterests() { return interests; }
        public void setInterests(List<String> interests) { this.interests = interests; }
        public double getMinScore() { return minScore; }
        public void setMinScore(double minScore) { this.minScore = minScore; }
        public List<String> getCampaigns() { return campaigns; }
        public void setCampaigns(List<String> campaigns) { this.campaigns = campaigns; }
        public Integer getMinAge() { return minAge; }
        public void setMinAge(Integer minAge) { this.minAge = minAge; }
        public Integer getMaxAge() { return maxAge; }
        public void setMaxAge(Integer maxAge) { this.maxAge = maxAge; }
        public List<String> getGenders() { return genders; }
        public void setGenders(List<String> genders) { this.genders = genders; }
        public List<String> getCountries() { return countries; }
        public void setCountries(List<String> countries) { this.countries = countries; }
        public List<String> getRegions() { return regions; }
        public void setRegions(List<String> regions) { this.regions = regions; }
        public Integer getAnonymityFloor() { return anonymityFloor; }
        public void setAnonymityFloor(Integer k) { this.anonymityFloor = k; }
    }

    /** Scheduled export of every segment's aggregate and match list. */
    public static class Export {
        private boolean enabled = true;
        private Duration interval = Duration.ofHours(1);
        /** Folder the JSON files are written to (atomically: temp file, then rename). */
        private String folder = "data/outbox/audiences";
        /** Topic for the ad platform connector (key = segment, header hub_audience_kind). */
        private String topic = "hub.audiences";

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public Duration getInterval() { return interval; }
        public void setInterval(Duration interval) { this.interval = interval; }
        public String getFolder() { return folder; }
        public void setFolder(String folder) { this.folder = folder; }
        public String getTopic() { return topic; }
        public void setTopic(String topic) { this.topic = topic; }
    }
}
