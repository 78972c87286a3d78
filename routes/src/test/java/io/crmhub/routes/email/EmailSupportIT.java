package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.crmhub.routes.email.GreenMailInitializer.SERVICE;
import static io.crmhub.routes.email.MailTestSupport.deliver;
import static io.crmhub.routes.email.MailTestSupport.eml;
import static io.crmhub.routes.email.MailTestSupport.sentTo;
import static io.crmhub.routes.email.MailTestSupport.simple;
import static io.crmhub.routes.email.MailTestSupport.timeline;
import static io.crmhub.routes.email.MailTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Support mailbox: cases, the auto-response by real SMTP, replies joining the case, and no mail loops. */
@HubIntegrationTest
class EmailSupportIT {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final Pattern CASE = Pattern.compile("\\[CASE:(\\d{6})]");

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
    void newMailOpensACaseAndGetsOneAutoResponseAndRepliesJoinTheCase() throws Exception {
        String u = uid();
        String customer = "nina." + u + "@kundin-example.de";
        String first = "<first-" + u + "@kundin-example.de>";
        deliver(SERVICE, simple("Nina Weber <" + customer + ">", SERVICE, "Drucker druckt nicht", first, null,
                "Hallo, unser Drucker X200 druckt seit gestern nicht mehr."));

        MimeMessage auto = await().atMost(WAIT).until(() -> sentTo(customer), l -> !l.isEmpty()).get(0);
        Matcher m = CASE.matcher(auto.getSubject());
        assertThat(m.find()).as(auto.getSubject()).isTrue();
        long caseId = Long.parseLong(m.group(1));
        assertThat(auto.getSubject()).contains("Drucker druckt nicht");
        assertThat(auto.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(auto.getHeader("In-Reply-To", null)).isEqualTo(first);
        assertThat(auto.getFrom()[0].toString()).contains(SERVICE);
        assertThat((String) auto.getContent()).contains("case " + m.group(1)).contains("Hello Nina");

        // the case and the customer's profile (created from the sender) with the case on the timeline
        JsonNode c = api.get("/api/v1/mail/cases/" + caseId).json();
        assertThat(c.path("status").asText()).isEqualTo("OPEN");
        assertThat(c.path("subject").asText()).isEqualTo("Drucker druckt nicht");
        assertThat(c.path("customerAddress").asText()).isEqualTo(customer);
        String pid = c.path("profileId").asText();
        assertThat(api.get("/api/v1/profiles?email=" + customer).json().path("id").asText()).isEqualTo(pid);
        List<JsonNode> cases = timeline(api, pid, "service.case");
        assertThat(cases).singleElement().satisfies(e -> {
            assertThat(e.path("details").path("caseId").asLong()).isEqualTo(caseId);
            assertThat(e.path("summary").asText()).contains("[CASE:" + m.group(1) + "]");
        });
        assertThat(timeline(api, pid, "email.inbound")).singleElement().satisfies(e -> {
            assertThat(e.path("details").path("caseId").asLong()).isEqualTo(caseId);
            assertThat(e.path("details").path("mailbox").asText()).isEqualTo("service");
            assertThat(e.path("details").path("direction").asText()).isEqualTo("inbound");
        });
        await().atMost(WAIT).until(() -> !timeline(api, pid, "email.outbound").isEmpty());
        assertThat(timeline(api, pid, "email.outbound").get(0).path("details").path("kind").asText()).isEqualTo("auto_response");

        // a reply carrying only the case token in the subject joins the case; no second auto-response
        String reply = "<reply-" + u + "@kundin-example.de>";
        deliver(SERVICE, simple(customer, SERVICE, "AW: " + auto.getSubject(), reply, null,
                "Es ist das Modell X200, Seriennummer 1234.\n\n> Your request is now case"));
        // a reply by In-Reply-To alone (subject changed) joins too
        String reply2 = "<reply2-" + u + "@kundin-example.de>";
        deliver(SERVICE, simple(customer, SERVICE, "noch etwas", reply2, "In-Reply-To: " + auto.getMessageID() + "\r\n",
                "Und der Toner ist neu."));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(mailStore.handled("service", reply)).get().satisfies(h -> {
                assertThat(h.outcome()).isEqualTo("CASE_REPLY");
                assertThat(h.caseId()).isEqualTo(caseId);
            });
            assertThat(mailStore.handled("service", reply2)).get().satisfies(h -> assertThat(h.caseId()).isEqualTo(caseId));
        });
        JsonNode after = api.get("/api/v1/mail/cases/" + caseId).json();
        assertThat(after.path("messageCount").asInt()).isEqualTo(3);
        assertThat(after.path("messages").findValuesAsText("direction")).containsExactlyInAnyOrder("inbound", "inbound", "inbound", "outbound");
        assertThat(sentTo(customer)).hasSize(1);
        assertThat(api.get("/api/v1/mail/cases/999999999").status()).isEqualTo(404);
    }

    @Test
    void automaticBulkDaemonAndOwnMailNeverGetAnAutoResponse() throws Exception {
        String u = uid();
        String ooo = "petra." + u + "@firma-example.de";
        String oooId = "<oof-" + u + "@firma-example.de>";
        deliver(SERVICE, eml("auto-reply.eml", Map.of("FROM", ooo, "MSGID", oooId, "SUBJECT", "Ihre Anfrage")));
        String bulk = "news." + u + "@shop-example.com";
        String bulkId = "<bulk-" + u + "@shop-example.com>";
        deliver(SERVICE, simple(bulk, SERVICE, "Our December deals", bulkId, "Precedence: bulk\r\n", "Deals!"));
        String daemonId = "<daemon-" + u + "@mx-example.com>";
        deliver(SERVICE, simple("MAILER-DAEMON@mx-example.com", SERVICE, "Warning: could not send message", daemonId, null,
                "message delayed"));
        String ownId = "<own-" + u + "@crm.test>";
        deliver(SERVICE, simple("Crm Test Service <" + SERVICE + ">", SERVICE, "loop?", ownId, null, "ourselves"));
        String suppress = "robot." + u + "@firma-example.de";
        String suppressId = "<suppress-" + u + "@firma-example.de>";
        deliver(SERVICE, simple(suppress, SERVICE, "ticket update", suppressId, "X-Auto-Response-Suppress: OOF, AutoReply\r\n", "x"));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(detail(oooId)).contains("no auto-response").contains("Auto-Submitted");
            assertThat(detail(bulkId)).contains("no auto-response").contains("Precedence: bulk");
            assertThat(detail(daemonId)).contains("no auto-response").contains("mailer-daemon");
            assertThat(detail(ownId)).contains("no auto-response").contains("own address");
            assertThat(detail(suppressId)).contains("no auto-response").contains("X-Auto-Response-Suppress");
        });
        for (String id : List.of(oooId, bulkId, daemonId, ownId, suppressId)) {
            long caseId = mailStore.handled("service", id).orElseThrow().caseId();
            assertThat(mailStore.outboundOfCase(caseId)).as("nothing queued for " + id).isEmpty();
        }
        assertThat(mailStore.handled("service", daemonId).orElseThrow().profileId()).as("no profile for a daemon").isNull();
        assertThat(sentTo(ooo)).isEmpty();
        assertThat(sentTo(bulk)).isEmpty();
    }

    @Test
    void atMostOneAutoResponsePerSenderPerWindow() throws Exception {
        String u = uid();
        String sender = "eager." + u + "@kunde-example.de";
        String a = "<a-" + u + "@kunde-example.de>";
        String b = "<b-" + u + "@kunde-example.de>";
        deliver(SERVICE, simple(sender, SERVICE, "Question one", a, null, "one"));
        await().atMost(WAIT).until(() -> mailStore.handled("service", a).map(h -> !"PROCESSING".equals(h.outcome())).orElse(false));
        deliver(SERVICE, simple(sender, SERVICE, "Question two", b, null, "two"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(detail(b)).contains("no auto-response").contains("within"));
        assertThat(mailStore.handled("service", b).orElseThrow().outcome()).isEqualTo("CASE_OPENED");
        await().atMost(WAIT).until(() -> sentTo(sender).size() == 1);
        assertThat(sentTo(sender).get(0).getSubject()).contains("Question one");
    }

    @Test
    void erasureReachesTheMailTables() throws Exception {
        String u = uid();
        String customer = "erase." + u + "@kunde-example.de";
        String first = "<erase-" + u + "@kunde-example.de>";
        deliver(SERVICE, simple("Eva Erase <" + customer + ">", SERVICE, "Please forget me later", first, null, "Hello"));
        await().atMost(WAIT).until(() -> !sentTo(customer).isEmpty());
        MailStore.Handled h = mailStore.handled("service", first).orElseThrow();
        long caseId = h.caseId();
        assertThat(mailStore.findCase(caseId).orElseThrow().customerAddress()).isEqualTo(customer);
        assertThat(api.delete("/api/v1/profiles/" + h.profileId()).status()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(mailStore.findCase(caseId).orElseThrow().customerAddress()).isNull();
            assertThat(mailStore.handled("service", first).orElseThrow().from()).isNull();
            assertThat(mailStore.outboundOfCase(caseId)).allSatisfy(o -> assertThat(o.to()).isEqualTo("erased"));
        });
    }

    private String detail(String messageId) {
        return mailStore.handled("service", messageId).map(MailStore.Handled::detail).orElse("");
    }
}
