package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;

import java.util.Objects;

/**
 * Combines the current effective consent of one channel with a new statement.
 * <ul>
 *   <li>UNKNOWN never replaces a known state (OPT_IN or OPT_OUT); a known state replaces UNKNOWN.</li>
 *   <li>A later opt-out always wins. An opt-out also wins over a newer opt-in unless that opt-in is
 *       {@code explicit}: a non-explicit opt-in could never have lifted it had they arrived in order.</li>
 *   <li>An opt-in replaces an opt-out only when it is {@code explicit} AND strictly newer.</li>
 *   <li>Within the same status kind, an older statement never replaces a newer one; an explicit
 *       opt-in is moreover not replaced by a newer non-explicit one (its evidence is kept).</li>
 *   <li>On equal timestamps an opt-out beats an opt-in; otherwise equal timestamps keep current.</li>
 * </ul>
 * The outcome does not depend on the order statements arrive in, as far as the status goes.
 */
public final class ConsentRules {

    public Consent effective(Consent current, Consent incoming) {
        if (incoming == null) {
            return current;
        }
        if (current == null) {
            return incoming;
        }
        if (current.channel() != incoming.channel()) {
            throw new IllegalArgumentException("consent channels differ: " + current.channel()
                    + " vs " + incoming.channel());
        }
        ConsentStatus cur = current.status();
        ConsentStatus inc = incoming.status();
        boolean newer = incoming.at().isAfter(current.at());
        boolean older = incoming.at().isBefore(current.at());

        if (inc == ConsentStatus.UNKNOWN) {
            return cur == ConsentStatus.UNKNOWN && newer ? incoming : current;
        }
        if (cur == ConsentStatus.UNKNOWN) {
            return incoming;
        }
        if (inc == ConsentStatus.OPT_OUT) {
            if (cur == ConsentStatus.OPT_OUT) {
                return newer ? incoming : current;
            }
            // current is an opt-in: only an explicit opt-in strictly newer than this opt-out survives it
            boolean keepOptIn = current.explicit() && older;
            return keepOptIn ? current : incoming;
        }
        // incoming opt-in
        if (cur == ConsentStatus.OPT_OUT) {
            return incoming.explicit() && newer ? incoming : current;
        }
        // opt-in over opt-in
        if (current.explicit() && !incoming.explicit()) {
            return current;
        }
        if (newer) {
            return incoming;
        }
        if (!older && incoming.explicit() && !current.explicit()) {
            return incoming;
        }
        return current;
    }

    /** True when {@link #effective} would give a different effective consent than {@code current}. */
    public boolean changes(Consent current, Consent incoming) {
        return !Objects.equals(current, effective(current, incoming));
    }
}
