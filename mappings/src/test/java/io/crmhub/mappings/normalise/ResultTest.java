package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResultTest {

    @Test
    void threeStates() {
        Result<String> ok = Result.ok("x");
        Result<String> invalid = Result.invalid("bad");
        Result<String> empty = Result.empty();

        assertThat(ok.isOk()).isTrue();
        assertThat(ok.map(String::length).value()).isEqualTo(1);
        assertThat(ok.toOptional()).contains("x");

        assertThat(invalid.isInvalid()).isTrue();
        assertThat(invalid.reason()).isEqualTo("bad");
        assertThat(invalid.orElse("y")).isEqualTo("y");
        assertThat(invalid.map(String::length).reason()).isEqualTo("bad");
        assertThatThrownBy(invalid::value).isInstanceOf(IllegalStateException.class).hasMessageContaining("bad");
        assertThatThrownBy(invalid::orElseThrow).isInstanceOf(IllegalArgumentException.class).hasMessage("bad");

        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.isOk()).isFalse();
        assertThat(empty.isInvalid()).isFalse();
        assertThat(empty.toOptional()).isEmpty();
    }
}
