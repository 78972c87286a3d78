package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.crmhub.routes.email.GreenMailInitializer.SALES;
import static io.crmhub.routes.email.MailTestSupport.deliver;
import static io.crmhub.routes.email.MailTestSupport.eml;
import static io.crmhub.routes.email.MailTestSupport.profile;
import static io.crmhub.routes.email.MailTestSupport.sentTo;
import static io.crmhub.routes.email.MailTestSupport.simple;
import static io.crmhub.routes.email.MailTestSupport.timeline;
import static io.crmhub.routes.email.MailTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Outbound mail through the consent gate, campaign replies, RFC 8058 one-click and reply opt-outs, DSN bounces. */
@HubIntegrationTest
class EmailCampaignIT {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final Pattern HTTPS_LINK = Pattern.compile("<http[^>]*/api/v1/unsubscribe/([^>]+)>");

    @LocalServerPort
    int port;
    @Autowired
    MailStore mailStore;
    ApiClient api;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    private long send(String template, String campaign, String profileId) {
        String body = "{\"template\":\"" + template + "\"," + (campaign == null ? "" : "\"campaign\":\"" + campaign + "\",")
                + "\"profileIds\":[\"" + profileId + "\"],\"model\":{\"teaser\":\"Winter sale\",\"text\":\"Your offer is ready.\"}}";
        ApiClient.Response r = api.post("/api/v1/mail/messages", body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().path("queued").get(0).path("outboundId").asLong();
    }

    private JsonNode settled(long outboundId) {
        return await().atMost(WAIT).until(() -> api.get("/api/v1/mail/messages/" + outboundId).json(),
                j -> !"PENDING".equals(j.path("status").asText()));
    }

    @Test
    void campaignMailCarriesOneClickUnsubscribeAndRepliesCountOnTheCampaign() throws Exception {
        String u = uid();
        String email = "anna." + u + "@kundin-example.de";
        String pid = profile(api, email, "Anna", true);
        String campaign = "NL-" + u;
        long id = send("campaign-newsletter", campaign, pid);
        JsonNode sent = settled(id);
        assertThat(sent.path("status").asText()).as(sent.toString()).isEqualTo("SENT");

        MimeMessage mail = await().atMost(WAIT).until(() -> sentTo(email), l -> !l.isEmpty()).get(0);
        assertThat(mail.getMessageID()).isEqualTo(sent.path("messageId").asText());
        assertThat(mail.getSubject()).isEqualTo("News from us").doesNotContain("[CRM:");
        String listUnsubscribe = mail.getHeader("List-Unsubscribe", null);
        assertThat(listUnsubscribe).contains("<mailto:unsubscribe@crm.test?subject=unsubscribe%20").contains("/api/v1/unsubscribe/");
        assertThat(mail.getHeader("List-Unsubscribe-Post", null)).isEqualTo("List-Unsubscribe=One-Click");
        assertThat(mail.getHeader("X-CRM-Hub-Token", null)).isEqualTo(String.format("[CRM:%07d]", id));
        assertThat(mail.getContent()).isInstanceOf(MimeMultipart.class);
        assertThat(((MimeMultipart) mail.getContent()).getBodyPart(0).getContent().toString()).contains("Hello Anna").contains("Winter sale");
        await().atMost(WAIT).until(() -> !timeline(api, pid, "email.outbound").isEmpty());
        assertThat(timeline(api, pid, "email.outbound").get(0).path("campaign").asText()).isEqualTo(campaign);

        // a reply (In-Reply-To) is a campaign response on the timeline
        String replyId = "<re-" + u + "@kundin-example.de>";
        deliver(SALES, simple(email, SALES, "Re: News from us", replyId, "In-Reply-To: " + mail.getMessageID() + "\r\n",
                "Is the sale also online?"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(mailStore.handled("sales", replyId)).get()
                .satisfies(h -> assertThat(h.outcome()).isEqualTo("CAMPAIGN_REPLY")));
        JsonNode reply = timeline(api, pid, "email.inbound").get(0);
        assertThat(reply.path("campaign").asText()).isEqualTo(campaign);
        assertThat(reply.path("details").path("matchedBy").asText()).isEqualTo("In-Reply-To");

        // RFC 8058 one-click: POST without API key, the token authorises
        Matcher m = HTTPS_LINK.matcher(listUnsubscribe);
        assertThat(m.find()).isTrue();
        String token = m.group(1);
        ApiClient open = api.withKey(null);
        assertThat(open.get("/api/v1/unsubscribe/" + token).contentType()).startsWith("text/html");
        assertThat(timeline(api, pid, null).toString()).as("GET changes nothing").doesNotContain("OPT_OUT");
        ApiClient.Response r = open.send(open.builder("/api/v1/unsubscribe/" + token)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("List-Unsubscribe=One-Click")));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode consent = api.get("/api/v1/profiles/" + pid).json().path("consents").path("EMAIL");
        assertThat(consent.path("status").asText()).isEqualTo("OPT_OUT");
        assertThat(consent.path("evidence").asText()).contains("one-click").contains(mail.getMessageID()).contains(campaign);
        assertThat(open.send(open.builder("/api/v1/unsubscribe/" + token).POST(HttpRequest.BodyPublishers.noBody())).status())
                .as("idempotent").isEqualTo(200);
        ApiClient.Response page = open.send(open.builder("/api/v1/unsubscribe/" + token).header("Accept", "text/html")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("List-Unsubscribe=One-Click")));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("You are unsubscribed");
        assertThat(open.send(open.builder("/api/v1/unsubscribe/" + id + ".forged").POST(HttpRequest.BodyPublishers.noBody())).status())
                .isEqualTo(404);

        // the consent gate: the next campaign mail is not sent, and that is on record
        JsonNode next = settled(send("campaign-newsletter", campaign, pid));
        assertThat(next.path("status").asText()).isEqualTo("SUPPRESSED");
        assertThat(next.path("reason").asText()).contains("opted out");
        assertThat(timeline(api, pid, "email.suppressed")).isNotEmpty();
        assertThat(sentTo(email)).hasSize(1);
    }

    @Test
    void campaignMailNeedsAnOptInAndAnUnsubscribeReplyOptsOut() throws Exception {
        String u = uid();
        String noOptIn = "ben." + u + "@kunde-example.de";
        String pid = profile(api, noOptIn, "Ben", false);
        JsonNode gated = settled(send("campaign-newsletter", "NL-" + u, pid));
        assertThat(gated.path("status").asText()).isEqualTo("SUPPRESSED");
        assertThat(gated.path("reason").asText()).contains("no EMAIL opt-in");
        assertThat(sentTo(noOptIn)).isEmpty();

        String carla = "carla." + u + "@kunde-example.de";
        String cid = profile(api, carla, "Carla", true);
        String msgId = "<unsub-" + u + "@kunde-example.de>";
        deliver(SALES, simple(carla, SALES, "Re: Newsletter", msgId, null, "Abmelden bitte\n\n> Newsletter Dezember"));
        await().atMost(WAIT).until(() -> "OPT_OUT".equals(api.get("/api/v1/profiles/" + cid).json()
                .path("consents").path("EMAIL").path("status").asText()));
        assertThat(api.get("/api/v1/profiles/" + cid).json().path("consents").path("EMAIL").path("evidence").asText())
                .contains("unsubscribe reply").contains(msgId);
        assertThat(mailStore.handled("sales", msgId).orElseThrow().outcome()).isEqualTo("OPT_OUT");
    }

    @Test
    void hardBouncesMakeTheAddressUndeliverableSoftOnesAreCounted() throws Exception {
        String u = uid();
        String gone = "gone." + u + "@kunde-example.de";
        String pid = profile(api, gone, "Gone", false);
        JsonNode first = settled(send("personal-message", null, pid));
        assertThat(first.path("status").asText()).isEqualTo("SENT");
        String dsnId = "<dsn-" + u + "@mx1.mail.example.org>";
        deliver(SALES, eml("dsn-bounce.eml", Map.of("MSGID", dsnId, "RCPT", gone,
                "ORIGINAL_MSGID", first.path("messageId").asText(), "ORIGINAL_TOKEN", "")));
        await().atMost(WAIT).until(() -> mailStore.addressStatus(gone).map(MailStore.AddressStatus::undeliverable).orElse(false));
        assertThat(mailStore.addressStatus(gone).orElseThrow().lastStatus()).isEqualTo("5.1.1");
        JsonNode bounce = timeline(api, pid, "email.bounce").get(0);
        assertThat(bounce.path("details").path("bounce").asText()).isEqualTo("hard");
        assertThat(bounce.path("details").path("originalMessageId").asText()).isEqualTo(first.path("messageId").asText());
        assertThat(mailStore.handled("sales", dsnId).orElseThrow().outcome()).isEqualTo("BOUNCE_HARD");
        JsonNode again = settled(send("personal-message", null, pid));
        assertThat(again.path("status").asText()).isEqualTo("SUPPRESSED");
        assertThat(again.path("reason").asText()).contains("undeliverable").contains("5.1.1");

        String full = "full." + u + "@kunde-example.de";
        String fid = profile(api, full, "Full", false);
        JsonNode f = settled(send("personal-message", null, fid));
        String softId = "<soft-" + u + "@google.com>";
        deliver(SALES, eml("dsn-soft.eml", Map.of("MSGID", softId, "RCPT", full, "ORIGINAL_MSGID", f.path("messageId").asText())));
        await().atMost(WAIT).until(() -> mailStore.addressStatus(full).isPresent());
        assertThat(mailStore.addressStatus(full).orElseThrow().softBounces()).isEqualTo(1);
        assertThat(mailStore.addressStatus(full).orElseThrow().undeliverable()).isFalse();
        assertThat(settled(send("personal-message", null, fid)).path("status").asText()).isEqualTo("SENT");
    }
}
