package io.crmhub.routes.lists;

import io.crmhub.connectors.lists.ListImportStore;
import io.crmhub.connectors.lists.ListImporter;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.file.GenericFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.File;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Marketing-list imports. A file dropped in {@code hub.lists.inbox} is taken once it stopped
 * changing (read lock), once across all instances (shared JDBC idempotent repository on
 * {@code CAMEL_MESSAGEPROCESSED}), staged as a run and imported; uploads arrive on
 * {@code seda:lists-uploads}; recovery resumes runs whose instance stopped.
 */
@Component
public class ListImportRoute extends RouteBuilder {

    private static final Logger log = LoggerFactory.getLogger(ListImportRoute.class);

    public static final String IMPORT = "direct:lists-import";
    public static final String UPLOADS = "seda:lists-uploads";
    public static final String IMPORT_ID = "hubListImportId";

    private final ListsProperties props;
    private final ListImporter importer;
    /** Runs queued or running on this instance (heart-beaten by recovery, never claimed by it). */
    private final Set<Long> active = ConcurrentHashMap.newKeySet();

    public ListImportRoute(ListsProperties props, ListImporter importer) {
        this.props = props;
        this.importer = importer;
    }

    @Override
    public void configure() {
        String inbox = props.getInbox().replace('\\', '/');
        // .xls, .ods and .numbers are taken too, to be refused with the reason (failed/), not left in the inbox
        fromF("file:%s?include=(?i).*\\.(csv|txt|tsv|xlsx|xls|ods|numbers)&noop=true&idempotent=true"
                        + "&idempotentRepository=#%s&idempotentKey=${file:name}-${file:size}-${file:modified}"
                        + "&readLock=changed&readLockMinAge=%d&readLockCheckInterval=%d&readLockTimeout=%d"
                        + "&delay=%d&sortBy=file:modified&autoCreate=true&maxMessagesPerPoll=10",
                inbox, ListsConfig.IDEMPOTENT_REPOSITORY, props.getReadLockMinAge().toMillis(),
                Math.max(100, props.getReadLockMinAge().toMillis() / 2),
                Math.max(10_000, props.getReadLockMinAge().toMillis() * 10), props.getPollInterval().toMillis())
                .routeId("lists.inbox")
                .autoStartup(props.isEnabled())
                .process(this::accept)
                .filter(header(IMPORT_ID).isNotNull())
                .to(IMPORT);

        fromF("%s?concurrentConsumers=%d&size=10000", UPLOADS, Math.max(1, props.getUploadConcurrency()))
                .routeId("lists.uploads")
                .to(IMPORT);

        from(IMPORT)
                .routeId("lists.import")
                .process(this::runImport);

        fromF("timer:lists-recovery?synchronous=true&period=%d&delay=%d", props.getRecoveryInterval().toMillis(), 1000)
                .routeId("lists.recovery")
                .process(e -> recover());
    }

    private void accept(Exchange exchange) throws Exception {
        GenericFile<?> gf = exchange.getIn().getBody(GenericFile.class);
        File file = gf == null ? exchange.getIn().getBody(File.class) : (File) gf.getFile();
        Optional<Long> id = importer.acceptDropped(file.toPath());
        id.ifPresent(active::add);
        exchange.getIn().setHeader(IMPORT_ID, id.orElse(null));
        exchange.getIn().setBody(null);
    }

    /** Queues an upload's run. */
    public void queue(long id, org.apache.camel.ProducerTemplate producer) {
        active.add(id);
        producer.sendBodyAndHeader(UPLOADS, null, IMPORT_ID, id);
    }

    private void runImport(Exchange exchange) throws Exception {
        long id = exchange.getIn().getHeader(IMPORT_ID, Long.class);
        active.add(id);
        try {
            ListImportStore.Run run = importer.run(id);
            exchange.getIn().setBody(run.status());
        } catch (ListImporter.Paused | ListImporter.LostOwnership e) {
            log.warn(e.getMessage());
        } catch (RuntimeException e) {
            if (ListImporter.unavailable(e)) {
                // the database went away outside a chunk (start, end of the run): not the file's fault;
                // the run stays RUNNING and recovery resumes it, as after a pause
                log.warn("list import {}: database unavailable ({}); left to recovery", id, e.toString());
                return;
            }
            log.error("list import {} failed unexpectedly", id, e);
            importer.fail(id, "unexpected error: " + e);
        } catch (java.io.IOException e) {
            // a folder the run writes to (the outbox, done/) cannot be written: FAILED with the reason rather than
            // resumed by recovery and failing the same way every few minutes; the rows committed stay, the file
            // dropped again after the fix imports the rest
            log.error("list import {}: {}", id, e.toString());
            try {
                importer.fail(id, "cannot write its files: " + e);
            } catch (java.io.IOException | RuntimeException again) {
                log.error("list import {}: could not be marked FAILED either ({}); recovery takes it again", id,
                        again.toString());
            }
        } finally {
            active.remove(id);
        }
    }

    /** Heart-beats this instance's runs; takes over runs whose instance stopped and resumes them. */
    void recover() {
        ListImportStore store = importer.store();
        try {
            for (Long id : active) {
                store.heartbeat(id, importer.owner());
            }
            Instant staleBefore = Instant.now().minus(props.getStaleAfter());
            for (Long id : store.stale(staleBefore)) {
                if (!active.contains(id) && store.claim(id, importer.owner(), staleBefore)) {
                    log.info("list import {}: its instance stopped; resuming it here", id);
                    active.add(id);
                    getContext().createProducerTemplate().sendBodyAndHeader(UPLOADS, null, IMPORT_ID, id);
                }
            }
        } catch (RuntimeException e) {
            log.warn("list import recovery: {}", e.toString());
        }
        try {
            importer.setAsideOrphanManifests(props.getOrphanManifestAfter());
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("list import: orphan manifests: {}", e.toString());
        }
    }

    /** For tests: resume stale runs now, with the given staleness. */
    public int recoverNow(java.time.Duration staleAfter) {
        ListImportStore store = importer.store();
        Instant staleBefore = Instant.now().minus(staleAfter);
        int n = 0;
        for (Long id : store.stale(staleBefore)) {
            if (!active.contains(id) && store.claim(id, importer.owner(), staleBefore)) {
                active.add(id);
                getContext().createProducerTemplate().sendBodyAndHeader(UPLOADS, null, IMPORT_ID, id);
                n++;
            }
        }
        return n;
    }
}
