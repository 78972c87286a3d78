package io.crmhub.routes.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.lists.ColumnAliases;
import io.crmhub.connectors.lists.ListImportStore;
import io.crmhub.connectors.lists.ListImporter;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.model.Channel;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Marketing-list imports end to end: real files in the drop folder, uploads over HTTP, PostgreSQL. */
@HubIntegrationTest
class ListImportIT {

    @LocalServerPort
    int port;
    @Autowired
    ListsProperties props;
    @Autowired
    CrmStore crm;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    ObjectMapper mapper;
    @Autowired
    ListImporter importer;
    @Autowired
    ListImportRoute route;

    ApiClient api;
    Path inbox;
    Path outbox;
    String u;

    @BeforeEach
    void setUp() throws IOException {
        api = new ApiClient(port, ApiClient.DEV_KEY);
        inbox = Path.of(props.getInbox());
        outbox = Path.of(props.getOutbox());
        Files.createDirectories(inbox);
        u = UUID.randomUUID().toString().substring(0, 8);
    }

    /** Writes the file beside the inbox and moves it in at once, as a careful sender does. */
    void drop(String name, byte[] content) throws IOException {
        Path tmp = inbox.getParent().resolve(name + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    JsonNode awaitReport(String base, String status) {
        Path report = outbox.resolve(base + ".report.json");
        JsonNode[] out = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(report).exists();
            out[0] = mapper.readTree(report.toFile());
            assertThat(out[0].get("status").asText()).isEqualTo(status);
        });
        return out[0];
    }

    static byte[] bom(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 3];
        out[0] = (byte) 0xEF;
        out[1] = (byte) 0xBB;
        out[2] = (byte) 0xBF;
        System.arraycopy(b, 0, out, 3, b.length);
        return out;
    }

    @Test
    void droppedFileIsImportedWithDedupConsentReportErrorsAndMovedToDone() throws Exception {
        // a person already in the CRM who opted out of e-mail
        String out = "optout." + u + "@example.com";
        UUID optedOut = crm.upsert(new ProfileRecord("crm", Instant.now(), List.of(Identity.of(IdentityType.EMAIL, out)),
                Map.of("firstName", "Olga"), List.of())).profileId();
        crm.setConsent(optedOut, new Consent(Channel.EMAIL, ConsentStatus.OPT_OUT, "email", Instant.now(), "unsubscribe", false));

        String base = "fair-" + u;
        String csv = "E-Mail;Vorname;Nachname;Telefon;Newsletter;Opt-in Datum;Notiz\r\n"
                + "anna." + u + "@example.com;Anna;Schmidt;030 1234567;ja;2026-10-01;\"Messe, Stand 4\nzweite Zeile\"\r\n"
                + "ANNA." + u + "@Example.com;Anna;Schmidt;;;;duplicate\r\n"
                + "bernd." + u + "@example.com;Bernd;Meier;;;;\r\n"
                + "not-an-email;Carl;Bad;;;;\r\n"
                + "=HYPERLINK(\"http://evil\");Dora;Formula;;;;\r\n"
                + out + ";Olga;Out;;ja;2026-11-01;\r\n"
                + ";NoId;Nobody;;;;\r\n"
                + "emil." + u + "@example.com;Emil;Datum;;ja;31.02.2026;\r\n";
        drop(base + ".csv", bom(csv));

        JsonNode report = awaitReport(base, "DONE");
        assertThat(report.get("list").asText()).isEqualTo(base);
        assertThat(report.get("memberType").asText()).isEqualTo("contact");
        assertThat(report.get("rows").asLong()).isEqualTo(8);
        assertThat(report.get("inserted").asLong()).isEqualTo(2);       // anna, bernd
        assertThat(report.get("updated").asLong()).isEqualTo(1);        // olga
        assertThat(report.get("duplicatesInFile").asLong()).isEqualTo(1);
        assertThat(report.get("suppressed").asLong()).isEqualTo(1);
        assertThat(report.get("rejected").asLong()).isEqualTo(4);       // bad e-mail, formula, no id, bad date
        assertThat(report.get("unmappedColumns").toString()).contains("Notiz");
        for (String f : List.of("importId", "merged", "startedAt", "finishedAt", "durationMs")) {
            assertThat(report.has(f)).as(f).isTrue();
        }
        assertThat(inbox.resolve("done").resolve(base + ".csv")).exists();
        assertThat(inbox.resolve(base + ".csv")).doesNotExist();

        // errors file: row number, column, reason, original values; formulas neutralised
        String errors = Files.readString(outbox.resolve(base + ".errors.csv"), StandardCharsets.UTF_8);
        assertThat(errors).startsWith("\uFEFFrow,column,reason,E-Mail,Vorname,Nachname,Telefon,Newsletter,Opt-in Datum,Notiz");
        assertThat(errors).contains("5,E-Mail,invalid email").contains("not-an-email");
        assertThat(errors).contains("'=HYPERLINK(");
        assertThat(errors).doesNotContain(",=HYPERLINK");
        assertThat(errors).contains("8,,\"no e-mail, phone or external id\"");
        assertThat(errors).contains("9,Opt-in Datum,not a date");

        // the CRM: members, suppression, timeline, consent never lifted, evidence recorded
        long listId = jdbc.queryForObject("SELECT id FROM marketing_list WHERE name = ?", Long.class, base);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_member WHERE list_id = ?", Long.class, listId)).isEqualTo(3);
        assertThat(jdbc.queryForObject("SELECT suppressed FROM list_member WHERE list_id = ? AND profile_id = ?",
                Boolean.class, listId, optedOut)).isTrue();
        assertThat(jdbc.queryForObject("SELECT status FROM consent WHERE profile_id = ? AND channel = 'EMAIL'",
                String.class, optedOut)).isEqualTo("OPT_OUT");
        UUID anna = crm.lookup(Identity.of(IdentityType.EMAIL, "anna." + u + "@example.com")).orElseThrow();
        assertThat(crm.timeline(anna, null, 10)).anyMatch(i -> i.interaction().type().equals("list.added")
                && i.interaction().summary().contains(base));
        // the member row as written, and the new person's events for the relay in order — created, consent,
        // member, timeline entry — in one outbox row
        assertThat(jdbc.queryForObject("SELECT source || '/' || (import_id IS NOT NULL) || '/' || suppressed"
                + " FROM list_member WHERE list_id = ? AND profile_id = ?", String.class, listId, anna)).isEqualTo("lists/true/false");
        assertThat(jdbc.queryForList("SELECT event_type FROM outbox_event WHERE profile_id = ? ORDER BY id, part",
                String.class, anna)).containsExactly("profile.created", "consent.changed", "list.member.added",
                "interaction.added");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox WHERE profile_id = ?", Long.class, anna)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM interaction WHERE profile_id = ? AND type = 'list.added'"
                + " AND channel = 'EMAIL' AND external_id LIKE 'list-import:%' AND details IS NOT NULL", Long.class, anna))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT status FROM consent WHERE profile_id = ? AND channel = 'EMAIL'",
                String.class, anna)).isEqualTo("OPT_IN");
        assertThat(jdbc.queryForObject("SELECT evidence FROM consent WHERE profile_id = ? AND channel = 'EMAIL'",
                String.class, anna)).contains("2026-10-01").contains(base + ".csv row 2");
        assertThat(crm.lookup(Identity.of(IdentityType.PHONE, "+49301234567"))).contains(anna);

        // the same content again: recognised, not imported twice
        String again = base + "-again";
        drop(again + ".csv", bom(csv));
        JsonNode dup = awaitReport(again, "DUPLICATE");
        assertThat(dup.get("duplicateOf").asLong()).isEqualTo(report.get("importId").asLong());
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_member WHERE list_id = ?", Long.class, listId)).isEqualTo(3);

        // the corrected errors file, dropped back, imports only those rows into the same list
        String fixed = errors.replace("not-an-email", "carl." + u + "@example.com")
                .replace("'=HYPERLINK(\"\"http://evil\"\")", "dora." + u + "@example.com")
                .replace("31.02.2026", "28.02.2026");
        drop(base + ".errors.csv", fixed.getBytes(StandardCharsets.UTF_8));
        JsonNode second = awaitReport(base + ".errors", "DONE");
        assertThat(second.get("list").asText()).isEqualTo(base);
        assertThat(second.get("rows").asLong()).isEqualTo(4);
        assertThat(second.get("inserted").asLong()).isEqualTo(3);
        assertThat(second.get("rejected").asLong()).isEqualTo(1); // still no identity
        // the row it rejects again keeps its number in the original file, whatever its row in the errors file
        assertThat(Files.readString(outbox.resolve(base + ".errors.errors.csv"), StandardCharsets.UTF_8))
                .contains("\n8,,\"no e-mail, phone or external id\"");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_member WHERE list_id = ?", Long.class, listId)).isEqualTo(6);
    }

    @Test
    void windows1252TabSeparatedWithManifestIntoALeadList() throws Exception {
        String base = "partner-" + u;
        Files.writeString(inbox.resolve(base + ".list.yml"), "list: Partner Leads " + u + "\nmemberType: lead\n"
                + "source: partner-x\ncolumns:\n  Kontakt: email\n  Kd-Nr: externalId\n  Name: lastName\n");
        String tsv = "Kontakt\tKd-Nr\tName\tOrt\n"
                + "jürgen." + u + "@example.com\tP-1\tMüller\tKöln\n"
                + "\tP-2\tGroß\tMünchen\n";
        drop(base + ".txt", tsv.getBytes(Charset.forName("windows-1252")));
        JsonNode report = awaitReport(base, "DONE");
        assertThat(report.get("memberType").asText()).isEqualTo("lead");
        assertThat(report.get("inserted").asLong()).isEqualTo(2);
        assertThat(report.get("format").asText()).contains("windows-1252").contains("TAB");
        UUID p2 = crm.lookup(Identity.of(IdentityType.EXTERNAL_ID, "partner-x", "P-2")).orElseThrow();
        assertThat(crm.find(p2, 0).orElseThrow().attributes().get("lastName").value()).isEqualTo("Groß");
        assertThat(crm.find(p2, 0).orElseThrow().attributes().get("city").value()).isEqualTo("München");
        assertThat(inbox.resolve("done").resolve(base + ".txt.list.yml")).exists();

        // another member type into the same list: the whole file is rejected with the reason
        String other = "partner2-" + u;
        Files.writeString(inbox.resolve(other + ".list.yml"), "list: Partner Leads " + u + "\nmemberType: contact\n");
        drop(other + ".csv", ("email\nx." + u + "@example.com\n").getBytes(StandardCharsets.UTF_8));
        JsonNode rejected = awaitReport(other, "FAILED");
        assertThat(rejected.get("error").asText()).contains("member type").contains("LEAD");
        assertThat(inbox.resolve("failed").resolve(other + ".csv")).exists();
        assertThat(Files.readString(inbox.resolve("failed").resolve(other + ".csv.reason.txt"))).contains("member type");
    }

    @Test
    void unreadableFileGoesToFailedWithReason() throws Exception {
        String base = "noid-" + u;
        drop(base + ".csv", "Vorname,Nachname\nAnna,Schmidt\n".getBytes(StandardCharsets.UTF_8));
        JsonNode report = awaitReport(base, "FAILED");
        assertThat(report.get("error").asText()).contains("no column maps to an e-mail");
        assertThat(inbox.resolve("failed").resolve(base + ".csv.reason.txt")).exists();
        // an old Excel workbook is not left lying in the inbox: refused with what to do
        String legacy = "legacy-" + u;
        drop(legacy + ".xls", new byte[]{(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1, 0x1A, (byte) 0xE1});
        assertThat(awaitReport(legacy, "FAILED").get("error").asText()).contains("save the sheet as .xlsx or CSV");
        assertThat(inbox.resolve("failed").resolve(legacy + ".xls")).exists();
    }

    @Test
    void uploadIsAcceptedRunsAndReportsOverRest() throws Exception {
        String list = "upload-" + u;
        String csv = "Email Address,First Name,Last Name\r\n"
                + "up1." + u + "@example.com,Ann,Up\r\n"
                + "up2." + u + "@example.com,Ben,Up\r\n"
                + "broken,Cid,Up\r\n";
        var response = api.send(api.builder("/api/v1/lists/imports?list=" + list + "&memberType=lead&fileName=" + list + ".csv")
                .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(csv)));
        assertThat(response.status()).isEqualTo(202);
        long id = response.json().get("id").asLong();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode run = api.get("/api/v1/lists/imports/" + id).json();
            assertThat(run.get("status").asText()).isEqualTo("DONE");
            assertThat(run.get("counts").get("inserted").asLong()).isEqualTo(2);
            assertThat(run.get("counts").get("rejected").asLong()).isEqualTo(1);
            assertThat(run.get("progress").get("rowsDone").asLong()).isEqualTo(3);
            assertThat(run.get("report").get("list").asText()).isEqualTo(list);
        });
        assertThat(api.get("/api/v1/lists/imports?limit=50").json().get("items").findValuesAsText("file"))
                .contains(list + ".csv");
        // a parameter of the wrong type is a problem like any other of the API
        var badLimit = api.get("/api/v1/lists/imports?limit=abc");
        assertThat(badLimit.status()).isEqualTo(400);
        assertThat(badLimit.contentType()).startsWith("application/problem+json");
        assertThat(outbox.resolve(list + ".report.json")).exists();

        // dry run: full report, nothing written
        String dry = "dry-" + u;
        var dr = api.send(api.builder("/api/v1/lists/imports?dryRun=true&fileName=" + dry + ".csv")
                .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(
                        "email\ndry1." + u + "@example.com\ndry1." + u + "@example.com\nbad\n")));
        assertThat(dr.status()).isEqualTo(202);
        JsonNode report = awaitReport(dry + ".dry-run", "DONE");
        assertThat(report.get("dryRun").asBoolean()).isTrue();
        assertThat(report.get("duplicatesInFile").asLong()).isEqualTo(1);
        assertThat(report.get("rejected").asLong()).isEqualTo(1);
        assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "dry1." + u + "@example.com"))).isEmpty();
        assertThat(crm.findList(dry)).isEmpty();

        // errors of the API
        assertThat(api.get("/api/v1/lists/imports/999999999").status()).isEqualTo(404);
        assertThat(api.send(api.builder("/api/v1/lists/imports?memberType=robot").header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString("email\na@b.de\n"))).status()).isEqualTo(400);
        var twice = api.send(api.builder("/api/v1/lists/imports?list=A&list=B").header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString("email\na@b.de\n")));
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.json().get("detail").asText()).contains("'list' is given more than once");
        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/lists/imports").status()).isEqualTo(403);
        assertThat(api.withKey(null).get("/api/v1/lists/imports").status()).isEqualTo(401);
    }

    @Test
    void runOfAnInstanceKilledMidFileIsResumedByRecoveryWithExactCounts() throws Exception {
        StringBuilder csv = new StringBuilder("email,first name\n");
        for (int i = 0; i < 450; i++) {
            csv.append("k").append(i).append('.').append(u).append("@example.com,K").append(i).append('\n');
            if (i % 50 == 0) {
                csv.append("K").append(i).append('.').append(u).append("@EXAMPLE.com,dup\n");
            }
        }
        // 459 rows, chunks of 100 (it config): the instance dies in its third chunk, as with kill -9
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        CrmStore dying = (CrmStore) java.lang.reflect.Proxy.newProxyInstance(CrmStore.class.getClassLoader(),
                new Class<?>[]{CrmStore.class}, (proxy, m, args) -> {
                    if (m.getName().equals("upsertAll") && calls.incrementAndGet() == 3) {
                        throw new ThreadDeath();
                    }
                    try {
                        return m.invoke(crm, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ListImporter doomed = new ListImporter(dying, importer.store(), new RecordNormaliser(NormaliserSettings.defaults()),
                ColumnAliases.builtIn(), importer.options(), "killed-instance");
        Path upload = inbox.getParent().resolve("resume-" + u + ".part");
        Files.writeString(upload, csv.toString());
        long id = doomed.acceptUpload(upload, "resume-" + u + ".csv", Map.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> doomed.run(id)).isNotNull();
        ListImportStore.Run crashed = importer.store().find(id).orElseThrow();
        assertThat(crashed.status()).isEqualTo("RUNNING");
        assertThat(crashed.rowsDone()).isEqualTo(200);

        // the hub's recovery takes the stale run over and finishes it
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            route.recoverNow(Duration.ZERO);
            JsonNode run = api.get("/api/v1/lists/imports/" + id).json();
            assertThat(run.get("status").asText()).isEqualTo("DONE");
            assertThat(run.get("counts").get("rows").asLong()).isEqualTo(459);
            assertThat(run.get("counts").get("inserted").asLong()).isEqualTo(450);
            assertThat(run.get("counts").get("duplicatesInFile").asLong()).isEqualTo(9);
        });
        long listId = jdbc.queryForObject("SELECT id FROM marketing_list WHERE name = ?", Long.class, "resume-" + u);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM list_member WHERE list_id = ?", Long.class, listId)).isEqualTo(450);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM interaction WHERE external_id LIKE ?", Long.class,
                "list-import:" + id + ":%")).isEqualTo(450);
    }

    @Test
    void largeMultipartUploadPassesTheApiBodyCap() {
        // larger than hub.api.max-body-bytes (1 MiB): list uploads have their own cap
        StringBuilder csv = new StringBuilder("E-Mail;Vorname;Nachname;Notiz\n");
        for (int i = 0; csv.length() < 1_300_000; i++) {
            csv.append("big").append(i).append('.').append(u).append("@example.com;Vorname").append(i)
                    .append(";Nachname;Eine etwas längere Notiz, damit die Datei groß wird\n");
        }
        String boundary = "----crmhub" + u;
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big-" + u
                + ".csv\"\r\nContent-Type: text/csv\r\n\r\n" + csv + "\r\n--" + boundary + "--\r\n";
        var response = api.send(api.builder("/api/v1/lists/imports?dryRun=true")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        long id = response.json().get("id").asLong();
        JsonNode report = awaitReport("big-" + u + ".dry-run", "DONE");
        assertThat(report.get("importId").asLong()).isEqualTo(id);
        assertThat(report.get("rejected").asLong()).isZero();
        assertThat(report.get("rows").asLong()).isGreaterThan(10_000);
        // other API bodies keep their cap
        assertThat(api.post("/api/v1/profiles", "{\"x\":\"" + "a".repeat(1_100_000) + "\"}").status()).isEqualTo(413);
    }

    @Test
    void excelWorkbookFirstSheetIsImported() throws Exception {
        String base = "expo-" + u;
        Path tmp = inbox.getParent().resolve(base + ".xlsx.tmp");
        try (var os = Files.newOutputStream(tmp)) {
            org.dhatim.fastexcel.Workbook wb = new org.dhatim.fastexcel.Workbook(os, "test", "1.0");
            org.dhatim.fastexcel.Worksheet ws = wb.newWorksheet("Contacts");
            String[] header = {"Email Address", "First Name", "Mobile", "Date of Birth"};
            for (int c = 0; c < header.length; c++) {
                ws.value(0, c, header[c]);
            }
            ws.value(1, 0, "xl1." + u + "@example.com");
            ws.value(1, 1, "Xena");
            ws.value(1, 2, 1711234567L); // Excel drops the leading 0 of a number typed as 0171 1234567
            ws.value(1, 3, java.time.LocalDate.of(1985, 6, 1));
            ws.style(1, 3).format("dd.mm.yyyy").set();
            ws.value(2, 0, "xl2." + u + "@example.com");
            ws.value(2, 1, "Yuri");
            wb.newWorksheet("Notes").value(0, 0, "not imported");
            wb.finish();
        }
        Files.move(tmp, inbox.resolve(base + ".xlsx"), StandardCopyOption.ATOMIC_MOVE);
        JsonNode report = awaitReport(base, "DONE");
        assertThat(report.get("format").asText()).contains("XLSX");
        assertThat(report.get("inserted").asLong()).isEqualTo(2);
        UUID xena = crm.lookup(Identity.of(IdentityType.PHONE, "+491711234567")).orElseThrow();
        assertThat(crm.lookup(Identity.of(IdentityType.EMAIL, "xl1." + u + "@example.com"))).contains(xena);
        assertThat(crm.find(xena, 0).orElseThrow().attributes().get("birthDate").value()).isEqualTo("1985-06-01");
        assertThat(inbox.resolve("done").resolve(base + ".xlsx")).exists();
    }
}
