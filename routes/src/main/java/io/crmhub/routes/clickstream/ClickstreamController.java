package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.clickstream.AudienceStore;
import io.crmhub.mappings.clickstream.AudienceRule;
import io.crmhub.routes.api.Problem;
import io.crmhub.routes.security.BodySizeLimitFilter;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The clickstream endpoints, as Spring MVC (raw body with its own size limits):
 * {@code POST /api/v1/events}, {@code GET /api/v1/audiences/{segment}} and
 * {@code GET /api/v1/audiences/{segment}/match-list}. Contract: {@code openapi/flows/clickstream.json}.
 */
@RestController
public class ClickstreamController {

    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamController.class);

    private final EventIntake intake;
    private final Audiences audiences;
    private final ObjectMapper json;
    private final ClickstreamProperties props;

    public ClickstreamController(EventIntake intake, Audiences audiences, ObjectMapper json, ClickstreamProperties props) {
        this.intake = intake;
        this.audiences = audiences;
        this.json = json;
        this.props = props;
    }

    /**
     * Answers 202 once the broker acknowledged every event, 503 when it did not store them. The request is
     * asynchronous: the Tomcat worker goes back to the pool while the broker works, and the producer's
     * acknowledgement answers (a worker parked on every request cost the single-event path more CPU than the
     * send itself). Where the container cannot suspend the request, the worker waits for the answer instead.
     */
    @PostMapping("/api/v1/events")
    public void events(HttpServletRequest request, HttpServletResponse response) throws IOException {
        events(request, response, null);
    }

    /**
     * Segment's HTTP API shape: {@code /track}, {@code /page}, {@code /screen}, {@code /identify}, {@code /group},
     * {@code /alias} take one event whose {@code type} the path gives (as the docs' examples are written, without
     * one), {@code /batch} a batch. The short paths analytics.js and analytics-next post to ({@code /t}, {@code /p},
     * {@code /s}, {@code /i}, {@code /g}, {@code /a}, {@code /b}) are the same. Otherwise as {@code POST /api/v1/events}.
     */
    @PostMapping({"/api/v1/events/{type:track|page|screen|identify|group|alias|batch|t|p|s|i|g|a|b}",
            "/api/v1/events/v1/{type:track|page|screen|identify|group|alias|batch|import|t|p|s|i|g|a|b}"})
    public void eventsOfType(@PathVariable String type, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        events(request, response, switch (type) {
            case "t" -> "track";
            case "p" -> "page";
            case "s" -> "screen";
            case "i" -> "identify";
            case "g" -> "group";
            case "a" -> "alias";
            case "b", "import" -> "batch";
            default -> type;
        });
    }

    private void events(HttpServletRequest request, HttpServletResponse response, String pathType) throws IOException {
        byte[] body;
        try {
            body = read(request, props.getRest().getMaxBatchBytes());
        } catch (BodySizeLimitFilter.PayloadTooLargeException e) {
            write(request, response, Problem.of(413, "Payload Too Large", "The request is larger than the limit of "
                    + props.getRest().getMaxBatchBytes() + " bytes per batch (" + props.getRest().getMaxEventBytes()
                    + " bytes per event)."));
            return;
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            write(request, response, Problem.of(400, "Bad Request", "The body is declared Content-Encoding: gzip but is"
                    + " not gzip data (" + e.getMessage() + ")."));
            return;
        }
        CompletableFuture<EventIntake.Accepted> stored;
        try {
            stored = intake.acceptAsync(body, request.getRemoteAddr(), pathType);
        } catch (EventIntake.Rejected e) {
            write(request, response, e.problem());
            return;
        }
        if (stored.isDone() || !request.isAsyncSupported()) {
            EventIntake.Accepted ids;
            try {
                ids = intake.await(stored);
            } catch (EventPublisher.BrokerUnavailableException e) {
                unavailable(request, response, e);
                return;
            }
            answer(response, accepted(ids));
            return;
        }
        int buffered = response.getBufferSize();
        AsyncContext async = request.startAsync();
        async.setTimeout(intake.produceTimeout().toMillis() + 5_000);
        AtomicBoolean answered = new AtomicBoolean();
        async.addListener(new AsyncListener() {
            @Override
            public void onTimeout(AsyncEvent event) throws IOException {
                if (answered.compareAndSet(false, true)) {     // the producer's delivery timeout is shorter: a backstop
                    unavailable(request, response, intake.notAcknowledged());
                }
                async.complete();
            }

            @Override
            public void onError(AsyncEvent event) {
                answered.set(true);
                async.complete();
            }

            @Override
            public void onComplete(AsyncEvent event) {
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        stored.whenComplete((ids, failure) -> {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            if (failure == null) {
                byte[] ok = accepted(ids);
                if (ok.length > buffered) {
                    // a large answer could block on the client's socket: not on the producer's network thread
                    async.start(() -> finish(async, () -> answer(response, ok)));
                    return;
                }
                finish(async, () -> answer(response, ok));
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                EventPublisher.BrokerUnavailableException e = cause instanceof EventPublisher.BrokerUnavailableException b ? b
                        : new EventPublisher.BrokerUnavailableException(String.valueOf(cause.getMessage()), cause);
                finish(async, () -> unavailable(request, response, e));
            }
        });
    }

    private interface Answer {
        void write() throws IOException;
    }

    /** Writes an asynchronous request's answer and completes it (a client gone meanwhile is only logged). */
    private static void finish(AsyncContext async, Answer answer) {
        try {
            answer.write();
        } catch (IOException | RuntimeException e) {
            LOG.debug("POST /events: the answer could not be written: {}", e.toString());
        } finally {
            async.complete();
        }
    }

    private static void answer(HttpServletResponse response, byte[] ok) throws IOException {
        response.setStatus(202);
        response.setContentType("application/json");
        response.setContentLength(ok.length);
        response.getOutputStream().write(ok);
    }

    private void unavailable(HttpServletRequest request, HttpServletResponse response,
                             EventPublisher.BrokerUnavailableException e) throws IOException {
        LOG.warn("POST /events answered 503: {}", e.getMessage());
        response.setHeader("Retry-After", "5");
        write(request, response, Problem.of(503, "Service Unavailable",
                "The events could not be stored in Kafka (" + e.getMessage() + "); nothing was accepted, send them again."));
    }

    static byte[] accepted(List<String> ids) {
        return accepted(EventIntake.Accepted.of(ids));
    }

    /**
     * The 202 answer, {@code {"success":true,"accepted":n,"messageIds":[…]}}, written without a generator: it is
     * on every accepted request, and an ObjectMapper writing a map to the servlet stream cost more than the
     * Kafka send (the ids are escaped as JSON strings: a messageId is the caller's text). Events of the batch
     * bound for the quarantine follow as {@code "quarantined":[{"index":i,"messageId":…,"errors":[{"field":…,
     * "reason":…}]}]}.
     */
    static byte[] accepted(EventIntake.Accepted accepted) {
        List<String> ids = accepted.ids();
        StringBuilder sb = new StringBuilder(48 + 40 * ids.size());
        sb.append("{\"success\":true,\"accepted\":").append(ids.size()).append(",\"messageIds\":[");
        JsonStringEncoder enc = JsonStringEncoder.getInstance();
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            string(sb, enc, ids.get(i));
        }
        sb.append(']');
        if (!accepted.quarantined().isEmpty()) {
            sb.append(",\"quarantined\":[");
            for (int i = 0; i < accepted.quarantined().size(); i++) {
                EventIntake.Quarantined q = accepted.quarantined().get(i);
                sb.append(i > 0 ? ",{" : "{").append("\"index\":").append(q.index()).append(",\"messageId\":");
                string(sb, enc, q.messageId());
                sb.append(",\"errors\":[");
                for (int k = 0; k < q.errors().size(); k++) {
                    sb.append(k > 0 ? ",{" : "{").append("\"field\":");
                    string(sb, enc, q.errors().get(k).field());
                    sb.append(",\"reason\":");
                    string(sb, enc, q.errors().get(k).reason());
                    sb.append('}');
                }
                sb.append("]}");
            }
            sb.append(']');
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void string(StringBuilder sb, JsonStringEncoder enc, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        enc.quoteAsString(s, sb);
        sb.append('"');
    }

    /** The benchmark's baseline: same reading and parsing, 202 without Kafka (off unless configured). */
    @PostMapping("/api/v1/events/_bare")
    public void bare(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!props.getRest().isBareEndpoint()) {
            write(request, response, Problem.of(404, "Not Found", "hub.clickstream.rest.bare-endpoint is off."));
            return;
        }
        try {
            int n = intake.parseOnly(read(request, props.getRest().getMaxBatchBytes()));
            response.setStatus(202);
            response.setContentType("application/json");
            response.getOutputStream().write(("{\"success\":true,\"accepted\":" + n + "}").getBytes());
        } catch (EventIntake.Rejected e) {
            write(request, response, e.problem());
        }
    }

    @GetMapping("/api/v1/audiences/{segment}")
    public void aggregate(@PathVariable String segment, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        answer(request, response, segment, false);
    }

    @GetMapping("/api/v1/audiences/{segment}/match-list")
    public void matchList(@PathVariable String segment, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        answer(request, response, segment, true);
    }

    private void answer(HttpServletRequest request, HttpServletResponse response, String segment, boolean matchList)
            throws IOException {
        AudienceRule rule = audiences.rule(segment);
        if (rule == null) {
            write(request, response, Problem.of(404, "Not Found", "No audience segment '" + segment
                    + "' (configured: " + audiences.names() + ")."));
            return;
        }
        try {
            Object body = matchList ? audiences.store().matchList(rule) : audiences.store().aggregate(rule);
            response.setStatus(200);
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), body);
        } catch (DataAccessException e) {
            write(request, response, Problem.of(503, "Service Unavailable", "The database is unavailable."));
        }
    }

    private static byte[] read(HttpServletRequest request, int max) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > max) {
            throw new BodySizeLimitFilter.PayloadTooLargeException(max);
        }
        String encoding = request.getHeader("Content-Encoding");
        boolean gzip = encoding != null && encoding.trim().equalsIgnoreCase("gzip");
        // RudderStack's SDKs (and analytics-python with gzip=True) compress their batches: the limit is on the
        // batch as it is once inflated, read no further than that
        try (InputStream in = gzip ? new java.util.zip.GZIPInputStream(request.getInputStream())
                : request.getInputStream()) {
            byte[] body = in.readNBytes(max + 1);
            if (body.length > max) {
                throw new BodySizeLimitFilter.PayloadTooLargeException(max);
            }
            return body;
        }
    }

    private void write(HttpServletRequest request, HttpServletResponse response, Problem problem) throws IOException {
        response.setStatus(problem.status());
        response.setContentType(Problem.MEDIA_TYPE);
        json.writeValue(response.getOutputStream(), problem.at(request.getRequestURI()));
    }
}
