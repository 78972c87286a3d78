package io.crmhub.connectors.email;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * One-click unsubscribe tokens (RFC 8058): {@code <outbound id>.<HMAC-SHA256>} over a purpose tag
 * and the id of the mail that carried the link, truncated to 128 bits, base64url. Unguessable
 * without the secret, bound to one mail (so to one person and campaign), good for nothing else.
 */
public class UnsubscribeTokens {

    private static final String PURPOSE = "crm-hub/unsubscribe/v1:";
    private final byte[] secret;

    public UnsubscribeTokens(String secret) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException("the unsubscribe secret needs at least 16 characters (hub.mail.unsubscribe.secret)");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    public String issue(long outboundId) {
        return outboundId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(outboundId));
    }

    /** The outbound mail id the token was issued for, when the token is genuine. */
    public Optional<Long> verify(String token) {
        if (token == null || token.length() > 100) {
            return Optional.empty();
        }
        int dot = token.indexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        long id;
        byte[] given;
        try {
            id = Long.parseLong(token.substring(0, dot));
            given = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return MessageDigest.isEqual(given, mac(id)) ? Optional.of(id) : Optional.empty();
    }

    private byte[] mac(long id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal((PURPOSE + id).getBytes(StandardCharsets.UTF_8)), 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
