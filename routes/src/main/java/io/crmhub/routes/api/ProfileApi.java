package io.crmhub.routes.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.profiles.ProfileService;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What each operation of the profile API does; the routes in {@code ProfileApiRoutes} call these.
 * Requests have passed the contract validation before they get here.
 */
public class ProfileApi {

    /** Body of POST /profiles. */
    public record IdentityDto(IdentityType type, String namespace, String value) {
    }

    public record ConsentDto(Channel channel, ConsentStatus status, String source, Instant at, String evidence,
                             Boolean explicit) {
    }

    public record ProfileRecordDto(String source, Instant observedAt, List<IdentityDto> identities,
                                   Map<String, String> attributes, List<ConsentDto> consents) {
    }

    public record UnmergeDto(UUID mergedProfileId) {
    }

    private final ProfileService profiles;
    private final CrmStore store;
    private final ObjectMapper mapper;
    private final ProducerTemplate producer;

    public ProfileApi(ProfileService profiles, ObjectMapper mapper, ProducerTemplate producer) {
        this.profiles = profiles;
        this.store = profiles.store();
        this.mapper = mapper;
        this.producer = producer;
    }

    public void upsert(Exchange exchange) throws Exception {
        ProfileRecordDto dto = mapper.readValue(exchange.getIn().getBody(String.class), ProfileRecordDto.class);
        CrmStore.UpsertResult result = profiles.upsertStrict(toRecord(dto));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("profileId", result.profileId());
        body.put("outcome", result.outcome());
        body.put("mergedProfiles", result.mergedProfiles());
        body.put("identitiesNotLinked", result.identitiesNotLinked().stream().map(Identity::key).toList());
        respond(exchange, result.outcome() == CrmStore.UpsertResult.Outcome.CREATED ? 201 : 200, body);
    }

    public static ProfileRecord toRecord(ProfileRecordDto dto) {
        Instant observed = dto.observedAt() == null ? Instant.now() : dto.observedAt();
        List<Identity> ids = new ArrayList<>();
        for (IdentityDto i : dto.identities()) {
            if (i.type().qualified() && (i.namespace() == null || i.namespace().isBlank())) {
                throw ApiException.badRequest(i.type() + " needs a namespace naming the system that issued it");
            }
            ids.add(new Identity(i.type(), i.type().qualified() ? i.namespace() : "", i.value()));
        }
        List<Consent> consents = new ArrayList<>();
        if (dto.consents() != null) {
            for (ConsentDto c : dto.consents()) {
                consents.add(new Consent(c.channel(), c.status(), c.source() == null ? dto.source() : c.source(),
                        c.at() == null ? observed : c.at(), c.evidence(), Boolean.TRUE.equals(c.explicit())));
            }
        }
        return new ProfileRecord(dto.source(), observed, ids, dto.attributes(), consents);
    }

    public void get(Exchange exchange) throws Exception {
        UUID id = profileId(exchange);
        int n = exchange.getIn().getHeader("interactions", 20, Integer.class);
        respond(exchange, 200, view(store.find(id, n).orElseThrow(() -> notFound(id))));
    }

    public void lookup(Exchange exchange) throws Exception {
        String email = exchange.getIn().getHeader("email", String.class);
        String phone = exchange.getIn().getHeader("phone", String.class);
        String identity = exchange.getIn().getHeader("identity", String.class);
        Identity raw;
        if (email != null) {
            raw = Identity.of(IdentityType.EMAIL, email);
        } else if (phone != null) {
            raw = Identity.of(IdentityType.PHONE, phone);
        } else if (identity != null) {
            raw = Identity.parseKey(identity);
        } else {
            throw ApiException.badRequest("Give one of the query parameters email, phone or identity.");
        }
        Identity normalised = profiles.strictNormaliser()
                .normalise(new ProfileRecord("lookup", null, List.of(raw), null, null), true)
                .record().identities().get(0);
        UUID id = store.lookup(normalised)
                .orElseThrow(() -> ApiException.notFound("No profile has the identity " + normalised.key() + "."));
        respond(exchange, 200, view(store.find(id, 20).orElseThrow(() -> notFound(id))));
    }

    public void timeline(Exchange exchange) throws Exception {
        UUID id = profileId(exchange);
        int limit = exchange.getIn().getHeader("limit", 50, Integer.class);
        String beforeParam = exchange.getIn().getHeader("before", String.class);
        Instant before;
        try {
            before = beforeParam == null ? null : Instant.parse(beforeParam);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("before must be an ISO-8601 instant, e.g. 2026-01-31T12:00:00Z");
        }
        CustomerProfile profile = store.find(id, 0).orElseThrow(() -> notFound(id));
        List<CustomerProfile.StoredInteraction> page = store.timeline(profile.id(), before, limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("profileId", profile.id());
        body.put("interactions", page.stream().map(ProfileApi::interaction).toList());
        if (page.size() == limit) {
            body.put("next", "/api/v1/profiles/" + profile.id() + "/timeline?limit=" + limit + "&before="
                    + page.get(page.size() - 1).interaction().at());
        }
        respond(exchange, 200, body);
    }

    public void putConsent(Exchange exchange) throws Exception {
        UUID id = profileId(exchange);
        Channel channel = Channel.valueOf(exchange.getIn().getHeader("channel", String.class).toUpperCase(Locale.ROOT));
        ConsentDto dto = mapper.readValue(exchange.getIn().getBody(String.class), ConsentDto.class);
        store.find(id, 0).orElseThrow(() -> notFound(id));
        Consent consent = new Consent(channel, dto.status(), dto.source() == null ? "api" : dto.source(),
                dto.at() == null ? Instant.now() : dto.at(), dto.evidence(), dto.explicit() == null || dto.explicit());
        CrmStore.ConsentChange change = store.setConsent(id, consent);
        respond(exchange, 200, change);
    }

    public void unmerge(Exchange exchange) throws Exception {
        UUID id = profileId(exchange);
        String body = exchange.getIn().getBody(String.class);
        UUID merged = body == null || body.isBlank() ? null : mapper.readValue(body, UnmergeDto.class).mergedProfileId();
        store.find(id, 0).orElseThrow(() -> notFound(id));
        try {
            respond(exchange, 200, store.unmerge(id, merged));
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
    }

    public void erase(Exchange exchange) throws Exception {
        UUID id = profileId(exchange);
        String who = exchange.getIn().getHeader("X-API-Key-Name", "api", String.class);
        try {
            respond(exchange, 200, store.erase(id, who));
        } catch (java.util.NoSuchElementException e) {
            throw notFound(id);
        }
    }

    public void listQuarantine(Exchange exchange) throws Exception {
        String status = exchange.getIn().getHeader("status", "OPEN", String.class);
        int limit = exchange.getIn().getHeader("limit", 100, Integer.class);
        respond(exchange, 200, Map.of("entries", store.quarantined(status, limit)));
    }

    public void replayQuarantine(Exchange exchange) throws Exception {
        CrmStore.QuarantineEntry entry = openEntry(exchange);
        long qid = entry.id();
        if (entry.endpointUri() == null || entry.endpointUri().isBlank()) {
            throw ApiException.conflict("Quarantined message " + qid + " has no flow to replay into.");
        }
        store.markQuarantine(qid, "REPLAYED");
        Map<String, Object> headers = new LinkedHashMap<>(entry.headers());
        headers.put("HubReplayOf", qid);
        producer.sendBodyAndHeaders(entry.endpointUri(), entry.payload(), headers);
        respond(exchange, 202, Map.of("id", qid, "replayedTo", entry.endpointUri(), "status", "REPLAYED"));
    }

    /** The entry the request names: 404 when there is none, 409 when it is not OPEN. */
    private CrmStore.QuarantineEntry openEntry(Exchange exchange) {
        long qid = exchange.getIn().getHeader("qid", Long.class);
        CrmStore.QuarantineEntry entry = store.quarantined(qid)
                .orElseThrow(() -> ApiException.notFound("No quarantined message " + qid + "."));
        if (!"OPEN".equals(entry.status())) {
            throw ApiException.conflict("Quarantined message " + qid + " is " + entry.status() + ", not OPEN.");
        }
        return entry;
    }

    /**
     * Closes an entry that will never succeed (an event that breaks the spec, a message nobody wants): marked
     * DISCARDED with who and why in the log; it stays listed under {@code status=DISCARDED}.
     */
    public void discardQuarantine(Exchange exchange) throws Exception {
        CrmStore.QuarantineEntry entry = openEntry(exchange);
        long qid = entry.id();
        store.markQuarantine(qid, "DISCARDED");
        var auth = org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
        org.slf4j.LoggerFactory.getLogger(ProfileApi.class).info("quarantine entry {} ({}: {}) discarded by key '{}'", qid,
                entry.routeId(), entry.error(), auth == null ? "unknown" : auth.getName());
        respond(exchange, 200, Map.of("id", qid, "status", "DISCARDED"));
    }

    // --- helpers ---------------------------------------------------------------------------

    private static UUID profileId(Exchange exchange) {
        String id = exchange.getIn().getHeader("id", String.class);
        try {
            return UUID.fromString(id);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("Profile id must be a UUID, got '" + id + "'.");
        }
    }

    private static ApiException notFound(UUID id) {
        return ApiException.notFound("No profile " + id + ".");
    }

    static Map<String, Object> view(CustomerProfile p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", p.id());
        body.put("createdAt", p.createdAt());
        body.put("updatedAt", p.updatedAt());
        body.put("identities", p.identities());
        body.put("attributes", p.attributes());
        body.put("consents", p.consents());
        body.put("computed", p.computed());
        body.put("latestInteractions", p.latestInteractions().stream().map(ProfileApi::interaction).toList());
        body.put("lists", p.lists());
        return body;
    }

    static Map<String, Object> interaction(CustomerProfile.StoredInteraction s) {
        var i = s.interaction();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("type", i.type());
        m.put("at", i.at());
        m.put("source", i.source());
        if (i.channel() != null) m.put("channel", i.channel());
        if (i.campaign() != null) m.put("campaign", i.campaign());
        if (i.amount() != null) m.put("amount", i.amount());
        if (i.currency() != null) m.put("currency", i.currency());
        if (i.summary() != null) m.put("summary", i.summary());
        if (i.externalId() != null) m.put("externalId", i.externalId());
        if (i.details() != null) m.put("details", details(i.details()));
        return m;
    }

    /** Channel details of an interaction: the JSON document a flow stored, as JSON (text if it is not JSON). */
    private static Object details(String details) {
        try {
            return DETAILS_READER.readTree(details);
        } catch (Exception e) {
            return details;
        }
    }

    private static final ObjectMapper DETAILS_READER = new ObjectMapper();

    private void respond(Exchange exchange, int status, Object body) throws Exception {
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, "application/json");
        msg.setBody(mapper.writeValueAsString(body));
    }
}
