package io.crmhub.connectors.email;

import java.time.Instant;
import java.util.List;

/**
 * What the hub reads from one inbound message. Addresses are lower-cased; {@code text} is the
 * best plain text of the body (the plain part, else the HTML part as text); attachments carry
 * only their sanitised name, type and decoded size, never their content.
 *
 * @param syntheticMessageId true when the message had no Message-ID and one was derived from its bytes
 * @param hubToken           the {@code X-CRM-Hub-Token} header of mail the hub sent (bounces quote it back)
 * @param warnings           what was odd but survivable (unknown charset, missing boundary ...)
 */
public record ParsedMail(String messageId, boolean syntheticMessageId, String from, String fromName,
                         List<String> to, List<String> cc, String subject, Instant sentAt, String inReplyTo,
                         List<String> references, String autoSubmitted, String precedence,
                         String autoResponseSuppress, String listId, String returnPath, String hubToken,
                         String text, boolean htmlOnly, List<Attachment> attachments, DeliveryReport dsn,
                         List<String> warnings, long size) {

    public record Attachment(String name, String contentType, long size) {
    }

    /** A delivery status notification (RFC 3464): per recipient what happened to a mail we sent. */
    public record DeliveryReport(String originalMessageId, String originalHubToken, List<Recipient> recipients) {
    }

    /**
     * @param status the RFC 3463 code, e.g. {@code 5.1.1}; a 5 is permanent (hard), a 4 transient (soft)
     */
    public record Recipient(String address, String action, String status, String diagnostic) {
        public boolean hard() {
            return status != null ? status.startsWith("5") : "failed".equalsIgnoreCase(action);
        }

        public boolean soft() {
            return status != null ? status.startsWith("4") : "delayed".equalsIgnoreCase(action);
        }
    }

    public boolean isBounce() {
        return dsn != null;
    }
}
