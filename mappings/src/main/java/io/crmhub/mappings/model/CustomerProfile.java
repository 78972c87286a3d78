package io.crmhub.mappings.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The 360° view of one customer: identities, attributes with provenance, effective consent per
 * channel, computed fields (value, engagement, segments ... added by the channel flows), the most
 * recent interactions and the marketing lists the person is on.
 */
public record CustomerProfile(UUID id, Instant createdAt, Instant updatedAt, List<Identity> identities,
                              Map<String, AttributeValue> attributes, Map<Channel, Consent> consents,
                              Map<String, String> computed, List<StoredInteraction> latestInteractions,
                              List<ListMembership> lists) {

    /** An interaction as stored, with its id. */
    public record StoredInteraction(long id, Interaction interaction) {
    }

    /** Membership of the profile in one marketing list. */
    public record ListMembership(long listId, String listName, MemberType memberType, boolean suppressed,
                                 Instant addedAt) {
    }
}
