package io.crmhub.connectors.clickstream;

import io.crmhub.mappings.model.Hashes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The key under which a messageId is remembered for de-duplication ({@code click_message_key}), 16 bytes:
 * <ul>
 *   <li>a messageId in the canonical form of a UUID (36 characters, lower-case hex, what SDKs and the hub's own
 *       {@code MessageIds} produce) is its own key: the UUID;</li>
 *   <li>any other messageId (an upper-case UUID, {@code ajs-…}, an ad server's record id, any length) is keyed by
 *       the first 128 bits of the SHA-256 of its UTF-8 bytes.</li>
 * </ul>
 * PostgreSQL's unique index compares a 16-byte key as bytes: inserting 65,000 random ids into a table of 1M
 * remembered ones took about a quarter less time than with the text as the key ({@code bench/sql/message-keys.sql}).
 * A UUID is kept as itself rather than hashed so that ids that come in order (the hub's counter, UUIDv7) are still
 * inserted in order, next to each other in the index. Two distinct messageIds share a key only if a digest equals
 * another digest or a UUID: a probability of about n²/2¹²⁸, nil for any n a retention window holds.
 * The same function in SQL (PostgreSQL): {@link #SQL}.
 */
public final class MessageKeys {

    /** The key of column {@code message_id} in PostgreSQL (migration V24 computes the remembered ids' keys with it). */
    public static final String SQL = "CASE WHEN message_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
            + " THEN CAST(message_id AS uuid)"
            + " ELSE CAST(encode(substring(sha256(convert_to(message_id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid) END";

    private MessageKeys() {
    }

    /** The key of a messageId. */
    public static UUID of(String messageId) {
        if (isCanonicalUuid(messageId)) {
            return UUID.fromString(messageId);
        }
        byte[] digest = Hashes.sha256(messageId.getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.wrap(digest);
        return new UUID(b.getLong(), b.getLong());
    }

    /** xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in lower-case hex. */
    static boolean isCanonicalUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
