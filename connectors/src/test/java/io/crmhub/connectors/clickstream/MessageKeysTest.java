package io.crmhub.connectors.clickstream;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class MessageKeysTest {

    @Test
    void aCanonicalUuidIsItsOwnKey() {
        String id = "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b";
        assertThat(MessageKeys.of(id)).isEqualTo(UUID.fromString(id));
        // ids in order keep their order as keys (the index takes them one after the other)
        assertThat(MessageKeys.of("01890a5d-ac96-774b-bcce-b302099a8057"))
                .isLessThan(MessageKeys.of("01890a5d-ac96-774b-bcce-b302099a8058"));
    }

    @Test
    void anyOtherIdIsKeyedByTheFirstHalfOfTheSha256OfItsUtf8Bytes() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 ... (FIPS 180-2)
        assertThat(MessageKeys.of("abc")).isEqualTo(UUID.fromString("ba7816bf-8f01-cfea-4141-40de5dae2223"));
        // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...
        assertThat(MessageKeys.of("")).isEqualTo(UUID.fromString("e3b0c442-98fc-1c14-9afb-f4c8996fb924"));
        // not canonical: upper case, no dashes, braces, one character more or less
        for (String id : new String[]{"6F1D2C3B-4A5E-4F60-9A7B-8C9D0E1F2A3B", "6f1d2c3b4a5e4f609a7b8c9d0e1f2a3b",
                "{6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b}", "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3", "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3bb",
                "6f1d2c3b-4a5e-4f60-9a7b_8c9d0e1f2a3b", "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3g"}) {
            assertThat(MessageKeys.isCanonicalUuid(id)).as(id).isFalse();
            assertThat(MessageKeys.of(id)).as(id).isNotEqualTo(MessageKeys.of("6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b"));
        }
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
