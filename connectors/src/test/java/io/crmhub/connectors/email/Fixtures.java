package io.crmhub.connectors.email;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The .eml fixtures under src/test/resources/mail, with their {{PLACEHOLDERS}} filled in. */
public final class Fixtures {

    private Fixtures() {
    }

    public static byte[] eml(String name, Map<String, String> values) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/mail/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            // ISO-8859-1 keeps every byte (8-bit fixtures) through the replacement
            String s = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            for (Map.Entry<String, String> e : values.entrySet()) {
                s = s.replace("{{" + e.getKey() + "}}", e.getValue());
            }
            return s.replaceAll("\\{\\{[A-Z_]+}}", "").replace("\r\n", "\n").replace("\n", "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
