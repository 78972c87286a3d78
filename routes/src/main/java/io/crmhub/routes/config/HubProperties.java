package io.crmhub.routes.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every knob a deployer turns, under {@code hub.*}. Defaults here are the embedded default;
 * {@code config/application.yml} repeats them with comments, {@code config/application-prod.yml}
 * reads the production values from the environment.
 */
@ConfigurationProperties(prefix = "hub")
public class HubProperties {

    /** Name of this hub instance (lease owner, logs); unique per running instance. */
    private String instanceId = defaultInstanceId();

    private final Kafka kafka = new Kafka();
    private final Identity identity = new Identity();
    private final Survivorship survivorship = new Survivorship();
    private final Normalise normalise = new Normalise();
    private final Api api = new Api();
    private final Admin admin = new Admin();
    private final Errors errors = new Errors();
    private final Outbox outbox = new Outbox();
    private final Statistics statistics = new Statistics();

    private static String defaultInstanceId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "hub";
            }
        }
        // a random part too: two hubs in one JVM (or a restarted pid) never share a lease
        return host + "-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    public String getInstanceId() { return instanceId; }
    public void setInstanceId(String instanceId) { this.instanceId = instanceId; }
    public Kafka getKafka() { return kafka; }
    public Identity getIdentity() { return identity; }
    public Survivorship getSurvivorship() { return survivorship; }
    public Normalise getNormalise() { return normalise; }
    public Api getApi() { return api; }
    public Admin getAdmin() { return admin; }
    public Errors getErrors() { return errors; }
    public Outbox getOutbox() { return outbox; }
    public Statistics getStatistics() { return statistics; }

    /** Planner statistics of the hub's tables kept current during bulk work (PostgreSQL; see StatisticsKeeper). */
    public static class Statistics {
        /** How often the hub looks for tables that changed enough to be analyzed; 0 switches it off. */
        private Duration checkInterval = Duration.ofSeconds(10);

        public Duration getCheckInterval() { return checkInterval; }
        public void setCheckInterval(Duration checkInterval) { this.checkInterval = checkInterval; }
    }

    /** Kafka connection and topic names. */
    public static class Kafka {
        /** Bootstrap servers of the Kafka cluster (host:port,host:port). */
        private String bootstrapServers = "127.0.0.1:9092";
        /** Create the hub's topics at start when they are missing (needs the cluster's permission). */
        private boolean createTopics = true;
        /** Partitions of topics the hub creates. */
        private int topicPartitions = 3;
        /** Replication factor of topics the hub creates (3 on a production cluster). */
        private short topicReplication = 1;
        private final Embedded embedded = new Embedded();
        private final Topics topics = new Topics();

        /** Set by the embedded broker: resolved on first use, so binding never waits for the broker. */
        private transient java.util.function.Supplier<String> embeddedBootstrap;

        public String getBootstrapServers() {
            return embeddedBootstrap != null ? embeddedBootstrap.get() : bootstrapServers;
        }

        /** The embedded broker's address replaces {@code bootstrap-servers} (waits for the broker when called). */
        public void useEmbeddedBroker(java.util.function.Supplier<String> bootstrap) { this.embeddedBootstrap = bootstrap; }
        public void setBootstrapServers(String bootstrapServers) { this.bootstrapServers = bootstrapServers; }
        public Embedded getEmbedded() { return embedded; }
        public boolean isCreateTopics() { return createTopics; }
        public void setCreateTopics(boolean createTopics) { this.createTopics = createTopics; }
        public int getTopicPartitions() { return topicPartitions; }
        public void setTopicPartitions(int topicPartitions) { this.topicPartitions = topicPartitions; }
        public short getTopicReplication() { return topicReplication; }
        public void setTopicReplication(short topicReplication) { this.topicReplication = topicReplication; }
        public Topics getTopics() { return topics; }
    }

    /** The in-process KRaft broker of the embedded default. */
    public static class Embedded {
        /** Start a Kafka broker (KRaft) inside the hub. Off in the prod profile. */
        private boolean enabled = true;
        /** Partitions of the topics the embedded broker creates. */
        private int partitions = 3;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public int getPartitions() { return partitions; }
        public void setPartitions(int partitions) { this.partitions = partitions; }
    }

    public static class Topics {
        /** Every profile change (create, update, merge, unmerge, consent, erase), key = profile id. */
        private String profileChanges = "crm.profile.changes";
        /** Profile records published by other systems, same JSON as POST /api/v1/profiles. */
        private String profileRecords = "crm.profile.records";

        public String getProfileChanges() { return profileChanges; }
        public void setProfileChanges(String profileChanges) { this.profileChanges = profileChanges; }
        public String getProfileRecords() { return profileRecords; }
        public void setProfileRecords(String profileRecords) { this.profileRecords = profileRecords; }
    }

    /** Identity resolution guards. */
    public static class Identity {
        /** Local parts of role mailboxes that never cause a merge (info@, sales@ ...). */
        private List<String> roleMailboxes = new ArrayList<>(List.of("info", "sales", "noreply", "no-reply",
                "support", "contact", "admin", "office", "hello", "marketing", "team", "billing", "postmaster",
                "mailer-daemon", "webmaster"));
        /** An identifier already seen on more than this many profiles never causes a merge. */
        private int maxProfilesPerIdentifier = 3;
        /** Identity types a profile holds at most one of per namespace; two holders are never merged. */
        private List<String> uniquePerProfileTypes = new ArrayList<>(List.of("CRM_ID", "MEMBER_ID",
                "ECOM_CUSTOMER_ID", "EXTERNAL_ID"));

        public List<String> getRoleMailboxes() { return roleMailboxes; }
        public void setRoleMailboxes(List<String> roleMailboxes) { this.roleMailboxes = roleMailboxes; }
        public int getMaxProfilesPerIdentifier() { return maxProfilesPerIdentifier; }
        public void setMaxProfilesPerIdentifier(int n) { this.maxProfilesPerIdentifier = n; }
        public List<String> getUniquePerProfileTypes() { return uniquePerProfileTypes; }
        public void setUniquePerProfileTypes(List<String> types) { this.uniquePerProfileTypes = types; }
    }

    /** Which source wins an attribute: priority first, then recency. */
    public static class Survivorship {
        /** Source names, most trusted first. Unlisted sources rank below all listed ones. */
        private List<String> sourcePriority = new ArrayList<>(List.of("crm", "api", "membership", "ecommerce",
                "email", "lists", "clickstream"));

        public List<String> getSourcePriority() { return sourcePriority; }
        public void setSourcePriority(List<String> sourcePriority) { this.sourcePriority = sourcePriority; }
    }

    /** Normalisation defaults. */
    public static class Normalise {
        /** Region (ISO 3166 alpha-2) for phone numbers written without a country code. */
        private String defaultRegion = "DE";
        /** Time zone for local times written without an offset. */
        private String defaultZone = "Europe/Berlin";
        /** Read ambiguous dates like 03/04/1980 day first (3 April). */
        private boolean dayFirst = true;

        public String getDefaultRegion() { return defaultRegion; }
        public void setDefaultRegion(String defaultRegion) { this.defaultRegion = defaultRegion; }
        public String getDefaultZone() { return defaultZone; }
        public void setDefaultZone(String defaultZone) { this.defaultZone = defaultZone; }
        public boolean isDayFirst() { return dayFirst; }
        public void setDayFirst(boolean dayFirst) { this.dayFirst = dayFirst; }
    }

    /** The REST API. */
    public static class Api {
        /** Largest request body accepted; larger ones get 413. */
        private long maxBodyBytes = 1_048_576;
        /** API keys: name, SHA-256 of the key ("sha256:hex"), scopes. */
        private List<ApiKey> keys = new ArrayList<>();

        public long getMaxBodyBytes() { return maxBodyBytes; }
        public void setMaxBodyBytes(long maxBodyBytes) { this.maxBodyBytes = maxBodyBytes; }
        public List<ApiKey> getKeys() { return keys; }
        public void setKeys(List<ApiKey> keys) { this.keys = keys; }
    }

    public static class ApiKey {
        /** Who the key belongs to (shown in logs and audit). */
        private String name;
        /** "sha256:" followed by the hex SHA-256 of the key; the key itself is never stored. */
        private String keyHash;
        /** profiles:read, profiles:write, events:write, imports:write, admin. */
        private List<String> scopes = new ArrayList<>();

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getKeyHash() { return keyHash; }
        public void setKeyHash(String keyHash) { this.keyHash = keyHash; }
        public List<String> getScopes() { return scopes; }
        public void setScopes(List<String> scopes) { this.scopes = scopes; }
    }

    /** Login for Hawtio and the other admin endpoints. */
    public static class Admin {
        /** Admin user name. The prod profile refuses to start without one. */
        private String username;
        /** Admin password: plain, or {bcrypt}/{sha256}-prefixed hash. */
        private String password;

        public String getUsername() { return username; }
        public void setUsername(String username) { this.username = username; }
        public String getPassword() { return password; }
        public void setPassword(String password) { this.password = password; }
    }

    /** Shared error handling of all flows. */
    public static class Errors {
        /** Redeliveries of a message that failed on a transient fault (DB, broker, network). */
        private int maxRetries = 5;
        /** First back-off delay. */
        private Duration initialDelay = Duration.ofMillis(500);
        /** Growth factor of the back-off delay. */
        private double backoffMultiplier = 2.0;
        /** Longest back-off delay. */
        private Duration maxDelay = Duration.ofSeconds(30);
        /** Largest payload kept in the quarantine; longer ones are cut (and flagged). */
        private int quarantinePayloadCap = 262_144;

        public int getMaxRetries() { return maxRetries; }
        public void setMaxRetries(int maxRetries) { this.maxRetries = maxRetries; }
        public Duration getInitialDelay() { return initialDelay; }
        public void setInitialDelay(Duration initialDelay) { this.initialDelay = initialDelay; }
        public double getBackoffMultiplier() { return backoffMultiplier; }
        public void setBackoffMultiplier(double backoffMultiplier) { this.backoffMultiplier = backoffMultiplier; }
        public Duration getMaxDelay() { return maxDelay; }
        public void setMaxDelay(Duration maxDelay) { this.maxDelay = maxDelay; }
        public int getQuarantinePayloadCap() { return quarantinePayloadCap; }
        public void setQuarantinePayloadCap(int cap) { this.quarantinePayloadCap = cap; }
    }

    /** Relay of the outbox of profile changes to Kafka. */
    public static class Outbox {
        /** Relay the outbox from this instance (one instance at a time holds the lease). */
        private boolean enabled = true;
        /** How often the relay looks for new changes. */
        private Duration pollInterval = Duration.ofMillis(250);
        /** Changes sent per round. */
        private int batchSize = 1000;
        /** How long the relay lease lasts without renewal (another instance takes over after it). */
        private Duration leaseTtl = Duration.ofSeconds(15);
        /** Sent changes are kept this long (for inspection), then deleted; 0 keeps them forever. */
        private Duration retention = Duration.ofDays(7);
        /** How often sent changes older than the retention are deleted (by the relay's lease holder). */
        private Duration purgeInterval = Duration.ofHours(1);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public Duration getLeaseTtl() { return leaseTtl; }
        public void setLeaseTtl(Duration leaseTtl) { this.leaseTtl = leaseTtl; }
        public Duration getRetention() { return retention; }
        public void setRetention(Duration retention) { this.retention = retention; }
        public Duration getPurgeInterval() { return purgeInterval; }
        public void setPurgeInterval(Duration purgeInterval) { this.purgeInterval = purgeInterval; }
    }
}
