package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class EmailNormaliserTest {

    private final EmailNormaliser emails = new EmailNormaliser();

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`  Ann.Smith@Example.COM  `                 | ann.smith@example.com",
            "Ann Smith <Ann.Smith@Example.com>           | ann.smith@example.com",
            "`\"Smith, Ann\" <ann@example.com>`          | ann@example.com",
            "<ann@example.com>                           | ann@example.com",
            "`Ann < ann@example.com >`                   | ann@example.com",
            "mailto:Ann@Example.com                      | ann@example.com",
            "`'ann@example.com'`                         | ann@example.com",
            "`\"ann@example.com\"`                       | ann@example.com",
            "`ann@example.com\u00A0`                     | ann@example.com",
            "first.last+newsletter@sub.example.co.uk     | first.last+newsletter@sub.example.co.uk",
    })
    void normalisesMessyAddresses(String raw, String expected) {
        assertThat(emails.normalise(raw).value()).isEqualTo(expected);
    }

    @Test
    void internationalisedDomainIsAccepted() {
        assertThat(emails.normalise("Info@Müller.DE").value()).isEqualTo("info@müller.de");
    }

    @Test
    void nonAsciiLocalPartIsAcceptedAndLowerCased() {
        // RFC 6531 (SMTPUTF8) addresses; commons-validator accepts them
        assertThat(emails.normalise("JÖRG@Example.DE").value()).isEqualTo("jörg@example.de");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "ann                     | no '@'",
            "ann@                    | no domain",
            "@example.com            | no local part",
            "ann@@example.com        | more than one '@'",
            "ann@x@example.com       | more than one '@'",
            "ann smith@example.com   | whitespace",
            "ann@localhost           | invalid e-mail address syntax",
            "ann@example             | invalid e-mail address syntax",
            "ann..smith@example.com  | invalid e-mail address syntax",
            "ann.@example.com        | invalid e-mail address syntax",
            "ann@example.c           | invalid e-mail address syntax",
            "ann@example.com>        | unbalanced",
            "Ann Smith <>            | empty",
    })
    void rejectsInvalidAddressesWithReason(String raw, String reasonFragment) {
        Result<String> r = emails.normalise(raw);
        assertThat(r.isInvalid()).as(raw).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "\t\n", "\u00A0"})
    void blankIsEmptyNotInvalid(String raw) {
        assertThat(emails.normalise(raw).isEmpty()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "J.Doe+News@Gmail.com          | jdoe@gmail.com",
            "j.o.h.n.doe@googlemail.com    | johndoe@googlemail.com",
            "John Doe <john.doe+ads+x@gmail.com> | johndoe@gmail.com",
            "john.doe+news@web.de          | john.doe+news@web.de",
            "John.Doe@Example.com          | john.doe@example.com",
            "john.doe@gmail.co.uk          | john.doe@gmail.co.uk",
    })
    void matchKeyStripsDotsAndTagsForGmailOnly(String raw, String expected) {
        assertThat(emails.matchKey(raw).value()).isEqualTo(expected);
    }

    @Test
    void matchKeyPropagatesInvalidAndEmpty() {
        assertThat(emails.matchKey("not-an-email").isInvalid()).isTrue();
        assertThat(emails.matchKey(" ").isEmpty()).isTrue();
        assertThat(emails.matchKey("+tag@gmail.com").isInvalid()).isTrue();
    }
}
