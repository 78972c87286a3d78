package io.crmhub.routes.membership;

import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.routes.api.Problem;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code /api/v1/membership/**} (contract: {@code openapi/flows/membership.json}; scope admin):
 * the sources' status, and passes / reconciliations on demand.
 */
@RestController
@RequestMapping("/api/v1/membership/sources")
public class MembershipApi {

    private final MembershipSources sources;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "membership-api");
        t.setDaemon(true);
        return t;
    });

    public MembershipApi(MembershipSources sources) {
        this.sources = sources;
    }

    @GetMapping
    public List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MembershipSync s : sources.all()) {
            out.add(status(s));
        }
        return out;
    }

    @GetMapping("/{name}")
    public ResponseEntity<?> get(@PathVariable String name) {
        Optional<MembershipSync> s = sources.get(name);
        return s.<ResponseEntity<?>>map(sync -> ResponseEntity.ok(status(sync))).orElseGet(() -> notFound(name));
    }

    @PostMapping("/{name}/sync")
    public ResponseEntity<?> sync(@PathVariable String name, @RequestParam(defaultValue = "false") boolean full,
                                  @RequestParam(defaultValue = "false") boolean wait) {
        Optional<MembershipSync> found = sources.get(name);
        if (found.isEmpty()) {
            return notFound(name);
        }
        MembershipSync s = found.get();
        Runnable pass = () -> {
            if (full) {
                s.resetWatermark();
            }
            s.poll();
        };
        if (wait) {
            if (full) {
                s.resetWatermark();
            }
            return ResponseEntity.ok(report(s.poll()));
        }
        background.submit(pass);
        return ResponseEntity.accepted().body(Map.of("source", s.name(), "started", full ? "full pass" : "pass"));
    }

    @PostMapping("/{name}/reconcile")
    public ResponseEntity<?> reconcile(@PathVariable String name, @RequestParam(defaultValue = "false") boolean wait) {
        Optional<MembershipSync> found = sources.get(name);
        if (found.isEmpty()) {
            return notFound(name);
        }
        MembershipSync s = found.get();
        if (wait) {
            return ResponseEntity.ok(report(s.reconcile()));
        }
        background.submit(s::reconcile);
        return ResponseEntity.accepted().body(Map.of("source", s.name(), "started", "reconciliation"));
    }

    Map<String, Object> status(MembershipSync s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("kind", s.spec().kind().configName());
        MembershipProperties.Source cfg = sources.config(s.name());
        m.put("pollInterval", cfg == null ? null : cfg.getPollInterval().toString());
        sources.store().sourceState(s.name()).ifPresent(st -> {
            m.put("watermarkAt", st.watermarkAt());
            m.put("watermarkId", st.watermarkId());
            m.put("fullSyncDoneAt", st.fullSyncDoneAt());
            m.put("lastPassAt", st.lastPassAt());
            m.put("lastReconcileAt", st.lastReconcileAt());
            m.put("lastError", st.lastError());
        });
        m.put("members", sources.store().counts(s.name()));
        m.put("running", s.running());
        m.put("lastPass", report(s.lastPass()));
        m.put("lastReconcile", report(s.lastReconcile()));
        return m;
    }

    static Map<String, Object> report(MembershipSync.Report r) {
        if (r == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", r.source());
        m.put("kind", r.kind());
        m.put("startedAt", r.startedAt());
        m.put("millis", r.millis());
        m.put("read", r.read());
        m.put("changed", r.changed());
        m.put("unchanged", r.unchanged());
        m.put("quarantined", r.quarantined());
        m.put("erased", r.erased());
        m.put("deleted", r.deleted());
        m.put("interactions", r.interactions());
        m.put("fieldProblems", r.fieldProblems());
        m.put("ran", r.ran());
        m.put("note", r.note());
        m.put("perSecond", Math.round(r.perSecond() * 10) / 10.0);
        return m;
    }

    private static ResponseEntity<?> notFound(String name) {
        return ResponseEntity.status(404).contentType(MediaType.parseMediaType(Problem.MEDIA_TYPE))
                .body(Problem.of(404, "Not Found", "No membership source '" + name + "'.")
                        .at("/api/v1/membership/sources/" + name));
    }
}
