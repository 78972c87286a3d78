package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PhoneNormaliserTest {

    private final PhoneNormaliser phones = new PhoneNormaliser("DE");

    @Test
    void thePersonsCountryReadsANationalNumberFirstThenTheDefaultRegion() {
        assertThat(phones.normaliseFor("(415) 555-0100", "US").value()).isEqualTo("+14155550100");
        assertThat(phones.normaliseFor("01 23 45 67 89", "FR").value()).isEqualTo("+33123456789");
        // a German mobile of someone who lives in France: no French number, so the default region's
        assertThat(phones.normaliseFor("0171 1234567", "FR").value()).isEqualTo("+491711234567");
        assertThat(phones.normaliseFor("030 1234567", null).value()).isEqualTo("+49301234567");
        assertThat(phones.normaliseFor("030 1234567", "XX").value()).isEqualTo("+49301234567");
    }

    @Test
    void aNumberWithItsCountryCodeButNoPlusIsThatNumber() {
        // a spreadsheet's number cell, Brevo's SMS column: where national numbers start with 0, these cannot be
        assertThat(phones.normalise("491711234567").value()).isEqualTo("+491711234567");
        assertThat(phones.normalise("4915112345678").value()).isEqualTo("+4915112345678");
        assertThat(phones.normalise("33612345678").value()).isEqualTo("+33612345678");
        assertThat(phones.normalise("44 20 7946 0958").value()).isEqualTo("+442079460958");
        // in the US, national numbers start with the area code: no such reading there
        assertThat(new PhoneNormaliser("US").normalise("4155550100").value()).isEqualTo("+14155550100");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "+49 30 1234567            | +49301234567",
            "030 1234567               | +49301234567",
            "030/1234567               | +49301234567",
            "(030) 123 45 67           | +49301234567",
            "0049 30 1234567           | +49301234567",
            "0049-30-1234567           | +49301234567",
            "+49 (0)30 1234567         | +49301234567",
            "+49 (0) 30 / 12 34 567    | +49301234567",
            "030 1234567 ext. 12       | +49301234567",
            "030 1234567 x 12          | +49301234567",
            "tel:+49-30-1234567        | +49301234567",
            "0176 12345678             | +4917612345678",
            "+49 176 1234 5678         | +4917612345678",
            "+44 (0) 20 7946 0958      | +442079460958",
            "+1 (650) 253-0000 ext 123 | +16502530000",
            "+43 1 5344455             | +4315344455",
    })
    void normalisesToE164(String raw, String expected) {
        assertThat(phones.normalise(raw).value()).isEqualTo(expected);
    }

    @Test
    void defaultRegionDecidesNationalNumbers() {
        PhoneNormaliser us = new PhoneNormaliser("us");
        assertThat(us.defaultRegion()).isEqualTo("US");
        assertThat(us.normalise("(650) 253-0000").value()).isEqualTo("+16502530000");
        assertThat(phones.normalise("(650) 253-0000", "US").value()).isEqualTo("+16502530000");
        // a German writing 00 as international prefix in data imported with a US default region
        assertThat(us.normalise("0049 30 1234567").value()).isEqualTo("+49301234567");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "12                      | too few digits",
            "n/a                     | too few digits",
            "ann@example.com         | e-mail",
            "030                     | not a valid phone number for DE",
            "+49 30 12               | DE",
            "0176 1234567890123456   | too long",
            "+999 1234567            | country code",
            "1234567890123456789012  | too long",
    })
    void rejectsInvalidNumbersWithReason(String raw, String reasonFragment) {
        Result<String> r = phones.normalise(raw);
        assertThat(r.isInvalid()).as(raw).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void blankIsEmpty(String raw) {
        assertThat(phones.normalise(raw).isEmpty()).isTrue();
    }

    @Test
    void unsupportedDefaultRegionFailsFast() {
        assertThatThrownBy(() -> new PhoneNormaliser("XX")).isInstanceOf(IllegalArgumentException.class);
    }
}
