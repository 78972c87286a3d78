package io.crmhub.connectors.email;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MailPiecesTest {

    @TempDir
    Path dir;

    @Test
    void unsubscribeTokensAreBoundToOneMailAndUnforgeable() {
        UnsubscribeTokens t = new UnsubscribeTokens("0123456789abcdef-secret");
        String token = t.issue(42);
        assertThat(t.verify(token)).contains(42L);
        assertThat(t.verify("43" + token.substring(2))).isEmpty();
        assertThat(t.verify(token.substring(0, token.length() - 2) + "AA")).isEmpty();
        assertThat(new UnsubscribeTokens("another-secret-0123456").verify(token)).isEmpty();
        assertThat(t.verify("garbage")).isEmpty();
        assertThat(t.verify(null)).isEmpty();
        assertThatThrownBy(() -> new UnsubscribeTokens("short")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void templatesRenderSubjectTextAndEscapedHtml() throws Exception {
        Files.writeString(dir.resolve("hello.txt"), "Subject: Hi ${firstName:there} ${token}\n\nDear ${firstName:customer},\n${text}\n");
        Files.writeString(dir.resolve("hello.html"), "<p>Dear ${firstName}</p>");
        MailTemplates t = new MailTemplates(dir);
        MailTemplates.Rendered r = t.render("hello", Map.of("firstName", "<Ann>", "token", "[CRM:1]"));
        assertThat(r.subject()).isEqualTo("Hi <Ann> [CRM:1]");
        assertThat(r.text()).isEqualTo("Dear <Ann>,\n\n");
        assertThat(r.html()).isEqualTo("<p>Dear &lt;Ann&gt;</p>");
        assertThat(t.render("hello", Map.of()).subject()).isEqualTo("Hi there");
        assertThatThrownBy(() -> t.render("missing", Map.of())).hasMessageContaining("no template missing.txt");
        assertThatThrownBy(() -> t.render("../etc/passwd", Map.of())).hasMessageContaining("invalid template name");
        Files.writeString(dir.resolve("bad.txt"), "no subject here\n\nbody");
        assertThatThrownBy(() -> t.render("bad", Map.of())).hasMessageContaining("Subject");
    }

    @Test
    void smtpSenderKeepsOurMessageIdAndHeadersOverARealSmtpServer() throws Exception {
        GreenMail smtp = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        smtp.start();
        try {
            SmtpSender sender = new SmtpSender(new SmtpSender.Settings("127.0.0.1", smtp.getSmtp().getPort(), null, null,
                    SmtpSender.Security.NONE, Duration.ofSeconds(5)));
            sender.send(new SmtpSender.Outgoing("Hub <hub@crm.test>", "ann@example.com", "Grüße [CRM:0000001]", "plain ä",
                    "<p>html ä</p>", "<fixed-1@crm.test>", "<their@example.com>",
                    Map.of("List-Unsubscribe-Post", "List-Unsubscribe=One-Click", "Auto-Submitted", "auto-replied")));
            assertThat(smtp.waitForIncomingEmail(5000, 1)).isTrue();
            MimeMessage got = smtp.getReceivedMessages()[0];
            assertThat(got.getMessageID()).isEqualTo("<fixed-1@crm.test>");
            assertThat(got.getSubject()).isEqualTo("Grüße [CRM:0000001]");
            assertThat(got.getHeader("In-Reply-To", null)).isEqualTo("<their@example.com>");
            assertThat(got.getHeader("List-Unsubscribe-Post", null)).isEqualTo("List-Unsubscribe=One-Click");
            assertThat(got.getContentType()).startsWith("multipart/alternative");
        } finally {
            smtp.stop();
        }
    }
}
