package io.crmhub.mappings.normalise;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class LanguageNormaliserTest {

    private final LanguageNormaliser languages = new LanguageNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "de | de", "DE | de", "` de ` | de", "deu | de", "ger | de", "GER | de",
            "fra | fr", "fre | fr", "dut | nl", "nld | nl", "chi | zh",
            "de-DE | de", "de_AT | de", "en-US | en", "EN_gb | en", "zh-Hant-TW | zh", "sr-Latn | sr",
            "`de-DE,de;q=0.9,en;q=0.8` | de",
            "German | de", "Deutsch | de", "allemand | de", "alemán | de", "aleman | de", "GERMAN | de",
            "English | en", "Englisch | en", "anglais | en", "inglés | en",
            "Français | fr", "Französisch | fr", "español | es", "Spanisch | es", "castellano | es",
            "Nederlands | nl", "Niederländisch | nl", "Flemish | nl",
            "English (United States) | en", "Chinese (Simplified) | zh", "Norwegisch | no", "Norwegian Bokmål | nb",
            "iw | he", "in | id", "ji | yi", "Hebrew | he", "Farsi | fa", "Persian | fa",
    })
    void resolvesCodesTagsAndNames(String raw, String expected) {
        assertThat(languages.normalise(raw).value()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "xx       | code",
            "gsw      | code",
            "Klingon  | unknown language",
            "42       | no letters",
    })
    void rejectsUnknown(String raw, String reasonFragment) {
        Result<String> r = languages.normalise(raw);
        assertThat(r.isInvalid()).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " "})
    void blankIsEmpty(String raw) {
        assertThat(languages.normalise(raw).isEmpty()).isTrue();
    }
}
