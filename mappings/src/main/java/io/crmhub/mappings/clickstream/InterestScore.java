package io.crmhub.mappings.clickstream;

import java.time.Duration;
import java.time.Instant;

/**
 * Interest scores that decay with time: each event in a content category adds its weight, and the
 * score halves every {@code halfLife}. A score is kept as (value, as-of time); adding an event
 * older than the as-of time decays the event's weight instead, so the order events arrive in does
 * not change the result.
 */
public final class InterestScore {

    private final double halfLifeSeconds;

    public InterestScore(Duration halfLife) {
        if (halfLife == null || halfLife.isZero() || halfLife.isNegative()) {
            throw new IllegalArgumentException("interest half-life must be positive");
        }
        this.halfLifeSeconds = halfLife.toMillis() / 1000.0;
    }

    /** A score as of a time. */
    public record Score(double value, Instant asOf) {
    }

    /** {@code current} (may be null) plus an event of {@code weight} at {@code at}. */
    public Score add(Score current, double weight, Instant at) {
        if (current == null) {
            return new Score(weight, at);
        }
        if (!at.isBefore(current.asOf())) {
            return new Score(decay(current.value(), current.asOf(), at) + weight, at);
        }
        return new Score(current.value() + decay(weight, at, current.asOf()), current.asOf());
    }

    /** The score's value at {@code when} (no events after its as-of time). */
    public double valueAt(Score score, Instant when) {
        return when.isBefore(score.asOf()) ? score.value() : decay(score.value(), score.asOf(), when);
    }

    private double decay(double value, Instant from, Instant to) {
        double seconds = Duration.between(from, to).toMillis() / 1000.0;
        return value * Math.pow(0.5, seconds / halfLifeSeconds);
    }
}
