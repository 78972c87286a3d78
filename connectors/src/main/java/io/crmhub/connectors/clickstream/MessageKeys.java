package io.crmhub.connectors.clickstream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * The key under which a messageId is remembered for de-duplication ({@code click_message_key}): the first
 * 128 bits of the SHA-256 of its UTF-8 bytes, as a UUID. A messageId is whatever the sender chose (a UUID, an
 * SDK's {@code ajs-next-…}, a log record's id) and can be long; its key is 16 bytes of fixed width, which
 * PostgreSQL's unique index compares as bytes: inserting 65,000 random ids into a table of 1M remembered ones took
 * about a quarter less time than with a text key ({@code bench/sql/message-keys.sql}). Two distinct messageIds share a key
 * with a probability of about n²/2¹²⁹ (negligible for any n a retention window holds). In SQL (PostgreSQL):
 * {@code CAST(encode(substring(sha256(convert_to(id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid)}.
 */
public final class MessageKeys {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    });

    /** The key of PostgreSQL's copy of the old table's ids (V24); the same function as {@link #of}. */
    public static final String SQL = "CAST(encode(substring(sha256(convert_to(message_id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid)";

    private MessageKeys() {
    }

    /** The key of a messageId. */
    public static UUID of(String messageId) {
        MessageDigest md = SHA256.get();
        byte[] digest = md.digest(messageId.getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.wrap(digest);
        return new UUID(b.getLong(), b.getLong());
    }
}
