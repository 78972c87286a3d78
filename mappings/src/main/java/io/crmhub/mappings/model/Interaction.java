package io.crmhub.mappings.model;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a profile's timeline.
 *
 * @param externalId optional id the source gives the interaction (order id, Message-ID ...); the
 *                   store keeps (source, externalId) unique so a redelivered interaction is recorded once
 * @param details    optional small JSON document with channel specific detail
 */
public record Interaction(String type, Instant at, String source, String channel, String campaign,
                          BigDecimal amount, String currency, String summary, String externalId,
                          String details) {
    public Interaction {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(source, "source");
    }

    public static Interaction of(String type, Instant at, String source, String summary) {
        return new Interaction(type, at, source, null, null, null, null, summary, null, null);
    }
}
