package io.crmhub.connectors.clickstream;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class MessageKeysTest {

    @Test
    void theKeyIsTheFirstHalfOfTheSha256OfTheUtf8Bytes() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad (FIPS 180-2)
        assertThat(MessageKeys.of("abc")).isEqualTo(UUID.fromString("ba7816bf-8f01-cfea-4141-40de5dae2223"));
        // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...
        assertThat(MessageKeys.of("")).isEqualTo(UUID.fromString("e3b0c442-98fc-1c14-9afb-f4c8996fb924"));
    }

    @Test
    void distinctIdsHaveDistinctKeysAndTheSameIdTheSameKey() {
        assertThat(MessageKeys.of("ajs-next-1")).isEqualTo(MessageKeys.of("ajs-next-1"))
                .isNotEqualTo(MessageKeys.of("ajs-next-2"));
        // UTF-8, not the platform charset: a non-ASCII id has one key everywhere
        assertThat(MessageKeys.of("é")).isEqualTo(MessageKeys.of(new String(new byte[]{(byte) 0xC3, (byte) 0xA9},
                java.nio.charset.StandardCharsets.UTF_8)));
    }
}
