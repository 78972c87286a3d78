package io.crmhub.routes.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.routes.api.ApiException;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The operations behind {@code /api/v1/membership/**}. */
public class MembershipApi {

    private final MembershipSources sources;
    private final ObjectMapper json;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "membership-api");
        t.setDaemon(true);
        return t;
    });

    public MembershipApi(MembershipSources sources, ObjectMapper json) {
        this.sources = sources;
        this.json = json;
    }

    public void list(Exchange exchange) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MembershipSync s : sources.all()) {
            out.add(status(s));
        }
        respond(exchange, 200, out);
    }

    public void get(Exchange exchange) throws Exception {
        respond(exchange, 200, status(source(exchange)));
    }

    public void sync(Exchange exchange) throws Exception {
        MembershipSync s = source(exchange);
        boolean full = Boolean.parseBoolean(exchange.getIn().getHeader("full", "false", String.class));
        boolean wait = Boolean.parseBoolean(exchange.getIn().getHeader("wait", "false", String.class));
        if (wait) {
            if (full) {
                s.resetWatermark();
            }
            respond(exchange, 200, report(s.poll()));
            return;
        }
        background.submit(() -> {
            if (full) {
                s.resetWatermark();
            }
            s.poll();
        });
        respond(exchange, 202, Map.of("source", s.name(), "started", full ? "full pass" : "pass"));
    }

    public void reconcile(Exchange exchange) throws Exception {
        MembershipSync s = source(exchange);
        boolean wait = Boolean.parseBoolean(exchange.getIn().getHeader("wait", "false", String.class));
        if (wait) {
            respond(exchange, 200, report(s.reconcile()));
            return;
        }
        background.submit(s::reconcile);
        respond(exchange, 202, Map.of("source", s.name(), "started", "reconciliation"));
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

    private MembershipSync source(Exchange exchange) {
        String name = exchange.getIn().getHeader("name", String.class);
        return sources.get(name).orElseThrow(() -> ApiException.notFound("No membership source '" + name + "'."));
    }

    private void respond(Exchange exchange, int status, Object body) throws Exception {
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, "application/json");
        msg.setBody(json.writeValueAsString(body));
    }
}
