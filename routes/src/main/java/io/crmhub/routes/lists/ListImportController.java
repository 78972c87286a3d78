package io.crmhub.routes.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.lists.ImportCounters;
import io.crmhub.connectors.lists.ListImportStore;
import io.crmhub.connectors.lists.ListImporter;
import io.crmhub.routes.api.Problem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import org.apache.camel.ProducerTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /api/v1/lists/imports} (the file as the body, or multipart with a part {@code file}),
 * {@code GET /api/v1/lists/imports/{id}}, {@code GET /api/v1/lists/imports}. A Spring MVC controller
 * rather than a Camel REST route: the upload is streamed to disk, never held in memory. The import
 * itself runs on the Camel route {@code lists.uploads} → {@code lists.import}.
 */
@RestController
public class ListImportController {

    static final String PATH = "/api/v1/lists/imports";
    static final Set<String> PARAMS = Set.of("list", "memberType", "source", "charset", "delimiter", "channel",
            "dryRun", "columns", "keepUnmappedColumns", "fileName", "country");

    private final ListImporter importer;
    private final ListImportRoute route;
    private final ProducerTemplate producer;
    private final ObjectMapper mapper;
    private final ListsProperties props;

    public ListImportController(ListImporter importer, ListImportRoute route, ProducerTemplate producer,
                                ObjectMapper mapper, ListsProperties props) {
        this.importer = importer;
        this.route = route;
        this.producer = producer;
        this.mapper = mapper;
        this.props = props;
    }

    @PostMapping(path = PATH)
    public ResponseEntity<?> upload(HttpServletRequest request) throws Exception {
        String contentType = request.getContentType() == null ? "" : request.getContentType().toLowerCase(Locale.ROOT);
        Map<String, Object> params = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> e : request.getParameterMap().entrySet()) {
            if (!PARAMS.contains(e.getKey())) {
                return problem(400, "Bad Request", "unknown parameter '" + e.getKey() + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(PARAMS)) + ")");
            }
            // the same value twice is no contradiction; a kind ("lead", "LEAD"; "true", "TRUE") in any case
            boolean caseless = io.crmhub.connectors.lists.ListSettings.CASELESS_KEYS.contains(e.getKey());
            if (java.util.Arrays.stream(e.getValue()).map(v -> caseless ? v.toLowerCase(Locale.ROOT) : v).distinct()
                    .count() > 1) {
                return problem(400, "Bad Request", "parameter '" + e.getKey() + "' is given more than once with"
                        + " different values: " + String.join(", ", e.getValue()));
            }
            if (e.getValue().length > 0) {
                params.put(e.getKey(), e.getValue()[0]);
            }
        }
        String fileName = (String) params.remove("fileName");
        if (params.get("columns") instanceof String cols) {
            try {
                params.put("columns", mapper.readValue(cols, Map.class));
            } catch (IOException ex) {
                return problem(400, "Bad Request", "columns must be a JSON object of header name to field");
            }
        }
        Files.createDirectories(importer.options().processing());
        Path tmp = importer.options().processing().resolve("upload-" + UUID.randomUUID() + ".part");
        try {
            InputStream body;
            if (contentType.startsWith("multipart/")) {
                Part part = request.getPart("file");
                if (part == null) {
                    return problem(400, "Bad Request", "multipart upload needs a part named 'file'");
                }
                if (fileName == null) {
                    fileName = part.getSubmittedFileName();
                }
                body = part.getInputStream();
            } else if (contentType.startsWith("text/csv") || contentType.startsWith("text/plain")
                    || contentType.startsWith("text/tab-separated-values")
                    || contentType.startsWith("application/octet-stream")
                    || contentType.startsWith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")) {
                body = request.getInputStream();
                if (fileName == null) {
                    fileName = "upload-" + Instant.now().toString().replace(':', '-')
                            + (contentType.contains("spreadsheetml") ? ".xlsx" : ".csv");
                }
            } else {
                return problem(415, "Unsupported Media Type", "send the file as text/csv (or the .xlsx media type,"
                        + " application/octet-stream) or as multipart/form-data with a part 'file'");
            }
            long size;
            try (InputStream in = body) {
                size = Files.copy(in, tmp);
            }
            if (size == 0) {
                return problem(400, "Bad Request", "the uploaded file is empty");
            }
            fileName = safeName(fileName == null ? "upload.csv" : fileName);
            long id;
            try {
                id = importer.acceptUpload(tmp, fileName, params);
            } catch (IllegalArgumentException e) {
                return problem(400, "Bad Request", e.getMessage());
            }
            route.queue(id, producer);
            ListImportStore.Run run = importer.store().find(id).orElseThrow();
            return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create(PATH + "/" + id))
                    .contentType(MediaType.APPLICATION_JSON).body(view(run));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String safeName(String name) {
        String n = Path.of(name.replace('\\', '/')).getFileName().toString().replaceAll("[^\\p{L}\\p{N}._ ()-]", "_");
        return n.isBlank() || n.startsWith(".") ? "upload" + n : n;
    }

    @GetMapping(path = PATH + "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> get(@PathVariable("id") String id) {
        long n;
        try {
            n = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return problem(404, "Not Found", "no list import " + id);
        }
        return importer.store().find(n).<ResponseEntity<?>>map(r -> ResponseEntity.ok(view(r)))
                .orElseGet(() -> problem(404, "Not Found", "no list import " + id));
    }

    @GetMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> recent(@RequestParam(name = "limit", defaultValue = "20") int limit,
                                    @RequestParam(name = "status", required = false) String status) {
        if (limit < 1 || limit > 500) {
            return problem(400, "Bad Request", "limit must be between 1 and 500");
        }
        if (status != null && !List.of("QUEUED", "RUNNING", "DONE", "FAILED", "DUPLICATE").contains(status)) {
            return problem(400, "Bad Request", "status must be QUEUED, RUNNING, DONE, FAILED or DUPLICATE");
        }
        List<Map<String, Object>> items = importer.store().recent(limit, status).stream().map(this::view).toList();
        return ResponseEntity.ok(Map.of("items", items));
    }

    Map<String, Object> view(ListImportStore.Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("status", r.status());
        m.put("origin", r.origin());
        m.put("file", r.fileName());
        m.put("list", r.listName());
        m.put("memberType", r.memberType() == null ? null : r.memberType().toLowerCase(Locale.ROOT));
        m.put("dryRun", r.dryRun());
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("rowsDone", r.rowsDone());
        progress.put("rowsTotal", r.rowsTotal());
        if (r.rowsTotal() == null && r.rowsDone() > 0 && r.bytesDone() > 0 && r.bytesTotal() != null) {
            // while it runs: extrapolated from the rows per byte read so far
            progress.put("rowsTotalEstimate", Math.max(r.rowsDone(), Math.round((double) r.rowsDone() * r.bytesTotal() / r.bytesDone())));
        }
        progress.put("bytesDone", r.bytesDone());
        progress.put("bytesTotal", r.bytesTotal());
        progress.put("percent", r.finished() && "DONE".equals(r.status()) ? 100.0
                : r.bytesTotal() == null || r.bytesTotal() == 0 ? 0.0
                : Math.min(99.9, Math.round(1000.0 * r.bytesDone() / r.bytesTotal()) / 10.0));
        m.put("progress", progress);
        ImportCounters c = r.counters();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("rows", c.rows);
        counts.put("inserted", c.inserted);
        counts.put("updated", c.updated);
        counts.put("merged", c.merged);
        counts.put("alreadyMembers", c.alreadyMembers);
        counts.put("duplicatesInFile", c.duplicatesInFile);
        counts.put("suppressed", c.suppressed);
        counts.put("rejected", c.rejected);
        counts.put("valuesDropped", c.valuesDropped);
        counts.put("identitiesNotLinked", c.identitiesNotLinked);
        m.put("counts", counts);
        if (r.error() != null) {
            m.put("error", r.error());
        }
        if (r.report() != null) {
            try {
                JsonNode report = mapper.readTree(r.report());
                m.put("report", report);
            } catch (IOException ignored) {
                // shown without it
            }
        }
        m.put("createdAt", r.createdAt() == null ? null : r.createdAt().toString());
        m.put("startedAt", r.startedAt() == null ? null : r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        m.values().removeIf(v -> v == null);
        return m;
    }

    private ResponseEntity<Problem> problem(int status, String title, String detail) {
        return ResponseEntity.status(status).contentType(MediaType.parseMediaType(Problem.MEDIA_TYPE))
                .body(Problem.of(status, title, detail).at(PATH));
    }
}
