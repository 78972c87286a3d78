package io.crmhub.mappings.normalise;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class GenderNormaliserTest {

    private final GenderNormaliser genders = new GenderNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "m | MALE", "M | MALE", "male | MALE", "Male | MALE", "Herr | MALE", "HERR | MALE", "Hr. | MALE",
            "Mr | MALE", "Mr. | MALE", "männlich | MALE", "MAENNLICH | MALE", "Monsieur | MALE", "Señor | MALE",
            "Herr Dr. | MALE", "Herr Prof. Dr. med. | MALE",
            "f | FEMALE", "F | FEMALE", "female | FEMALE", "w | FEMALE", "W | FEMALE", "weiblich | FEMALE",
            "Frau | FEMALE", "Fr. | FEMALE", "Mrs | FEMALE", "Mrs. | FEMALE", "Ms | FEMALE", "Ms. | FEMALE",
            "Miss | FEMALE", "Madame | FEMALE", "Mme | FEMALE", "Señora | FEMALE", "Frau Dr. | FEMALE",
            "divers | OTHER", "Divers | OTHER", "d | OTHER", "x | OTHER", "X | OTHER", "non-binary | OTHER",
            "Other | OTHER",
            "u | UNKNOWN", "unknown | UNKNOWN", "unbekannt | UNKNOWN", "n/a | UNKNOWN", "k.A. | UNKNOWN",
            "keine Angabe | UNKNOWN", "prefer not to say | UNKNOWN", "? | UNKNOWN", "Familie | UNKNOWN",
            "Herr und Frau | UNKNOWN",
            "`  female  ` | FEMALE",
    })
    void mapsMessyValues(String raw, Gender expected) {
        assertThat(genders.normalise(raw).value()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"banana", "1", "2", "mxx", "Dr."})
    void rejectsUnknownValues(String raw) {
        Result<Gender> r = genders.normalise(raw);
        assertThat(r.isInvalid()).isTrue();
        assertThat(r.reason()).isEqualTo("unknown gender value");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void blankIsEmpty(String raw) {
        assertThat(genders.normalise(raw).isEmpty()).isTrue();
    }
}
