package io.crmhub.routes.ecommerce;

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
import io.crmhub.mappings.normalise.ValidationException;
import io.crmhub.routes.api.ApiException;
import io.crmhub.routes.profiles.ProfileService;
import org.apache.camel.Exchange;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** What the e-commerce API operations do (requests have passed the contract validation). */
public class EcommerceApi {

    private final ProfileService profiles;
    private final CrmStore crm;
    private final PromotionService promotions;
    private final EcommerceKafka kafka;
    private final EcommerceProperties props;
    private final ObjectMapper mapper;
    private final SegmentOrderMapper segment;

    public EcommerceApi(ProfileService profiles, PromotionService promotions, EcommerceKafka kafka, EcommerceProperties props,
                        ObjectMapper mapper) {
        this.profiles = profiles;
        this.crm = profiles.store();
        this.promotions = promotions;
        this.kafka = kafka;
        this.props = props;
        this.mapper = mapper;
        this.segment = new SegmentOrderMapper(props.getDefaultShop(), null);
    }

    /** POST /ecommerce/orders: checks the event maps, persists it to the orders topic, 202. */
    public void postOrderEvent(Exchange exchange) throws Exception {
        String body = exchange.getIn().getBody(String.class);
        JsonNode json;
        EcomEvent event;
        try {
            json = mapper.readTree(body);
            event = segment.map(json);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("The body is not JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        String orderId = event instanceof EcomEvent.Order o ? o.orderId()
                : event instanceof EcomEvent.Refund r ? r.orderId() : null;
        try {
            kafka.send(props.getOrdersTopic(), event.shop() + ":" + orderId, body.getBytes(StandardCharsets.UTF_8),
                    Map.of(EcommerceService.H_FORMAT, EcommerceService.FORMAT_SEGMENT), props.getShopify().getPublishTimeout());
        } catch (IllegalStateException e) {
            throw new ApiException(503, "Service Unavailable", "The event could not be persisted (Kafka): retry later.");
        }
        Map<String, Object> ack = new LinkedHashMap<>();
        ack.put("status", "accepted");
        ack.put("event", json.path("event").asText());
        ack.put("orderId", orderId);
        respond(exchange, 202, ack);
    }

    /** GET /promotions?customerId=…[&shop=…] | ?email=… */
    public void getPromotions(Exchange exchange) throws Exception {
        String customerId = exchange.getIn().getHeader("customerId", String.class);
        String email = exchange.getIn().getHeader("email", String.class);
        Identity raw;
        if (customerId != null && !customerId.isBlank()) {
            raw = Identity.of(IdentityType.ECOM_CUSTOMER_ID, shop(exchange.getIn().getHeader("shop", String.class)), customerId.trim());
        } else if (email != null && !email.isBlank()) {
            raw = Identity.of(IdentityType.EMAIL, email);
        } else {
            throw ApiException.badRequest("Give the query parameter customerId (with shop) or email.");
        }
        Identity normalised;
        try {
            normalised = profiles.strictNormaliser().normalise(new ProfileRecord("lookup", null, List.of(raw), null, null), true)
                    .record().identities().get(0);
        } catch (ValidationException | IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        Optional<CustomerProfile> profile = crm.lookup(normalised).flatMap(id -> crm.find(id, 0));
        respond(exchange, 200, answer(promotions.offers(profile)));
    }

    /** GET /profiles/{id}/promotions */
    public void getProfilePromotions(Exchange exchange) throws Exception {
        String id = exchange.getIn().getHeader("id", String.class);
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("Profile id must be a UUID, got '" + id + "'.");
        }
        Optional<CustomerProfile> profile;
        try {
            profile = crm.find(uuid, 0);
        } catch (IllegalArgumentException e) {
            profile = Optional.empty();
        }
        respond(exchange, 200, answer(promotions.offers(profile)));
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

    private void respond(Exchange exchange, int status, Object body) throws Exception {
        var msg = exchange.getMessage();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, "application/json");
        msg.setBody(mapper.writeValueAsString(body));
    }
}
