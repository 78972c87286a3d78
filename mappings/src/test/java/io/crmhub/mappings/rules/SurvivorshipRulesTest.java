package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.AttributeValue;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SurvivorshipRulesTest {

    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
    private final SurvivorshipRules rules = new SurvivorshipRules(List.of("crm", "erp", "shop"));

    private static AttributeValue v(String value, String source, int sec) {
        return new AttributeValue(value, source, T0.plusSeconds(sec));
    }

    @Test
    void anyValueBeatsNoValue() {
        assertThat(rules.incomingWins(null, v("a", "unknown-src", 0))).isTrue();
    }

    @Test
    void higherPriorityWinsEvenWhenOlder() {
        assertThat(rules.incomingWins(v("a", "shop", 100), v("b", "crm", 1))).isTrue();
        assertThat(rules.incomingWins(v("a", "crm", 1), v("b", "shop", 100))).isFalse();
    }

    @Test
    void unknownSourcesRankLowest() {
        assertThat(rules.incomingWins(v("a", "shop", 1), v("b", "webform", 100))).isFalse();
        assertThat(rules.incomingWins(v("a", "webform", 100), v("b", "shop", 1))).isTrue();
        assertThat(rules.rank("webform")).isZero();
        assertThat(rules.rank("CRM")).isGreaterThan(rules.rank("erp"));
    }

    @Test
    void equalPriorityFallsBackToRecency() {
        assertThat(rules.incomingWins(v("a", "erp", 1), v("b", "erp", 2))).isTrue();
        assertThat(rules.incomingWins(v("a", "erp", 2), v("b", "erp", 1))).isFalse();
        assertThat(rules.incomingWins(v("a", "x", 1), v("b", "y", 2))).isTrue();
    }

    @Test
    void tieKeepsCurrent() {
        assertThat(rules.incomingWins(v("a", "erp", 1), v("b", "erp", 1))).isFalse();
    }

    @Test
    void parseAndRecencyOnly() {
        SurvivorshipRules p = SurvivorshipRules.parse(" crm , shop ");
        assertThat(p.priority()).containsExactly("crm", "shop");
        assertThat(p.incomingWins(v("a", "shop", 5), v("b", "crm", 1))).isTrue();
        SurvivorshipRules r = SurvivorshipRules.recencyOnly();
        assertThat(r.incomingWins(v("a", "crm", 5), v("b", "shop", 6))).isTrue();
        assertThat(r.incomingWins(v("a", "crm", 5), v("b", "shop", 4))).isFalse();
    }
}
