package io.crmhub.mappings.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A consent statement for one channel: what, from which source, when it was given, and the
 * evidence (a form id, a mail's Message-ID, an IP and timestamp of a click ...).
 * <p>
 * {@code explicit} marks an affirmative, evidenced opt-in (a ticked box with a date, a
 * double opt-in click). Only explicit opt-ins newer than an opt-out can lift that opt-out;
 * see {@code io.crmhub.mappings.rules.ConsentRules}.
 */
public record Consent(Channel channel, ConsentStatus status, String source, Instant at,
                      String evidence, boolean explicit) {

    public Consent {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(at, "at");
        source = source == null ? "unknown" : source;
    }
}
