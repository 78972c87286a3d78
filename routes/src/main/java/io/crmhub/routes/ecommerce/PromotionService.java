package io.crmhub.routes.ecommerce;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.ecommerce.EcommerceStore;
import io.crmhub.mappings.ecommerce.OrderMetrics;
import io.crmhub.mappings.ecommerce.Promotions;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.CustomerProfile;
import io.crmhub.mappings.model.Hashes;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The personalised promotions: which offers a person gets (only with a PERSONALISATION opt-in,
 * otherwise the generic ones), the state last computed per profile, and its publication to
 * {@code crm.promotions} (key = profile id) whenever segment, offers or consent change.
 */
public class PromotionService {

    private static final Logger LOG = LoggerFactory.getLogger(PromotionService.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    private final CrmStore crm;
    private final EcommerceStore store;
    private final Promotions promotions;
    private final ObjectMapper mapper;
    private final EcommerceKafka kafka;
    private final String topic;
    private final Clock clock;

    public PromotionService(CrmStore crm, EcommerceStore store, Promotions promotions, ObjectMapper mapper, EcommerceKafka kafka,
                            String topic, Clock clock) {
        this.crm = crm;
        this.store = store;
        this.promotions = promotions;
        this.mapper = mapper;
        this.kafka = kafka;
        this.topic = topic;
        this.clock = clock;
    }

    /** The answer of the promotions API. */
    public record Answer(boolean personalised, String segment, List<Promotions.Offer> offers) {
    }

    /** The offers for this profile now; generic ones for a missing profile or one without personalisation consent. */
    public Answer offers(Optional<CustomerProfile> profile) {
        Instant now = clock.instant();
        if (profile.isEmpty() || !personalisationAllowed(profile.get())) {
            return new Answer(false, null, promotions.generic(now));
        }
        Map<String, String> computed = profile.get().computed();
        return new Answer(true, computed.get(OrderMetrics.SEGMENT), promotions.forProfile(computed, now));
    }

    public static boolean personalisationAllowed(CustomerProfile p) {
        Consent c = p.consents().get(Channel.PERSONALISATION);
        return c != null && c.status() == ConsentStatus.OPT_IN;
    }

    /**
     * Recomputes the profile's promotion state (inside the caller's transaction when there is one);
     * a changed state gets a new version that {@link #publishPending} sends.
     */
    public boolean refresh(UUID profileId, Instant now) {
        Optional<CustomerProfile> p = crm.find(profileId, 0);
        return p.isPresent() && refresh(p.get(), p.get().computed(), now);
    }

    /** As {@link #refresh(UUID, Instant)} for a profile already read, with its computed fields as they are now. */
    public boolean refresh(CustomerProfile profile, Map<String, String> computedNow, Instant now) {
        Map<String, String> computed = new java.util.HashMap<>(profile.computed());
        computedNow.forEach((k, v) -> {
            if (v == null) {
                computed.remove(k);
            } else {
                computed.put(k, v);
            }
        });
        boolean allowed = personalisationAllowed(profile);
        List<Promotions.Offer> offers = allowed ? promotions.forProfile(computed, now) : promotions.generic(now);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("profileId", profile.id().toString());
        body.put("personalised", allowed);
        if (allowed) {
            body.put("segment", computed.get(OrderMetrics.SEGMENT));
            body.put("rfm", computed.get(OrderMetrics.RFM));
        }
        List<Map<String, String>> customerIds = new ArrayList<>();
        String email = null;
        for (Identity i : profile.identities()) {
            if (i.type() == IdentityType.ECOM_CUSTOMER_ID) {
                customerIds.add(Map.of("shop", i.namespace(), "customerId", i.value()));
            } else if (i.type() == IdentityType.EMAIL && email == null) {
                email = i.value();
            }
        }
        body.put("shopCustomerIds", customerIds);
        if (email != null) {
            body.put("email", email);
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (Promotions.Offer o : offers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", o.id());
            m.put("title", o.title());
            m.put("code", o.code());
            m.put("description", o.description());
            m.put("personalised", o.personalised());
            m.put("validUntil", o.validUntil() == null ? null : o.validUntil().toString());
            list.add(m);
        }
        body.put("offers", list);
        String payload = json(body);
        return store.putPromotionState(profile.id(), Hashes.sha256Hex(payload), payload, now);
    }

    /** Publishes the profile's promotion state if it has an unpublished version. */
    public void publishPending(UUID profileId) {
        try {
            store.promotionState(profileId).filter(s -> s.version() > s.publishedVersion()).ifPresent(this::publish);
        } catch (RuntimeException e) {
            // kept as unpublished: the periodic publisher sends it when Kafka is back
            LOG.warn("promotions of {} not published yet: {}", profileId, e.toString());
        }
    }

    /**
     * Publishes every unpublished promotion state, oldest change first, in rounds of {@code batch}
     * (sent together, then marked published once acknowledged). Periodic: this is how changes reach
     * the shop, a second or so after their commit, and how they catch up after a Kafka outage.
     */
    public int publishAllPending(int batch) {
        int total = 0;
        while (true) {
            List<EcommerceStore.PromotionState> states = store.unpublished(batch);
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>(states.size());
            for (EcommerceStore.PromotionState s : states) {
                sent.add(kafka.sendAsync(topic, s.profileId().toString(), s.payload().getBytes(StandardCharsets.UTF_8), headers(s)));
            }
            for (int i = 0; i < states.size(); i++) {
                try {
                    sent.get(i).get(SEND_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return total;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("promotions not acknowledged by Kafka: " + e, e);
                }
                store.markPublished(states.get(i).profileId(), states.get(i).version());
                total++;
            }
            if (states.size() < batch) {
                return total;
            }
        }
    }

    private static Map<String, String> headers(EcommerceStore.PromotionState s) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("hub_event_type", "promotions.changed");
        headers.put("hub_promotion_version", Long.toString(s.version()));
        return headers;
    }

    private void publish(EcommerceStore.PromotionState s) {
        kafka.send(topic, s.profileId().toString(), s.payload().getBytes(StandardCharsets.UTF_8), headers(s), SEND_TIMEOUT);
        store.markPublished(s.profileId(), s.version());
    }

    /** Tells the shop to drop everything it holds for erased profiles. */
    public void withdraw(List<UUID> profileIds) {
        for (UUID id : profileIds) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("profileId", id.toString());
            body.put("erased", true);
            body.put("personalised", false);
            body.put("offers", List.of());
            kafka.send(topic, id.toString(), json(body).getBytes(StandardCharsets.UTF_8),
                    Map.of("hub_event_type", "promotions.withdrawn"), SEND_TIMEOUT);
        }
    }

    private String json(Object o) {
        try {
            return mapper.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
