package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Follows {@code crm.profile.changes} for what moves a person's promotions without an order: a
 * consent change (personalisation granted or withdrawn), a merge or unmerge (the orders that count
 * change), an erasure (the shop must drop what it holds).
 */
public class ProfileChangeListener {

    private final EcommerceService service;
    private final PromotionService promotions;
    private final ObjectMapper mapper;

    public ProfileChangeListener(EcommerceService service, PromotionService promotions, ObjectMapper mapper) {
        this.service = service;
        this.promotions = promotions;
        this.mapper = mapper;
    }

    public static boolean relevant(String eventType) {
        return eventType != null && switch (eventType) {
            case "consent.changed", "profile.merged", "profile.unmerged", "profile.erased" -> true;
            default -> false;
        };
    }

    public void on(Exchange exchange) throws Exception {
        String type = exchange.getIn().getHeader("hub_event_type", String.class);
        JsonNode p = mapper.readTree(exchange.getIn().getBody(String.class));
        UUID profileId = UUID.fromString(p.path("profileId").asText());
        switch (type) {
            case "consent.changed" -> service.refreshPromotions(profileId);
            case "profile.merged" -> service.recompute(profileId);
            case "profile.unmerged" -> {
                service.recompute(profileId);
                if (p.hasNonNull("restoredProfileId")) {
                    service.recompute(UUID.fromString(p.get("restoredProfileId").asText()));
                }
            }
            case "profile.erased" -> {
                List<UUID> ids = new ArrayList<>();
                p.path("erasedProfileIds").forEach(n -> ids.add(UUID.fromString(n.asText())));
                if (ids.isEmpty()) {
                    ids.add(profileId);
                }
                promotions.withdraw(ids);
            }
            default -> {
            }
        }
    }
}
