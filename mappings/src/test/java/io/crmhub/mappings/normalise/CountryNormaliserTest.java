package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class CountryNormaliserTest {

    private final CountryNormaliser countries = new CountryNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "de | DE", "` De ` | DE", "DEU | DE", "deu | DE", "GBR | GB", "che | CH",
            "Germany | DE", "GERMANY | DE", "Deutschland | DE", "Allemagne | DE", "Alemania | DE",
            "UK | GB", "uk | GB", "United Kingdom | GB", "Great Britain | GB", "England | GB", "Royaume-Uni | GB",
            "Vereinigtes Königreich | GB", "Reino Unido | GB",
            "USA | US", "U.S.A. | US", "u.s.a | US", "United States | US", "United States of America | US",
            "Vereinigte Staaten | US", "États-Unis | US", "Etats Unis | US", "Estados Unidos | US",
            "Holland | NL", "The Netherlands | NL", "netherlands | NL", "Niederlande | NL", "Pays-Bas | NL",
            "Países Bajos | NL", "Paises Bajos | NL",
            "Österreich | AT", "Oesterreich | AT", "OSTERREICH | AT", "Autriche | AT",
            "Schweiz | CH", "Suisse | CH", "Suiza | CH",
            "Bosnia and Herzegovina | BA", "Bosnia & Herzegovina | BA", "BOSNIE-HERZÉGOVINE | BA",
            "St. Kitts & Nevis | KN", "Saint Kitts and Nevis | KN",
            "Côte d’Ivoire | CI", "Cote d'Ivoire | CI", "Ivory Coast | CI",
            "Myanmar (Burma) | MM", "Burma | MM", "Czech Republic | CZ", "Tschechien | CZ",
            "Türkei | TR", "Tuerkei | TR", "Turquía | TR",
            "`  united   states  ` | US",
    })
    void resolvesCodesNamesAndAliases(String raw, String expected) {
        assertThat(countries.normalise(raw).value()).isEqualTo(expected);
    }

    @Test
    void everyJdkCountryNameInTheFourLanguagesResolvesToItsCode() {
        Locale[] languages = {Locale.ENGLISH, Locale.GERMAN, Locale.FRENCH, new Locale("es")};
        for (String code : Locale.getISOCountries()) {
            Locale country = new Locale("", code);
            assertThat(countries.normalise(code).value()).isEqualTo(code);
            assertThat(countries.normalise(country.getISO3Country()).value()).as(country.getISO3Country()).isEqualTo(code);
            for (Locale language : languages) {
                String name = country.getDisplayCountry(language);
                assertThat(countries.normalise(name).value()).as(name).isEqualTo(code);
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "XX       | code",
            "ZZZ      | code",
            "Narnia   | unknown country",
            "123      | no letters",
            "--       | no letters",
    })
    void rejectsUnknown(String raw, String reasonFragment) {
        Result<String> r = countries.normalise(raw);
        assertThat(r.isInvalid()).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void blankIsEmpty(String raw) {
        assertThat(countries.normalise(raw).isEmpty()).isTrue();
    }
}
