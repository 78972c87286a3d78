package io.crmhub.mappings.clickstream;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Map;

/**
 * One clickstream event after mapping: a Segment/RudderStack call (track, page, screen, identify,
 * alias) or an ad-server log record (impression, click), in one shape.
 *
 * @param messageId   unique id of the event (Segment {@code messageId}; ad-server {@code eventId});
 *                    the de-duplication key
 * @param type        {@link Type}
 * @param name        event name of a track call, page/screen name, or null
 * @param anonymousId device/cookie id, may be null when {@code userId} is given
 * @param userId      the site's own user id, may be null when {@code anonymousId} is given
 * @param previousId  alias only: the earlier id of the user
 * @param email       e-mail from traits or {@code context.traits}, raw, may be null
 * @param phone       phone from traits, raw, may be null
 * @param at          when it happened (timestamp corrected by the sender's clock skew when
 *                    {@code sentAt} and {@code receivedAt} are known)
 * @param ip          truncated client IP (see {@link IpAddresses#truncate}), may be null
 * @param category    content category (page category, {@code properties.category}), lower-case, may be null
 * @param campaign    campaign code (utm_campaign / ad campaign id), lower-case, may be null
 * @param campaignName the campaign name as sent
 * @param medium      utm_medium, may be null
 * @param traits      identify traits mapped to canonical profile attributes (firstName ...)
 * @param properties  {@code properties} (track/page) or {@code traits} (identify) as sent, for the tracking plan
 * @param adCreative  ad-server records: creative id, placement, click id (null otherwise)
 */
public record ClickEvent(String messageId, Type type, String name, String anonymousId, String userId,
                         String previousId, String email, String phone, Instant at, String ip, String category,
                         String campaign, String campaignName, String medium, Map<String, String> traits,
                         ObjectNode properties, AdDetails adCreative) {

    /** Kinds of event. */
    public enum Type {
        TRACK, PAGE, SCREEN, IDENTIFY, ALIAS, GROUP, AD_IMPRESSION, AD_CLICK;

        /** The name the tracking plan and the anonymous aggregates use ({@code track}, {@code ad_click} ...). */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Ad-server detail of an impression or click. */
    public record AdDetails(String campaignId, String creativeId, String placement, String clickId) {
    }

    public ClickEvent {
        traits = traits == null ? Map.of() : Map.copyOf(traits);
    }

    /** The id the event is keyed by on Kafka (per-person order): userId, else anonymousId. */
    public String personKey() {
        return userId != null ? userId : anonymousId;
    }

    /** Page views and screen views count as views. */
    public boolean isView() {
        return type == Type.PAGE || type == Type.SCREEN;
    }
}
