package io.crmhub.connectors.lists;

import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.MemberType;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RowMapperTest {

    static final ColumnAliases ALIASES = ColumnAliases.builtIn();
    static final RecordNormaliser NORMALISER = new RecordNormaliser(NormaliserSettings.defaults());
    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    RowMapper mapper(List<String> header, ListSettings s) throws Exception {
        return new RowMapper(header, s, ALIASES, NORMALISER, "f.csv");
    }

    @Test
    void aliasesInSeveralLanguagesMapTheHeader() throws Exception {
        RowMapper m = mapper(List.of("E-Mail-Adresse", "Vorname", "Apellido", "Handy", "PLZ", "Land", "Whatever"),
                ListSettings.defaults("x"));
        var r = m.map(new String[]{" Ann@Example.COM ", "ANN", "garcía", "0171 1234567", "10115", "Deutschland", "q"}, 2, NOW)
                .record();
        assertThat(r.identities()).extracting(i -> i.type() + ":" + i.value())
                .containsExactlyInAnyOrder("EMAIL:ann@example.com", "PHONE:+491711234567");
        assertThat(r.attributes()).containsEntry("firstName", "Ann").containsEntry("country", "DE")
                .containsEntry("postalCode", "10115").doesNotContainKey("Whatever");
        assertThat(m.unmapped()).containsExactly("Whatever");
        assertThat(r.source()).isEqualTo("lists");
    }

    @Test
    void manifestColumnsWinAndExternalIdTakesTheSourceAsNamespace() throws Exception {
        ListSettings s = ListSettings.fromMap(Map.of("list", "L", "memberType", "account", "source", "partner-x",
                "columns", Map.of("Kontakt", "email", "ID", "externalId", "E-Mail", "ignore")), "x");
        assertThat(s.memberType()).isEqualTo(MemberType.ACCOUNT);
        RowMapper m = mapper(List.of("Kontakt", "ID", "E-Mail"), s);
        var r = m.map(new String[]{"a@b.de", "77", "other@b.de"}, 2, NOW).record();
        assertThat(r.identities()).extracting(i -> i.type() + ":" + i.namespace() + ":" + i.value())
                .containsExactlyInAnyOrder("EMAIL::a@b.de", "EXTERNAL_ID:partner-x:77");
    }

    @Test
    void rowsWithoutIdentityOrWithBadEmailPhoneOrDateAreRejectedWithTheColumn() throws Exception {
        RowMapper m = mapper(List.of("Email", "Phone", "Birth Date", "Country"), ListSettings.defaults("x"));
        assertThatThrownBy(() -> m.map(new String[]{"", "", "", "DE"}, 2, NOW))
                .isInstanceOf(RowMapper.RejectedRow.class).hasMessage("no e-mail, phone or external id");
        assertThatThrownBy(() -> m.map(new String[]{"nope", "", "", ""}, 3, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Email");
                    assertThat(e.getMessage()).startsWith("invalid email");
                });
        assertThatThrownBy(() -> m.map(new String[]{"a@b.de", "12", "", ""}, 4, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> assertThat(e.column()).isEqualTo("Phone"));
        assertThatThrownBy(() -> m.map(new String[]{"a@b.de", "", "31.02.1980", ""}, 5, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> assertThat(e.column()).isEqualTo("Birth Date"));
        // an unknown country is dropped and counted, the row kept
        var kept = m.map(new String[]{"a@b.de", "", "", "Atlantis"}, 6, NOW);
        assertThat(kept.dropped()).isEqualTo(1);
        assertThat(kept.record().attributes()).doesNotContainKey("country");
    }

    @Test
    void noIdentifyingColumnRejectsTheFile() {
        assertThatThrownBy(() -> mapper(List.of("Vorname", "Nachname"), ListSettings.defaults("x")))
                .isInstanceOf(TabularReader.UnreadableFileException.class).hasMessageContaining("no column maps");
    }

    @Test
    void optInWithDateIsNonExplicitEvidenceAndOptOutIsAnOptOut() throws Exception {
        RowMapper m = mapper(List.of("email", "Newsletter", "Opt-in Date", "Unsubscribed"), ListSettings.defaults("Fair"));
        var in = m.map(new String[]{"a@b.de", "yes", "2026-10-01", ""}, 2, NOW).record().consents();
        assertThat(in).singleElement().satisfies(c -> {
            assertThat(c.channel()).isEqualTo(Channel.EMAIL);
            assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN);
            assertThat(c.explicit()).as("a list never lifts an opt-out").isFalse();
            assertThat(c.evidence()).contains("2026-10-01").contains("f.csv row 2").contains("Fair");
            assertThat(c.at()).isBefore(NOW);
        });
        var out = m.map(new String[]{"a@b.de", "yes", "", "true"}, 3, NOW).record().consents();
        assertThat(out).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
        var none = m.map(new String[]{"a@b.de", "no", "", "no"}, 4, NOW).record().consents();
        assertThat(none).isEmpty();
        assertThatThrownBy(() -> m.map(new String[]{"a@b.de", "maybe", "", ""}, 5, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> assertThat(e.column()).isEqualTo("Newsletter"));
    }

    @Test
    void errorsFileColumnsAreSkippedAndNeutralisingUndone() throws Exception {
        RowMapper m = mapper(List.of("row", "column", "reason", "Email", "Phone"), ListSettings.defaults("x"));
        assertThat(m.errorsFile()).isTrue();
        var r = m.map(new String[]{"7", "Phone", "invalid", "a@b.de", "'+49 30 1234567"}, 2, NOW).record();
        assertThat(r.identities()).extracting(i -> i.type()).contains(IdentityType.PHONE);
        // a consent's evidence names the original file's row, as the timeline does
        RowMapper c = mapper(List.of("row", "column", "reason", "Email", "Newsletter"), ListSettings.defaults("x"));
        assertThat(c.map(new String[]{"7", "Email", "invalid", "d@example.com", "yes"}, 3, NOW).record().consents())
                .singleElement().satisfies(k -> assertThat(k.evidence()).contains("file f.csv row 3 (row 7 of the original file)"));
        assertThat(c.map(new String[]{"", "", "", "e@example.com", "yes"}, 4, NOW).record().consents())
                .singleElement().satisfies(k -> assertThat(k.evidence()).contains("row 4 (a row added to the errors file)"));
    }

    @Test
    void errorsCsvNeutralisesFormulaCells() {
        String line = ErrorsCsv.line(5, "Email", "invalid", new String[]{"=1+1", "+49", "-x", "@SUM(A1)", "ok"});
        assertThat(line).isEqualTo("5,Email,invalid,'=1+1,'+49,'-x,'@SUM(A1),ok\r\n");
        assertThat(ErrorsCsv.unneutralise("'=1+1")).isEqualTo("=1+1");
        assertThat(ErrorsCsv.unneutralise("'plain")).isEqualTo("'plain");
    }

    @Test
    void manifestValidation() {
        assertThatThrownBy(() -> ListSettings.fromMap(Map.of("memberType", "robot"), "x"))
                .hasMessageContaining("lead, contact or account");
        assertThatThrownBy(() -> ListSettings.fromMap(Map.of("lsit", "typo"), "x")).hasMessageContaining("unknown setting 'lsit'");
        assertThat(ListSettings.fromMap(Map.of("delimiter", "tab", "charset", "latin1"), "x").delimiter()).isEqualTo('\t');
    }

    @Test
    void realWorldExportsMapThroughTheAliases() throws Exception {
        // Mailchimp
        RowMapper mc = mapper(List.of("Email Address", "First Name", "Last Name", "Address", "Phone Number", "Birthday",
                "MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "LEID", "TAGS"), ListSettings.defaults("mc"));
        var r = mc.map(new String[]{"ann@example.com", "Ann", "Smith", "1 Main St", "+49 30 1234567", "04/03", "2",
                "2019-03-04 10:22:11", "1.2.3.4", "2019-03-04 10:23:00", "123", ""}, 2, NOW);
        assertThat(r.dropped()).isEqualTo(1);
        assertThat(r.record().consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN));
        // Salesforce contacts report
        RowMapper sf = mapper(List.of("First Name", "Last Name", "Title", "Account Name", "Mailing Street", "Mailing City",
                "Mailing State/Province", "Mailing Zip/Postal Code", "Mailing Country", "Phone", "Mobile", "Email",
                "Email Opt Out", "Contact ID"), ListSettings.defaults("sf"));
        var s = sf.map(new String[]{"Bob", "Stone", "CTO", "ACME", "Hauptstr. 1", "Berlin", "BE", "10115", "Germany",
                "", "0171 1234567", "bob@acme-corp.com", "1", "0035g00000ABCDE"}, 2, NOW).record();
        assertThat(s.attributes()).containsEntry("company", "ACME").containsEntry("city", "Berlin")
                .containsEntry("postalCode", "10115").containsEntry("country", "DE");
        assertThat(s.consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
        assertThat(s.identities()).extracting(i -> i.type()).contains(IdentityType.EXTERNAL_ID, IdentityType.PHONE);
        // Outlook: 0/0/00 means no birthday
        RowMapper ol = mapper(List.of("First Name", "Last Name", "E-mail Address", "Mobile Phone", "Birthday"),
                ListSettings.defaults("ol"));
        assertThat(ol.map(new String[]{"Cy", "Lee", "cy@example.com", "", "0/0/00"}, 2, NOW).dropped()).isZero();
    }

    @Test
    void shopifyHubspotKlaviyoBrevoAndGoogleExportsMapThroughTheAliases() throws Exception {
        // Shopify customers export: the default address columns, "Accepts Email Marketing", one number in two columns
        RowMapper shop = mapper(List.of("Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                "Default Address Company", "Default Address Address1", "Default Address Address2", "Default Address City",
                "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
                "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note",
                "Tax Exempt", "Tags"), ListSettings.defaults("shop"));
        assertThat(shop.unmapped()).containsExactly("Default Address Address2", "Accepts SMS Marketing", "Total Spent",
                "Total Orders", "Note", "Tax Exempt", "Tags");
        // its zip codes and phone numbers come with the apostrophe that keeps them text in a spreadsheet
        var shopRow = shop.map(new String[]{"'7065432101234", "Dee", "Moss", "dee@example.com", "yes", "Moss GmbH",
                "Hauptstr. 1", "", "Berlin", "BE", "DE", "'01067", "'+49 30 1234567", "+4930 1234567", "no", "120.00", "2",
                "", "no", "vip"}, 2, NOW);
        assertThat(shopRow.dropped()).isZero();
        var sh = shopRow.record();
        assertThat(sh.identities()).filteredOn(i -> i.type() == IdentityType.EXTERNAL_ID).extracting(i -> i.value())
                .containsExactly("7065432101234");
        assertThat(sh.attributes()).containsEntry("company", "Moss GmbH").containsEntry("city", "Berlin")
                .containsEntry("postalCode", "01067").containsEntry("country", "DE").containsEntry("address", "Hauptstr. 1");
        assertThat(sh.identities()).filteredOn(i -> i.type() == IdentityType.PHONE).extracting(i -> i.value())
                .containsOnly("+49301234567");
        assertThat(sh.consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN));
        // HubSpot contacts export
        RowMapper hs = mapper(List.of("Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                "Street Address", "City", "State/Region", "Postal Code", "Country/Region", "Company Name", "Job Title",
                "Create Date", "Lifecycle Stage", "Unsubscribed from all email"), ListSettings.defaults("hs"));
        var h = hs.map(new String[]{"51", "Eve", "Ray", "eve@example.com", "", "", "1 Main St", "Boston", "MA", "02110",
                "United States", "Ray Inc", "CMO", "2024-03-05 10:22", "lead", "true"}, 2, NOW).record();
        assertThat(h.attributes()).containsEntry("region", "MA").containsEntry("jobTitle", "CMO").containsEntry("country", "US");
        assertThat(h.consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
        // Klaviyo profiles export: marketing consent states; never subscribed states nothing, suppressed is an opt-out
        RowMapper kl = mapper(List.of("Email", "First Name", "Last Name", "Phone Number", "Organization", "Title", "City",
                "State / Region", "Country", "Zip Code", "Email Marketing Consent", "Email Marketing Consent Timestamp"),
                ListSettings.defaults("kl"));
        assertThat(kl.unmapped()).isEmpty();
        var k1 = kl.map(new String[]{"fay@example.com", "Fay", "Orr", "", "Orr Ltd", "", "Leeds", "West Yorkshire", "GB",
                "LS1", "SUBSCRIBED", "2024-01-02T03:04:05Z"}, 2, NOW).record();
        assertThat(k1.consents()).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN);
            assertThat(c.at()).isEqualTo(Instant.parse("2024-01-02T03:04:05Z"));
        });
        assertThat(kl.map(new String[]{"gus@example.com", "", "", "", "", "", "", "", "", "", "NEVER_SUBSCRIBED", ""}, 3, NOW)
                .record().consents()).isEmpty();
        assertThat(kl.map(new String[]{"hal@example.com", "", "", "", "", "", "", "", "", "", "SUPPRESSED", ""}, 4, NOW)
                .record().consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
        // Brevo export: SMS is the mobile number
        RowMapper br = mapper(List.of("EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "DOUBLE_OPT-IN"), ListSettings.defaults("br"));
        var b = br.map(new String[]{"ida@example.fr", "Ida", "Roy", "+33612345678", "Yes"}, 2, NOW).record();
        assertThat(b.identities()).extracting(i -> i.type()).containsExactlyInAnyOrder(IdentityType.EMAIL, IdentityType.PHONE);
        // Google Contacts: "--MM-DD" is a birthday without a year (dropped, counted)
        RowMapper gc = mapper(List.of("Name", "Given Name", "Family Name", "Birthday", "E-mail 1 - Type", "E-mail 1 - Value",
                "Phone 1 - Type", "Phone 1 - Value", "Organization Name"), ListSettings.defaults("gc"));
        var g = gc.map(new String[]{"Jo Kim", "Jo", "Kim", "--03-01", "* Home", "jo@example.com", "Mobile",
                "+49 171 1234567", "Kim AG"}, 2, NOW);
        assertThat(g.dropped()).isEqualTo(1);
        assertThat(g.record().attributes()).containsEntry("firstName", "Jo").containsEntry("company", "Kim AG");
    }

    @Test
    void mailchimpsCountryCodeColumnPlacesItsPhoneNumbersAndZohosMailingFieldsMap() throws Exception {
        // a US audience: without its CC column the (415) number was read in the default region and became German
        RowMapper mc = mapper(List.of("Email Address", "First Name", "Last Name", "Address", "Phone Number", "MEMBER_RATING",
                "OPTIN_TIME", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE", "CC", "REGION", "LEID"),
                ListSettings.defaults("mc-us"));
        var r = mc.map(new String[]{"sam@example.com", "Sam", "Lee", "", "(415) 555-0100", "2", "2024-01-01 10:00:00", "37.7",
                "-122.4", "-8", "-7", "America/Los_Angeles", "US", "CA", "77"}, 2, NOW).record();
        assertThat(r.identities()).extracting(i -> i.value()).contains("+14155550100");
        assertThat(r.attributes()).containsEntry("country", "US").containsEntry("region", "CA");
        RowMapper zoho = mapper(List.of("Email", "Mailing Street", "Mailing City", "Mailing State", "Mailing Zip",
                "Mailing Country"), ListSettings.defaults("zoho"));
        assertThat(zoho.map(new String[]{"z@example.com", "1 Main St", "Austin", "TX", "78701", "United States"}, 2, NOW)
                .record().attributes()).containsEntry("region", "TX").containsEntry("postalCode", "78701");
    }

    @Test
    void aRowWithSeveralProblemsNamesThemAllSoOneRoundTripFixesIt() throws Exception {
        RowMapper m = mapper(List.of("Email", "Phone", "Birth Date"), ListSettings.defaults("several"));
        assertThatThrownBy(() -> m.map(new String[]{"anna@", "+33 6 12", "31.02.1980"}, 7, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Email");
                    assertThat(e.getMessage()).startsWith("invalid email: ").contains("; Phone: invalid phone: ")
                            .contains("; Birth Date: ");
                });
        // a good e-mail beside a bad phone and a bad date: both named
        assertThatThrownBy(() -> m.map(new String[]{"anna@example.com", "12", "31.02.1980"}, 8, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Phone");
                    assertThat(e.getMessage()).startsWith("invalid phone: ").contains("; Birth Date: ");
                });
        // an unreadable yes/no or opt-in date no longer hides the rest of the row's problems
        RowMapper c = mapper(List.of("Email", "Phone", "Newsletter", "Opt-in Date"), ListSettings.defaults("consent"));
        assertThatThrownBy(() -> c.map(new String[]{"anna@", "12", "maybe", "soon"}, 9, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Newsletter");
                    assertThat(e.getMessage()).startsWith("expected yes/no").contains("; Opt-in Date: not a date: 'soon'")
                            .contains("Email: invalid email: ").contains("Phone: invalid phone: ");
                });
        // an opt-out whose date cannot be read is rejected for the date, and still keeps the person unmailable
        RowMapper out = mapper(List.of("Email", "Unsubscribed", "Unsubscribe Date"), ListSettings.defaults("out"));
        assertThatThrownBy(() -> out.map(new String[]{"olga@example.com", "yes", "someday"}, 10, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Unsubscribe Date");
                    assertThat(e.getMessage()).isEqualTo("not a date: 'someday'");
                    assertThat(e.optOut()).isNotNull();
                    assertThat(e.optOut().consents()).singleElement()
                            .satisfies(k -> assertThat(k.status()).isEqualTo(ConsentStatus.OPT_OUT));
                });
    }

    @Test
    void aListsCountryReadsTheRowsThatHaveNoneWithoutBecomingTheirs() throws Exception {
        ListSettings us = ListSettings.fromMap(Map.of("country", "United States"), "us");
        RowMapper m = mapper(List.of("Email", "Phone", "Birthday", "Country"), us);
        var r = m.map(new String[]{"sam@example.com", "(415) 555-0100", "04/03/1988", ""}, 2, NOW).record();
        assertThat(r.identities()).extracting(i -> i.value()).contains("+14155550100");
        assertThat(r.attributes()).containsEntry("birthDate", "1988-04-03").doesNotContainKey("country");
        // a row's own country wins
        var de = m.map(new String[]{"uwe@example.com", "0171 1234567", "04/03/1988", "Germany"}, 3, NOW).record();
        assertThat(de.identities()).extracting(i -> i.value()).contains("+491711234567");
        assertThat(de.attributes()).containsEntry("birthDate", "1988-03-04").containsEntry("country", "DE");
        assertThatThrownBy(() -> mapper(List.of("Email"), ListSettings.fromMap(Map.of("country", "Atlantis"), "x")))
                .hasMessageContaining("country 'Atlantis' is not a country");
    }

    @Test
    void mailchimpUnsubscribedAndCleanedExportsRecordDatedOptOuts() throws Exception {
        RowMapper unsub = mapper(List.of("Email Address", "First Name", "Last Name", "MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP",
                "CONFIRM_TIME", "CONFIRM_IP", "UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_CAMPAIGN_ID", "UNSUB_REASON",
                "UNSUB_REASON_OTHER", "LEID", "EUID", "NOTES"), ListSettings.defaults("mc-unsub"));
        // the opt-in date of the same row does not win over its opt-out
        var u = unsub.map(new String[]{"old@example.com", "Old", "Customer", "2", "2020-01-01 10:00:00", "", "", "",
                "2024-02-02 12:00:00", "Spring Sale", "abc123", "I no longer want to receive these emails", "", "1", "e1",
                ""}, 2, NOW).record();
        assertThat(u.consents()).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT);
            assertThat(c.at()).isEqualTo(Instant.parse("2024-02-02T11:00:00Z"));   // Europe/Berlin by default
            assertThat(c.evidence()).startsWith("opt-out dated 2024-02-02 12:00:00 in list 'mc-unsub'");
        });
        assertThatThrownBy(() -> unsub.map(new String[]{"x@example.com", "", "", "", "", "", "", "", "soon", "", "", "", "",
                "", "", ""}, 3, NOW)).isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("UNSUB_TIME");
                    assertThat(e.getMessage()).isEqualTo("not a date: 'soon'");
                });
        // a cleaned (hard-bounced) address is not mailed again
        RowMapper cleaned = mapper(List.of("Email Address", "CLEAN_TIME", "CLEAN_CAMPAIGN_TITLE"), ListSettings.defaults("mc-c"));
        assertThat(cleaned.map(new String[]{"gone@example.com", "2024-03-01 08:00:00", "March"}, 2, NOW).record().consents())
                .singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
    }

    @Test
    void theMoreSpecificHeaderTakesATargetOutlooksJobTitleOverItsTitle() throws Exception {
        RowMapper ol = mapper(List.of("First Name", "Last Name", "Title", "E-mail Address", "Business Phone", "Mobile Phone",
                "Job Title", "Company", "Business Street", "Business City", "Business Postal Code",
                "Business Country/Region", "Home Street", "Home City", "Birthday"), ListSettings.defaults("ol"));
        var r = ol.map(new String[]{"Pierre", "Dupont", "M.", "pierre.dupont@exemple.fr", "+33 1 23 45 67 89",
                "+33 6 12 34 56 78", "Directeur", "Exemple SA", "12 rue de la Paix", "Paris", "75002", "France", "", "",
                "0/0/00"}, 2, NOW).record();
        assertThat(r.attributes()).containsEntry("jobTitle", "Directeur").containsEntry("city", "Paris")
                .containsEntry("address", "12 rue de la Paix").containsEntry("postalCode", "75002")
                .containsEntry("country", "FR");
        assertThat(r.identities()).filteredOn(i -> i.type() == IdentityType.PHONE).hasSize(2);
        assertThat(ol.unmapped()).containsExactlyInAnyOrder("Title (second column for jobTitle)",
                "Home Street (second column for address)", "Home City (second column for city)");
        // the same rank: the first column keeps the target
        RowMapper twice = mapper(List.of("Email", "E-Mail"), ListSettings.defaults("x"));
        assertThat(twice.map(new String[]{"a@example.com", "b@example.com"}, 2, NOW).record().identities())
                .extracting(i -> i.value()).containsExactly("a@example.com");
        // a manifest's column wins over an alias
        RowMapper manifest = mapper(List.of("Email", "Job Title", "Funktion"), ListSettings.fromMap(Map.of("columns",
                Map.of("Funktion", "jobTitle", "Email", "email")), "x"));
        assertThat(manifest.unmapped()).containsExactly("Job Title (second column for jobTitle)");
    }

    @Test
    void eventbriteAttendeeReportMapsTheHomeAddress() throws Exception {
        RowMapper eb = mapper(List.of("Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Ticket Type",
                "Home Address 1", "Home City", "Home State", "Home Zip", "Home Country", "Cell Phone", "Job Title", "Company"),
                ListSettings.defaults("eb"));
        var r = eb.map(new String[]{"1234567890", "2024-04-02 10:03:51-05:00", "Lena", "Kowalski", "lena.k@example.pl", "1",
                "General Admission", "ul. Długa 5", "Gdańsk", "", "80-827", "PL", "+48 601 234 567", "Engineer", "Stocznia"},
                2, NOW).record();
        assertThat(r.attributes()).containsEntry("address", "ul. Długa 5").containsEntry("city", "Gdańsk")
                .containsEntry("postalCode", "80-827").containsEntry("country", "PL").containsEntry("jobTitle", "Engineer");
        assertThat(r.identities()).extracting(i -> i.type() + ":" + i.value()).contains("PHONE:+48601234567");
    }

    @Test
    void aReportsFooterLinesAreRejectedNotImportedAsExternalIds() throws Exception {
        // Salesforce's CSV export of a report ends with two lines of one quoted value each
        RowMapper sf = mapper(List.of("Lead ID", "First Name", "Last Name", "Email", "Email Opt Out"),
                ListSettings.defaults("sf"));
        for (String footer : List.of("Confidential Information - Do Not Distribute",
                "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.")) {
            assertThatThrownBy(() -> sf.map(new String[]{footer}, 9, NOW))
                    .isInstanceOf(RowMapper.RejectedRow.class)
                    .hasMessage("a line with one value in a file of 5 columns, and no e-mail or phone: a title or footer"
                            + " line, not a record");
        }
        // the same id in a full row is a person; a lone e-mail on a line is one too
        assertThat(sf.map(new String[]{"00Q5e00000AbCdE", "", "", "", ""}, 2, NOW).record().identities())
                .extracting(i -> i.type()).containsExactly(IdentityType.EXTERNAL_ID);
        RowMapper mails = mapper(List.of("Email", "Name"), ListSettings.defaults("m"));
        assertThat(mails.map(new String[]{"a@example.com"}, 2, NOW).record().identities()).hasSize(1);
        // the e-mail column first, as many exports have it: the footer falls in it and is still a footer, not a bad
        // e-mail
        RowMapper first = mapper(List.of("Email", "Phone", "First Name"), ListSettings.defaults("f"));
        assertThatThrownBy(() -> first.map(new String[]{"Confidential Information - Do Not Distribute"}, 7, NOW))
                .isInstanceOf(RowMapper.RejectedRow.class).hasMessageContaining("a title or footer line, not a record");
        assertThat(first.map(new String[]{"b@example.com"}, 8, NOW).record().identities()).hasSize(1);
    }

    @Test
    void noHeaderOfTheAliasTableMapsToTwoTargets() throws Exception {
        java.nio.file.Path table = java.nio.file.Path.of("..", "config", "mappings", "list-columns.yml");
        Map<String, List<String>> targets = new org.yaml.snakeyaml.Yaml().load(java.nio.file.Files.readString(table));
        Map<String, String> seen = new java.util.HashMap<>();
        List<String> clashes = new java.util.ArrayList<>();
        targets.forEach((target, aliases) -> {
            for (String a : aliases) {
                String before = seen.putIfAbsent(ColumnAliases.key(a), target);
                if (before != null && !before.equals(target)) {
                    clashes.add("'" + a + "' in " + target + " and " + before);
                }
            }
        });
        assertThat(clashes).isEmpty();
    }

    @Test
    void consentColumnsOfBrevoConstantContactPipedriveAndDynamicsExports() throws Exception {
        // Brevo: a blacklisted address is an opt-out (SMS_BLACKLISTED is another channel's and stays unmapped)
        RowMapper br = mapper(List.of("EMAIL", "FIRSTNAME", "SMS", "EMAIL_BLACKLISTED", "SMS_BLACKLISTED"),
                ListSettings.defaults("br"));
        assertThat(br.unmapped()).containsExactly("SMS_BLACKLISTED");
        assertThat(status(br.map(new String[]{"karl@example.de", "Karl", "", "Yes", "No"}, 2, NOW))).isEqualTo(ConsentStatus.OPT_OUT);
        assertThat(status(br.map(new String[]{"lea@example.de", "Lea", "", "No", "Yes"}, 3, NOW))).isNull();
        // Constant Contact: the e-mail status and the permission
        RowMapper cc = mapper(List.of("Email address", "First name", "Email status", "Email permission status"),
                ListSettings.defaults("cc"));
        assertThat(cc.unmapped()).isEmpty();
        assertThat(status(cc.map(new String[]{"hana@example.com", "Hana", "Unsubscribed", "Unsubscribed"}, 2, NOW)))
                .isEqualTo(ConsentStatus.OPT_OUT);
        assertThat(status(cc.map(new String[]{"ivo@example.com", "Ivo", "Active", "Explicit"}, 3, NOW)))
                .isEqualTo(ConsentStatus.OPT_IN);
        assertThat(status(cc.map(new String[]{"ute@example.com", "Ute", "Active", "Implicit"}, 4, NOW))).isNull();
        // Pipedrive: the e-mail and phone columns by kind, the marketing status
        RowMapper pd = mapper(List.of("ID", "Name", "Email - Work", "Email - Home", "Phone - Work", "Phone - Mobile",
                "Marketing status"), ListSettings.defaults("pd"));
        var p = pd.map(new String[]{"7", "Pia Lang", "pia@firma.de", "pia@home.de", "+49 30 1234567", "+49 171 1234567",
                "Unsubscribed"}, 2, NOW);
        assertThat(p.record().identities()).extracting(i -> i.type() + ":" + i.value()).contains("EMAIL:pia@firma.de",
                "PHONE:+49301234567", "PHONE:+491711234567");
        assertThat(pd.unmapped()).containsExactly("Email - Home (second column for email)");
        assertThat(status(p)).isEqualTo(ConsentStatus.OPT_OUT);
        assertThat(status(pd.map(new String[]{"8", "Max", "max@firma.de", "", "", "", "No consent"}, 3, NOW))).isNull();
        // Dynamics 365: "Do Not Allow" bulk e-mail is an opt-out, its default "Allow" says nothing
        RowMapper dy = mapper(List.of("Full Name", "Email", "Bulk Email"), ListSettings.defaults("dy"));
        assertThat(status(dy.map(new String[]{"Ole Berg", "ole@example.no", "Do Not Allow"}, 2, NOW))).isEqualTo(ConsentStatus.OPT_OUT);
        assertThat(status(dy.map(new String[]{"Per Berg", "per@example.no", "Allow"}, 3, NOW))).isNull();
        // iCloud contacts as converters write them
        RowMapper ic = mapper(List.of("First name", "Last name", "Email (home)", "Phone (mobile)"), ListSettings.defaults("ic"));
        assertThat(ic.map(new String[]{"Ida", "Holm", "ida@icloud.com", "+45 20 12 34 56"}, 2, NOW).record().identities())
                .hasSize(2);
    }

    private static ConsentStatus status(RowMapper.Mapped m) {
        return m.record().consents().isEmpty() ? null : m.record().consents().get(0).status();
    }

    @Test
    void aRejectedRowKeepsItsOptOutForThePersonItsValidEmailIdentifies() throws Exception {
        RowMapper m = mapper(List.of("Email", "Phone", "Birth Date", "Email Opt Out"), ListSettings.defaults("x"));
        assertThatThrownBy(() -> m.map(new String[]{"jade@example.com", "+33 6 12", "", "true"}, 2, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> {
                    assertThat(e.column()).isEqualTo("Phone");
                    assertThat(e.optOut().identities()).extracting(i -> i.value()).containsExactly("jade@example.com");
                    assertThat(e.optOut().consents()).singleElement()
                            .satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_OUT));
                });
        assertThatThrownBy(() -> m.map(new String[]{"rosa@example.com", "", "31/02/1980", "1"}, 3, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> assertThat(e.optOut()).isNotNull());
        // without an opt-out a rejected row carries nothing
        assertThatThrownBy(() -> m.map(new String[]{"tom@example.com", "+33 6 12", "", "no"}, 4, NOW))
                .isInstanceOfSatisfying(RowMapper.RejectedRow.class, e -> assertThat(e.optOut()).isNull());
    }

    @Test
    void nameBesideAFirstNameAndNoLastNameIsTheSurname() throws Exception {
        RowMapper de = mapper(List.of("Anrede", "Vorname", "Name", "E-Mail"), ListSettings.defaults("de"));
        assertThat(de.map(new String[]{"Herr", "Jürgen", "Neu", "j.neu@beispiel.de"}, 2, NOW).record().attributes())
                .containsEntry("firstName", "Jürgen").containsEntry("lastName", "Neu").doesNotContainKey("fullName");
        // with a last-name column, or alone, "Name" is the full name
        RowMapper gc = mapper(List.of("Name", "Given Name", "Family Name", "E-mail 1 - Value"), ListSettings.defaults("gc"));
        assertThat(gc.map(new String[]{"Jo Kim", "Jo", "Kim", "jo@example.com"}, 2, NOW).record().attributes())
                .containsEntry("fullName", "Jo Kim").containsEntry("lastName", "Kim");
        RowMapper alone = mapper(List.of("Name", "Email"), ListSettings.defaults("a"));
        assertThat(alone.map(new String[]{"Jo Kim", "jo@example.com"}, 2, NOW).record().attributes())
                .containsEntry("fullName", "Jo Kim");
    }

    @Test
    void googleContactsSeveralValuesInOneCellAreEachAnIdentity() throws Exception {
        RowMapper gc = mapper(List.of("Name", "E-mail 1 - Type", "E-mail 1 - Value", "Phone 1 - Type", "Phone 1 - Value"),
                ListSettings.defaults("gc"));
        var r = gc.map(new String[]{"Jo Kim", "* Home ::: Work", "jo@example.com ::: jo.kim@firma.de", "Mobile",
                "+49 171 1234567 ::: +49 30 1234567"}, 2, NOW).record();
        assertThat(r.identities()).extracting(i -> i.type() + ":" + i.value()).containsExactlyInAnyOrder(
                "EMAIL:jo@example.com", "EMAIL:jo.kim@firma.de", "PHONE:+491711234567", "PHONE:+49301234567");
    }

    @Test
    void aManifestsTargetsMatchIgnoringCaseAndPunctuation() throws Exception {
        ListSettings s = ListSettings.fromMap(Map.of("columns", Map.of("Nn", "last_name", "Mail", "E-Mail",
                "Seit", "opt in date", "Schuhgröße", "shoeSize")), "x");
        RowMapper m = mapper(List.of("Mail", "Nn", "Seit", "Schuhgröße"), s);
        assertThat(m.manifestColumnsNotFound()).isEmpty();
        RowMapper typo = mapper(List.of("Mail", "Nachname"), s);
        assertThat(typo.manifestColumnsNotFound()).containsExactlyInAnyOrder("Nn", "Seit", "Schuhgröße");
        var r = m.map(new String[]{"a@example.com", "Kim", "2024-01-02", "42"}, 2, NOW).record();
        assertThat(r.attributes()).containsEntry("lastName", "Kim").containsEntry("shoeSize", "42");
        assertThat(r.identities()).extracting(i -> i.value()).containsExactly("a@example.com");
        assertThat(r.consents()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ConsentStatus.OPT_IN));
    }

    @Test
    void googleContactsAddressAndFurtherPhonesMap() throws Exception {
        RowMapper gc = mapper(List.of("Given Name", "Family Name", "E-mail 1 - Value", "E-mail 2 - Value", "Phone 1 - Value",
                "Phone 2 - Value", "Address 1 - Street", "Address 1 - City", "Address 1 - Postal Code", "Address 1 - Country"),
                ListSettings.defaults("gc"));
        assertThat(gc.unmapped()).containsExactly("E-mail 2 - Value");     // one e-mail column per list row
        var r = gc.map(new String[]{"Jo", "Kim", "jo@example.com", "jo@work.example.com", "+49 171 1234567", "030 1234567",
                "Hauptstr. 1", "Berlin", "10115", "Germany"}, 2, NOW).record();
        assertThat(r.identities()).filteredOn(i -> i.type() == IdentityType.PHONE).hasSize(2);
        assertThat(r.attributes()).containsEntry("city", "Berlin").containsEntry("postalCode", "10115")
                .containsEntry("country", "DE").containsEntry("address", "Hauptstr. 1");
    }
}
