package io.crmhub.mappings.ecommerce;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Vectors computed independently with {@code openssl dgst -sha256 -hmac <secret> -binary | base64}. */
class ShopifyHmacTest {

    static final Path FIXTURES = Path.of("../routes/src/test/resources/fixtures/shopify");

    @Test
    void matchesOpensslVectors() throws Exception {
        byte[] body = "{\"id\":820982911946154508,\"email\":\"jon@example.com\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(ShopifyHmac.sign(body, "hush")).isEqualTo("D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=");
        assertThat(ShopifyHmac.verify(body, "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=", "hush")).isTrue();
        assertThat(ShopifyHmac.verify(new byte[0], "Knm8rWjeSXNIt2H0AOMT7DQ8/YSy8sQi/pEjbuUmGMs=", "hush")).isTrue();
        assertThat(ShopifyHmac.verify("café ✓".getBytes(StandardCharsets.UTF_8), "7Q52Aa+P+sUS1WYUEdpbUlh2IfUuQG3a77EgRHvcuSY=", "sécret"))
                .isTrue();
        byte[] fixture = Files.readAllBytes(FIXTURES.resolve("orders_create.json"));
        assertThat(ShopifyHmac.verify(fixture, "Lq6ciEXSk8jR+1zZHzQCxkHvfO12cf5P3klLAswHSxQ=", "dev-shopify-secret-change-me")).isTrue();
    }

    @Test
    void refusesTamperedBodiesWrongSecretsAndMalformedHeaders() {
        byte[] body = "{\"id\":820982911946154508,\"email\":\"jon@example.com\"}".getBytes(StandardCharsets.UTF_8);
        String good = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=";
        byte[] tampered = body.clone();
        tampered[5] ^= 1;
        assertThat(ShopifyHmac.verify(tampered, good, "hush")).isFalse();
        // the same JSON re-serialised with a space is other bytes: verification is over the raw body
        assertThat(ShopifyHmac.verify("{\"id\": 820982911946154508,\"email\":\"jon@example.com\"}".getBytes(StandardCharsets.UTF_8),
                good, "hush")).isFalse();
        assertThat(ShopifyHmac.verify(body, good, "hush2")).isFalse();
        assertThat(ShopifyHmac.verify(body, null, "hush")).isFalse();
        assertThat(ShopifyHmac.verify(body, "", "hush")).isFalse();
        assertThat(ShopifyHmac.verify(body, "not base64 !!", "hush")).isFalse();
        assertThat(ShopifyHmac.verify(body, good.substring(0, 20), "hush")).isFalse();
        assertThat(ShopifyHmac.verify(body, good, null)).isFalse();
        // hex instead of Base64 is not accepted
        assertThat(ShopifyHmac.verify(body, "0f450c5e6863c01462e32eba4e6849ac39614000", "hush")).isFalse();
    }
}
