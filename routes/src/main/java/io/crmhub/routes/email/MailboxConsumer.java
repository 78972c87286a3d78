package io.crmhub.routes.email;

import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.search.FlagTerm;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailConfiguration;
import org.apache.camel.component.mail.MailEndpoint;
import org.apache.camel.support.ScheduledPollConsumer;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;

/**
 * Reads one mailbox with few IMAP round trips, keeping the flow's guarantee: a message leaves the
 * folder (moved to the processed folder, or flagged {@code \Seen}) only after its exchange has
 * returned without failure, i.e. its effect is committed or it is quarantined.
 * <p>
 * Per poll: one {@code SEARCH}/listing, one {@code FETCH (UID FLAGS RFC822.SIZE)} for all messages,
 * then in batches of at most {@code batchSize} messages (and {@value #BATCH_BYTES} bytes): one
 * {@code FETCH (BODY.PEEK[])} of the batch (headers only for messages over the size cap), each
 * message through the route one by one (each in its own database transaction), and one
 * {@code MOVE} (or {@code COPY} + {@code STORE \Deleted} + {@code UID EXPUNGE}, or {@code STORE \Seen})
 * of the batch's handled messages. Camel's mail consumer needs about nine round trips per message
 * for the same. The connection is kept between polls. A message whose exchange failed stays in the
 * folder for the next poll; a crash between commit and move leaves committed messages there too,
 * and their second pass is a {@code DUPLICATE} that changes nothing.
 */
class MailboxConsumer extends ScheduledPollConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(MailboxConsumer.class);
    /** Upper bound of the bytes of one batch's messages held in memory at once. */
    static final long BATCH_BYTES = 16L * 1024 * 1024;
    /** Upper bound of the bytes fetched in one poll (a folder keeps what it fetched until it is closed). */
    static final long POLL_BYTES = 4 * BATCH_BYTES;

    /** What the consumer needs beyond Camel's connection settings. */
    record Settings(String mailbox, String folder, String processedFolder, int maxMessagesPerPoll, int batchSize,
                    long maxMessageBytes, boolean useMove) {
        Settings(String mailbox, String folder, String processedFolder, int maxMessagesPerPoll, int batchSize,
                 long maxMessageBytes) {
            this(mailbox, folder, processedFolder, maxMessagesPerPoll, batchSize, maxMessageBytes, true);
        }

        boolean moves() {
            return processedFolder != null && !processedFolder.isBlank();
        }
    }

    private final JavaMailSender sender;
    private final Settings settings;
    private Store store;
    /** Server capabilities, read once per connection (asking while the folder is open costs a second connection). */
    private boolean canMove;
    private boolean uidPlus;

    MailboxConsumer(MailEndpoint endpoint, Processor processor, JavaMailSender sender, Settings settings) {
        super(endpoint, processor);
        this.sender = sender;
        this.settings = settings;
    }

    @Override
    public MailEndpoint getEndpoint() {
        return (MailEndpoint) super.getEndpoint();
    }

    /**
     * One scheduled poll: rounds of {@link #round()} as long as the mailbox is behind — a round that
     * handled messages and either left some for later (per-poll limits) or took at least the poll
     * interval (more mail has arrived meanwhile) is followed at once by the next, instead of the
     * interval's idle wait. An idle or quick round ends the poll.
     */
    @Override
    protected int poll() throws Exception {
        int total = 0;
        while (true) {
            long start = System.nanoTime();
            Round r = round();
            total += r.handled();
            boolean slow = System.nanoTime() - start >= getDelay() * 1_000_000L;
            if (!isRunAllowed() || r.handled() == 0 || !(r.behind() || slow)) {
                return total;
            }
        }
    }

    private record Round(int handled, boolean behind) {
    }

    private Round round() throws Exception {
        long t0 = System.nanoTime();
        IMAPFolder folder;
        try {
            connect();
            folder = (IMAPFolder) store.getFolder(settings.folder());
            folder.open(Folder.READ_WRITE);
        } catch (MessagingException e) {
            disconnect();
            throw e;
        }
        forceConsumerAsReady();
        boolean expunge = false;
        int handled = 0;
        try {
            Message[] listed = settings.moves() ? folder.getMessages()
                    : folder.search(new FlagTerm(new Flags(Flags.Flag.SEEN), false));
            if (listed.length == 0) {
                return new Round(0, false);
            }
            boolean behind = false;
            if (settings.maxMessagesPerPoll() > 0 && listed.length > settings.maxMessagesPerPoll()) {
                listed = Arrays.copyOf(listed, settings.maxMessagesPerPoll());
                behind = true;
            }
            FetchProfile meta = new FetchProfile();
            meta.add(UIDFolder.FetchProfileItem.UID);
            meta.add(FetchProfile.Item.FLAGS);
            meta.add(FetchProfile.Item.SIZE);
            folder.fetch(listed, meta);
            List<Message> todo = new ArrayList<>(listed.length);
            for (Message m : listed) {
                // \Deleted: moved by a copy whose expunge did not happen (another client, a crash)
                if (!m.isExpunged() && !m.isSet(Flags.Flag.DELETED)) {
                    todo.add(m);
                }
            }
            long listedAt = System.nanoTime();
            LOG.debug("{}: {} messages listed in {} ms", settings.mailbox(), todo.size(), (listedAt - t0) / 1_000_000);
            int i = 0;
            long pollBytes = 0;
            // fetched messages stay cached by the open folder until moved or closed: bound a poll's total,
            // the rest is read on the next poll
            while (i < todo.size() && isRunAllowed() && pollBytes < POLL_BYTES) {
                List<Message> batch = new ArrayList<>();
                List<Integer> sizes = new ArrayList<>();
                long bytes = 0;
                while (i < todo.size() && batch.size() < Math.max(1, settings.batchSize())) {
                    Message m = todo.get(i);
                    int size = m.getSize();
                    long cost = size > settings.maxMessageBytes() ? 0 : Math.max(0, size);
                    if (!batch.isEmpty() && bytes + cost > BATCH_BYTES) {
                        break;
                    }
                    batch.add(m);
                    sizes.add(size);
                    bytes += cost;
                    i++;
                }
                pollBytes += bytes;
                Batch b = handle(folder, batch, sizes);
                handled += b.done.size();
                expunge |= b.expunge;
            }
            return new Round(handled, behind || i < todo.size());
        } catch (MessagingException e) {
            if (!store.isConnected()) {
                disconnect();
            }
            throw e;
        } finally {
            try {
                if (folder.isOpen()) {
                    folder.close(expunge);
                }
            } catch (MessagingException e) {
                LOG.debug("Could not close {} of mailbox {}: {}", settings.folder(), settings.mailbox(), e.toString());
            }
        }
    }

    private record Batch(List<Message> done, boolean expunge) {
    }

    /** Fetches a batch whole, hands each message to the route, then moves (or flags) the handled ones together. */
    private Batch handle(IMAPFolder folder, List<Message> batch, List<Integer> sizes) throws MessagingException {
        long t0 = System.nanoTime();
        List<Message> whole = new ArrayList<>();
        List<Message> headersOnly = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            (sizes.get(k) > settings.maxMessageBytes() ? headersOnly : whole).add(batch.get(k));
        }
        if (!whole.isEmpty()) {
            FetchProfile fp = new FetchProfile();
            fp.add(IMAPFolder.FetchProfileItem.MESSAGE);   // BODY.PEEK[]: \Seen is not set by reading
            folder.fetch(whole.toArray(new Message[0]), fp);
        }
        if (!headersOnly.isEmpty()) {
            FetchProfile fp = new FetchProfile();
            fp.add(IMAPFolder.FetchProfileItem.HEADERS);
            folder.fetch(headersOnly.toArray(new Message[0]), fp);
        }
        long fetched = System.nanoTime();
        List<Message> done = new ArrayList<>(batch.size());
        for (int k = 0; k < batch.size() && isRunAllowed(); k++) {
            Message m = batch.get(k);
            Exchange exchange = createExchange(false);
            try {
                toExchange(m, sizes.get(k), exchange);
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            if (exchange.getException() == null && !exchange.isRollbackOnly()) {
                done.add(m);
            } else {
                getExceptionHandler().handleException("Mail " + m.getMessageNumber() + " of mailbox " + settings.mailbox()
                        + " not handled; it stays in " + settings.folder() + " for the next poll", exchange, exchange.getException());
            }
            releaseExchange(exchange, false);
        }
        long processed = System.nanoTime();
        boolean expunge = finish(folder, done);
        LOG.debug("{}: batch of {} (handled {}): fetch {} ms, route {} ms, {} {} ms", settings.mailbox(), batch.size(),
                done.size(), (fetched - t0) / 1_000_000, (processed - fetched) / 1_000_000,
                settings.moves() ? "move" : "flag", (System.nanoTime() - processed) / 1_000_000);
        return new Batch(done, expunge);
    }

    /** Moves (or flags \Seen) the handled messages in one command; answers whether the folder needs an expunge on close. */
    private boolean finish(IMAPFolder folder, List<Message> done) throws MessagingException {
        if (done.isEmpty()) {
            return false;
        }
        Message[] msgs = done.toArray(new Message[0]);
        if (!settings.moves()) {
            folder.setFlags(msgs, new Flags(Flags.Flag.SEEN), true);
            return false;
        }
        Folder target = store.getFolder(settings.processedFolder());
        if (canMove) {
            folder.moveMessages(msgs, target);
            return false;
        }
        folder.copyMessages(msgs, target);
        folder.setFlags(msgs, new Flags(Flags.Flag.DELETED), true);
        if (uidPlus) {
            folder.expunge(msgs);   // UID EXPUNGE: only these, not what someone else marked deleted
            return false;
        }
        return true;
    }

    /** The message as raw bytes (ISO-8859-1 text, so a quarantined copy replays byte for byte); over the cap: its headers, flagged. */
    private void toExchange(Message m, int size, Exchange exchange) throws Exception {
        String raw;
        if (size > settings.maxMessageBytes()) {
            StringBuilder h = new StringBuilder();
            for (Enumeration<String> lines = ((jakarta.mail.internet.MimeMessage) m).getAllHeaderLines(); lines.hasMoreElements(); ) {
                h.append(lines.nextElement()).append("\r\n");
            }
            raw = h.toString();
            exchange.getIn().setHeader(MailRoutes.OVERSIZE, size);
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, size));
            m.writeTo(out);
            raw = out.toString(StandardCharsets.ISO_8859_1);
        }
        exchange.getIn().setHeader(MailRoutes.MAILBOX, settings.mailbox());
        exchange.getIn().setBody(raw);
    }

    private void connect() throws MessagingException {
        if (store != null && store.isConnected()) {
            return;
        }
        MailConfiguration config = getEndpoint().getConfiguration();
        store = sender.getSession().getStore(config.getProtocol());
        PasswordAuthentication auth = config.getPasswordAuthentication();
        store.connect(config.getHost(), config.getPort(), auth.getUserName(), auth.getPassword());
        IMAPStore imap = (IMAPStore) store;
        canMove = settings.useMove() && imap.hasCapability("MOVE");   // useMove false: tests of the COPY path
        uidPlus = imap.hasCapability("UIDPLUS");
        if (settings.moves()) {
            Folder target = store.getFolder(settings.processedFolder());
            if (!target.exists()) {
                target.create(Folder.HOLDS_MESSAGES);
            }
        }
    }

    private void disconnect() {
        try {
            if (store != null) {
                store.close();
            }
        } catch (Exception e) {
            LOG.debug("Could not close the connection of mailbox {}: {}", settings.mailbox(), e.toString());
        }
        store = null;
    }

    @Override
    protected void doStop() throws Exception {
        disconnect();
        super.doStop();
    }
}
