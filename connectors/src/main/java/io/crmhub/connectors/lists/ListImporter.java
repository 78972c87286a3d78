package io.crmhub.connectors.lists;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.crm.OutboxRows;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.InteractionType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.RecordNormaliser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Runs marketing-list imports: stages a dropped or uploaded file as a run, then reads it row by
 * row, maps, normalises and validates each row, and commits chunks of rows in ONE transaction each:
 * {@link CrmStore#upsertAll} (identity resolution), list members, timeline interactions, outbox
 * events and the run's progress and counters. A run killed mid-file resumes after its last
 * committed chunk with exact counts; a database that goes away pauses the run, which retries.
 */
public class ListImporter {

    private static final Logger log = LoggerFactory.getLogger(ListImporter.class);

    public static final String ORIGIN_DROP = "DROP";
    public static final String ORIGIN_UPLOAD = "UPLOAD";
    public static final Set<String> DATA_EXTENSIONS = Set.of("csv", "txt", "tsv", "xlsx", "xls", "ods", "numbers");

    /** Settings of the importer (from hub.lists.*). */
    public record Options(Path inbox, Path outbox, int chunkSize, int workers, Duration maxPause,
                          Duration progressLogInterval) {
        public Options {
            workers = Math.max(1, workers);
            chunkSize = Math.max(1, chunkSize);
            maxPause = maxPause == null ? Duration.ofMinutes(15) : maxPause;
            progressLogInterval = progressLogInterval == null ? Duration.ofSeconds(10) : progressLogInterval;
        }

        public Path processing() {
            return inbox.resolve(".processing");
        }

        public Path done() {
            return inbox.resolve("done");
        }

        public Path failed() {
            return inbox.resolve("failed");
        }
    }

    private final CrmStore crm;
    private final ListImportStore store;
    private final RecordNormaliser normaliser;
    private final ColumnAliases aliases;
    private final Options options;
    private final String owner;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ObjectMapper compact = new ObjectMapper();
    private final io.crmhub.connectors.crm.StoreTimings timings = new io.crmhub.connectors.crm.StoreTimings();

    /** Time and calls per phase of the chunk writes, summed over the workers (what a benchmark prints). */
    public Map<String, long[]> timings() {
        return timings.snapshot();
    }

    public ListImporter(CrmStore crm, ListImportStore store, RecordNormaliser normaliser, ColumnAliases aliases,
                        Options options, String owner) {
        this.crm = crm;
        this.store = store;
        this.normaliser = normaliser;
        this.aliases = aliases;
        this.options = options;
        this.owner = owner;
    }

    public Options options() {
        return options;
    }

    public ListImportStore store() {
        return store;
    }

    public String owner() {
        return owner;
    }

    // =========================================================================================
    // intake
    // =========================================================================================

    /** File name without its data extension ("leads.csv" → "leads", "x.errors.csv" → "x.errors"). */
    public static String baseName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot > 0 && DATA_EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT))) {
            return fileName.substring(0, dot);
        }
        return fileName;
    }

    /**
     * Takes a file dropped in the inbox: reads its manifest, creates the run and moves the file
     * (and manifest) out of the inbox into {@code .processing/}. Empty when another instance took
     * the file first. A run that cannot even be created (bad manifest) is finished FAILED at once.
     */
    public Optional<Long> acceptDropped(Path file) throws IOException {
        String name = file.getFileName().toString();
        String base = baseName(name);
        Path manifest = file.resolveSibling(base + ".list.yml");
        ListSettings settings;
        String settingsError = null;
        try {
            settings = settingsFor(base, Files.exists(manifest) ? ListSettings.readManifestMap(manifest) : null);
        } catch (IllegalArgumentException e) {
            settings = ListSettings.defaults(base);
            settingsError = Files.exists(manifest) && !e.getMessage().startsWith("manifest ")
                    ? "manifest " + manifest.getFileName() + ": " + e.getMessage() : e.getMessage();
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return Optional.empty(); // another instance took it
        }
        long id = store.create(ORIGIN_DROP, name, base, settings, settingsJson(settings), size, options.chunkSize(),
                lanes(settings), owner);
        Files.createDirectories(options.processing());
        Path staged = options.processing().resolve(id + "-" + name);
        try {
            Files.move(file, staged, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            store.delete(id); // another instance took it
            return Optional.empty();
        }
        if (Files.exists(manifest)) {
            try {
                Files.move(manifest, options.processing().resolve(id + "-" + base + ".list.yml"),
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException ignored) {
                // the manifest was read already; leaving it is harmless
            }
        }
        store.setStagedPath(id, staged.toString());
        if (settingsError != null) {
            failWholeFile(store.find(id).orElseThrow(), staged, settingsError, null);
        }
        return Optional.of(id);
    }

    /**
     * Sets aside, to {@code failed/} with a reason beside it, each manifest in the inbox that has had no file of its
     * name beside it for {@code after}: one that came after its file (which was imported without it) would otherwise
     * wait there and apply to the next file of that name, unnoticed.
     *
     * @return the manifests set aside
     */
    public List<Path> setAsideOrphanManifests(Duration after) throws IOException {
        List<Path> moved = new ArrayList<>();
        if (!Files.isDirectory(options.inbox())) {
            return moved;
        }
        Instant before = Instant.now().minus(after);
        List<Path> manifests;
        try (var files = Files.list(options.inbox())) {
            manifests = files.filter(p -> p.getFileName().toString().endsWith(".list.yml") && Files.isRegularFile(p))
                    .toList();
        }
        for (Path m : manifests) {
            String name = m.getFileName().toString();
            String base = name.substring(0, name.length() - ".list.yml".length());
            boolean fileBeside = false;
            for (String ext : DATA_EXTENSIONS) {
                fileBeside |= Files.exists(m.resolveSibling(base + "." + ext))
                        || Files.exists(m.resolveSibling(base + "." + ext.toUpperCase(Locale.ROOT)));
            }
            if (fileBeside || Files.getLastModifiedTime(m).toInstant().isAfter(before)) {
                continue;
            }
            Files.createDirectories(options.failed());
            Path target = options.failed().resolve(name);
            if (Files.exists(target)) {
                target = options.failed().resolve(base + "." + System.currentTimeMillis() + ".list.yml");
            }
            try {
                Files.move(m, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                continue;    // its file came and took it, or another instance set it aside
            }
            Files.writeString(target.resolveSibling(target.getFileName() + ".reason.txt"), "manifest " + name
                    + " set aside at " + Instant.now() + ": no file named " + base + ".csv (.xlsx …) beside it for "
                    + (after.toSeconds() >= 60 && after.toSeconds() % 60 == 0 ? after.toMinutes() + " min" : after.toSeconds() + " s")
                    + ". A manifest applies to the next file of its name, so it was not left"
                    + " waiting: if its file was imported already (the manifest came after it), check that import's"
                    + " list; drop the manifest again before its file.\n", StandardCharsets.UTF_8);
            log.warn("list manifest {} set aside to {}: no file of its name beside it for {}", name, target, after);
            moved.add(target);
        }
        return moved;
    }

    /** Lanes of a new run: one per worker, one where chunks cannot commit in parallel (H2, dry runs). */
    private int lanes(ListSettings settings) {
        return settings.dryRun() || !store.postgres() ? 1 : options.workers();
    }

    /**
     * Stages an uploaded file (already written to {@code uploaded}) as a run. Parameters override
     * the defaults (list name = base name ...). Bad parameters throw IllegalArgumentException.
     */
    public long acceptUpload(Path uploaded, String fileName, Map<String, ?> params) throws IOException {
        String base = baseName(fileName);
        ListSettings settings = settingsFor(base, params == null || params.isEmpty() ? null : params);
        long id = store.create(ORIGIN_UPLOAD, fileName, base, settings, settingsJson(settings), Files.size(uploaded),
                options.chunkSize(), lanes(settings), owner);
        Files.createDirectories(options.processing());
        Path staged = options.processing().resolve(id + "-" + fileName);
        Files.move(uploaded, staged, StandardCopyOption.REPLACE_EXISTING);
        store.setStagedPath(id, staged.toString());
        return id;
    }

    /**
     * The settings of a run from what its manifest or request states ({@code stated}, null when nothing).
     * A corrected errors file takes the list, member type and mapping of the import it came from; what is
     * stated for it (another list, member type …) overrides those.
     */
    private ListSettings settingsFor(String fileBase, Map<?, ?> stated) {
        // a browser that downloaded the errors file twice saved it as "x.errors (1).csv"
        String base = fileBase.replaceFirst("\\.errors\\s*\\(\\d+\\)$", ".errors");
        if (base.endsWith(".errors")) {
            String original = base.substring(0, base.length() - ".errors".length());
            if (original.endsWith(DRY_RUN_SUFFIX)) {
                if (stated == null) {
                    String file = original.substring(0, original.length() - DRY_RUN_SUFFIX.length());
                    Optional<ListImportStore.Run> dry = store.lastDryRunOf(file);
                    throw new IllegalArgumentException("'" + base + "' is the errors file of " + dry.map(d -> "dry run "
                            + d.id()).orElse("a dry run") + ", which wrote nothing: correct the original file '"
                            + dry.map(ListImportStore.Run::fileName).orElse(file) + "' and import it, or add a manifest"
                            + " naming the list these rows go to");
                }
                return ListSettings.fromMap(stated, original);
            }
            Optional<ListImportStore.Run> prior = store.lastImportOf(original);
            if (prior.isEmpty()) {
                prior = store.lastImportOf(base);
            }
            if (prior.isPresent()) {
                Map<String, Object> merged = new LinkedHashMap<>(readMap(prior.get().settings()));
                merged.put("dryRun", false);
                // the errors file is the hub's own CSV (UTF-8, commas) whatever the original's encoding or separator
                merged.remove("charset");
                merged.remove("delimiter");
                if (stated != null) {
                    merged.putAll(ListSettings.stated(stated));
                }
                return ListSettings.fromMap(merged, original);
            }
            if (stated == null) {
                Optional<ListImportStore.Run> dry = store.lastDryRunOf(original);
                if (dry.isPresent()) {
                    throw new IllegalArgumentException("'" + base + "' is the errors file of dry run " + dry.get().id()
                            + ", which wrote nothing: correct the original file '" + dry.get().fileName()
                            + "' and import it, or add a manifest naming the list these rows go to");
                }
                throw new IllegalArgumentException("'" + base + "' looks like a corrected errors file, but no finished"
                        + " import of '" + original + "' is known to take the list from; add a manifest naming the list");
            }
        }
        return stated == null ? ListSettings.defaults(fileBase) : ListSettings.fromMap(stated, fileBase);
    }

    private String settingsJson(ListSettings s) {
        try {
            return compact.writeValueAsString(s.toMap());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> readMap(String s) {
        try {
            return compact.readValue(s, new TypeReference<Map<String, Object>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored settings unreadable: " + e.getMessage(), e);
        }
    }

    // =========================================================================================
    // running
    // =========================================================================================

    /** Signals that another instance took the run over (this one stopped heart-beating). */
    public static final class LostOwnership extends RuntimeException {
        LostOwnership(long id) {
            super("list import " + id + " was taken over by another instance");
        }
    }

    /** Thrown when the database stayed away longer than maxPause: the run stays RUNNING and is resumed later. */
    public static final class Paused extends RuntimeException {
        Paused(long id, Throwable cause) {
            super("list import " + id + " paused: the database is unavailable (" + cause + "); it resumes when"
                    + " recovery finds it", cause);
        }
    }

    /** Runs (or resumes) the import; returns the run as finished. */
    public ListImportStore.Run run(long id) throws IOException {
        ListImportStore.Run run = store.find(id).orElseThrow(() -> new IllegalArgumentException("no list import " + id));
        if (run.finished()) {
            return run;
        }
        if (run.stagedPath() == null || !Files.exists(Path.of(run.stagedPath()))) {
            String written = reportWrittenAtTheEnd(run);
            if (written != null) {
                // everything was done but the last commit (file moved, report written): finish it as it ended
                store.finish(id, "DONE", null, written, run.rowsDone(), run.bytesTotal());
                log.info("list import {} ({}): its file was already done; finished from its report", id, run.fileName());
                return store.find(id).orElseThrow();
            }
            store.finish(id, "FAILED", "the staged file " + run.stagedPath() + " is gone", null, null, null);
            return store.find(id).orElseThrow();
        }
        Path staged = Path.of(run.stagedPath());
        ListSettings settings = ListSettings.fromMap(readMap(run.settings()), run.baseName());
        Instant started = run.startedAt() == null ? Instant.now() : run.startedAt();

        // the same content once: checksum registered by the first run of it
        String checksum = run.checksum();
        if (!settings.dryRun() && checksum == null) {
            checksum = sha256(staged);
            // a list named in the manifest or request takes content another list has (the same partner file into
            // "Q3 nurture" too); a file whose list is only its name is a renamed copy of the same file again
            boolean listStated = !settings.listName().equals(run.baseName());
            long first = store.registerChecksum(checksum, settings.listName(), id, !listStated);
            if (first != id) {
                store.releaseChecksum(checksum, id);
                ListImportStore.Run earlier = store.find(first).orElse(null);
                String reason = "same content as list import " + first
                        + (earlier == null ? "" : " (" + earlier.fileName() + ", " + earlier.status() + ")")
                        + (listStated ? " into list '" + settings.listName() + "': not imported again"
                        : ": not imported again; to import it into another list, name the list in a manifest or with"
                        + " ?list=");
                log.info("list import {} ({}): {}", id, run.fileName(), reason);
                Map<String, Object> report = report(run, settings, "DUPLICATE", started, Instant.now(), null, null,
                        List.of());
                report.put("duplicateOf", first);
                report.put("error", reason);
                moveOriginal(staged, run, options.done());
                writeReport(outName(run), report);
                store.finish(id, "DUPLICATE", reason, toJson(report), 0L, null);
                return store.find(id).orElseThrow();
            }
        }

        TabularReader reader;
        RowMapper mapper;
        try {
            reader = open(staged, settings, run.fileName());
        } catch (TabularReader.UnreadableFileException e) {
            return failWholeFile(run, staged, e.getMessage(), checksum);
        }
        try (reader) {
            try {
                mapper = new RowMapper(reader.header(), settings, aliases, normaliser, run.fileName());
            } catch (TabularReader.UnreadableFileException e) {
                return failWholeFile(run, staged, e.getMessage(), checksum);
            }
            Long listId = null;
            if (!settings.dryRun()) {
                try {
                    listId = crm.createList(settings.listName(), settings.memberType()).id();
                } catch (IllegalArgumentException e) {
                    return failWholeFile(run, staged, "rejected: " + e.getMessage()
                            + " — one member type per list; import into another list or change memberType", checksum);
                }
            }
            if (!store.start(id, owner, checksum, listId, settings.listName(), settings.memberType().name())) {
                throw new LostOwnership(id);
            }
            log.info("list import {} ({}): {} into list '{}' ({}){}{}", id, run.fileName(), reader.describe(),
                    settings.listName(), settings.memberType(), settings.dryRun() ? ", DRY RUN" : "",
                    run.rowsDone() > 0 ? ", resuming after row " + run.rowsDone() : "");
            if (!mapper.manifestColumnsNotFound().isEmpty()) {
                log.warn("list import {}: the manifest maps columns the file does not have: {}", id,
                        mapper.manifestColumnsNotFound());
            }
            if (!mapper.unmapped().isEmpty()) {
                log.info("list import {}: columns not imported: {}", id, mapper.unmapped());
            }
            try {
                Chunker chunker = new Chunker(run, settings, listId, mapper, reader);
                chunker.runAll();
            } catch (TabularReader.UnreadableFileException e) {
                // a syntax error mid-file: what was committed stays; the file as a whole failed
                ListImportStore.Run now = store.find(id).orElseThrow();
                return failWholeFile(now, staged, e.getMessage(), null, mapper.originalHeader(), mapper.unmapped());
            }
            ListImportStore.Run done = store.find(id).orElseThrow();
            long sizeNow = Files.size(staged);
            if (run.bytesTotal() != null && sizeNow != run.bytesTotal()) {
                // a writer that paused longer than the read lock waits, then went on writing into the file it had
                // open (moved, the same file): the rows it wrote after the reader reached the end were never read
                return failWholeFile(done, staged, "the file changed while it was imported (" + run.bytesTotal()
                        + " bytes when it was taken, " + sizeNow + " bytes at the end): it was still being written. The "
                        + done.rowsDone() + " rows read are imported (rejected ones are in the errors file); drop the"
                        + " complete file again — rows imported already are recognised and not added twice. Write files"
                        + " under another name and rename them into the folder, or raise hub.lists.read-lock-min-age",
                        checksum, mapper.originalHeader(), mapper.unmapped());
            }
            Path errorsFile = exportErrors(done, mapper.originalHeader());
            if (errorsFile == null) {
                // an earlier import's errors file of the same name would pass for this one's, and dropped back go
                // into this import's list: it goes (its rows are in the earlier run's report and the database)
                Files.deleteIfExists(options.outbox().resolve(outName(done) + ".errors.csv"));
            }
            Instant finished = Instant.now();
            Map<String, Object> report = report(done, settings, "DONE", started, finished, reader.describe(), errorsFile,
                    mapper.unmapped());
            if (!mapper.manifestColumnsNotFound().isEmpty()) {
                report.put("manifestColumnsNotFound", mapper.manifestColumnsNotFound());
            }
            // report first, then the file, then the run: a run found RUNNING with its file already in done/
            // (the database went away, or the hub died, before the last commit) is finished from its report
            writeReport(outName(run), report);
            moveOriginal(staged, run, options.done());
            store.finish(id, "DONE", null, toJson(report), done.rowsDone(), done.bytesTotal());
            log.info("list import {} ({}) done: {}", id, run.fileName(), summary(done.counters(), report));
            return store.find(id).orElseThrow();
        }
    }

    /**
     * Writes the run's rejected rows, in row order, to {@code <basename>.errors.csv} (UTF-8 with BOM).
     * Null when there are none.
     */
    private Path exportErrors(ListImportStore.Run run, List<String> header) throws IOException {
        if (run.counters().rejected == 0) {
            return null;
        }
        Files.createDirectories(options.outbox());
        Path part = options.outbox().resolve("." + run.id() + ".errors.csv.part");
        try (var w = Files.newBufferedWriter(part, StandardCharsets.UTF_8)) {
            w.write('\uFEFF');
            w.write(ErrorsCsv.headerLine(header));
            store.errors(run.id(), e -> {
                try {
                    String[] values = compact.readValue(e.original(), String[].class);
                    w.write(ErrorsCsv.line(e.shownRow(), e.column() == null ? "" : e.column(), e.reason(), values));
                } catch (IOException io) {
                    throw new UncheckedIOException(io);
                }
            });
        }
        Path target = options.outbox().resolve(outName(run) + ".errors.csv");
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // the rows stay until the run is finished (ListImportStore.finish): a run resumed after this
        // point writes the same file again
        return target;
    }

    /** Ends a run that met an unexpected error: FAILED with the reason, the file to failed/. */
    public ListImportStore.Run fail(long id, String reason) throws IOException {
        ListImportStore.Run run = store.find(id).orElseThrow(() -> new IllegalArgumentException("no list import " + id));
        if (run.finished()) {
            return run;
        }
        Path staged = run.stagedPath() == null ? null : Path.of(run.stagedPath());
        List<String> header = List.of();
        if (staged != null && Files.exists(staged)) {
            try (TabularReader r = open(staged, ListSettings.fromMap(readMap(run.settings()), run.baseName()), run.fileName())) {
                header = r.header();
                if (header.size() > 3 && ColumnAliases.key(header.get(0)).equals("row")
                        && ColumnAliases.key(header.get(2)).equals("reason")) {
                    header = header.subList(3, header.size());
                }
            } catch (IOException | RuntimeException ignored) {
                // the errors file gets no header names then
            }
        }
        return failWholeFile(run, staged, reason, run.checksum(), header, List.of());
    }

    /**
     * The file, its header the first line with a column that identifies a person (e-mail, phone, id): the notes
     * and titles some exports put above the header are skipped (LinkedIn's "Notes:" …).
     */
    private TabularReader open(Path staged, ListSettings settings, String fileName) throws IOException {
        return TabularReaders.open(staged, settings, header -> {
            try {
                new RowMapper(header, settings, aliases, normaliser, fileName);
                return true;
            } catch (TabularReader.UnreadableFileException e) {
                return false;
            }
        });
    }

    private ListImportStore.Run failWholeFile(ListImportStore.Run run, Path staged, String reason, String checksum)
            throws IOException {
        return failWholeFile(run, staged, reason, checksum, List.of(), List.of());
    }

    private ListImportStore.Run failWholeFile(ListImportStore.Run run, Path staged, String reason, String checksum,
                                              List<String> header, List<String> unmapped) throws IOException {
        log.warn("list import {} ({}) failed: {}", run.id(), run.fileName(), reason);
        if (checksum != null) {
            store.releaseChecksum(checksum, run.id()); // a fixed setup may import the same content later
        }
        ListSettings settings = ListSettings.fromMap(readMap(run.settings()), run.baseName());
        Path errorsFile = exportErrors(run, header);
        Instant started = run.startedAt() == null ? Instant.now() : run.startedAt();
        Map<String, Object> report = report(run, settings, "FAILED", started, Instant.now(), null, errorsFile, unmapped);
        report.put("error", reason);
        Path moved = moveOriginal(staged, run, options.failed());
        if (moved != null) {
            Files.writeString(moved.resolveSibling(moved.getFileName() + ".reason.txt"),
                    "list import " + run.id() + " of " + run.fileName() + " failed at " + Instant.now() + ":\n" + reason
                            + "\n", StandardCharsets.UTF_8);
        }
        writeReport(outName(run), report);
        store.finish(run.id(), "FAILED", reason, toJson(report), null, null);
        return store.find(run.id()).orElseThrow();
    }

    // =========================================================================================
    // chunks
    // =========================================================================================

    /** One row read: mapped, or rejected with its reason. */
    private record Row(long rowNumber, String[] values, ProfileRecord record, int dropped, String column,
                       String reason, ProfileRecord optOut) {
        boolean ok() {
            return record != null;
        }
    }

    /**
     * Reads and maps the file on the calling thread while one thread per lane commits its chunks.
     * Each row goes to the lane of its person (a hash of its e-mail as written, see {@link #laneOf};
     * a row without one by its row number), so the rows with one e-mail are committed one after the
     * other in file order and never meet in two concurrent transactions (a duplicate in the file would
     * make the later chunk fail on the earlier one's identity and start over; rows sharing only a phone
     * or an id still can, and are retried). Each lane cuts its rows into chunks
     * of chunkSize; chunks are numbered in the order the reader completes them, so cutting the file
     * again on resume (the run's chunk size and lanes, not the current settings) gives the same
     * chunks, and the committed ones are skipped. With one lane (H2, dry runs, runs of before V12)
     * chunk n holds data rows n*chunkSize+1 .. (n+1)*chunkSize. At most two chunks per lane wait in
     * memory besides the ones being filled.
     */
    private final class Chunker {
        final ListImportStore.Run run;
        final ListSettings settings;
        final Long listId;
        final RowMapper mapper;
        final TabularReader reader;
        final int chunkSize;
        final Instant observedAt = Instant.now();
        final java.util.concurrent.atomic.AtomicLong rowsDone;
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        long lastLog = System.nanoTime();
        final long startNanos = System.nanoTime();
        final long rowsAtStart;

        Chunker(ListImportStore.Run run, ListSettings settings, Long listId, RowMapper mapper, TabularReader reader) {
            this.run = run;
            this.settings = settings;
            this.listId = listId;
            this.mapper = mapper;
            this.reader = reader;
            this.chunkSize = Math.max(1, run.chunkSize());
            this.rowsDone = new java.util.concurrent.atomic.AtomicLong(run.rowsDone());
            this.rowsAtStart = run.rowsDone();
        }

        void runAll() throws IOException {
            Set<Long> committed = run.rowsDone() > 0 || run.counters().rejected > 0 ? store.committedChunks(run.id())
                    : Set.of();
            int lanes = Math.max(1, run.lanes());
            // even with one lane the file is read and mapped on this thread while the lane writes
            Lane[] lane = new Lane[lanes];
            for (int i = 0; i < lanes; i++) {
                lane[i] = new Lane(i);
            }
            TabularReader.UnreadableFileException unreadable = null;
            try {
                long chunkNo = 0;
                while (failure.get() == null) {
                    String[] values;
                    try {
                        values = reader.next();
                    } catch (TabularReader.UnreadableFileException e) {
                        // the rows read before the break are imported (cut as at the end of a file, so a resumed
                        // run that meets the same break cuts the same chunks); the run then fails on the break
                        unreadable = e;
                        values = null;
                    }
                    if (values == null) {
                        for (Lane l : lane) {
                            if (!l.rows.isEmpty()) {
                                l.cut(chunkNo++, committed);
                            }
                        }
                        break;
                    }
                    // one lane: the chunk's number is known before its rows are read, a committed one is not mapped
                    Row row = lanes == 1 && committed.contains(chunkNo) ? null : read(values, reader.rowNumber());
                    Lane l = lane[lanes == 1 ? 0 : laneOf(values, reader.rowNumber(), lanes)];
                    l.rows.add(row);
                    if (l.rows.size() >= chunkSize) {
                        l.cut(chunkNo++, committed);
                        logProgress(false);
                    }
                }
            } finally {
                for (Lane l : lane) {
                    l.pool.shutdown();
                }
                try {
                    for (Lane l : lane) {
                        while (!l.pool.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS)) {
                            logProgress(false);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    for (Lane l : lane) {
                        l.pool.shutdownNow();
                    }
                }
            }
            Throwable f = failure.get();
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof IOException io) {
                throw io;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
            logProgress(true);
            if (unreadable != null) {
                throw new TabularReader.UnreadableFileException(unreadable.getMessage() + "; the " + rowsDone.get()
                        + " rows before it were " + (settings.dryRun() ? "checked" : "imported")
                        + " (rejected ones are in the errors file); correct the file and import it again: rows"
                        + " imported already are recognised and not added twice", unreadable);
            }
        }

        /**
         * The lane of a row, from its raw values only — never from the column mapping, the alias table or
         * the normalisers, which a deployer may change before a killed run is resumed: a resumed run must
         * cut the file into the same chunks. The key is the first cell (in column order) holding an
         * {@code @}, trimmed and lower-cased, so a person's rows with the same e-mail (in any case) share
         * a lane; a row without one goes by its row number. Hashes of strings are the same in every JVM.
         */
        static int laneOf(String[] values, long rowNumber, int lanes) {
            for (String v : values) {
                if (v != null && v.indexOf('@') >= 0) {
                    return Math.floorMod(v.trim().toLowerCase(Locale.ROOT).hashCode(), lanes);
                }
            }
            return (int) Math.floorMod(rowNumber, (long) lanes);
        }

        /** One lane: the rows being gathered into its next chunk and the thread that commits its chunks in order. */
        private final class Lane {
            final java.util.concurrent.ExecutorService pool;
            /** the chunk being committed and one waiting: more would only hold memory */
            final java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(2);
            List<Row> rows = new ArrayList<>(chunkSize);

            Lane(int index) {
                pool = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "list-import-" + run.id() + "-" + index);
                    t.setDaemon(true);
                    return t;
                });
            }

            /** The gathered rows become chunk {@code chunkNo}: committed by this lane's thread unless committed before. */
            void cut(long chunkNo, Set<Long> committed) {
                List<Row> chunk = rows;
                rows = new ArrayList<>(chunkSize);
                if (committed.contains(chunkNo)) {
                    return;
                }
                long bytes = reader.bytesRead();
                try {
                    long t0 = System.nanoTime();
                    slots.acquire();
                    timings.add("reader.waitsForLane", t0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
                pool.execute(() -> {
                    try {
                        if (failure.get() == null) {
                            commit(chunkNo, chunk, bytes);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        slots.release();
                    }
                });
            }
        }

        private Row read(String[] values, long rowNumber) {
            try {
                RowMapper.Mapped m = mapper.map(values, rowNumber, observedAt);
                return new Row(rowNumber, values, m.record(), m.dropped(), null, null, null);
            } catch (RowMapper.RejectedRow e) {
                return new Row(rowNumber, values, null, 0, e.column(), e.getMessage(), e.optOut());
            }
        }

        private synchronized void logProgress(boolean last) {
            long now = System.nanoTime();
            if (!last && now - lastLog < options.progressLogInterval().toNanos()) {
                return;
            }
            lastLog = now;
            double secs = Math.max(1e-3, (now - startNanos) / 1e9);
            long total = run.bytesTotal() == null ? 0 : run.bytesTotal();
            long done = rowsDone.get();
            log.info("list import {} ({}): {} rows{}, {} rows/s", run.id(), run.fileName(), done,
                    total > 0 ? String.format(Locale.ROOT, ", %.0f%% of the file", Math.min(100.0, 100.0 * reader.bytesRead() / total)) : "",
                    Math.round((done - rowsAtStart) / secs));
        }

        /**
         * Commits one chunk in one transaction, retrying through database outages (up to maxPause)
         * and conflicts with concurrent writers; on any other error its rows are stored one by one
         * (sub-chunks of the same chunk number are not possible, so they run in the same transaction
         * with a savepoint per row).
         */
        /** After a lost connection: whether the chunk's transaction committed anyway (false while still away). */
        private boolean committedMeanwhile(long chunkNo) {
            try {
                return store.chunkCommitted(run.id(), chunkNo);
            } catch (RuntimeException stillAway) {
                return false;
            }
        }

        void commit(long chunkNo, List<Row> chunk, long bytes) {
            long pauseStart = 0;
            long delay = 200;
            int conflicts = 0;
            boolean rowByRow = false;
            while (true) {
                try {
                    final boolean single = rowByRow;
                    long t0 = System.nanoTime();
                    ImportCounters d = store.inTransaction(() -> settings.dryRun() ? dryRun(chunkNo, chunk, bytes)
                            : write(chunkNo, chunk, bytes, single));
                    timings.add("chunk.transaction", t0);
                    rowsDone.addAndGet(d.rows);
                    return;
                } catch (LostOwnership e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (unavailable(e)) {
                        long now = System.nanoTime();
                        if (pauseStart == 0) {
                            pauseStart = now;
                            log.warn("list import {}: database unavailable ({}); paused, retrying", run.id(), e.toString());
                        }
                        if (now - pauseStart > options.maxPause().toNanos()) {
                            throw new Paused(run.id(), e);
                        }
                        sleep(delay);
                        delay = Math.min(30_000, delay * 2);
                        if (committedMeanwhile(chunkNo)) {
                            // the commit went through and only its answer was lost: the chunk is done
                            log.info("list import {}: chunk {} was committed before the connection was lost",
                                    run.id(), chunkNo);
                            rowsDone.addAndGet(chunk.size());
                            return;
                        }
                        continue;
                    }
                    if (transientFault(e)) {
                        // a concurrent writer holds a profile of this chunk: again, after it committed
                        conflicts++;
                        if (conflicts % 20 == 0) {
                            // not expected to last: say so where an operator looks, with the cause
                            log.warn("list import {}: chunk {} still meets a concurrent writer after {} tries ({})",
                                    run.id(), chunkNo, conflicts, e.toString());
                        } else {
                            log.debug("list import {}: chunk {} met a concurrent writer ({}), retry {}", run.id(), chunkNo,
                                    e.toString(), conflicts);
                        }
                        long t0 = System.nanoTime();
                        sleep(Math.min(2_000, 25L * conflicts * conflicts));
                        timings.add("chunk.conflictWait", t0);
                        continue;
                    }
                    if (rowByRow) {
                        throw e;
                    }
                    log.warn("list import {}: chunk {} failed ({}); storing its rows one by one", run.id(), chunkNo,
                            e.toString());
                    rowByRow = true;
                }
            }
        }

        private Object[] errorRow(Row r, String column, String reason) {
            try {
                return new Object[]{r.rowNumber(), column == null ? "" : column, reason,
                        compact.writeValueAsString(mapper.originalValues(r.values())), mapper.sourceRow(r.values())};
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        private ImportCounters dryRun(long chunkNo, List<Row> chunk, long bytes) {
            ImportCounters d = new ImportCounters();
            List<Object[]> errors = new ArrayList<>();
            Set<String> all = new HashSet<>();
            for (Row r : chunk) {
                if (r.ok()) {
                    r.record().identities().forEach(i -> all.add(i.key()));
                }
            }
            // keys of earlier chunks are in the database (committed with their chunk): memory stays flat
            Set<String> earlier = all.isEmpty() ? Set.of() : store.dryRunKeysSeen(run.id(), all);
            Set<String> keys = new HashSet<>();
            for (Row r : chunk) {
                d.rows++;
                if (!r.ok()) {
                    d.rejected++;
                    errors.add(errorRow(r, r.column(), r.reason()));
                    continue;
                }
                d.valuesDropped += r.dropped();
                boolean dup = false;
                for (var i : r.record().identities()) {
                    dup |= earlier.contains(i.key()) || !keys.add(i.key());
                }
                if (dup) {
                    d.duplicatesInFile++;
                }
            }
            store.insertErrors(run.id(), errors);
            keys.removeAll(earlier);
            store.addDryRunKeys(run.id(), keys);
            if (store.progress(run.id(), owner, chunkNo, d, bytes) != 1) {
                throw new LostOwnership(run.id());
            }
            return d;
        }

        /** Inside the chunk transaction. */
        private ImportCounters write(long chunkNo, List<Row> chunk, long bytes, boolean rowByRow) {
            ImportCounters d = new ImportCounters();
            List<Object[]> errors = new ArrayList<>();
            List<Row> valid = new ArrayList<>(chunk.size());
            List<ProfileRecord> records = new ArrayList<>(chunk.size());
            for (Row r : chunk) {
                d.rows++;
                if (r.ok()) {
                    valid.add(r);
                    records.add(r.record());
                    d.valuesDropped += r.dropped();
                } else {
                    d.rejected++;
                    errors.add(errorRow(r, r.column(), r.reason()));
                }
            }
            long tm = System.nanoTime();
            List<CrmStore.BatchItem> results;
            // the profile events of upsertAll, written below with the chunk's own: one outbox row per person
            List<Object[]> crmEvents = new ArrayList<>();
            if (rowByRow) {
                results = new ArrayList<>(records.size());
                for (ProfileRecord rec : records) {
                    results.add(oneBySavepoint(rec, crmEvents));
                }
            } else {
                results = records.isEmpty() ? List.of() : crm.upsertAll(records, crmEvents);
            }
            tm = timings.add("upsertAll", tm);
            List<UUID> pids = new ArrayList<>(valid.size());
            List<String> notLinked = new ArrayList<>(0);
            for (int i = 0; i < valid.size(); i++) {
                CrmStore.BatchItem item = results.get(i);
                if (!item.ok()) {
                    d.rejected++;
                    errors.add(errorRow(valid.get(i), "", rootMessage(item.error())));
                    pids.add(null);
                    continue;
                }
                pids.add(item.result().profileId());
                if (!item.result().identitiesNotLinked().isEmpty()) {
                    d.identitiesNotLinked++;
                    if (notLinked.size() < 5) {
                        notLinked.add("row " + valid.get(i).rowNumber() + " " + item.result().identitiesNotLinked().stream()
                                .map(id -> id.type().name()).distinct().toList());
                    }
                }
            }
            if (!notLinked.isEmpty()) {
                log.info("list import {}: {} row(s) of a chunk carry an e-mail, phone or id another person holds; not"
                        + " linked to the row's person: {}", run.id(), d.identitiesNotLinked, notLinked);
            }
            // first occurrence of each profile in this chunk; later ones are duplicates in the file
            LinkedHashMap<UUID, Integer> first = new LinkedHashMap<>();
            for (int i = 0; i < pids.size(); i++) {
                UUID pid = pids.get(i);
                if (pid == null) {
                    continue;
                }
                if (first.putIfAbsent(pid, i) != null) {
                    d.duplicatesInFile++;
                }
            }
            // a profile this chunk created is no list's member yet (no other transaction sees it before the commit):
            // only the others are looked up — in a list of new people that is most of the look-up saved
            List<UUID> maybeMembers = new ArrayList<>();
            for (Map.Entry<UUID, Integer> e : first.entrySet()) {
                if (results.get(e.getValue()).result().outcome() != CrmStore.UpsertResult.Outcome.CREATED) {
                    maybeMembers.add(e.getKey());
                }
            }
            Map<UUID, ListImportStore.Member> existing = store.members(listId, maybeMembers);
            Set<UUID> optedOut = store.optedOut(first.keySet(), settings.channel());
            tm = timings.add("members.read", tm);
            Instant now = store.now();
            List<Object[]> candidates = new ArrayList<>();
            for (UUID pid : first.keySet()) {
                if (!existing.containsKey(pid)) {
                    candidates.add(new Object[]{pid, optedOut.contains(pid), now, settings.source()});
                }
            }
            candidates.sort(java.util.Comparator.comparing(r -> (UUID) r[0]));
            Set<UUID> added = store.insertMembers(listId, run.id(), candidates);
            if (added.size() < candidates.size()) {
                // added meanwhile by a concurrent chunk of this file (or another writer): see by whom
                List<UUID> late = new ArrayList<>();
                candidates.forEach(r -> {
                    if (!added.contains((UUID) r[0])) {
                        late.add((UUID) r[0]);
                    }
                });
                existing.putAll(store.members(listId, late));
            }
            tm = timings.add("members.insert", tm);
            List<UUID> toSuppress = new ArrayList<>();
            List<Object[]> interactions = new ArrayList<>();
            List<Object[]> events = new ArrayList<>();
            String summary = "added to list " + settings.listName();
            for (Map.Entry<UUID, Integer> e : first.entrySet()) {
                UUID pid = e.getKey();
                int i = e.getValue();
                ListImportStore.Member m = existing.get(pid);
                if (!added.contains(pid) && m != null && m.importId() != null && m.importId() == run.id()) {
                    d.duplicatesInFile++; // another chunk of this file added the person
                    continue;
                }
                switch (results.get(i).result().outcome()) {
                    case CREATED -> d.inserted++;
                    case MERGED -> d.merged++;
                    default -> d.updated++;
                }
                boolean suppressed = optedOut.contains(pid);
                if (suppressed) {
                    d.suppressed++;
                }
                if (!added.contains(pid)) {
                    d.alreadyMembers++;
                    if (suppressed && m != null && !m.suppressed()) {
                        toSuppress.add(pid);
                        events.add(new Object[]{pid, ListImportStore.EV_LIST_SUPPRESSED, memberPayload(pid, true)});
                    }
                    continue;
                }
                events.add(new Object[]{pid, ListImportStore.EV_LIST_MEMBER, memberPayload(pid, suppressed)});
                String externalId = "list-import:" + run.id() + ":" + pid;
                String s = suppressed ? summary + " (suppressed: opted out of " + settings.channel() + ")" : summary;
                interactions.add(new Object[]{pid, InteractionType.LIST_ADDED, now, RowMapper.RECORD_SOURCE,
                        settings.channel().name(), s, externalId, details(rowOfOriginal(valid.get(i)), suppressed)});
                events.add(new Object[]{pid, ListImportStore.EV_INTERACTION, interactionPayload(pid, now, externalId)});
            }
            d.suppressed += optOutsOfOthers(chunk, valid, results, listId, toSuppress, events);
            toSuppress.sort(null);
            store.suppress(listId, toSuppress);
            interactions.sort(java.util.Comparator.comparing(r -> (UUID) r[0]));
            tm = timings.add("members.suppress", tm);
            store.insertInteractions(interactions);
            tm = timings.add("interactions", tm);
            store.insertOutbox(OutboxRows.byProfile(crmEvents, events));
            tm = timings.add("outbox", tm);
            store.insertErrors(run.id(), errors);
            if (store.progress(run.id(), owner, chunkNo, d, bytes) != 1) {
                throw new LostOwnership(run.id());
            }
            timings.add("errors+progress", tm);
            return d;
        }

        /**
         * Opt-outs that did not land on the person they concern get there: a row whose e-mail (phone, id) the CRM
         * links to another person than the one the row resolved to (an identity not linked: another customer
         * number for the same e-mail, say), and a rejected row that states an opt-out (a bad phone beside it).
         * The opt-out is recorded on each person who owns one of the row's valid identities (the consent rules
         * decide, as always), and that person, if a member of this list, is suppressed. Never an opt-in: a list
         * must not leave a person who opted out mailable, but what else the row says waits for its fix.
         */
        /** @return how many members of the list it suppressed (counted in the report's {@code suppressed}) */
        private int optOutsOfOthers(List<Row> chunk, List<Row> valid, List<CrmStore.BatchItem> results, Long listId,
                                    List<UUID> toSuppress, List<Object[]> events) {
            Map<UUID, Consent> owners = new LinkedHashMap<>();
            for (int i = 0; i < valid.size(); i++) {
                CrmStore.BatchItem item = results.get(i);
                Consent out = optOut(valid.get(i).record());
                if (out != null && item.ok() && !item.result().identitiesNotLinked().isEmpty()) {
                    for (Identity id : item.result().identitiesNotLinked()) {
                        crm.lookup(id).filter(o -> !o.equals(item.result().profileId()))
                                .ifPresent(o -> owners.putIfAbsent(o, out));
                    }
                }
            }
            for (Row r : chunk) {
                if (!r.ok() && r.optOut() != null) {
                    Consent out = optOut(r.optOut());
                    for (Identity id : r.optOut().identities()) {
                        crm.lookup(id).ifPresent(o -> owners.putIfAbsent(o, out));
                    }
                }
            }
            if (owners.isEmpty()) {
                return 0;
            }
            owners.forEach(crm::setConsent);
            Set<UUID> optedOut = store.optedOut(owners.keySet(), settings.channel());
            int suppressed = 0;
            for (ListImportStore.Member m : store.members(listId, optedOut).values()) {
                if (!m.suppressed() && !toSuppress.contains(m.profileId())) {
                    toSuppress.add(m.profileId());
                    events.add(new Object[]{m.profileId(), ListImportStore.EV_LIST_SUPPRESSED,
                            memberPayload(m.profileId(), true)});
                    suppressed++;
                }
            }
            log.info("list import {}: the opt-outs of rows whose e-mail, phone or id another person owns (or of rejected"
                    + " rows) recorded on {} person(s), {} of them suppressed on the list", run.id(), owners.size(),
                    suppressed);
            return suppressed;
        }

        private Consent optOut(ProfileRecord record) {
            for (Consent c : record.consents()) {
                if (c.status() == ConsentStatus.OPT_OUT && c.channel() == settings.channel()) {
                    return c;
                }
            }
            return null;
        }

        /** One record behind a savepoint of the chunk transaction: its failure rejects only it. */
        private CrmStore.BatchItem oneBySavepoint(ProfileRecord rec, List<Object[]> crmEvents) {
            return store.withSavepoint(() -> crm.upsertAll(List.of(rec), crmEvents).get(0), e -> {
                if (transientFault(e)) {
                    throw e; // contention or outage: the whole chunk is retried, the row is not rejected
                }
                return new CrmStore.BatchItem(null, e);
            });
        }

        private String memberPayload(UUID pid, boolean suppressed) {
            return "{\"profileId\":\"" + pid + "\",\"listId\":" + listId + ",\"list\":" + quote(settings.listName())
                    + ",\"suppressed\":" + suppressed + ",\"source\":" + quote(settings.source()) + ",\"importId\":"
                    + run.id() + "}";
        }

        private String interactionPayload(UUID pid, Instant at, String externalId) {
            return "{\"profileId\":\"" + pid + "\",\"type\":\"" + InteractionType.LIST_ADDED + "\",\"at\":\"" + at
                    + "\",\"source\":\"" + RowMapper.RECORD_SOURCE + "\",\"channel\":\"" + settings.channel()
                    + "\",\"externalId\":" + quote(externalId) + "}";
        }

        /** The row's number in the original file (a corrected errors file's rows keep theirs); 0 when it has none. */
        private long rowOfOriginal(Row r) {
            Long source = mapper.sourceRow(r.values());
            return source == null ? r.rowNumber() : source;
        }

        private String details(long row, boolean suppressed) {
            return "{\"listId\":" + listId + ",\"list\":" + quote(settings.listName()) + ",\"importId\":" + run.id()
                    + ",\"file\":" + quote(run.fileName()) + ",\"row\":" + row + ",\"suppressed\":" + suppressed + "}";
        }

        private String quote(String s) {
            try {
                return compact.writeValueAsString(s);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // =========================================================================================
    // results
    // =========================================================================================

    private Map<String, Object> report(ListImportStore.Run run, ListSettings settings, String status, Instant started,
                                       Instant finished, String format, Path errorsFile, List<String> unmapped) {
        ImportCounters c = run.counters();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("importId", run.id());
        r.put("file", run.fileName());
        r.put("origin", run.origin());
        r.put("list", settings.listName());
        r.put("memberType", settings.memberType().name().toLowerCase(Locale.ROOT));
        r.put("source", settings.source());
        r.put("dryRun", settings.dryRun());
        r.put("status", status);
        r.put("rows", c.rows);
        r.put("inserted", c.inserted);
        r.put("updated", c.updated);
        r.put("merged", c.merged);
        r.put("alreadyMembers", c.alreadyMembers);
        r.put("duplicatesInFile", c.duplicatesInFile);
        r.put("suppressed", c.suppressed);
        r.put("rejected", c.rejected);
        r.put("valuesDropped", c.valuesDropped);
        r.put("identitiesNotLinked", c.identitiesNotLinked);
        r.put("startedAt", started.toString());
        r.put("finishedAt", finished.toString());
        r.put("durationMs", Duration.between(started, finished).toMillis());
        if (format != null) {
            r.put("format", format);
        }
        if (!unmapped.isEmpty()) {
            r.put("unmappedColumns", unmapped);
        }
        if (errorsFile != null) {
            r.put("errorsFile", errorsFile.getFileName().toString());
        }
        return r;
    }

    private static String summary(ImportCounters c, Map<String, Object> report) {
        return c.rows + " rows, " + c.inserted + " inserted, " + c.updated + " updated, " + c.merged + " merged, "
                + c.duplicatesInFile + " duplicates in file, " + c.suppressed + " suppressed, " + c.rejected
                + " rejected" + (c.identitiesNotLinked == 0 ? "" : ", " + c.identitiesNotLinked
                + " with an identity another person holds") + " in " + report.get("durationMs") + " ms";
    }

    /** The DONE report this run wrote to the outbox, if it got that far; else null. */
    private String reportWrittenAtTheEnd(ListImportStore.Run run) throws IOException {
        Path report = options.outbox().resolve(outName(run) + ".report.json");
        if (!Files.exists(report)) {
            return null;
        }
        String text = Files.readString(report, StandardCharsets.UTF_8).trim();
        Map<String, Object> m = readMap(text);
        Object importId = m.get("importId");
        boolean mine = importId instanceof Number n && n.longValue() == run.id();
        return mine && "DONE".equals(m.get("status")) ? text : null;
    }

    /**
     * The name of a run's report and errors file: its base name, with {@code .dry-run} for a dry run, so that a dry
     * run never overwrites the report and errors file of the file's real import, and its errors file is never taken
     * for a real import's when it comes back.
     */
    static String outName(ListImportStore.Run run) {
        return run.baseName() + (run.dryRun() ? DRY_RUN_SUFFIX : "");
    }

    static final String DRY_RUN_SUFFIX = ".dry-run";

    private void writeReport(String base, Map<String, Object> report) throws IOException {
        Files.createDirectories(options.outbox());
        Path tmp = options.outbox().resolve("." + base + ".report.json.tmp");
        Files.writeString(tmp, toJson(report) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, options.outbox().resolve(base + ".report.json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Moves the staged original to done/ or failed/ under its own name (import id added when taken). */
    private Path moveOriginal(Path staged, ListImportStore.Run run, Path dir) throws IOException {
        if (staged == null || !Files.exists(staged)) {
            return null;
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(run.fileName());
        if (Files.exists(target)) {
            target = dir.resolve(run.baseName() + "." + run.id() + extension(run.fileName()));
        }
        try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(staged, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Path manifest = options.processing().resolve(run.id() + "-" + run.baseName() + ".list.yml");
        if (Files.exists(manifest)) {
            Files.move(manifest, target.resolveSibling(target.getFileName() + ".list.yml"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot) : "";
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && !(t instanceof IllegalArgumentException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /**
     * The error, its causes, and the error that a failed rollback hides: when the connection is
     * lost mid-transaction the rollback fails too, and Spring throws a {@link TransactionSystemException}
     * ("JDBC rollback failed", caused by the pool's "Connection is closed", which has no SQL state)
     * that carries the original error only as its application exception, not as its cause.
     */
    private static List<Throwable> causes(Throwable error) {
        List<Throwable> out = new ArrayList<>();
        java.util.Deque<Throwable> todo = new java.util.ArrayDeque<>();
        todo.add(error);
        while (!todo.isEmpty() && out.size() < 50) {
            Throwable t = todo.poll();
            if (out.stream().anyMatch(seen -> seen == t)) {
                continue;
            }
            out.add(t);
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            if (t instanceof TransactionSystemException tse && tse.getApplicationException() != null) {
                todo.add(tse.getApplicationException());
            }
        }
        return out;
    }

    /** The database is away (connection refused or lost, shutting down, out of resources). */
    public static boolean unavailable(Throwable error) {
        for (Throwable t : causes(error)) {
            if (t instanceof DataAccessResourceFailureException || t instanceof CannotCreateTransactionException
                    || t instanceof SQLRecoverableException || t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof java.net.ConnectException || t instanceof java.net.SocketException
                    || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String st = sql.getSQLState();
                if (st.startsWith("08") || st.startsWith("57P") || st.startsWith("53")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Database away, connection lost, lock or serialization conflicts: retry the chunk, never reject rows for it. */
    static boolean transientFault(Throwable error) {
        for (Throwable t : causes(error)) {
            if (t instanceof TransientDataAccessException || t instanceof RecoverableDataAccessException
                    || t instanceof DataAccessResourceFailureException || t instanceof CannotCreateTransactionException
                    || t instanceof PessimisticLockingFailureException || t instanceof DuplicateKeyException
                    || t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof java.net.ConnectException || t instanceof java.net.SocketException
                    || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof TransactionException && t.getMessage() != null
                    && t.getMessage().toLowerCase(Locale.ROOT).contains("connection")) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String st = sql.getSQLState();
                if (st.startsWith("08") || st.equals("40001") || st.equals("40P01") || st.startsWith("57P")
                        || st.startsWith("53") || st.equals("55P03") || st.equals("23505") || st.equals("HYT00")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the database", e);
        }
    }
}
