package io.crmhub.connectors.email;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Properties;

/**
 * Sends mail by SMTP (plain, STARTTLS or implicit TLS, with or without login). The Message-ID is
 * the one the caller chose (JavaMail would otherwise replace it), so replies and bounces can be
 * traced back to the queue entry.
 */
public class SmtpSender {

    public enum Security { NONE, STARTTLS, SSL }

    public record Settings(String host, int port, String username, String password, Security security,
                           Duration timeout) {
    }

    /** One mail to send. {@code html} may be null (text only); {@code headers} are added as given. */
    public record Outgoing(String from, String to, String subject, String text, String html, String messageId,
                           String inReplyTo, Map<String, String> headers) {
    }

    private final Settings settings;
    private final Session session;

    public SmtpSender(Settings settings) {
        this.settings = settings;
        Properties p = new Properties();
        String proto = settings.security() == Security.SSL ? "smtps" : "smtp";
        p.setProperty("mail.transport.protocol", proto);
        p.setProperty("mail." + proto + ".host", settings.host());
        p.setProperty("mail." + proto + ".port", Integer.toString(settings.port()));
        long ms = settings.timeout() == null ? 30_000 : settings.timeout().toMillis();
        p.setProperty("mail." + proto + ".connectiontimeout", Long.toString(ms));
        p.setProperty("mail." + proto + ".timeout", Long.toString(ms));
        p.setProperty("mail." + proto + ".writetimeout", Long.toString(ms));
        boolean auth = settings.username() != null && !settings.username().isBlank();
        p.setProperty("mail." + proto + ".auth", Boolean.toString(auth));
        if (settings.security() == Security.STARTTLS) {
            p.setProperty("mail.smtp.starttls.enable", "true");
            p.setProperty("mail.smtp.starttls.required", "true");
        }
        if (settings.security() != Security.NONE) {
            p.setProperty("mail." + proto + ".ssl.checkserveridentity", "true");
        }
        this.session = Session.getInstance(p);
    }

    public Settings settings() {
        return settings;
    }

    public MimeMessage build(Outgoing mail) throws MessagingException {
        MimeMessage msg = new FixedIdMessage(session, mail.messageId());
        msg.setFrom(new InternetAddress(mail.from()));
        msg.setRecipients(Message.RecipientType.TO, InternetAddress.parse(mail.to(), true));
        msg.setSubject(mail.subject(), StandardCharsets.UTF_8.name());
        msg.setSentDate(new Date());
        if (mail.inReplyTo() != null) {
            msg.setHeader("In-Reply-To", mail.inReplyTo());
            msg.setHeader("References", mail.inReplyTo());
        }
        if (mail.headers() != null) {
            for (Map.Entry<String, String> h : mail.headers().entrySet()) {
                msg.setHeader(h.getKey(), h.getValue());
            }
        }
        if (mail.html() == null) {
            msg.setText(mail.text(), StandardCharsets.UTF_8.name());
        } else {
            MimeMultipart alternative = new MimeMultipart("alternative");
            MimeBodyPart text = new MimeBodyPart();
            text.setText(mail.text(), StandardCharsets.UTF_8.name());
            MimeBodyPart html = new MimeBodyPart();
            html.setText(mail.html(), StandardCharsets.UTF_8.name(), "html");
            alternative.addBodyPart(text);
            alternative.addBodyPart(html);
            msg.setContent(alternative);
        }
        msg.saveChanges();
        return msg;
    }

    /** Sends one mail; a {@link MessagingException} means it was not accepted (retry later). */
    public void send(Outgoing mail) throws MessagingException {
        MimeMessage msg = build(mail);
        try (Transport t = session.getTransport()) {
            if (settings.username() != null && !settings.username().isBlank()) {
                t.connect(settings.host(), settings.port(), settings.username(), settings.password());
            } else {
                t.connect();
            }
            t.sendMessage(msg, msg.getAllRecipients());
        }
    }

    /** Keeps the Message-ID chosen by the hub instead of the one JavaMail generates on save. */
    static final class FixedIdMessage extends MimeMessage {
        private final String messageId;

        FixedIdMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}
