package io.crmhub.connectors.email;

import io.crmhub.mappings.email.ReplyText;
import io.crmhub.mappings.email.SafeFileName;
import io.crmhub.mappings.model.Hashes;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads raw RFC 5322 bytes into a {@link ParsedMail}, leniently: broken encodings, unknown
 * charsets, missing boundaries and hostile attachment names degrade to warnings; only a message
 * without any usable sender (or over the size cap) is refused with {@link MalformedMailException}.
 * Thread-safe.
 */
public class MailParser {

    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._%+'=!#$&*/?^`{|}~-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern MESSAGE_ID = Pattern.compile("<[^<>\\s]+>");
    private static final int MAX_PARTS = 500;
    private static final int MAX_DEPTH = 20;
    private static final int MAX_TEXT = 1_000_000;

    private final Session session;
    private final long maxBytes;

    /** @param maxBytes messages larger than this are refused (the size cap) */
    public MailParser(long maxBytes) {
        Properties p = new Properties();
        p.setProperty("mail.mime.address.strict", "false");
        p.setProperty("mail.mime.decodetext.strict", "false");
        p.setProperty("mail.mime.parameters.strict", "false");
        p.setProperty("mail.mime.base64.ignoreerrors", "true");
        p.setProperty("mail.mime.uudecode.ignoreerrors", "true");
        p.setProperty("mail.mime.multipart.ignoremissingendboundary", "true");
        p.setProperty("mail.mime.multipart.ignoremissingboundaryparameter", "true");
        p.setProperty("mail.mime.multipart.allowempty", "true");
        p.setProperty("mail.mime.decodefilename", "true");
        p.setProperty("mail.mime.decodeparameters", "true");
        p.setProperty("mail.mime.ignoreunknownencoding", "true");
        this.session = Session.getInstance(p);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public ParsedMail parse(byte[] raw) {
        if (raw == null || raw.length == 0) {
            throw new MalformedMailException("empty message");
        }
        if (raw.length > maxBytes) {
            throw new MalformedMailException("message of " + raw.length + " bytes is over the size cap of " + maxBytes + " bytes");
        }
        MimeMessage msg;
        try {
            msg = new MimeMessage(session, new ByteArrayInputStream(raw));
        } catch (Exception e) {
            throw new MalformedMailException("unreadable message: " + e.getMessage(), e);
        }
        List<String> warnings = new ArrayList<>();
        String[] sender = sender(msg, warnings);
        if (sender == null) {
            throw new MalformedMailException("no usable sender address (From/Sender/Reply-To)");
        }
        String messageId = firstId(header(msg, "Message-ID"));
        boolean synthetic = messageId == null;
        if (synthetic) {
            messageId = "<" + Hashes.sha256Hex(raw).substring(0, 40) + "@synthetic.crm-hub>";
            warnings.add("no Message-ID: derived one from the message bytes");
        }
        String subject = subject(msg, warnings);
        Instant sentAt = null;
        try {
            sentAt = msg.getSentDate() == null ? null : msg.getSentDate().toInstant();
        } catch (Exception e) {
            warnings.add("unreadable Date header");
        }
        Body body = new Body();
        try {
            walk(msg, body, 0, warnings);
        } catch (Exception e) {
            warnings.add("body partly unreadable: " + e.getMessage());
        }
        String text = body.plain != null ? body.plain : body.html != null ? ReplyText.htmlToText(body.html) : "";
        if (text.length() > MAX_TEXT) {
            text = text.substring(0, MAX_TEXT);
        }
        ParsedMail.DeliveryReport dsn = null;
        if (body.dsnRecipients != null) {
            dsn = new ParsedMail.DeliveryReport(body.originalMessageId, body.originalHubToken, List.copyOf(body.dsnRecipients));
        }
        return new ParsedMail(messageId, synthetic, sender[0], sender[1], addresses(msg, "To"), addresses(msg, "Cc"),
                subject, sentAt, firstId(header(msg, "In-Reply-To")), ids(header(msg, "References")),
                header(msg, "Auto-Submitted"), header(msg, "Precedence"), header(msg, "X-Auto-Response-Suppress"),
                header(msg, "List-Id"), header(msg, "Return-Path"), trimmed(header(msg, "X-CRM-Hub-Token")),
                text, body.plain == null && body.html != null, List.copyOf(body.attachments), dsn,
                List.copyOf(warnings), raw.length);
    }

    // ------------------------------------------------------------------------------------------

    private static final class Body {
        String plain;
        String html;
        final List<ParsedMail.Attachment> attachments = new ArrayList<>();
        List<ParsedMail.Recipient> dsnRecipients;
        String originalMessageId;
        String originalHubToken;
        int parts;
    }

    private void walk(Part part, Body body, int depth, List<String> warnings) throws Exception {
        if (++body.parts > MAX_PARTS || depth > MAX_DEPTH) {
            if (body.parts == MAX_PARTS + 1 || depth == MAX_DEPTH + 1) {
                warnings.add("too many or too deeply nested parts: the rest is ignored");
            }
            return;
        }
        ContentType type = contentType(part, warnings);
        String mime = type.getBaseType().toLowerCase(Locale.ROOT);
        String disposition = safe(() -> part.getDisposition());
        String fileName = fileName(part);
        boolean attachment = Part.ATTACHMENT.equalsIgnoreCase(disposition) || fileName != null;

        if (mime.startsWith("multipart/")) {
            Object content;
            try {
                content = part.getContent();
            } catch (Exception e) {
                warnings.add("broken multipart (" + e.getMessage() + "): read as text");
                if (body.plain == null) {
                    body.plain = readText(part, type, warnings);
                }
                return;
            }
            if (!(content instanceof Multipart mp)) {
                return;
            }
            int count;
            try {
                count = mp.getCount();
            } catch (Exception e) {
                warnings.add("broken multipart (" + e.getMessage() + "): read as text");
                if (body.plain == null) {
                    body.plain = readText(part, new ContentType("text/plain"), warnings);
                }
                return;
            }
            for (int i = 0; i < count; i++) {
                BodyPart child = mp.getBodyPart(i);
                walk(child, body, depth + 1, warnings);
            }
            return;
        }
        if (mime.equals("message/delivery-status") || mime.equals("message/global-delivery-status")) {
            parseDeliveryStatus(readBytes(part), body);
            return;
        }
        if (mime.equals("text/rfc822-headers") || mime.equals("message/rfc822-headers")) {
            originalHeaders(readBytes(part), body);
            return;
        }
        if (mime.equals("message/rfc822") || mime.equals("message/global")) {
            byte[] bytes = readBytes(part);
            if (body.dsnRecipients != null) {
                originalHeaders(bytes, body);
            }
            String name = fileName != null ? SafeFileName.of(fileName) : "attached-message.eml";
            body.attachments.add(new ParsedMail.Attachment(name, mime, bytes.length));
            return;
        }
        if (!attachment && mime.equals("text/plain") && body.plain == null) {
            body.plain = readText(part, type, warnings);
            return;
        }
        if (!attachment && mime.equals("text/html") && body.html == null) {
            body.html = readText(part, type, warnings);
            return;
        }
        if (!attachment && mime.startsWith("text/") && body.plain == null && body.html == null) {
            body.plain = readText(part, type, warnings);
            return;
        }
        if (attachment || !mime.startsWith("text/")) {
            long size = countBytes(part);
            body.attachments.add(new ParsedMail.Attachment(SafeFileName.of(fileName), mime, size));
        }
    }

    private void parseDeliveryStatus(byte[] bytes, Body body) throws Exception {
        // a per-message block, then one block per recipient, separated by blank lines
        String text = new String(bytes, StandardCharsets.UTF_8).replace("\r\n", "\n");
        List<ParsedMail.Recipient> recipients = new ArrayList<>();
        boolean first = true;
        for (String block : text.split("\n\\s*\n")) {
            if (block.isBlank()) {
                continue;
            }
            InternetHeaders h = new InternetHeaders(new ByteArrayInputStream((block.strip() + "\n\n").getBytes(StandardCharsets.UTF_8)));
            String recipient = h.getHeader("Final-Recipient", null);
            if (recipient == null) {
                recipient = h.getHeader("Original-Recipient", null);
            }
            if (recipient == null) {
                if (!first) {
                    continue;
                }
                first = false;
                continue;
            }
            first = false;
            String address = recipient.contains(";") ? recipient.substring(recipient.indexOf(';') + 1) : recipient;
            address = MimeUtility.unfold(address).strip().replaceAll("^<|>$", "").toLowerCase(Locale.ROOT);
            String status = h.getHeader("Status", null);
            if (status != null) {
                Matcher m = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}").matcher(status);
                status = m.find() ? m.group() : status.strip();
            }
            String action = h.getHeader("Action", null);
            String diagnostic = h.getHeader("Diagnostic-Code", null);
            recipients.add(new ParsedMail.Recipient(address, action == null ? null : action.strip().toLowerCase(Locale.ROOT),
                    status, diagnostic == null ? null : ReplyText.snippet(MimeUtility.unfold(diagnostic), 500)));
        }
        body.dsnRecipients = recipients;
    }

    private void originalHeaders(byte[] bytes, Body body) {
        try {
            InternetHeaders h = new InternetHeaders(new ByteArrayInputStream(bytes));
            if (body.originalMessageId == null) {
                body.originalMessageId = firstId(h.getHeader("Message-ID", null));
            }
            if (body.originalHubToken == null) {
                body.originalHubToken = trimmed(h.getHeader("X-CRM-Hub-Token", null));
            }
        } catch (Exception e) {
            // the quoted original is optional; the recipients alone still make the report
        }
    }

    private static ContentType contentType(Part part, List<String> warnings) {
        String raw = safe(part::getContentType);
        if (raw == null) {
            return plainText();
        }
        try {
            return new ContentType(raw);
        } catch (Exception e) {
            warnings.add("unparseable Content-Type '" + ReplyText.snippet(raw, 80) + "': read as text/plain");
            return plainText();
        }
    }

    private static ContentType plainText() {
        try {
            return new ContentType("text/plain");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String readText(Part part, ContentType type, List<String> warnings) throws Exception {
        byte[] bytes = readBytes(part);
        String declared = type.getParameter("charset");
        Charset cs = null;
        if (declared != null && !declared.isBlank()) {
            String javaName = MimeUtility.javaCharset(declared.strip().replace("\"", ""));
            try {
                cs = Charset.forName(javaName);
            } catch (Exception e) {
                warnings.add("unknown charset '" + ReplyText.snippet(declared, 40) + "': read as UTF-8 or ISO-8859-1");
            }
        }
        if (cs != null) {
            return new String(bytes, cs);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private byte[] readBytes(Part part) throws Exception {
        try (InputStream in = part.getInputStream()) {
            return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBytes));
        } catch (UnsupportedEncodingException e) {
            // unknown Content-Transfer-Encoding: take the raw bytes
            if (part instanceof jakarta.mail.internet.MimePart mp) {
                try (InputStream in = mp instanceof jakarta.mail.internet.MimeBodyPart b ? b.getRawInputStream()
                        : ((MimeMessage) mp).getRawInputStream()) {
                    return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBytes));
                }
            }
            throw e;
        }
    }

    private static long countBytes(Part part) {
        try (InputStream in = part.getInputStream()) {
            long n = 0;
            byte[] buf = new byte[8192];
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
            }
            return n;
        } catch (Exception e) {
            return Math.max(0, safeSize(part));
        }
    }

    private static int safeSize(Part part) {
        try {
            return part.getSize();
        } catch (Exception e) {
            return 0;
        }
    }

    private static String fileName(Part part) {
        String name = safe(part::getFileName);
        if (name != null) {
            try {
                name = MimeUtility.decodeText(name);
            } catch (Exception e) {
                // keep it as it came
            }
        }
        return name == null || name.isBlank() ? null : name;
    }

    private static String[] sender(MimeMessage msg, List<String> warnings) {
        for (String h : List.of("From", "Sender", "Reply-To")) {
            String raw = header(msg, h);
            if (raw == null) {
                continue;
            }
            try {
                InternetAddress[] parsed = InternetAddress.parseHeader(raw, false);
                for (InternetAddress a : parsed) {
                    String addr = a.getAddress();
                    if (addr != null && ADDRESS.matcher(addr).matches()) {
                        return new String[]{addr.toLowerCase(Locale.ROOT), personal(a)};
                    }
                }
            } catch (AddressException e) {
                warnings.add("malformed " + h + " header");
            }
            Matcher m = ADDRESS.matcher(decode(raw));
            if (m.find()) {
                warnings.add(h + " read leniently");
                return new String[]{m.group().toLowerCase(Locale.ROOT), null};
            }
        }
        return null;
    }

    private static String personal(InternetAddress a) {
        String p = a.getPersonal();
        return p == null || p.isBlank() ? null : ReplyText.snippet(p.replace("\"", ""), 200);
    }

    private static List<String> addresses(MimeMessage msg, String name) {
        String raw = header(msg, name);
        if (raw == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try {
            for (InternetAddress a : InternetAddress.parseHeader(raw, false)) {
                if (a.getAddress() != null && a.getAddress().contains("@")) {
                    out.add(a.getAddress().toLowerCase(Locale.ROOT));
                }
            }
        } catch (AddressException e) {
            Matcher m = ADDRESS.matcher(raw);
            while (m.find()) {
                out.add(m.group().toLowerCase(Locale.ROOT));
            }
        }
        return out.size() > 50 ? List.copyOf(out.subList(0, 50)) : List.copyOf(out);
    }

    private static String subject(MimeMessage msg, List<String> warnings) {
        String raw = header(msg, "Subject");
        if (raw == null) {
            return "";
        }
        String s = decode(raw);
        if (s.equals(raw) && raw.contains("=?")) {
            warnings.add("subject encoding not decodable");
        }
        return ReplyText.snippet(s, 998);
    }

    private static String decode(String raw) {
        try {
            return MimeUtility.decodeText(MimeUtility.unfold(raw));
        } catch (Exception e) {
            return MimeUtility.unfold(raw);
        }
    }

    private static String header(MimeMessage msg, String name) {
        try {
            String v = msg.getHeader(name, ",");
            return v == null ? null : v.strip();
        } catch (Exception e) {
            return null;
        }
    }

    private static String firstId(String raw) {
        if (raw == null) {
            return null;
        }
        Matcher m = MESSAGE_ID.matcher(raw);
        if (m.find()) {
            return m.group();
        }
        String t = raw.strip();
        return t.isEmpty() || t.contains(" ") ? null : "<" + t + ">";
    }

    private static List<String> ids(String raw) {
        if (raw == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Matcher m = MESSAGE_ID.matcher(raw);
        while (m.find() && out.size() < 100) {
            out.add(m.group());
        }
        return List.copyOf(out);
    }

    private static String trimmed(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }


    private interface Getter<T> {
        T get() throws Exception;
    }

    private static <T> T safe(Getter<T> g) {
        try {
            return g.get();
        } catch (Exception e) {
            return null;
        }
    }

    /** Kept for callers that hold the raw stream. */
    public ParsedMail parse(InputStream in) throws IOException {
        return parse(in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBytes + 1)));
    }
}
