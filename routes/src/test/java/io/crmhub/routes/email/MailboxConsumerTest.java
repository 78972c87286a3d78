package io.crmhub.routes.email;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mail.MailEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The mailbox consumer against a real IMAP server (GreenMail): a message leaves the folder only when
 * its exchange succeeded (the route stands for "effect committed"); a failed one — a crash or
 * rollback before the commit — stays and is read again on the next poll, while the rest of its
 * batch is moved; oversized messages arrive as headers only.
 */
class MailboxConsumerTest {

    static final String BOX = "box@crm.test";
    static final String SEEN_BOX = "seen@crm.test";
    static final String COPY_BOX = "copy@crm.test";
    static final String PW = "pw";
    static final Duration WAIT = Duration.ofSeconds(20);

    GreenMail greenMail;
    CamelContext camel;
    final Map<String, AtomicInteger> handedOver = new ConcurrentHashMap<>();
    final Map<String, String> bodies = new ConcurrentHashMap<>();
    final Map<String, Object> oversize = new ConcurrentHashMap<>();
    final AtomicBoolean failing = new AtomicBoolean(true);

    @BeforeEach
    void start() throws Exception {
        ServerSetup[] setups = ServerSetup.dynamicPort(new ServerSetup[]{ServerSetupTest.SMTP, ServerSetupTest.IMAP});
        greenMail = new GreenMail(setups).withConfiguration(GreenMailConfiguration.aConfig()
                .withUser(BOX, BOX, PW).withUser(SEEN_BOX, SEEN_BOX, PW).withUser(COPY_BOX, COPY_BOX, PW));
        greenMail.start();
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(endpoint(BOX, "Processed", 3, true)).routeId("mail-in.box").process(this::handle);
                from(endpoint(SEEN_BOX, null, 20, true)).routeId("mail-in.seen").process(this::handle);
                from(endpoint(COPY_BOX, "Processed", 3, false)).routeId("mail-in.copy").process(this::handle);
            }

            private MailboxEndpoint endpoint(String user, String processed, int batch, boolean move) {
                MailEndpoint configured = getContext().getEndpoint("imap://127.0.0.1:" + greenMail.getImap().getPort()
                        + "?folderName=INBOX&username=" + user + "&password=" + PW, MailEndpoint.class);
                MailboxEndpoint ep = new MailboxEndpoint(configured,
                        new MailboxConsumer.Settings(user, "INBOX", processed, 100, batch, 20_000, move));
                ep.setDelay(100);
                ep.setInitialDelay(0);
                return ep;
            }

            private void handle(Exchange e) throws Exception {
                String raw = e.getIn().getBody(String.class);
                MimeMessage m = new MimeMessage(Session.getInstance(new Properties()),
                        new ByteArrayInputStream(raw.getBytes(StandardCharsets.ISO_8859_1)));
                String id = m.getMessageID();
                handedOver.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                bodies.put(id, raw);
                Object over = e.getIn().getHeader(MailRoutes.OVERSIZE);
                if (over != null) {
                    oversize.put(id, over);
                }
                if (m.getSubject().startsWith("fail") && failing.get()) {
                    throw new IllegalStateException("database down: transaction rolled back");
                }
            }
        });
        camel.start();
    }

    @AfterEach
    void stop() {
        camel.stop();
        greenMail.stop();
    }

    @Test
    void onlyMessagesWhoseExchangeSucceededAreMovedAndAFailedOneIsReadAgainUntilItSucceeds() throws Exception {
        movedOnlyAfterSuccess(BOX);
    }

    @Test
    void serversWithoutMoveGetCopyDeleteFlagAndExpungeOfExactlyTheHandledMessages() throws Exception {
        movedOnlyAfterSuccess(COPY_BOX);
    }

    void movedOnlyAfterSuccess(String box) throws Exception {
        List<String> ok = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ok.add(deliver(box, "ok " + i, "hello " + i));
            if (i == 2) {
                deliver(box, "fail 1", "this one cannot be committed yet");
            }
        }
        String fail = "<fail-1@test>";

        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(ids(box, "Processed")).containsExactlyInAnyOrderElementsOf(ok);
            assertThat(ids(box, "INBOX")).containsExactly(fail);
            assertThat(allIn(box, "INBOX")).as("nothing left flagged deleted").isEqualTo(1);
            assertThat(handedOver.get(fail)).as("tried again on later polls").hasValueGreaterThan(2);
        });
        ok.forEach(id -> assertThat(handedOver.get(id)).as(id + " handed over once").hasValue(1));
        assertThat(bodies.get(ok.get(0))).contains("Message-ID: " + ok.get(0)).contains("hello 0");

        failing.set(false);   // the database is back
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(ids(box, "INBOX")).isEmpty();
            assertThat(ids(box, "Processed")).contains(fail).hasSize(8);
        });
    }

    @Test
    void withoutProcessedFolderHandledMailIsFlaggedSeenAndFailedMailStaysUnseen() throws Exception {
        String ok = deliver(SEEN_BOX, "ok", "fine");
        String fail = deliver(SEEN_BOX, "fail", "not yet");
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(seen(SEEN_BOX)).containsEntry(ok, true).containsEntry(fail, false);
            assertThat(handedOver.get(fail)).hasValueGreaterThan(2);
        });
        assertThat(handedOver.get(ok)).as("a seen message is not read again").hasValue(1);
    }

    @Test
    void aMessageOverTheSizeCapArrivesAsItsHeadersFlaggedAndLeavesTheFolder() throws Exception {
        String big = deliver(BOX, "big", "x".repeat(50_000));
        String small = deliver(BOX, "small", "y");
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(ids(BOX, "Processed")).contains(big, small));
        assertThat(oversize).containsKey(big).doesNotContainKey(small);
        assertThat(bodies.get(big)).contains("Subject: big").doesNotContain("xxxx");
    }

    String deliver(String to, String subject, String body) throws Exception {
        String id = "<" + subject.replace(' ', '-') + "@test>";
        String raw = "From: sender@example.org\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: " + id
                + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", "127.0.0.1");
        p.setProperty("mail.smtp.port", Integer.toString(greenMail.getSmtp().getPort()));
        Session session = Session.getInstance(p);
        try (Transport t = session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(new MimeMessage(session, new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))),
                    new Address[]{new InternetAddress(to)});
        }
        return id;
    }

    List<String> ids(String user, String folderName) throws Exception {
        List<String> ids = new ArrayList<>();
        seenIn(user, folderName).forEach((id, s) -> ids.add(id));
        return ids;
    }

    /** Messages in a folder, flagged deleted or not. */
    int allIn(String user, String folderName) throws Exception {
        try (Store store = Session.getInstance(new Properties()).getStore("imap")) {
            store.connect("127.0.0.1", greenMail.getImap().getPort(), user, PW);
            return store.getFolder(folderName).getMessageCount();
        }
    }

    Map<String, Boolean> seen(String user) throws Exception {
        return seenIn(user, "INBOX");
    }

    /** Message-ID → \Seen of the messages in a folder that are not flagged deleted. */
    Map<String, Boolean> seenIn(String user, String folderName) throws Exception {
        Map<String, Boolean> out = new java.util.LinkedHashMap<>();
        try (Store store = Session.getInstance(new Properties()).getStore("imap")) {
            store.connect("127.0.0.1", greenMail.getImap().getPort(), user, PW);
            Folder folder = store.getFolder(folderName);
            if (!folder.exists()) {
                return out;
            }
            folder.open(Folder.READ_ONLY);
            try {
                for (Message m : folder.getMessages()) {
                    String[] id = m.getHeader("Message-ID");   // null: expunged or copied while we read; the await reads again
                    if (id != null && !m.isSet(Flags.Flag.DELETED)) {
                        out.put(id[0], m.isSet(Flags.Flag.SEEN));
                    }
                }
            } finally {
                folder.close(false);
            }
        }
        return out;
    }
}
