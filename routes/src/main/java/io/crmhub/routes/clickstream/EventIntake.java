package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.InvalidEventException;
import io.crmhub.mappings.clickstream.IpAddresses;
import io.crmhub.mappings.clickstream.SegmentMapper;
import io.crmhub.routes.api.Problem;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What {@code POST /api/v1/events} does with a body: one event or {@code {"batch": [...]}},
 * checked against the size limits and the Segment spec (a request whose only event, or every event,
 * breaks the spec is refused with every violation; in a batch with good events, an event that breaks
 * the spec is stored too and the consumer quarantines it with its violation — an SDK drops a refused
 * batch, and the good events would be lost with it), enriched ({@code messageId} when missing, {@code receivedAt}, the client
 * IP when the event has none — truncated like every IP), and written to Kafka with {@code acks=all}
 * (accepted only once the broker acknowledged every event).
 */
public class EventIntake {

    /** A request the caller must fix: status (400/413) and the problem. */
    public static class Rejected extends RuntimeException {
        private final transient Problem problem;

        public Rejected(Problem problem) {
            super(problem.detail());
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    private final ObjectMapper json;
    private final MessageIds messageIds = new MessageIds();
    private final SegmentMapper mapper = new SegmentMapper();
    private final EventPublisher publisher;
    private final ClickstreamProperties.Rest limits;

    public EventIntake(ObjectMapper json, EventPublisher publisher, ClickstreamProperties.Rest limits) {
        // an emoji (outside the basic plane) written as its 4 UTF-8 bytes, not as two 6-byte escapes: with those an
        // event of 12 KB with emoji measured 36 KB against the 32 KB limit (and took that room in Kafka)
        this.json = json.copy();
        this.json.getFactory().configure(
                com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8.mappedFeature(), true);
        this.publisher = publisher;
        this.limits = limits;
    }

    /** An event of a batch that breaks the spec: stored for the quarantine, not accepted. */
    public record Quarantined(int index, String messageId, List<Problem.FieldProblem> errors) {
    }

    /** What a request stored: the messageIds of the events accepted (in order) and the ones bound for the quarantine. */
    public record Accepted(List<String> ids, List<Quarantined> quarantined) {
        public Accepted {
            quarantined = quarantined == null ? List.of() : quarantined;
        }

        public static Accepted of(List<String> ids) {
            return new Accepted(ids, List.of());
        }
    }

    /** Accepts the body; returns what it stored once the broker acknowledged every event. */
    public Accepted accept(byte[] body, String clientIp) {
        return await(acceptAsync(body, clientIp));
    }

    /**
     * Accepts the body without waiting: a request the caller must fix throws {@link Rejected} at once; the future
     * gives the messageIds once the broker acknowledged every event, or fails with
     * {@link EventPublisher.BrokerUnavailableException}. It completes on the producer's network thread.
     */
    public CompletableFuture<Accepted> acceptAsync(byte[] body, String clientIp) {
        return acceptAsync(body, clientIp, null);
    }

    /**
     * As {@link #acceptAsync(byte[], String)}, for a body posted to {@code /events/{pathType}}: {@code batch} must be
     * a batch; any other type a single event, which gets that type when it has none (and is refused when it has
     * another).
     */
    public CompletableFuture<Accepted> acceptAsync(byte[] body, String clientIp, String pathType) {
        Checked checked = check(body, clientIp, pathType);
        return publisher.publishAsync(checked.messages()).thenApply(v -> new Accepted(checked.ids(), checked.quarantined()));
    }

    /** Waits for {@link #acceptAsync} as {@link #accept} does (within the produce timeout). */
    public Accepted await(CompletableFuture<Accepted> stored) {
        return publisher.await(stored);
    }

    /** The failure of a send that was neither acknowledged nor refused in time (an asynchronous request's backstop). */
    public EventPublisher.BrokerUnavailableException notAcknowledged() {
        return publisher.notAcknowledged(null);
    }

    /** How long the broker may take to acknowledge; an asynchronous request waits a little longer. */
    public java.time.Duration produceTimeout() {
        return publisher.timeout();
    }

    /** The events of a body, checked and ready to send, and their messageIds (in order). */
    private record Checked(List<EventPublisher.Message> messages, List<String> ids, List<Quarantined> quarantined) {
    }

    private Checked check(byte[] body, String clientIp, String pathType) {
        List<ObjectNode> events = parse(body);
        boolean batch = lastWasBatch.get();
        if (pathType != null) {
            typeFromPath(events, batch, pathType);
        }
        Instant now = Instant.now();
        List<Problem.FieldProblem> errors = new ArrayList<>();
        List<EventPublisher.Message> out = new ArrayList<>(events.size());
        List<String> ids = new ArrayList<>(events.size());
        List<Quarantined> quarantined = null;
        List<EventPublisher.Message> toQuarantine = null;
        for (int i = 0; i < events.size(); i++) {
            ObjectNode e = events.get(i);
            String prefix = batch ? "/batch/" + i : "";
            boolean generatedId = !e.hasNonNull("messageId") && !e.hasNonNull("eventId");
            if (generatedId) {
                e.put("messageId", messageIds.next());
            }
            JsonNode sentReceivedAt = e.get("receivedAt");
            e.put("receivedAt", now.toString());
            ObjectNode context = e.get("context") instanceof ObjectNode c ? c : null;
            boolean createdContext = false;
            if (context == null && !e.has("context") && !e.has("recordType")) {
                context = e.putObject("context");
                createdContext = true;
            }
            boolean addedIp = false;
            if (context != null && !context.hasNonNull("ip")) {
                String truncated = IpAddresses.truncate(clientIp);
                if (truncated != null) {
                    context.put("ip", truncated);
                    addedIp = true;
                }
            }
            // every IP address in the event, wherever the sender put it (context.ip, RudderStack's request_ip,
            // an ip trait ...), is truncated before the event reaches Kafka
            IpAddresses.redact(e);
            // Segment's write key authenticates a source with Segment; it is no part of the event and not kept
            JsonNode writeKey = e.remove("writeKey");
            byte[] bytes;
            try {
                bytes = json.writeValueAsBytes(e);
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
            if (batch && bytes.length > limits.getMaxEventBytes()) {
                // the limit is on the event as sent: the fields the hub added do not count (a single event's
                // request was measured whole, before)
                int sent = sentSize(e, generatedId, sentReceivedAt, createdContext, addedIp, writeKey);
                if (sent > limits.getMaxEventBytes()) {
                    errors.add(new Problem.FieldProblem(prefix, null, "the event has " + sent
                            + " bytes; the limit is " + limits.getMaxEventBytes() + " bytes per event"));
                    continue;
                }
            }
            try {
                ClickEvent mapped = mapper.map(e, now);
                out.add(new EventPublisher.Message(mapped.personKey(), bytes));
                ids.add(mapped.messageId());
            } catch (InvalidEventException ex) {
                List<Problem.FieldProblem> problems = new ArrayList<>(ex.violations().size());
                for (InvalidEventException.Violation v : ex.violations()) {
                    problems.add(new Problem.FieldProblem(prefix + v.field(), null, v.reason()));
                }
                if (quarantined == null) {
                    quarantined = new ArrayList<>();
                    toQuarantine = new ArrayList<>();
                }
                quarantined.add(new Quarantined(i, e.path("messageId").asText(null), problems));
                // its shape is wrong: an address may sit anywhere (a "context" that is one, say), none is kept whole
                IpAddresses.redactEveryAddress(e);
                try {
                    bytes = json.writeValueAsBytes(e);
                } catch (JsonProcessingException jx) {
                    throw new IllegalStateException(jx);
                }
                toQuarantine.add(new EventPublisher.Message(keyOf(e), bytes));
            }
        }
        if (!errors.isEmpty() || (quarantined != null && out.isEmpty())) {
            // over the size limit, or nothing good in the request: refused whole, with every problem
            if (quarantined != null) {
                quarantined.forEach(q -> errors.addAll(q.errors()));
                // "/batch/2/…" before "/batch/10/…"
                errors.sort(java.util.Comparator.comparingLong((Problem.FieldProblem p) -> index(p.field()))
                        .thenComparing(Problem.FieldProblem::field));
            }
            throw new Rejected(Problem.of(400, "Bad Request", errors.size() == 1 ? errors.get(0).reason()
                    : batch ? "The events do not follow the Segment spec; nothing was stored."
                    : "The event does not follow the Segment spec; nothing was stored.", errors));
        }
        if (quarantined != null) {
            // stored as sent (enriched, IPs truncated): the consumer meets the same violation and quarantines it
            out.addAll(toQuarantine);
        }
        return new Checked(out, ids, quarantined);
    }

    /** The Kafka key of an event that breaks the spec: its person's id as far as it has one, else its messageId. */
    private static String keyOf(ObjectNode e) {
        for (String f : new String[]{"userId", "anonymousId", "messageId"}) {
            JsonNode v = e.get(f);
            if (v != null && (v.isTextual() || v.isNumber()) && !v.asText().isBlank()) {
                return v.asText();
            }
        }
        return null;
    }

    private static long index(String field) {
        if (field == null || !field.startsWith("/batch/")) {
            return -1;
        }
        int end = field.indexOf('/', 7);
        try {
            return Long.parseLong(end < 0 ? field.substring(7) : field.substring(7, end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void typeFromPath(List<ObjectNode> events, boolean batch, String pathType) {
        if (pathType.equals("batch")) {
            if (!batch) {
                throw new Rejected(Problem.of(400, "Bad Request", "/events/batch takes {\"batch\": [...]}."));
            }
            return;
        }
        if (batch) {
            throw new Rejected(Problem.of(400, "Bad Request", "/events/" + pathType + " takes one event; post a batch to"
                    + " /events/batch or /events."));
        }
        ObjectNode e = events.get(0);
        JsonNode type = e.get("type");
        if (type == null || type.isNull()) {
            e.put("type", pathType);
        } else if (!type.asText().equalsIgnoreCase(pathType)) {
            throw new Rejected(Problem.of(400, "Bad Request", "The event is of type '" + type.asText()
                    + "' but was posted to /events/" + pathType + ".",
                    List.of(new Problem.FieldProblem("/type", null, "must be '" + pathType + "' (the path's type) or absent"))));
        }
    }

    /** The size of an event without the fields the hub added to it (its IP addresses as truncated). */
    private int sentSize(ObjectNode e, boolean generatedId, JsonNode sentReceivedAt, boolean createdContext,
                         boolean addedIp, JsonNode writeKey) {
        ObjectNode copy = e.deepCopy();
        if (generatedId) {
            copy.remove("messageId");
        }
        if (writeKey != null) {
            copy.set("writeKey", writeKey);
        }
        if (sentReceivedAt == null) {
            copy.remove("receivedAt");
        } else {
            copy.set("receivedAt", sentReceivedAt);
        }
        if (createdContext) {
            copy.remove("context");
        } else if (addedIp && copy.get("context") instanceof ObjectNode c) {
            c.remove("ip");
        }
        try {
            return json.writeValueAsBytes(copy).length;
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Parses and checks the body without storing anything (the benchmark's bare endpoint). */
    public int parseOnly(byte[] body) {
        return parse(body).size();
    }

    private final ThreadLocal<Boolean> lastWasBatch = ThreadLocal.withInitial(() -> false);

    private List<ObjectNode> parse(byte[] body) {
        lastWasBatch.set(false);
        if (body.length > limits.getMaxBatchBytes()) {
            throw new Rejected(Problem.of(413, "Payload Too Large", "The request has " + body.length
                    + " bytes; the limit is " + limits.getMaxBatchBytes() + " bytes per batch."));
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (java.io.IOException e) {
            throw new Rejected(Problem.of(400, "Bad Request", "The body is not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse("")));
        }
        if (root == null || !root.isObject()) {
            throw new Rejected(Problem.of(400, "Bad Request", "The body must be one event (a JSON object) or {\"batch\": [...]}."));
        }
        List<ObjectNode> events = new ArrayList<>();
        if (root.has("batch")) {
            lastWasBatch.set(true);
            JsonNode batch = root.get("batch");
            if (!(batch instanceof ArrayNode array) || array.isEmpty()) {
                throw new Rejected(Problem.of(400, "Bad Request", "\"batch\" must be a non-empty array of events."));
            }
            List<Problem.FieldProblem> errors = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                JsonNode e = array.get(i);
                if (e instanceof ObjectNode o) {
                    SegmentMapper.inheritFromBatch(o, root);   // the batch's context and sentAt
                    events.add(o);
                } else {
                    errors.add(new Problem.FieldProblem("/batch/" + i, null, "an event must be a JSON object"));
                }
            }
            if (!errors.isEmpty()) {
                throw new Rejected(Problem.of(400, "Bad Request", "The batch holds entries that are not events.", errors));
            }
        } else {
            if (body.length > limits.getMaxEventBytes()) {
                // measured as an event of a batch is: compact, characters as UTF-8 (a pretty-printed body, or one
                // whose emoji are \\u escapes, is not refused alone when the same event passes in a batch)
                int compact;
                try {
                    compact = json.writeValueAsBytes(root).length;
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                if (compact > limits.getMaxEventBytes()) {
                    throw new Rejected(Problem.of(413, "Payload Too Large", "The event has " + compact
                            + " bytes; the limit is " + limits.getMaxEventBytes() + " bytes per event."));
                }
            }
            events.add((ObjectNode) root);
        }
        return events;
    }

    static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }
}
