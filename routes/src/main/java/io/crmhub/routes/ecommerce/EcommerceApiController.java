package io.crmhub.routes.ecommerce;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.mappings.ecommerce.EcomEvent;
import io.crmhub.mappings.ecommerce.SegmentOrderMapper;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.api.ApiContract;
import io.crmhub.routes.api.Problem;
import io.crmhub.routes.profiles.ProfileService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The e-commerce API besides the webhook: shop-neutral order events in, promotions out. Spring MVC
 * (Camel's contract-first REST consumer owns the profile API's contract); requests are validated
 * against the merged contract ({@link ApiContract}) and errors are problem+json like everywhere.
 */
@RestController
public class EcommerceApiController {

    private static final Logger LOG = LoggerFactory.getLogger(EcommerceApiController.class);
    static final String ORDERS = "/api/v1/ecommerce/orders";

    private final ProfileService profiles;
    private final CrmStore crm;
    private final PromotionService promotions;
    private final EcommerceKafka kafka;
    private final EcommerceProperties props;
    private final ObjectMapper mapper;
    private final SegmentOrderMapper segment;
    private final OpenApiInteractionValidator validator;

    public EcommerceApiController(ProfileService profiles, PromotionService promotions, EcommerceKafka kafka, EcommerceProperties props,
                                  ObjectMapper mapper, ApiContract contract) {
        this.profiles = profiles;
        this.crm = profiles.store();
        this.promotions = promotions;
        this.kafka = kafka;
        this.props = props;
        this.mapper = mapper;
        this.segment = new SegmentOrderMapper(props.getDefaultShop(), null);
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(contract.json())
                .withLevelResolver(LevelResolver.create()
                        .withLevel("validation.request.security", ValidationReport.Level.IGNORE).build())
                .build();
    }

    /** POST /ecommerce/orders: contract check, mapping check, persisted to the orders topic, 202. */
    @PostMapping(path = ORDERS)
    public ResponseEntity<Object> postOrderEvent(@RequestBody(required = false) byte[] raw,
                                                 @RequestHeader(name = "Content-Type", required = false) String contentType) {
        String body = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
        SimpleRequest.Builder req = new SimpleRequest.Builder(Request.Method.POST, "/api/v1/ecommerce/orders", false);
        if (contentType != null) {
            req.withContentType(contentType);
        }
        if (!body.isEmpty()) {
            req.withBody(body);
        }
        ValidationReport report = validator.validateRequest(req.build());
        if (report.hasErrors()) {
            List<Problem.FieldProblem> errors = new ArrayList<>();
            for (ValidationReport.Message m : report.getMessages()) {
                if (m.getLevel() == ValidationReport.Level.ERROR) {
                    String field = m.getContext().flatMap(c -> c.getPointers().map(p -> p.getInstance())).orElse(null);
                    errors.add(new Problem.FieldProblem(field == null || field.isEmpty() ? null : field, null, m.getMessage()));
                }
            }
            return problem(Problem.of(400, "Bad Request", "The request does not match the API contract.", errors).at(ORDERS));
        }
        JsonNode json;
        EcomEvent event;
        try {
            json = mapper.readTree(body);
            event = segment.map(json);
        } catch (JsonProcessingException e) {
            return problem(Problem.of(400, "Bad Request", "The body is not JSON: " + e.getOriginalMessage()).at(ORDERS));
        } catch (IllegalArgumentException e) {
            return problem(Problem.of(400, "Bad Request", e.getMessage()).at(ORDERS));
        }
        String orderId = event instanceof EcomEvent.Order o ? o.orderId()
                : event instanceof EcomEvent.Refund r ? r.orderId() : null;
        try {
            kafka.send(props.getOrdersTopic(), event.shop() + ":" + orderId, raw,
                    Map.of(EcommerceService.H_FORMAT, EcommerceService.FORMAT_SEGMENT), props.getShopify().getPublishTimeout());
        } catch (RuntimeException e) {
            LOG.warn("order event {} not accepted: {}", orderId, e.toString());
            return problem(Problem.of(503, "Service Unavailable", "The event could not be persisted (Kafka): retry later.").at(ORDERS));
        }
        Map<String, Object> ack = new LinkedHashMap<>();
        ack.put("status", "accepted");
        ack.put("event", json.path("event").asText());
        ack.put("orderId", orderId);
        return ResponseEntity.status(202).body(ack);
    }

    /** GET /promotions?customerId=…[&shop=…] | ?email=… */
    @GetMapping(path = "/api/v1/promotions")
    public ResponseEntity<Object> getPromotions(@RequestParam(required = false) String customerId,
                                                @RequestParam(required = false) String shop,
                                                @RequestParam(required = false) String email) {
        Identity raw;
        if (customerId != null && !customerId.isBlank()) {
            raw = Identity.of(IdentityType.ECOM_CUSTOMER_ID, shop(shop), customerId.trim());
        } else if (email != null && !email.isBlank()) {
            raw = Identity.of(IdentityType.EMAIL, email);
        } else {
            return problem(Problem.of(400, "Bad Request", "Give the query parameter customerId (with shop) or email.").at("/api/v1/promotions"));
        }
        Identity normalised;
        try {
            normalised = profiles.strictNormaliser().normalise(new ProfileRecord("lookup", null, List.of(raw), null, null), true)
                    .record().identities().get(0);
        } catch (RuntimeException e) {
            return problem(Problem.of(400, "Bad Request", e.getMessage()).at("/api/v1/promotions"));
        }
        try {
            Optional<CustomerProfile> profile = crm.lookup(normalised).flatMap(id -> crm.find(id, 0));
            return ResponseEntity.ok(answer(promotions.offers(profile)));
        } catch (DataAccessException e) {
            return unavailable("/api/v1/promotions", e);
        }
    }

    /**
     * GET /profiles/{id}/promotions. Camel's platform-http handler mapping (order -1) claims every path
     * under the profile API's operations, so this one is served by {@link ProfilePromotionsFilter}
     * (after Spring Security) rather than by a request mapping.
     */
    public ResponseEntity<Object> getProfilePromotions(String id) {
        String at = "/api/v1/profiles/" + id + "/promotions";
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (RuntimeException e) {
            return problem(Problem.of(400, "Bad Request", "Profile id must be a UUID, got '" + id + "'.").at(at));
        }
        Optional<CustomerProfile> profile;
        try {
            profile = crm.find(uuid, 0);
        } catch (IllegalArgumentException e) {
            profile = Optional.empty();
        } catch (DataAccessException e) {
            return unavailable(at, e);
        }
        return ResponseEntity.ok(answer(promotions.offers(profile)));
    }

    private String shop(String given) {
        if (given != null && !given.isBlank()) {
            return given.trim().toLowerCase(Locale.ROOT);
        }
        if (props.getShopify().getShops().size() == 1) {
            return props.getShopify().getShops().get(0).getDomain().trim().toLowerCase(Locale.ROOT);
        }
        return props.getDefaultShop();
    }

    private static Map<String, Object> answer(PromotionService.Answer a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("personalised", a.personalised());
        if (a.segment() != null) {
            m.put("segment", a.segment());
        }
        m.put("offers", a.offers());
        return m;
    }

    private static ResponseEntity<Object> unavailable(String at, Exception e) {
        LOG.warn("{}: database not available ({})", at, e.toString());
        return problem(Problem.of(503, "Service Unavailable", "The CRM store is not available; retry later.").at(at));
    }

    private static ResponseEntity<Object> problem(Problem p) {
        return ResponseEntity.status(p.status()).contentType(MediaType.parseMediaType(Problem.MEDIA_TYPE)).body(p);
    }
}
