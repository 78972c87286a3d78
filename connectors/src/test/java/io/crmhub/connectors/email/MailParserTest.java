package io.crmhub.connectors.email;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real-world shaped messages (Outlook, Gmail, Apple Mail, Postfix and Gmail DSNs, Exchange auto-replies). */
class MailParserTest {

    private final MailParser parser = new MailParser(5 * 1024 * 1024);

    @Test
    void outlookReplyWithQuotedHistory() {
        ParsedMail m = parser.parse(Fixtures.eml("outlook-reply.eml", Map.of("FROM", "j.mueller@kunde.example",
                "MSGID", "<AM0PR04MB6723@eurprd04.prod.outlook.com>", "INREPLYTO", "<abc@crm.test>",
                "SUBJECT_TOKEN", "[CRM:0000042]")));
        assertThat(m.from()).isEqualTo("j.mueller@kunde.example");
        assertThat(m.fromName()).isEqualTo("Jürgen Müller");
        assertThat(m.messageId()).isEqualTo("<AM0PR04MB6723@eurprd04.prod.outlook.com>");
        assertThat(m.syntheticMessageId()).isFalse();
        assertThat(m.subject()).isEqualTo("AW: Ihr Angebot 2026-118 [CRM:0000042]");
        assertThat(m.inReplyTo()).isEqualTo("<abc@crm.test>");
        assertThat(m.references()).containsExactly("<abc@crm.test>");
        assertThat(m.to()).containsExactly("sales@crm.test");
        assertThat(m.text()).contains("Position 3 auf 40 Stück").contains("Von: Sales Team");
        assertThat(m.htmlOnly()).isFalse();
        assertThat(m.attachments()).isEmpty();
        assertThat(m.dsn()).isNull();
        assertThat(m.sentAt()).hasToString("2026-12-01T08:14:01Z");
    }

    @Test
    void htmlOnlyAlternativeWithEncodedSubject() {
        ParsedMail m = parser.parse(Fixtures.eml("html-alternative.eml", Map.of("FROM", "lena@startup.example", "MSGID", "<g1@mail.gmail.com>")));
        assertThat(m.subject()).isEqualTo("Question about the “Team” plan 🚀");
        assertThat(m.htmlOnly()).isTrue();
        assertThat(m.text()).contains("Does the Team plan include SSO? We are 12 people & growing.").doesNotContain("<b>");
        assertThat(m.fromName()).isEqualTo("Lena Park");
    }

    @Test
    void attachmentsAreNamedSafelyAndMeasuredNotKept() {
        ParsedMail m = parser.parse(Fixtures.eml("attachment.eml", Map.of("FROM", "tom@becker.example", "MSGID", "<a1@becker.example>")));
        assertThat(m.text()).contains("attached is the signed contract");
        assertThat(m.attachments()).hasSize(2);
        assertThat(m.attachments().get(0).name()).isEqualTo("Vertrag unterschrieben Änderung.pdf");
        assertThat(m.attachments().get(0).contentType()).isEqualTo("application/pdf");
        assertThat(m.attachments().get(0).size()).isEqualTo(2500L);
        assertThat(m.attachments().get(1).name()).doesNotContain("/").doesNotContain("\u202E").endsWith("fdp.exe");
        assertThat(m.attachments().get(1).size()).isEqualTo(202);
    }

    @Test
    void postfixHardBounce() {
        ParsedMail m = parser.parse(Fixtures.eml("dsn-bounce.eml", Map.of("MSGID", "<b1@mx1.mail.example.org>",
                "RCPT", "gone@example.com", "ORIGINAL_MSGID", "<orig-1@crm.test>", "ORIGINAL_TOKEN", "[CRM:0000007]")));
        assertThat(m.isBounce()).isTrue();
        assertThat(m.from()).isEqualTo("mailer-daemon@mx1.mail.example.org");
        assertThat(m.dsn().originalMessageId()).isEqualTo("<orig-1@crm.test>");
        assertThat(m.dsn().originalHubToken()).isEqualTo("[CRM:0000007]");
        assertThat(m.dsn().recipients()).singleElement().satisfies(r -> {
            assertThat(r.address()).isEqualTo("gone@example.com");
            assertThat(r.action()).isEqualTo("failed");
            assertThat(r.status()).isEqualTo("5.1.1");
            assertThat(r.hard()).isTrue();
            assertThat(r.diagnostic()).contains("User unknown");
        });
    }

    @Test
    void gmailDelayIsASoftBounce() {
        ParsedMail m = parser.parse(Fixtures.eml("dsn-soft.eml", Map.of("MSGID", "<s1@google.com>", "RCPT", "full@example.com",
                "ORIGINAL_MSGID", "<orig-2@crm.test>")));
        assertThat(m.dsn().originalMessageId()).isEqualTo("<orig-2@crm.test>");
        assertThat(m.dsn().recipients()).singleElement().satisfies(r -> {
            assertThat(r.soft()).isTrue();
            assertThat(r.hard()).isFalse();
            assertThat(r.status()).isEqualTo("4.2.2");
        });
    }

    @Test
    void exchangeAutoReplyCarriesItsSignals() {
        ParsedMail m = parser.parse(Fixtures.eml("auto-reply.eml", Map.of("FROM", "p.schmidt@firma.example",
                "MSGID", "<oof@firma.example>", "SUBJECT", "Lieferung")));
        assertThat(m.autoSubmitted()).isEqualTo("auto-generated");
        assertThat(m.autoResponseSuppress()).isEqualTo("All");
        assertThat(m.text()).contains("In dringenden Fällen");
    }

    @Test
    void unknownCharsetAndBrokenBase64DegradeToWarnings() {
        ParsedMail m = parser.parse(Fixtures.eml("broken-charset.eml", Map.of("FROM", "legacy@old.example", "MSGID", "<l1@old.example>")));
        assertThat(m.text()).contains("Order 4711 shipped").contains("Straße");
        assertThat(m.warnings()).anySatisfy(w -> assertThat(w).contains("unknown charset"));
        assertThat(m.attachments()).extracting(ParsedMail.Attachment::name).containsExactly("report.bin");
    }

    @Test
    void missingMessageIdIsDerivedStably() {
        byte[] raw = "From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        ParsedMail a = parser.parse(raw);
        assertThat(a.syntheticMessageId()).isTrue();
        assertThat(parser.parse(raw).messageId()).isEqualTo(a.messageId());
    }

    @Test
    void unusableMailIsRefusedWithTheReason() {
        assertThatThrownBy(() -> parser.parse(Fixtures.eml("no-sender.eml", Map.of("MSGID", "<n@x>"))))
                .isInstanceOf(MalformedMailException.class).hasMessageContaining("no usable sender");
        assertThatThrownBy(() -> new MailParser(100).parse(new byte[200]))
                .isInstanceOf(MalformedMailException.class).hasMessageContaining("size cap");
        assertThatThrownBy(() -> parser.parse(new byte[0])).isInstanceOf(MalformedMailException.class);
        // garbage still yields a clear refusal, never a crash
        assertThatThrownBy(() -> parser.parse("\u0000\u0001\u0002 garbage without headers".getBytes(StandardCharsets.ISO_8859_1)))
                .isInstanceOf(MalformedMailException.class);
    }
}
