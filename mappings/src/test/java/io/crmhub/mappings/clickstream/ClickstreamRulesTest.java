package io.crmhub.mappings.clickstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** IP truncation, interest decay, audience rules and cells, match keys. */
class ClickstreamRulesTest {

    @Test
    void ipAddressesAreTruncatedAndNeverResolved() {
        assertThat(IpAddresses.truncate("203.0.113.77")).isEqualTo("203.0.113.0");
        assertThat(IpAddresses.truncate(" 198.51.100.9, 10.0.0.1")).isEqualTo("198.51.100.0");
        assertThat(IpAddresses.truncate("2001:db8:85a3:8d3:1319:8a2e:370:7348")).isEqualTo("2001:db8:85a3::");
        assertThat(IpAddresses.truncate("[2001:db8::1]")).isEqualTo("2001:db8::");
        assertThat(IpAddresses.truncate("999.1.1.1")).isNull();
        assertThat(IpAddresses.truncate("256.1.1.1")).isNull();
        assertThat(IpAddresses.truncate("255.255.255.255")).isEqualTo("255.255.255.0");
        assertThat(IpAddresses.truncate("0.0.0.0")).isEqualTo("0.0.0.0");
        assertThat(IpAddresses.truncate("1.2.3")).isNull();
        assertThat(IpAddresses.truncate("1.2.3.4.5")).isNull();
        assertThat(IpAddresses.truncate("1.2.3.")).isNull();
        assertThat(IpAddresses.truncate(".1.2.3")).isNull();
        assertThat(IpAddresses.truncate("1..2.3")).isNull();
        assertThat(IpAddresses.truncate("1234.1.1.1")).isNull();
        assertThat(IpAddresses.truncate("10.0.0.1x")).isNull();
        assertThat(IpAddresses.truncate("::ffff:192.0.2.128")).isEqualTo("192.0.2.0");
        assertThat(IpAddresses.truncate("example.com")).isNull();
        assertThat(IpAddresses.truncate("")).isNull();
        assertThat(IpAddresses.truncate(null)).isNull();
    }

    @Test
    void interestDecaysByHalfLifeWhateverTheArrivalOrder() {
        InterestScore s = new InterestScore(Duration.ofDays(14));
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        InterestScore.Score one = s.add(null, 1.0, t0);
        InterestScore.Score two = s.add(one, 1.0, t0.plus(Duration.ofDays(14)));
        assertThat(two.value()).isCloseTo(1.5, within(1e-9));
        InterestScore.Score reversed = s.add(s.add(null, 1.0, t0.plus(Duration.ofDays(14))), 1.0, t0);
        assertThat(reversed.value()).isCloseTo(1.5, within(1e-9));
        assertThat(s.valueAt(two, t0.plus(Duration.ofDays(28)))).isCloseTo(0.75, within(1e-9));
        assertThatThrownBy(() -> new InterestScore(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void audienceRuleMatchesAndPlacesMembersInCells() {
        LocalDate today = LocalDate.parse("2026-12-01");
        AudienceRule rule = new AudienceRule("sports", Set.of("Sports", "running"), 1.0, Set.of(), 18, 34,
                Set.of(), Set.of("de"), Set.of(), 100);
        AudienceRule.Member fan = new AudienceRule.Member(Map.of("sports", 2.0, "running", 3.0, "news", 9.0), Set.of(),
                "1995-06-01", "female", "DE", null);
        assertThat(rule.matches(fan, today)).isTrue();
        assertThat(rule.cellOf(fan, today)).isEqualTo(new AudienceRule.Cell("25-34", "FEMALE", "DE", "running"));
        AudienceRule.Member weak = new AudienceRule.Member(Map.of("sports", 0.5), Set.of(), "1995-06-01", null, "DE", null);
        assertThat(rule.matches(weak, today)).as("score under min-score").isFalse();
        AudienceRule.Member old = new AudienceRule.Member(Map.of("sports", 2.0), Set.of(), "1960-01-01", null, "DE", null);
        assertThat(rule.matches(old, today)).isFalse();
        AudienceRule.Member noAge = new AudienceRule.Member(Map.of("sports", 2.0), Set.of(), null, null, "DE", null);
        assertThat(rule.matches(noAge, today)).as("an age criterion needs a known age").isFalse();
        AudienceRule.Member french = new AudienceRule.Member(Map.of("sports", 2.0), Set.of(), "2000-01-01", null, "FR", "IDF");
        assertThat(rule.matches(french, today)).isFalse();

        AudienceRule all = new AudienceRule("campaign", Set.of(), 0.5, Set.of("winter-sale"), null, null, Set.of(),
                Set.of(), Set.of(), 3);
        AudienceRule.Member reached = new AudienceRule.Member(Map.of("news", 1.0), Set.of("winter-sale"), "2010-01-01",
                "male", "FR", "IDF");
        assertThat(all.matches(reached, today)).isTrue();
        assertThat(all.cellOf(reached, today)).as("minors get no age band; region before country")
                .isEqualTo(new AudienceRule.Cell("unknown", "MALE", "IDF", "news"));
        assertThat(AudienceRule.ageBand(70)).isEqualTo("65+");
        assertThat(AudienceRule.ageBand(18)).isEqualTo("18-24");
        assertThat(AudienceRule.ageBand(44)).isEqualTo("35-44");
        assertThatThrownBy(() -> new AudienceRule("bad name", null, 0, null, null, null, null, null, null, 100))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AudienceRule("x", null, 0, null, null, null, null, null, null, 0))
                .hasMessageContaining("floor");
    }

    @Test
    void matchKeysFollowCustomerMatchNormalisation() {
        MatchKeys keys = new MatchKeys("DE");
        String expected = MatchKeys.sha256("johndoe@gmail.com");
        assertThat(keys.email("  John.Doe@GMAIL.com ")).isEqualTo(expected);
        assertThat(keys.email("j.o.h.n.doe@googlemail.com")).isEqualTo(MatchKeys.sha256("johndoe@googlemail.com"));
        assertThat(keys.email("John.Doe@Example.com")).isEqualTo(MatchKeys.sha256("john.doe@example.com"));
        assertThat(keys.phone("030 1234567")).isEqualTo(MatchKeys.sha256("+49301234567"));
        assertThat(keys.email("not-an-email")).isNull();
        assertThat(MatchKeys.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
