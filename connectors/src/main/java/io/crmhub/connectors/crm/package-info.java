/**
 * The CRM core store.
 *
 * <h2>Wiring</h2>
 * <pre>{@code
 * Migrations.migrate(dataSource, null);            // or Spring Boot Flyway, locations classpath:db/migration
 * CrmStore store = new JdbcCrmStore(dataSource,
 *         SurvivorshipRules.parse("crm,erp,shop"), // source priority, highest first
 *         new ConsentRules(),
 *         IdentityPolicy.defaults(),               // role mailboxes, N = 3, unique-per-profile types
 *         objectMapper);
 * }</pre>
 * Databases: PostgreSQL 15, or H2 2.x as
 * {@code jdbc:h2:file:...;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH}. The
 * same migrations run on both. Flyway scans {@code db/migration} recursively, so vendor specific
 * scripts (none so far) would have to go to {@code db/vendor/{vendor}} as an extra location.
 * On PostgreSQL, {@code reWriteBatchedInserts=true} on the JDBC URL helps the batch paths.
 *
 * <h2>Transactions</h2>
 * Every method is one READ COMMITTED transaction (the databases' default; it is not set
 * explicitly) and is retried up to {@link io.crmhub.connectors.crm.JdbcCrmStore#maxAttempts(int)}
 * times on unique violations, deadlocks, serialization and lock-timeout failures. Called inside a
 * Spring transaction the caller already has, a method joins it and is not retried: the caller's
 * own retry must then cover the whole transaction. When the attempts are used up the last
 * exception propagates (a Spring {@code TransientDataAccessException}, e.g.
 * {@link io.crmhub.connectors.crm.ConcurrentChangeException}): safe to retry the call.
 * <p>
 * {@link io.crmhub.connectors.crm.CrmStore#upsertAll} applies a batch in one transaction and reports
 * one outcome or error per record. On PostgreSQL (detected once per store) it is set-based: one
 * statement looks up all identifiers of the batch (owners, tombstones, sightings, unique
 * identifiers; {@code unnest} arrays with index probes), the records are resolved in order in
 * memory by the same rules as {@code upsert}, the profiles they update are locked in one statement
 * in id order, and each table is written with one statement; a record that merges profiles goes
 * through the single-record path inside the same transaction. A part that meets a concurrent
 * writer is rolled back to a savepoint and tried again; the whole batch is tried up to three times;
 * after that its records are applied one transaction each. Profiles created by one batch get
 * {@code created_at} one microsecond apart in record order. On H2 the portable path runs (set-based
 * create for records whose identifiers are all unknown, the rest one by one).
 *
 * <h2>Exceptions for bad input</h2>
 * <ul>
 *   <li>{@link java.lang.IllegalArgumentException}: a record with no identity or a blank identity
 *       value; unknown quarantine status; a list that exists with another member type; unmerge of
 *       a merge that does not exist.</li>
 *   <li>{@link io.crmhub.connectors.crm.ErasedIdentityException}: the record carries an identifier
 *       of an erased person (never retry, never re-create).</li>
 *   <li>{@link io.crmhub.connectors.crm.NoSuchProfileException} (an IllegalArgumentException): the
 *       profile does not exist or was erased.</li>
 *   <li>{@link java.lang.IllegalStateException}: unmerge that is not the latest merge into the
 *       survivor, or whose snapshots were erased, or whose survivor is itself merged.</li>
 *   <li>Spring {@code DataIntegrityViolationException}: a list or campaign id that does not exist.</li>
 * </ul>
 *
 * <h2>Outbox</h2>
 * Event types: {@code profile.created, profile.updated, profile.merged, profile.unmerged,
 * consent.changed, profile.erased, interaction.added, list.member.added, list.member.suppressed,
 * campaign.response, profile.computed}; payload JSON always has {@code profileId}. Ids are
 * allocated at insert, not at commit: a relay reading {@code pendingOutbox} in id order may see a
 * lower id appear late, so it should mark what it sent by id rather than keep a high-water mark.
 */
package io.crmhub.connectors.crm;
