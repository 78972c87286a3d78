package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class NameNormaliserTest {

    private final NameNormaliser names = new NameNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`  ann   o'brien  `          | Ann O'Brien",
            "ANN O'BRIEN                  | Ann O'Brien",
            "O’NEILL                      | O’Neill",
            "jean-luc                     | Jean-Luc",
            "MARY-KATE O'CONNOR-SMITH     | Mary-Kate O'Connor-Smith",
            "ronald mcdonald              | Ronald McDonald",
            "MCARTHUR                     | McArthur",
            "VAN DER BERG                 | van der Berg",
            "ludwig van beethoven         | Ludwig van Beethoven",
            "LEONARDO DA VINCI            | Leonardo da Vinci",
            "maria del carmen             | Maria del Carmen",
            "ursula von der leyen         | Ursula von der Leyen",
            "NGUYEN THI LE                | Nguyen Thi Le",
            "LE                           | Le",
            "VAN                          | Van",
            "JOHN SMITH III               | John Smith III",
            "d'angelo                     | D'Angelo",
            "ÉMILE ZOLA                   | Émile Zola",
            "JÜRGEN MÜLLER-LÜDENSCHEIDT   | Jürgen Müller-Lüdenscheidt",
            "GROß                         | Groß",
            "ΟΔΥΣΣΕΑΣ                     | Οδυσσεας",
            "mackenzie                    | Mackenzie",
    })
    void properCasesUniformCaseInput(String raw, String expected) {
        assertThat(names.normalise(raw).value()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "McDONALD          | McDONALD",
            "DeVito            | DeVito",
            "`van  Gogh `      | van Gogh",
            "Ann-Marie         | Ann-Marie",
            "danah boyd Smith  | danah boyd Smith",
    })
    void keepsMixedCaseAsWrittenButCollapsesWhitespace(String raw, String expected) {
        assertThat(names.normalise(raw).value()).isEqualTo(expected);
    }

    @Test
    void appliesNfcAndUnicodeWhitespace() {
        String decomposed = "Jose\u0301\u00A0\u2003Garci\u0301a";
        Result<String> r = names.normalise(decomposed);
        assertThat(r.value()).isEqualTo("José García").hasSize(11);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "123          | digits",
            "Ann2         | digits",
            "-            | letters",
            "...          | letters",
            "ann@x.com    | e-mail",
    })
    void rejectsNonNames(String raw, String reasonFragment) {
        Result<String> r = names.normalise(raw);
        assertThat(r.isInvalid()).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " \t "})
    void blankIsEmpty(String raw) {
        assertThat(names.normalise(raw).isEmpty()).isTrue();
    }
}
