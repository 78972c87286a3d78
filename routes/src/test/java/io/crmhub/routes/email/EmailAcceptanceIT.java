package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static io.crmhub.routes.email.GreenMailInitializer.SALES;
import static io.crmhub.routes.email.GreenMailInitializer.SALES_PASSWORD;
import static io.crmhub.routes.email.MailTestSupport.deliver;
import static io.crmhub.routes.email.MailTestSupport.messageIds;
import static io.crmhub.routes.email.MailTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance with real-world messages: every {@code .eml} of a folder is delivered unchanged over
 * SMTP to the tracking mailbox, and each one must be handled — on a timeline, in the unmatched
 * list, a bounce, or quarantined with a reason — and leave the inbox; none may block it.
 * <p>
 * The folder is {@code MAIL_ACCEPTANCE_DIR} (environment or system property) — point it at messages
 * that are not in the repository — else the repository's fixtures with their placeholders filled.
 */
@HubIntegrationTest
class EmailAcceptanceIT {

    @LocalServerPort
    int port;
    @Autowired
    MailStore mailStore;

    @Test
    void everyRealWorldMessageIsHandledAndLeavesTheInbox() throws Exception {
        String dir = System.getProperty("MAIL_ACCEPTANCE_DIR", System.getenv("MAIL_ACCEPTANCE_DIR"));
        boolean external = dir != null && !dir.isBlank();
        Path folder = external ? Path.of(dir) : MailTestSupport.FIXTURES;
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".eml")).sorted().toList();
        }
        assertThat(files).as("messages in " + folder.toAbsolutePath()).isNotEmpty();
        String u = uid();
        Map<String, String> ids = new LinkedHashMap<>();
        int n = 0;
        for (Path f : files) {
            byte[] raw = external ? Files.readAllBytes(f) : MailTestSupport.eml(f.getFileName().toString(), Map.of(
                    "FROM", "acceptance" + (n++) + "." + u + "@kunde-example.de", "MSGID", "<acc-" + n + "-" + u + "@example.com>",
                    "INREPLYTO", "<none-" + u + "@example.com>", "RCPT", "nobody." + u + "@kunde-example.de",
                    "ORIGINAL_MSGID", "<orig-" + u + "@example.com>", "SUBJECT", "Test"));
            String id = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw)).getMessageID();
            ids.put(f.getFileName().toString(), id);
            deliver(SALES, raw);
        }
        ApiClient api = new ApiClient(port, ApiClient.DEV_KEY);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(messageIds(SALES, SALES_PASSWORD, "INBOX")).doesNotContainAnyElementsOf(
                        ids.values().stream().filter(java.util.Objects::nonNull).toList()));
        List<String> report = new ArrayList<>();
        JsonNode quarantine = api.get("/api/v1/quarantine?status=OPEN&limit=1000").json().path("entries");
        for (Map.Entry<String, String> e : ids.entrySet()) {
            String id = e.getValue();
            if (id == null) {
                report.add(e.getKey() + ": no Message-ID (handled under a derived one)");
                continue;
            }
            String outcome = mailStore.handled("sales", id).map(h -> h.outcome() + (h.detail() == null ? "" : " — " + h.detail()))
                    .orElse(null);
            if (outcome == null) {
                for (JsonNode q : quarantine) {
                    if (q.path("payload").asText().contains(id)) {
                        outcome = "QUARANTINED — " + q.path("error").asText();
                    }
                }
            }
            assertThat(outcome).as(e.getKey() + " " + id + " was neither handled nor quarantined").isNotNull();
            report.add(e.getKey() + ": " + outcome);
        }
        System.out.println("Email acceptance (" + folder.toAbsolutePath() + "):\n  " + String.join("\n  ", report));
    }
}
