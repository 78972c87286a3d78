package io.crmhub.mappings.normalise;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class PostalCodeNormaliserTest {

    private final PostalCodeNormaliser postalCodes = new PostalCodeNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`  10115 `    | 10115",
            "sw1a  1aa     | SW1A 1AA",
            "`sw1a\t1aa`   | SW1A 1AA",
            "1012 ab       | 1012 AB",
            "01067         | 01067",
            "10115.0       | 10115",
            "00-950        | 00-950",
            "k1a 0b1       | K1A 0B1",
    })
    void trimsAndUpperCases(String raw, String expected) {
        assertThat(postalCodes.normalise(raw).value()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"#10115", "10115/20", "--", "12345678901234567890"})
    void rejectsGarbage(String raw) {
        assertThat(postalCodes.normalise(raw).isInvalid()).isTrue();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   "})
    void blankIsEmpty(String raw) {
        assertThat(postalCodes.normalise(raw).isEmpty()).isTrue();
    }
}
