package io.crmhub.mappings.email;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmailRulesTest {

    @Test
    void trackingTokenFormatsFindsAndStrips() {
        TrackingToken t = new TrackingToken("[CRM:%07d]");
        assertThat(t.format(1234)).isEqualTo("[CRM:0001234]");
        assertThat(t.find("AW: Ihr Angebot [CRM:0001234]")).contains(1234L);
        assertThat(t.find("re: offer [crm: 1234 ]")).contains(1234L);
        assertThat(t.find("Re: [CASE:000012] help")).isEmpty();
        assertThat(t.find(null)).isEmpty();
        assertThat(t.strip("Re: offer [CRM:0001234] now")).isEqualTo("Re: offer now");
        assertThatThrownBy(() -> new TrackingToken("CRM")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrackingToken("%d")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TrackingToken("[%d-%d]")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loopGuardRefusesAutomaticBulkDaemonsAndOurselves() {
        LoopGuard g = new LoopGuard(List.of("Support@Example.com"));
        assertThat(g.refuse(sig("ann@example.org", null, null, null, null, null))).isEmpty();
        assertThat(g.refuse(sig("ann@example.org", "no", null, null, null, null))).isEmpty();
        assertThat(g.refuse(sig("ann@example.org", "auto-replied", null, null, null, null))).get().asString().contains("Auto-Submitted");
        assertThat(g.refuse(sig("ann@example.org", "auto-generated; owner-email=x@y", null, null, null, null))).isPresent();
        assertThat(g.refuse(sig("ann@example.org", null, "Bulk", null, null, null))).get().asString().contains("bulk");
        assertThat(g.refuse(sig("ann@example.org", null, "junk", null, null, null))).isPresent();
        assertThat(g.refuse(sig("ann@example.org", null, "first-class", null, null, null))).isEmpty();
        assertThat(g.refuse(sig("ann@example.org", null, null, "DR, OOF, AutoReply", null, null))).isPresent();
        assertThat(g.refuse(sig("ann@example.org", null, null, "DR, NDR", null, null))).isEmpty();
        assertThat(g.refuse(sig("ann@example.org", null, null, null, "<news.example.org>", null))).isPresent();
        assertThat(g.refuse(sig("ann@example.org", null, null, null, null, "<>"))).isPresent();
        assertThat(g.refuse(sig("MAILER-DAEMON@mx.example.org", null, null, null, null, null))).isPresent();
        assertThat(g.refuse(sig("postmaster@example.org", null, null, null, null, null))).isPresent();
        assertThat(g.refuse(sig("support@example.com", null, null, null, null, null))).get().asString().contains("own");
        assertThat(g.refuse(sig(null, null, null, null, null, null))).isPresent();
    }

    private static LoopGuard.Signals sig(String from, String auto, String precedence, String suppress, String listId,
                                         String returnPath) {
        return new LoopGuard.Signals(from, auto, precedence, suppress, listId, returnPath);
    }

    @Test
    void replyTextDropsQuotedHistoryOfCommonClients() {
        String outlook = "Thanks, 40 pieces please.\n\n________________________________\nVon: Sales <s@x.de>\nGesendet: Montag\n\nold text";
        assertThat(ReplyText.newPart(outlook)).isEqualTo("Thanks, 40 pieces please.");
        String gmail = "Yes, Friday works.\n\nOn Mon, 30 Nov 2026 at 16:02, Sales <s@x.de> wrote:\n> old\n> text";
        assertThat(ReplyText.newPart(gmail)).isEqualTo("Yes, Friday works.");
        String german = "Passt.\n\nAm 30.11.2026 um 16:02 schrieb Sales <s@x.de>:\n> alt";
        assertThat(ReplyText.newPart(german)).isEqualTo("Passt.");
        String original = "ok\n-----Original Message-----\nFrom: a";
        assertThat(ReplyText.newPart(original)).isEqualTo("ok");
        assertThat(ReplyText.newPart("inline\n> quoted\nanswer")).isEqualTo("inline\nanswer");
    }

    @Test
    void snippetsHtmlAndSubjects() {
        assertThat(ReplyText.snippet("  a \n\n b  ", 10)).isEqualTo("a b");
        assertThat(ReplyText.snippet("abcdefghij", 5)).isEqualTo("abcd…");
        assertThat(ReplyText.htmlToText("<html><head><style>p{}</style></head><body><p>Hi&nbsp;there</p><p>A &amp; B</p><script>x()</script></body></html>"))
                .isEqualTo("Hi there\nA & B");
        assertThat(ReplyText.baseSubject("AW: Re: WG: Offer")).isEqualTo("Offer");
        assertThat(ReplyText.baseSubject("Re[2]: Offer")).isEqualTo("Offer");
    }

    @Test
    void unsubscribeRequestsBySubjectOrFirstLine() {
        List<String> k = List.of("unsubscribe", "abmelden");
        assertThat(ReplyText.isUnsubscribeRequest("Unsubscribe", "", k)).isTrue();
        assertThat(ReplyText.isUnsubscribeRequest("Re: Newsletter December", "Abmelden!\n\n> old", k)).isTrue();
        assertThat(ReplyText.isUnsubscribeRequest("unsubscribe 12.abc", "", k)).isTrue();
        assertThat(ReplyText.isUnsubscribeRequest("Re: Newsletter", "Please tell me how to unsubscribe later", k)).isFalse();
        assertThat(ReplyText.isUnsubscribeRequest("Re: Newsletter", "Great news!\n> unsubscribe", k)).isFalse();
    }

    @Test
    void attachmentNamesAreMadeHarmless() {
        assertThat(SafeFileName.of("../../etc/passwd")).isEqualTo("passwd");
        assertThat(SafeFileName.of("C:\\Users\\x\\report.pdf")).isEqualTo("report.pdf");
        assertThat(SafeFileName.of("invoice\u202Efdp.exe")).isEqualTo("invoice_fdp.exe");
        assertThat(SafeFileName.of("a\u0000b\r\n.txt")).isEqualTo("a_b__.txt");
        assertThat(SafeFileName.of("...hidden")).isEqualTo("hidden");
        assertThat(SafeFileName.of("  ")).isEqualTo("unnamed");
        assertThat(SafeFileName.of(null)).isEqualTo("unnamed");
        assertThat(SafeFileName.of("x".repeat(500))).hasSize(SafeFileName.MAX);
        assertThat(SafeFileName.of("Vertrag Änderung.pdf")).isEqualTo("Vertrag Änderung.pdf");
    }
}
