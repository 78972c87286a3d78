package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import io.crmhub.routes.ApiClient;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/** Real sockets only: SMTP into GreenMail, IMAP to look into the mailboxes, HTTP to the hub. */
final class MailTestSupport {

    static final Path FIXTURES = Path.of("../connectors/src/test/resources/mail");

    private MailTestSupport() {
    }

    static String uid() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** A fixture .eml with its {{PLACEHOLDERS}} filled in (CRLF line ends, bytes kept). */
    static byte[] eml(String name, Map<String, String> values) {
        try {
            String s = new String(Files.readAllBytes(FIXTURES.resolve(name)), StandardCharsets.ISO_8859_1);
            for (Map.Entry<String, String> e : values.entrySet()) {
                s = s.replace("{{" + e.getKey() + "}}", e.getValue());
            }
            return s.replaceAll("\\{\\{[A-Z_]+}}", "").replace("\r\n", "\n").replace("\n", "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] simple(String from, String to, String subject, String messageId, String extraHeaders, String body) {
        String s = "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: " + messageId
                + "\r\nDate: Tue, 1 Dec 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + (extraHeaders == null ? "" : extraHeaders) + "\r\n" + body + "\r\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Delivers the raw message over SMTP to the mailbox {@code to}, unchanged (no new Message-ID). */
    static void deliver(String to, byte[] raw) throws Exception {
        GreenMail g = GreenMailInitializer.greenMail();
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", "127.0.0.1");
        p.setProperty("mail.smtp.port", Integer.toString(g.getSmtp().getPort()));
        p.setProperty("mail.smtp.from", "envelope@sender.example");
        Session session = Session.getInstance(p);
        MimeMessage msg = new MimeMessage(session, new ByteArrayInputStream(raw));
        try (Transport t = session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(msg, new Address[]{new InternetAddress(to)});
        }
    }

    private static Store imap(String user, String password) throws Exception {
        Properties p = new Properties();
        Session session = Session.getInstance(p);
        Store store = session.getStore("imap");
        store.connect("127.0.0.1", GreenMailInitializer.greenMail().getImap().getPort(), user, password);
        return store;
    }

    /** Message-IDs in a folder of a mailbox (not deleted). */
    static List<String> messageIds(String user, String password, String folderName) throws Exception {
        try (Store store = imap(user, password)) {
            Folder folder = store.getFolder(folderName);
            if (!folder.exists()) {
                return List.of();
            }
            folder.open(Folder.READ_ONLY);
            try {
                List<String> ids = new ArrayList<>();
                for (Message m : folder.getMessages()) {
                    if (!m.isSet(Flags.Flag.DELETED)) {
                        String[] h = m.getHeader("Message-ID");
                        ids.add(h == null ? null : h[0]);
                    }
                }
                return ids;
            } finally {
                folder.close(false);
            }
        }
    }

    /** Copies a processed message back into INBOX: the state after a crash between commit and move. */
    static void copyBackToInbox(String user, String password, String messageId) throws Exception {
        try (Store store = imap(user, password)) {
            Folder processed = store.getFolder("Processed");
            processed.open(Folder.READ_ONLY);
            Folder inbox = store.getFolder("INBOX");
            List<Message> mine = Arrays.stream(processed.getMessages()).filter(m -> {
                try {
                    String[] h = m.getHeader("Message-ID");
                    return h != null && h[0].equals(messageId);
                } catch (Exception e) {
                    return false;
                }
            }).toList();
            if (mine.isEmpty()) {
                throw new IllegalStateException("not in Processed: " + messageId);
            }
            processed.copyMessages(new Message[]{mine.get(0)}, inbox);
            processed.close(false);
        }
    }

    /** Mail the hub sent to {@code address} (GreenMail delivers it to that address's mailbox). */
    static List<MimeMessage> sentTo(String address) throws Exception {
        List<MimeMessage> out = new ArrayList<>();
        for (MimeMessage m : GreenMailInitializer.greenMail().getReceivedMessages()) {
            Address[] to = m.getRecipients(Message.RecipientType.TO);
            if (to != null && Arrays.stream(to).anyMatch(a -> ((InternetAddress) a).getAddress().equalsIgnoreCase(address))) {
                out.add(m);
            }
        }
        return out;
    }

    /** Creates a profile with an e-mail address (and an explicit EMAIL opt-in when asked); answers its id. */
    static String profile(ApiClient api, String email, String firstName, boolean optIn) {
        String consents = optIn ? ",\"consents\":[{\"channel\":\"EMAIL\",\"status\":\"OPT_IN\",\"evidence\":\"double opt-in\",\"explicit\":true}]" : "";
        ApiClient.Response r = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\""
                + email + "\"}],\"attributes\":{\"firstName\":\"" + firstName + "\"}" + consents + "}");
        if (r.status() != 201 && r.status() != 200) {
            throw new IllegalStateException("profile not created: " + r.status() + " " + r.body());
        }
        return r.json().get("profileId").asText();
    }

    /** The profile's timeline entries of a type, newest first. */
    static List<JsonNode> timeline(ApiClient api, String profileId, String type) {
        JsonNode page = api.get("/api/v1/profiles/" + profileId + "/timeline?limit=200").json();
        List<JsonNode> out = new ArrayList<>();
        page.path("interactions").forEach(i -> {
            if (type == null || type.equals(i.path("type").asText())) {
                out.add(i);
            }
        });
        return out;
    }
}
