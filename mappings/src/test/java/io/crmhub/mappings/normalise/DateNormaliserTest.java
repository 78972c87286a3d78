package io.crmhub.mappings.normalise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class DateNormaliserTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    /** "Now" is 2024-06-15 23:30 UTC, already 2024-06-16 in Berlin. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-06-15T23:30:00Z"), ZoneId.of("UTC"));

    private final DateNormaliser dayFirst = new DateNormaliser(BERLIN, true, CLOCK);
    private final DateNormaliser monthFirst = new DateNormaliser(BERLIN, false, CLOCK);

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "1990-05-17              | 1990-05-17",
            "`  1990-05-17 `         | 1990-05-17",
            "1990-5-7                | 1990-05-07",
            "1990-05-17T00:00:00     | 1990-05-17",
            "1990-05-17 00:00:00     | 1990-05-17",
            "1990-05-17T00:00:00.000Z | 1990-05-17",
            "17.05.1990              | 1990-05-17",
            "7.5.1990                | 1990-05-07",
            "17. 05. 1990            | 1990-05-17",
            "17.05.1990 00:00        | 1990-05-17",
            "17/05/1990              | 1990-05-17",
            "05/17/1990              | 1990-05-17",
            "17-05-1990              | 1990-05-17",
            "1990/05/17              | 1990-05-17",
            "1990.05.17              | 1990-05-17",
            "19900517                | 1990-05-17",
            "33000                   | 1990-05-07",
            "45382                   | 2024-03-31",
            "33000.75                | 1990-05-07",
            "29.02.2000              | 2000-02-29",
    })
    void parsesCommonFormats(String raw, LocalDate expected) {
        assertThat(dayFirst.parseDate(raw).value()).isEqualTo(expected);
        assertThat(monthFirst.parseDate(raw).value()).isEqualTo(expected);
    }

    @Test
    void ambiguousSlashDatesFollowConfiguration() {
        assertThat(dayFirst.parseDate("03/04/2024").value()).isEqualTo(LocalDate.of(2024, 4, 3));
        assertThat(monthFirst.parseDate("03/04/2024").value()).isEqualTo(LocalDate.of(2024, 3, 4));
        assertThat(monthFirst.parseDate("03-04-2024").value()).isEqualTo(LocalDate.of(2024, 3, 4));
        // dotted dates are always day first
        assertThat(monthFirst.parseDate("03.04.2024").value()).isEqualTo(LocalDate.of(2024, 4, 3));
        // unambiguous ones are read the only possible way whatever the setting
        assertThat(monthFirst.parseDate("31/12/2023").value()).isEqualTo(LocalDate.of(2023, 12, 31));
        assertThat(dayFirst.parseDate("12/31/2023").value()).isEqualTo(LocalDate.of(2023, 12, 31));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "31.02.1990     | impossible date",
            "29.02.2023     | impossible date",
            "29.02.1900     | impossible date",
            "31/04/2020     | impossible date",
            "2020-13-01     | month 13",
            "0000-00-00     | year out of range",
            "00.00.0000     | year out of range",
            "13/13/2020     | neither",
            "17.05.90       | two-digit year",
            "05/17/90       | two-digit year",
            "1990           | year only",
            "17.05.         | unrecognised",
            "May 17, 1990   | unrecognised",
            "17.05-1990     | unrecognised",
            "1               | unrecognised",
            "60              | unrecognised",
            "yesterday      | unrecognised",
    })
    void rejectsImpossibleAndAmbiguousDates(String raw, String reasonFragment) {
        Result<LocalDate> r = dayFirst.parseDate(raw);
        assertThat(r.isInvalid()).as(raw).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @Test
    void birthDatesMustBeBetween1900AndToday() {
        assertThat(dayFirst.parseBirthDate("01.01.1900").value()).isEqualTo(LocalDate.of(1900, 1, 1));
        assertThat(dayFirst.parseBirthDate("31.12.1899").reason()).isEqualTo("birth date before 1900");
        assertThat(dayFirst.parseBirthDate("1850-06-01").reason()).isEqualTo("birth date before 1900");
        // "today" is taken in the default zone: already 16 June in Berlin
        assertThat(dayFirst.parseBirthDate("2024-06-16").value()).isEqualTo(LocalDate.of(2024, 6, 16));
        assertThat(dayFirst.parseBirthDate("2024-06-17").reason()).isEqualTo("birth date in the future");
        assertThat(dayFirst.parseBirthDate("01.01.2090").reason()).isEqualTo("birth date in the future");
        assertThat(dayFirst.parseBirthDate("31.02.1990").reason()).contains("impossible date");
        // analytics.js: new Date(1990, 4, 17) of a browser at UTC+2 is sent as the evening before in UTC
        assertThat(dayFirst.parseBirthDate("1990-05-16T22:00:00.000Z").value()).isEqualTo(LocalDate.of(1990, 5, 17));
        assertThat(dayFirst.parseBirthDate("1990-05-17T00:00:00+02:00").value()).isEqualTo(LocalDate.of(1990, 5, 17));
        // without an offset a date-time is the date it says
        assertThat(dayFirst.parseBirthDate("1990-05-16 22:00").value()).isEqualTo(LocalDate.of(1990, 5, 16));
        assertThat(dayFirst.parseBirthDate(" ").isEmpty()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "2024-03-01T10:15:30Z                         | 2024-03-01T10:15:30Z",
            "2024-03-01T10:15:30z                         | 2024-03-01T10:15:30Z",
            "2024-03-01T10:15:30.123456789Z               | 2024-03-01T10:15:30.123456789Z",
            "2024-03-01T10:15:30+01:00                    | 2024-03-01T09:15:30Z",
            "2024-03-01T10:15:30-0500                     | 2024-03-01T15:15:30Z",
            "2024-03-01T10:15:30+05                       | 2024-03-01T05:15:30Z",
            "2024-03-01 10:15:30 UTC                      | 2024-03-01T10:15:30Z",
            "2024-03-01T10:15:30+01:00[Europe/Berlin]     | 2024-03-01T09:15:30Z",
            "2024-07-01T10:15:30[America/New_York]        | 2024-07-01T14:15:30Z",
            "2024-03-01T10:15:30                          | 2024-03-01T09:15:30Z",
            "2024-07-01 10:15:30                          | 2024-07-01T08:15:30Z",
            "2024-07-01T10:15                             | 2024-07-01T08:15:00Z",
            "01.07.2024 10:15                             | 2024-07-01T08:15:00Z",
            "2024-07-01                                   | 2024-06-30T22:00:00Z",
            "1709287200                                   | 2024-03-01T10:00:00Z",
            "1709287200.25                                | 2024-03-01T10:00:00.250Z",
            "1709287200123                                | 2024-03-01T10:00:00.123Z",
            "`  1709287200123 `                           | 2024-03-01T10:00:00.123Z",
            "20240701                                     | 2024-06-30T22:00:00Z",
    })
    void parsesTimestamps(String raw, Instant expected) {
        assertThat(dayFirst.parseInstant(raw).value()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2024-03-01T24:00:00Z              | impossible time",
            "2024-03-01T10:61                  | impossible time",
            "2024-03-01T10:15+19:00            | impossible UTC offset",
            "2024-03-01T10:15[Mars/Olympus]    | unknown time zone",
            "2024-02-30T10:15:00Z              | impossible date",
            "12345                             | epoch",
            "12345678901234                    | epoch",
            "tomorrow                          | unrecognised",
            "17.05.1990 12h                    | unrecognised",
    })
    void rejectsBadTimestamps(String raw, String reasonFragment) {
        Result<Instant> r = dayFirst.parseInstant(raw);
        assertThat(r.isInvalid()).as(raw).isTrue();
        assertThat(r.reason()).contains(reasonFragment);
    }

    @Test
    void defaultZoneComesFromSettings() {
        DateNormaliser utc = new DateNormaliser(NormaliserSettings.defaults().withDefaultZone(ZoneId.of("UTC")));
        assertThat(utc.parseInstant("2024-07-01 10:15").value()).isEqualTo(Instant.parse("2024-07-01T10:15:00Z"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   "})
    void blankIsEmpty(String raw) {
        assertThat(dayFirst.parseDate(raw).isEmpty()).isTrue();
        assertThat(dayFirst.parseInstant(raw).isEmpty()).isTrue();
    }
}
