import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.routes.CrmHubApplication;
import io.crmhub.routes.profiles.ProfileService;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Mail-in to timeline latency of the hub, and of a plain IMAP poller as the baseline, in one run.
 * Latency of a message = (time its effect is visible) - (time the SMTP send to the mailbox began):
 * for the hub the interaction's recorded_at, for the baseline the moment the poller has read the
 * whole message and moved it to its processed folder.
 */
public class EmailLatencyBench {

    static final String HUB = "bench@crm.test";
    static final String BASE = "baseline@crm.test";
    static final String PW = "bench-pw";
    static final String SCHEMA = "crmhub_bench_email";

    public static void main(String[] args) throws Exception {
        String url = args[0], user = args[1], password = args[2];
        int n = Integer.parseInt(args[3]);
        Duration poll = Duration.parse("PT" + args[4].toUpperCase());
        double rate = Double.parseDouble(args[5]);
        long gapNanos = (long) (1_000_000_000L / rate);
        // -Dbench.imapTrace=true: the hub's IMAP conversation (debugMode) with a millisecond timestamp per line
        boolean trace = Boolean.getBoolean("bench.imapTrace");
        if (trace) {
            System.setOut(timestamped(System.out));
        }

        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            s.execute("CREATE SCHEMA " + SCHEMA);
        }
        ServerSetup[] setups = ServerSetup.dynamicPort(new ServerSetup[]{ServerSetupTest.SMTP, ServerSetupTest.IMAP});
        GreenMail mail = new GreenMail(setups).withConfiguration(GreenMailConfiguration.aConfig()
                .withUser(HUB, HUB, PW).withUser(BASE, BASE, PW));
        mail.start();
        int smtp = mail.getSmtp().getPort();
        int imap = mail.getImap().getPort();
        String template = Files.readString(Path.of("connectors/src/test/resources/mail/outlook-reply.eml"), StandardCharsets.ISO_8859_1);

        System.out.printf("email-latency: %d messages at %.1f/s, poll %s, GreenMail SMTP %d IMAP %d, PostgreSQL schema %s%n",
                n, rate, args[4], smtp, imap, SCHEMA);

        // ---- baseline: a plain IMAP poller, same interval, same messages --------------------
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Map<String, Long> doneAt = new ConcurrentHashMap<>();
        Thread poller = new Thread(() -> rawPoller(imap, poll, doneAt), "baseline-poller");
        poller.setDaemon(true);
        poller.start();
        send(smtp, BASE, template, "warm", 5, gapNanos, sentAt);
        waitFor(doneAt, sentAt.keySet(), Duration.ofSeconds(60));
        sentAt.clear();
        doneAt.clear();
        send(smtp, BASE, template, "base", n, gapNanos, sentAt);
        waitFor(doneAt, sentAt.keySet(), Duration.ofSeconds(120));
        List<Long> baseline = latencies(sentAt, doneAt);
        Map<String, Long> doneAtBaseline = Map.copyOf(doneAt);
        sentAt = Map.copyOf(sentAt);
        poller.interrupt();

        // ---- the hub: tracking mailbox, PostgreSQL, embedded Kafka --------------------------
        ConfigurableApplicationContext hub = new SpringApplicationBuilder(CrmHubApplication.class).run(
                "--spring.config.additional-location=optional:file:config/",
                "--spring.datasource.url=" + url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA,
                "--spring.datasource.username=" + user, "--spring.datasource.password=" + password,
                "--spring.flyway.schemas=" + SCHEMA, "--server.port=0",
                "--hub.mail.inboxes[0].name=bench", "--hub.mail.inboxes[0].role=TRACKING",
                "--hub.mail.inboxes[0].uri=imap://127.0.0.1:" + imap,
                "--hub.mail.inboxes[0].username=" + HUB, "--hub.mail.inboxes[0].password=" + PW,
                "--hub.mail.inboxes[0].poll-interval=" + args[4],
                "--hub.mail.inboxes[0].options=" + (trace ? "debugMode=true" : ""),
                "--logging.level.io.crmhub.routes.email=" + System.getProperty("bench.log", "WARN"));
        try {
            ProfileService profiles = hub.getBean(ProfileService.class);
            for (int i = 0; i < n + 5; i++) {
                profiles.upsertLenient(new ProfileRecord("crm", Instant.now(),
                        List.of(Identity.of(IdentityType.EMAIL, sender(i))), Map.of("firstName", "Bench"), List.of()));
            }
            JdbcTemplate db = new JdbcTemplate(hub.getBean(DataSource.class));
            Map<String, Long> hubSent = new ConcurrentHashMap<>();
            send(smtp, HUB, template, "hwarm", 5, gapNanos, hubSent);
            waitForDb(db, hubSent.keySet(), Duration.ofSeconds(60));
            hubSent.clear();
            send(smtp, HUB, template, "hub", n, gapNanos, hubSent);
            Map<String, Long> recorded = waitForDb(db, hubSent.keySet(), Duration.ofSeconds(180));
            List<Long> hubLat = latencies(hubSent, recorded);

            System.out.println();
            System.out.printf("%-34s %8s %8s %8s %8s %6s%n", "", "p50 ms", "p95 ms", "max ms", "mean ms", "n");
            print("baseline: raw IMAP poll+fetch+move", baseline);
            print("hub: mail-in -> timeline", hubLat);
            System.out.printf("throughput: baseline %.1f msg/s, hub %.1f msg/s (messages / first send to last effect)%n",
                    throughput(sentAt, doneAtBaseline), throughput(hubSent, recorded));
            System.out.printf("ratio hub/baseline: p50 %.2f, p95 %.2f%n",
                    (double) pct(hubLat, 50) / Math.max(1, pct(baseline, 50)), (double) pct(hubLat, 95) / Math.max(1, pct(baseline, 95)));
        } finally {
            hub.close();
            mail.stop();
        }
    }

    static java.io.PrintStream timestamped(java.io.PrintStream out) {
        return new java.io.PrintStream(new java.io.OutputStream() {
            final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    out.println(System.currentTimeMillis() % 100_000 + " [" + Thread.currentThread().getName() + "] "
                            + line.toString(StandardCharsets.ISO_8859_1));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true);
    }

    static String sender(int i) {
        return "bench.sender" + i + "@kunde-example.de";
    }

    static void send(int smtp, String to, String template, String tag, int count, long gapNanos, Map<String, Long> sentAt)
            throws Exception {
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", "127.0.0.1");
        p.setProperty("mail.smtp.port", Integer.toString(smtp));
        Session session = Session.getInstance(p);
        long next = System.nanoTime();
        try (Transport t = session.getTransport("smtp")) {
            t.connect();
            for (int i = 0; i < count; i++) {
                String id = "<" + tag + "-" + i + "-" + System.nanoTime() + "@bench.crm.test>";
                String raw = template.replace("{{FROM}}", sender(i)).replace("{{MSGID}}", id)
                        .replace("{{INREPLYTO}}", "<none@bench>").replace("{{SUBJECT_TOKEN}}", "")
                        .replace("\r\n", "\n").replace("\n", "\r\n");
                MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(raw.getBytes(StandardCharsets.ISO_8859_1)));
                while (System.nanoTime() < next) {
                    Thread.onSpinWait();
                }
                sentAt.put(id, System.currentTimeMillis());
                t.sendMessage(m, new Address[]{new InternetAddress(to)});
                next += gapNanos;
            }
        }
    }

    /** The baseline: poll INBOX every interval, read each message whole, move it to Processed. */
    static void rawPoller(int imap, Duration poll, Map<String, Long> doneAt) {
        try {
            Store store = Session.getInstance(new Properties()).getStore("imap");
            store.connect("127.0.0.1", imap, BASE, PW);
            Folder processed = store.getFolder("Processed");
            if (!processed.exists()) {
                processed.create(Folder.HOLDS_MESSAGES);
            }
            while (!Thread.currentThread().isInterrupted()) {
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_WRITE);
                for (Message m : inbox.getMessages()) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    m.writeTo(out);
                    MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(out.toByteArray()));
                    inbox.copyMessages(new Message[]{m}, processed);
                    m.setFlag(Flags.Flag.DELETED, true);
                    doneAt.put(parsed.getMessageID(), System.currentTimeMillis());
                }
                inbox.close(true);
                Thread.sleep(poll.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            e.printStackTrace();
        }
    }

    static void waitFor(Map<String, Long> done, java.util.Set<String> ids, Duration max) throws InterruptedException {
        long end = System.currentTimeMillis() + max.toMillis();
        while (!done.keySet().containsAll(ids) && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
    }

    static Map<String, Long> waitForDb(JdbcTemplate db, java.util.Set<String> ids, Duration max) throws InterruptedException {
        Map<String, Long> recorded = new ConcurrentHashMap<>();
        long end = System.currentTimeMillis() + max.toMillis();
        while (recorded.size() < ids.size() && System.currentTimeMillis() < end) {
            db.query("SELECT external_id, recorded_at FROM interaction WHERE source = 'email' AND type = 'email.inbound'",
                    rs -> {
                        String id = rs.getString(1);
                        if (ids.contains(id)) {
                            recorded.put(id, rs.getObject(2, OffsetDateTime.class).toInstant().toEpochMilli());
                        }
                    });
            Thread.sleep(50);
        }
        return recorded;
    }

    static List<Long> latencies(Map<String, Long> sent, Map<String, Long> done) {
        List<Long> out = new ArrayList<>();
        sent.forEach((id, t0) -> {
            Long t1 = done.get(id);
            if (t1 != null) {
                out.add(t1 - t0);
            }
        });
        if (out.size() < sent.size()) {
            System.out.printf("WARNING: %d of %d messages not seen in time%n", sent.size() - out.size(), sent.size());
        }
        Collections.sort(out);
        return out;
    }

    static double throughput(Map<String, Long> sent, Map<String, Long> done) {
        long first = sent.values().stream().mapToLong(Long::longValue).min().orElse(0);
        long last = done.values().stream().mapToLong(Long::longValue).max().orElse(first);
        return done.size() * 1000.0 / Math.max(1, last - first);
    }

    static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static void print(String label, List<Long> l) {
        double mean = l.stream().mapToLong(Long::longValue).average().orElse(-1);
        System.out.printf("%-34s %8d %8d %8d %8.0f %6d%n", label, pct(l, 50), pct(l, 95), l.isEmpty() ? -1 : l.get(l.size() - 1), mean, l.size());
    }
}
