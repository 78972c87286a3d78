package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.crmhub.routes.email.GreenMailInitializer.SALES;
import static io.crmhub.routes.email.GreenMailInitializer.SALES_PASSWORD;
import static io.crmhub.routes.email.MailTestSupport.deliver;
import static io.crmhub.routes.email.MailTestSupport.eml;
import static io.crmhub.routes.email.MailTestSupport.messageIds;
import static io.crmhub.routes.email.MailTestSupport.profile;
import static io.crmhub.routes.email.MailTestSupport.timeline;
import static io.crmhub.routes.email.MailTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tracking mailboxes against real IMAP/SMTP (GreenMail) and PostgreSQL: real-world shaped .eml
 * messages land on the matched profile's timeline with their details; unknown senders go to the
 * unmatched list; a message re-read after a crash changes nothing; unusable mail is quarantined
 * without blocking the mailbox.
 */
@HubIntegrationTest
class EmailIT {

    static final Duration WAIT = Duration.ofSeconds(20);

    @LocalServerPort
    int port;
    @Autowired
    MailStore mailStore;
    ApiClient api;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    @Test
    void outlookReplyFromAKnownSenderLandsOnTheTimelineWithItsDetailsAndLeavesTheInbox() throws Exception {
        String u = uid();
        String email = "j.mueller." + u + "@kunde-example.de";
        String pid = profile(api, email, "Jürgen", false);
        String msgId = "<AM0PR04MB" + u + "@eurprd04.prod.outlook.com>";
        deliver(SALES, eml("outlook-reply.eml", Map.of("FROM", email, "MSGID", msgId, "INREPLYTO", "<unknown-" + u + "@crm.test>")));

        JsonNode entry = await().atMost(WAIT).until(() -> timeline(api, pid, "email.inbound").stream()
                .filter(i -> msgId.equals(i.path("externalId").asText())).findFirst().orElse(null), e -> e != null);
        assertThat(entry.path("summary").asText()).isEqualTo("AW: Ihr Angebot 2026-118");
        assertThat(entry.path("channel").asText()).isEqualTo("email");
        JsonNode d = entry.path("details");
        assertThat(d.path("direction").asText()).isEqualTo("inbound");
        assertThat(d.path("mailbox").asText()).isEqualTo("sales");
        assertThat(d.path("subject").asText()).isEqualTo("AW: Ihr Angebot 2026-118");
        assertThat(d.path("messageId").asText()).isEqualTo(msgId);
        assertThat(d.path("matchedBy").asText()).isEqualTo("sender");
        assertThat(d.path("fromName").asText()).isEqualTo("Jürgen Müller");
        assertThat(d.path("snippet").asText()).startsWith("Hallo Frau Berger, vielen Dank für das Angebot.")
                .doesNotContain("anbei unser Angebot");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(messageIds(SALES, SALES_PASSWORD, "INBOX")).doesNotContain(msgId);
            assertThat(messageIds(SALES, SALES_PASSWORD, "Processed")).contains(msgId);
        });
        assertThat(mailStore.handled("sales", msgId)).get().satisfies(h -> assertThat(h.outcome()).isEqualTo("TRACKED"));
    }

    @Test
    void attachmentsAreListedByNameAndSizeAndHtmlOnlyMailGetsATextSnippet() throws Exception {
        String u = uid();
        String tom = "tom." + u + "@becker-example.com";
        String lena = "lena." + u + "@startup-example.io";
        String tomId = profile(api, tom, "Tom", false);
        String lenaId = profile(api, lena, "Lena", false);
        deliver(SALES, eml("attachment.eml", Map.of("FROM", tom, "MSGID", "<att-" + u + "@becker-example.com>")));
        deliver(SALES, eml("html-alternative.eml", Map.of("FROM", lena, "MSGID", "<html-" + u + "@mail.gmail.com>")));

        JsonNode att = await().atMost(WAIT).until(() -> timeline(api, tomId, "email.inbound"), l -> !l.isEmpty()).get(0);
        JsonNode files = att.path("details").path("attachments");
        assertThat(files).hasSize(2);
        assertThat(files.get(0).path("name").asText()).isEqualTo("Vertrag unterschrieben Änderung.pdf");
        assertThat(files.get(0).path("size").asLong()).isEqualTo(2500);
        assertThat(files.get(1).path("name").asText()).doesNotContain("/").doesNotContain("\u202E");
        assertThat(att.toString()).as("contents are never kept").doesNotContain("JVBERi0");

        JsonNode html = await().atMost(WAIT).until(() -> timeline(api, lenaId, "email.inbound"), l -> !l.isEmpty()).get(0);
        assertThat(html.path("summary").asText()).isEqualTo("Question about the “Team” plan 🚀");
        assertThat(html.path("details").path("snippet").asText()).contains("Does the Team plan include SSO?").doesNotContain("<");
    }

    @Test
    void unknownSendersAreKeptInTheUnmatchedListForReadersOfMail() throws Exception {
        String u = uid();
        String msgId = "<unmatched-" + u + "@nowhere-example.net>";
        deliver(SALES, MailTestSupport.simple("Stranger <stranger." + u + "@nowhere-example.net>", SALES,
                "Do you ship to Norway?", msgId, null, "Hello, do you ship to Norway? Regards"));

        JsonNode item = await().atMost(WAIT).until(() -> {
            for (JsonNode i : api.get("/api/v1/mail/unmatched?mailbox=sales&limit=100").json().path("items")) {
                if (msgId.equals(i.path("messageId").asText())) {
                    return i;
                }
            }
            return null;
        }, i -> i != null);
        assertThat(item.path("from").asText()).isEqualTo("stranger." + u + "@nowhere-example.net");
        assertThat(item.path("fromName").asText()).isEqualTo("Stranger");
        assertThat(item.path("subject").asText()).isEqualTo("Do you ship to Norway?");
        assertThat(item.path("snippet").asText()).contains("ship to Norway");
        assertThat(api.get("/api/v1/profiles?email=stranger." + u + "@nowhere-example.net").status()).isEqualTo(404);
        assertThat(api.withKey(ApiClient.READER_KEY).get("/api/v1/mail/unmatched").status())
                .as("profiles:read is not mail:read").isEqualTo(403);
        assertThat(api.withKey(null).get("/api/v1/mail/unmatched").status()).isEqualTo(401);
        assertThat(api.get("/api/v1/mail/unmatched?limit=0").status()).as("contract validated").isEqualTo(400);
    }

    @Test
    void aMessageReadAgainAfterACrashBeforeTheMoveChangesNothing() throws Exception {
        String u = uid();
        String email = "again." + u + "@kunde-example.de";
        String pid = profile(api, email, "Agnes", false);
        String msgId = "<again-" + u + "@kunde-example.de>";
        deliver(SALES, MailTestSupport.simple(email, SALES, "Order question", msgId, null, "Where is my order?"));
        await().atMost(WAIT).until(() -> messageIds(SALES, SALES_PASSWORD, "Processed").contains(msgId));
        assertThat(timeline(api, pid, "email.inbound")).hasSize(1);

        // the effect was committed but the process died before the move: the message is in INBOX again
        MailTestSupport.copyBackToInbox(SALES, SALES_PASSWORD, msgId);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(messageIds(SALES, SALES_PASSWORD, "INBOX")).doesNotContain(msgId);
            assertThat(messageIds(SALES, SALES_PASSWORD, "Processed").stream().filter(msgId::equals)).hasSize(2);
        });
        assertThat(timeline(api, pid, "email.inbound")).as("recorded once").hasSize(1);
        assertThat(mailStore.handled("sales", msgId)).get().satisfies(h -> assertThat(h.outcome()).isEqualTo("TRACKED"));
    }

    @Test
    void unusableMailIsQuarantinedWithItsReasonAndTheMailboxMovesOn() throws Exception {
        String u = uid();
        String bad = "<nosender-" + u + "@x-example.org>";
        deliver(SALES, eml("no-sender.eml", Map.of("MSGID", bad)));
        String big = "<big-" + u + "@x-example.org>";
        deliver(SALES, MailTestSupport.simple("big." + u + "@x-example.org", SALES, "huge", big, null, "x".repeat(2_200_000)));
        String email = "after." + u + "@kunde-example.de";
        String pid = profile(api, email, "After", false);
        String good = "<good-" + u + "@kunde-example.de>";
        deliver(SALES, eml("broken-charset.eml", Map.of("FROM", email, "MSGID", good)));

        JsonNode legacy = await().atMost(WAIT).until(() -> timeline(api, pid, "email.inbound"), l -> !l.isEmpty()).get(0);
        assertThat(legacy.path("details").path("snippet").asText()).contains("Order 4711 shipped");
        assertThat(legacy.path("details").path("warnings").toString()).contains("unknown charset");

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode q = api.get("/api/v1/quarantine?status=OPEN&limit=500").json().path("entries");
            assertThat(q.toString()).contains("no usable sender").contains("over the size cap");
            assertThat(messageIds(SALES, SALES_PASSWORD, "INBOX")).doesNotContain(bad, big, good);
        });
        JsonNode entry = null;
        for (JsonNode e : api.get("/api/v1/quarantine?status=OPEN&limit=500").json().path("entries")) {
            if (e.path("error").asText().contains("no usable sender") && e.path("payload").asText().contains(bad)) {
                entry = e;
            }
        }
        assertThat(entry).isNotNull();
        assertThat(entry.path("routeId").asText()).isEqualTo("mail-inbound");
        assertThat(entry.path("source").asText()).isEqualTo("mail:sales");
        // replay reaches the flow again (and, still unusable, is quarantined again with the reason)
        long first = entry.path("id").asLong();
        assertThat(api.post("/api/v1/quarantine/" + first + "/replay", null).status()).isEqualTo(202);
        await().atMost(WAIT).untilAsserted(() -> {
            boolean again = false;
            for (JsonNode e : api.get("/api/v1/quarantine?status=OPEN&limit=500").json().path("entries")) {
                again |= e.path("id").asLong() != first && e.path("payload").asText().contains(bad)
                        && e.path("error").asText().contains("no usable sender");
            }
            assertThat(again).as("quarantined again after the replay").isTrue();
        });
    }

    static List<String> ids(List<JsonNode> nodes) {
        return nodes.stream().map(n -> n.path("externalId").asText()).toList();
    }
}
