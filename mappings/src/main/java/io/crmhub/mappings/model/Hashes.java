package io.crmhub.mappings.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 as the hub uses it (fingerprints, match keys, content ids, tombstones), with one digest
 * per thread: the hub hashes per record and per identifier, and looking the algorithm up every
 * time cost more than the hashing of such short inputs.
 */
public final class Hashes {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    private Hashes() {
    }

    /** The SHA-256 digest of these bytes. */
    public static byte[] sha256(byte[] data) {
        MessageDigest md = SHA256.get();
        md.reset();
        return md.digest(data);
    }

    /** The SHA-256 of these bytes, as 64 lower-case hex digits. */
    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256(data));
    }

    /** The SHA-256 of the UTF-8 bytes of {@code text}, as 64 lower-case hex digits. */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }
}
