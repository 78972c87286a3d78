package io.crmhub.mappings.ecommerce;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Shopify's webhook signature: {@code X-Shopify-Hmac-Sha256} is the Base64 HMAC-SHA256 of the raw
 * request body bytes with the app's client secret. Verified over the bytes as received (never a
 * re-serialised JSON) and compared in constant time.
 */
public final class ShopifyHmac {

    private ShopifyHmac() {
    }

    /** Base64 HMAC-SHA256 of {@code body} with {@code secret}. */
    public static String sign(byte[] body, String secret) {
        return Base64.getEncoder().encodeToString(mac(body, secret));
    }

    /**
     * True when {@code header} is the signature of {@code body} under {@code secret}. A missing or
     * malformed header is false; the comparison does not depend on where the bytes differ.
     */
    public static boolean verify(byte[] body, String header, String secret) {
        if (header == null || header.isBlank() || secret == null || secret.isEmpty() || body == null) {
            return false;
        }
        byte[] presented;
        try {
            presented = Base64.getDecoder().decode(header.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(mac(body, secret), presented);
    }

    private static byte[] mac(byte[] body, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
