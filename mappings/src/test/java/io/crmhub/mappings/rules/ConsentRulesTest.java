package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.crmhub.mappings.model.ConsentStatus.OPT_IN;
import static io.crmhub.mappings.model.ConsentStatus.OPT_OUT;
import static io.crmhub.mappings.model.ConsentStatus.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsentRulesTest {

    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
    private final ConsentRules rules = new ConsentRules();

    private static Consent c(ConsentStatus s, int day, boolean explicit) {
        return new Consent(Channel.EMAIL, s, "src" + day, T0.plusSeconds(86400L * day), "ev" + day, explicit);
    }

    @Test
    void nothingCurrentTakesIncoming() {
        Consent in = c(OPT_IN, 1, false);
        assertThat(rules.effective(null, in)).isSameAs(in);
        assertThat(rules.effective(in, null)).isSameAs(in);
        Consent unknown = c(UNKNOWN, 1, false);
        assertThat(rules.effective(null, unknown)).isSameAs(unknown);
    }

    @Test
    void laterOptOutAlwaysWins() {
        assertThat(rules.effective(c(OPT_IN, 1, true), c(OPT_OUT, 2, false)).status()).isEqualTo(OPT_OUT);
        assertThat(rules.effective(c(OPT_IN, 1, false), c(OPT_OUT, 2, false)).status()).isEqualTo(OPT_OUT);
    }

    @Test
    void optOutAtSameInstantAsOptInWins() {
        assertThat(rules.effective(c(OPT_IN, 1, true), c(OPT_OUT, 1, false)).status()).isEqualTo(OPT_OUT);
    }

    @Test
    void nonExplicitOptInNeverLiftsOptOut() {
        Consent out = c(OPT_OUT, 1, false);
        assertThat(rules.effective(out, c(OPT_IN, 5, false))).isSameAs(out);
    }

    @Test
    void explicitOptInLiftsOnlyWhenNewer() {
        Consent out = c(OPT_OUT, 3, false);
        Consent newer = c(OPT_IN, 4, true);
        assertThat(rules.effective(out, newer)).isSameAs(newer);
        assertThat(rules.effective(out, c(OPT_IN, 2, true))).isSameAs(out);
        assertThat(rules.effective(out, c(OPT_IN, 3, true))).isSameAs(out);
    }

    @Test
    void lateArrivingOlderOptOutBeatsNonExplicitOptInButNotExplicitOne() {
        Consent olderOut = c(OPT_OUT, 1, false);
        assertThat(rules.effective(c(OPT_IN, 2, false), olderOut)).isSameAs(olderOut);
        Consent explicitIn = c(OPT_IN, 2, true);
        assertThat(rules.effective(explicitIn, olderOut)).isSameAs(explicitIn);
    }

    @Test
    void unknownNeverReplacesKnown() {
        Consent in = c(OPT_IN, 1, false);
        Consent out = c(OPT_OUT, 1, false);
        assertThat(rules.effective(in, c(UNKNOWN, 9, true))).isSameAs(in);
        assertThat(rules.effective(out, c(UNKNOWN, 9, true))).isSameAs(out);
    }

    @Test
    void knownReplacesUnknownWhateverItsAge() {
        Consent unknown = c(UNKNOWN, 5, false);
        Consent olderIn = c(OPT_IN, 1, false);
        assertThat(rules.effective(unknown, olderIn)).isSameAs(olderIn);
        Consent olderOut = c(OPT_OUT, 1, false);
        assertThat(rules.effective(unknown, olderOut)).isSameAs(olderOut);
    }

    @Test
    void unknownOverUnknownTakesNewer() {
        Consent u1 = c(UNKNOWN, 1, false);
        Consent u2 = c(UNKNOWN, 2, false);
        assertThat(rules.effective(u1, u2)).isSameAs(u2);
        assertThat(rules.effective(u2, u1)).isSameAs(u2);
    }

    @Test
    void olderStatementsOfSameKindNeverReplaceNewer() {
        Consent out2 = c(OPT_OUT, 2, false);
        assertThat(rules.effective(out2, c(OPT_OUT, 1, false))).isSameAs(out2);
        Consent out3 = c(OPT_OUT, 3, false);
        assertThat(rules.effective(out2, out3)).isSameAs(out3);
        Consent in2 = c(OPT_IN, 2, false);
        assertThat(rules.effective(in2, c(OPT_IN, 1, false))).isSameAs(in2);
        Consent in3 = c(OPT_IN, 3, false);
        assertThat(rules.effective(in2, in3)).isSameAs(in3);
    }

    @Test
    void explicitOptInKeptOverNewerNonExplicitOptIn() {
        Consent explicit = c(OPT_IN, 2, true);
        assertThat(rules.effective(explicit, c(OPT_IN, 3, false))).isSameAs(explicit);
        Consent newerExplicit = c(OPT_IN, 3, true);
        assertThat(rules.effective(explicit, newerExplicit)).isSameAs(newerExplicit);
        Consent sameTimeExplicit = c(OPT_IN, 2, true);
        Consent implicit = c(OPT_IN, 2, false);
        assertThat(rules.effective(implicit, sameTimeExplicit)).isSameAs(sameTimeExplicit);
    }

    @Test
    void equalStatementIsNoChange() {
        Consent in = c(OPT_IN, 2, true);
        assertThat(rules.changes(in, c(OPT_IN, 2, true))).isFalse();
        assertThat(rules.changes(in, c(OPT_OUT, 3, false))).isTrue();
    }

    @Test
    void channelsMustMatch() {
        Consent email = c(OPT_IN, 1, false);
        Consent sms = new Consent(Channel.SMS, OPT_IN, "x", T0, null, false);
        assertThatThrownBy(() -> rules.effective(email, sms)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void effectiveStatusDoesNotDependOnArrivalOrder() {
        Random rnd = new Random(42);
        for (int round = 0; round < 2000; round++) {
            List<Consent> statements = new ArrayList<>();
            int n = 2 + rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                ConsentStatus s = rnd.nextBoolean() ? OPT_IN : OPT_OUT;
                // distinct days, so chronological order is well defined
                statements.add(c(s, i * 2 + rnd.nextInt(2), rnd.nextBoolean()));
            }
            Consent chrono = fold(statements);
            List<Consent> shuffled = new ArrayList<>(statements);
            Collections.shuffle(shuffled, rnd);
            Consent any = fold(shuffled);
            if (n == 2) {
                assertThat(any.status()).as("%s vs %s", statements, shuffled).isEqualTo(chrono.status());
            } else {
                // safety: whenever the chronological replay ends in an opt-out, so does every order
                if (chrono.status() == OPT_OUT) {
                    assertThat(any.status()).as("%s vs %s", statements, shuffled).isEqualTo(OPT_OUT);
                }
            }
        }
    }

    private Consent fold(List<Consent> in) {
        Consent cur = null;
        for (Consent c : in) {
            cur = rules.effective(cur, c);
        }
        return cur;
    }
}
