package io.crmhub.mappings.normalise;

import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RecordNormaliserTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-06-15T12:00:00Z"), ZoneId.of("UTC"));
    private static final Instant OBSERVED = Instant.parse("2024-06-01T08:00:00Z");

    private final NormaliserSettings lenientSettings =
            new NormaliserSettings("DE", ZoneId.of("Europe/Berlin"), true, false);
    private final RecordNormaliser lenient = new RecordNormaliser(lenientSettings, CLOCK);
    private final RecordNormaliser strict = new RecordNormaliser(lenientSettings.withStrict(true), CLOCK);

    private static ProfileRecord record(List<Identity> identities, Map<String, String> attributes) {
        Consent consent = new Consent(Channel.EMAIL, ConsentStatus.OPT_IN, "shop", OBSERVED, "form-17", true);
        return new ProfileRecord("shop", OBSERVED, identities, attributes, List.of(consent));
    }

    private static Map<String, String> messyAttributes() {
        Map<String, String> a = new HashMap<>();
        a.put("firstName", "  JEAN-LUC ");
        a.put("lastName", "VAN DER BERG");
        a.put("fullName", "jean-luc  van der berg");
        a.put("birthDate", "17.05.1990");
        a.put("country", "Deutschland");
        a.put("gender", "Herr");
        a.put("language", "de_DE");
        a.put("postalCode", " 10115 ");
        a.put("city", "  Berlin ");
        a.put(" loyaltyCardColour ", " gold ");
        a.put("company", "   ");
        return a;
    }

    @Test
    void normalisesAValidMessyRecord() {
        ProfileRecord raw = record(List.of(
                Identity.of(IdentityType.EMAIL, "  Jean-Luc <Jean-Luc.vdBerg@Example.COM> "),
                Identity.of(IdentityType.PHONE, "030 1234567"),
                Identity.of(IdentityType.MEMBER_ID, " website ", " 4711 "),
                Identity.of(IdentityType.CRM_ID, "  ")), messyAttributes());

        NormalisedRecord result = lenient.normalise(raw);

        assertThat(result.hasErrors()).isFalse();
        ProfileRecord r = result.record();
        assertThat(r.source()).isEqualTo("shop");
        assertThat(r.observedAt()).isEqualTo(OBSERVED);
        assertThat(r.consents()).isEqualTo(raw.consents());
        assertThat(r.identities()).containsExactly(
                Identity.of(IdentityType.EMAIL, "jean-luc.vdberg@example.com"),
                Identity.of(IdentityType.PHONE, "+49301234567"),
                Identity.of(IdentityType.MEMBER_ID, "website", "4711"));
        assertThat(r.attributes()).containsOnly(
                Map.entry("firstName", "Jean-Luc"),
                Map.entry("lastName", "van der Berg"),
                Map.entry("fullName", "Jean-Luc van der Berg"),
                Map.entry("birthDate", "1990-05-17"),
                Map.entry("country", "DE"),
                Map.entry("gender", "MALE"),
                Map.entry("language", "de"),
                Map.entry("postalCode", "10115"),
                Map.entry("city", "Berlin"),
                Map.entry("loyaltyCardColour", "gold"));
        // strict accepts the same record unchanged
        assertThat(strict.normalise(raw)).isEqualTo(result);
    }

    @Test
    void duplicateIdentitiesCollapseAfterNormalisation() {
        ProfileRecord raw = record(List.of(
                Identity.of(IdentityType.EMAIL, "Ann@Example.com"),
                Identity.of(IdentityType.EMAIL, " ann@example.COM "),
                Identity.of(IdentityType.PHONE, "+49 30 1234567"),
                Identity.of(IdentityType.PHONE, "0049 (0)30 123 4567")), Map.of());

        assertThat(lenient.normalise(raw).record().identities()).containsExactly(
                Identity.of(IdentityType.EMAIL, "ann@example.com"),
                Identity.of(IdentityType.PHONE, "+49301234567"));
    }

    private ProfileRecord recordWithBadFields() {
        Map<String, String> a = new HashMap<>();
        a.put("firstName", "ANN");
        a.put("birthDate", "31.02.1990");
        a.put("country", "Narnia");
        a.put("gender", "banana");
        a.put("language", "Klingon");
        a.put("lastName", "12345");
        return record(List.of(
                Identity.of(IdentityType.EMAIL, "ann@example"),
                Identity.of(IdentityType.PHONE, "0176 12345678"),
                Identity.of(IdentityType.ECOM_CUSTOMER_ID, "C-1")), a);
    }

    @Test
    void lenientDropsBadFieldsAndReportsThem() {
        NormalisedRecord result = lenient.normalise(recordWithBadFields());

        assertThat(result.record().identities()).containsExactly(Identity.of(IdentityType.PHONE, "+4917612345678"));
        assertThat(result.record().attributes()).containsOnly(Map.entry("firstName", "Ann"));
        assertThat(result.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "identity.EMAIL", "identity.ECOM_CUSTOMER_ID", "birthDate", "country", "gender", "language", "lastName");
        assertThat(result.errors()).filteredOn(e -> e.field().equals("birthDate")).singleElement()
                .satisfies(e -> {
                    assertThat(e.rejectedValue()).isEqualTo("31.02.1990");
                    assertThat(e.reason()).contains("impossible date");
                });
        assertThat(result.errors()).filteredOn(e -> e.field().equals("identity.ECOM_CUSTOMER_ID")).singleElement()
                .satisfies(e -> assertThat(e.reason()).contains("namespace"));
    }

    @Test
    void strictRejectsTheWholeRecordWithAllErrors() {
        ValidationException e = catchThrowableOfType(() -> strict.normalise(recordWithBadFields()),
                ValidationException.class);

        assertThat(e).isNotNull();
        assertThat(e.errors()).hasSize(7);
        assertThat(e.getMessage()).contains("birthDate: impossible date").doesNotContain("31.02.1990");
    }

    @Test
    void strictnessCanBeChosenPerCall() {
        assertThat(strict.normalise(recordWithBadFields(), false).errors()).hasSize(7);
        assertThat(catchThrowableOfType(() -> lenient.normalise(recordWithBadFields(), true),
                ValidationException.class)).isNotNull();
    }

    @Test
    void recordWithoutValidIdentityIsRejectedEvenWhenLenient() {
        ProfileRecord raw = record(List.of(
                Identity.of(IdentityType.EMAIL, "not-an-email"),
                Identity.of(IdentityType.PHONE, "123"),
                Identity.of(IdentityType.ANONYMOUS_ID, "   ")), Map.of("firstName", "Ann", "country", "XX"));

        ValidationException e = catchThrowableOfType(() -> lenient.normalise(raw), ValidationException.class);

        assertThat(e.errors()).extracting(FieldError::field)
                .containsExactlyInAnyOrder("identity.EMAIL", "identity.PHONE", "country", "identities");
        assertThat(e.errors()).filteredOn(x -> x.field().equals("identities")).singleElement()
                .satisfies(x -> assertThat(x.reason()).isEqualTo("record has no valid identity"));
    }

    @Test
    void recordWithoutAnyIdentityIsRejected() {
        ValidationException e = catchThrowableOfType(
                () -> lenient.normalise(record(List.of(), Map.of("firstName", "Ann"))), ValidationException.class);
        assertThat(e.errors()).containsExactly(new FieldError("identities", null, "record has no valid identity"));
    }

    @Test
    void unknownGenderIsDroppedSilently() {
        NormalisedRecord result = strict.normalise(record(List.of(Identity.of(IdentityType.CRM_ID, "c1")),
                Map.of("gender", "keine Angabe", "lastName", "O'BRIEN")));
        assertThat(result.hasErrors()).isFalse();
        assertThat(result.record().attributes()).containsOnly(Map.entry("lastName", "O'Brien"));
    }

    @Test
    void futureBirthDateIsAFieldError() {
        NormalisedRecord result = lenient.normalise(record(List.of(Identity.of(IdentityType.CRM_ID, "c1")),
                Map.of("birthDate", "2030-01-01")));
        assertThat(result.errors()).containsExactly(new FieldError("birthDate", "2030-01-01", "birth date in the future"));
        assertThat(result.record().attributes()).isEmpty();
    }

    @Test
    void settingsDefaults() {
        NormaliserSettings d = NormaliserSettings.defaults();
        assertThat(d.defaultRegion()).isEqualTo("DE");
        assertThat(d.strict()).isFalse();
        assertThat(d.dayFirst()).isTrue();
        assertThat(new NormaliserSettings(" at ", ZoneId.of("UTC"), false, true).defaultRegion()).isEqualTo("AT");
        assertThat(new RecordNormaliser(d).settings()).isEqualTo(d);
    }

    @Test
    void aPhoneWrittenNationallyIsReadInThePersonsCountry() {
        NormalisedRecord us = lenient.normalise(record(List.of(Identity.of(IdentityType.PHONE, "(415) 555-0100")),
                Map.of("country", "United States")));
        assertThat(us.record().identities()).extracting(Identity::value).containsExactly("+14155550100");
        NormalisedRecord fr = lenient.normalise(record(List.of(Identity.of(IdentityType.PHONE, "01 23 45 67 89")),
                Map.of("country", "France")));
        assertThat(fr.record().identities()).extracting(Identity::value).containsExactly("+33123456789");
        NormalisedRecord none = lenient.normalise(record(List.of(Identity.of(IdentityType.PHONE, "030 1234567")),
                Map.of()));
        assertThat(none.record().identities()).extracting(Identity::value).containsExactly("+49301234567");
    }

    @Test
    void aPostalCodeAsASpreadsheetKeptItGetsItsLeadingZeroBackWhereTheCountrySaysFiveDigits() {
        assertThat(lenient.normalise(record(List.of(Identity.of(IdentityType.EMAIL, "a@example.com")),
                Map.of("postalCode", "1067", "country", "Deutschland"))).record().attributes())
                .containsEntry("postalCode", "01067");
        assertThat(lenient.normalise(record(List.of(Identity.of(IdentityType.EMAIL, "a@example.com")),
                Map.of("postalCode", "2141", "country", "US"))).record().attributes())
                .containsEntry("postalCode", "02141");
        // four digits are a whole code in Austria, and without a country nothing is guessed
        assertThat(lenient.normalise(record(List.of(Identity.of(IdentityType.EMAIL, "a@example.com")),
                Map.of("postalCode", "1010", "country", "AT"))).record().attributes())
                .containsEntry("postalCode", "1010");
        assertThat(lenient.normalise(record(List.of(Identity.of(IdentityType.EMAIL, "a@example.com")),
                Map.of("postalCode", "1067"))).record().attributes())
                .containsEntry("postalCode", "1067");
    }

    @Test
    void anAmbiguousDateIsReadAsThePersonsCountryWritesIt() {
        Identity id = Identity.of(IdentityType.EMAIL, "a@example.com");
        assertThat(lenient.normalise(record(List.of(id), Map.of("birthDate", "03/04/1988", "country", "United States")))
                .record().attributes()).containsEntry("birthDate", "1988-03-04");
        assertThat(lenient.normalise(record(List.of(id), Map.of("birthDate", "03/04/1988", "country", "DE")))
                .record().attributes()).containsEntry("birthDate", "1988-04-03");
        assertThat(lenient.normalise(record(List.of(id), Map.of("birthDate", "03/04/1988"))).record().attributes())
                .as("configured: day first").containsEntry("birthDate", "1988-04-03");
        RecordNormaliser us = new RecordNormaliser(lenientSettings.withDayFirst(false), CLOCK);
        assertThat(us.normalise(record(List.of(id), Map.of("birthDate", "03/04/1988", "country", "France")))
                .record().attributes()).containsEntry("birthDate", "1988-04-03");
    }
}
