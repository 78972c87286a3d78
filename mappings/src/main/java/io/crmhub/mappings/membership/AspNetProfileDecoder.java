package io.crmhub.mappings.membership;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decodes the property bag of ASP.NET's SqlProfileProvider ({@code aspnet_Profile}).
 * <p>
 * {@code PropertyNames} is a sequence of {@code Name:S|B:start:length:} groups. {@code S} values
 * are the substring {@code [start, start+length)} of {@code PropertyValuesString}; {@code B}
 * values are that byte range of {@code PropertyValuesBinary}. A length of {@code -1} means the
 * property is null. Binary values (serialized .NET objects) are kept opaque (base64), never
 * interpreted.
 */
public final class AspNetProfileDecoder {

    private AspNetProfileDecoder() {
    }

    /** One decoded property: its text, or its opaque bytes, or null. */
    public record Property(String name, boolean binary, String text, byte[] bytes) {
        public boolean isNull() {
            return text == null && bytes == null;
        }

        /** Text value, or the base64 of the bytes for binary properties, or null. */
        public String asText() {
            if (text != null) {
                return text;
            }
            return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
        }
    }

    /** The property bag is not well formed; the message says where. */
    public static final class DecodeException extends IllegalArgumentException {
        public DecodeException(String message) {
            super(message);
        }
    }

    /**
     * Decodes the properties in their stored order.
     *
     * @throws DecodeException when a group is incomplete, a type is neither S nor B, a number is
     *                         not a number, or a range falls outside the values
     */
    public static Map<String, Property> decode(String propertyNames, String valuesString, byte[] valuesBinary) {
        Map<String, Property> out = new LinkedHashMap<>();
        if (propertyNames == null || propertyNames.isEmpty()) {
            return out;
        }
        String[] parts = propertyNames.split(":", -1);
        // a well-formed bag ends with ':' so the split leaves one empty trailing element
        int usable = parts.length - (parts[parts.length - 1].isEmpty() ? 1 : 0);
        if (usable % 4 != 0) {
            throw new DecodeException("PropertyNames has " + usable + " fields, not groups of 4 (Name:S|B:start:length:): '"
                    + abbreviate(propertyNames) + "'");
        }
        for (int i = 0; i < usable; i += 4) {
            String name = parts[i];
            String type = parts[i + 1];
            if (name.isEmpty()) {
                throw new DecodeException("PropertyNames group " + (i / 4 + 1) + " has no name");
            }
            int start = number(parts[i + 2], name, "start");
            int length = number(parts[i + 3], name, "length");
            boolean binary;
            if ("S".equals(type)) {
                binary = false;
            } else if ("B".equals(type)) {
                binary = true;
            } else {
                throw new DecodeException("property " + name + " has type '" + type + "', expected S or B");
            }
            if (length == -1) {
                out.put(name, new Property(name, binary, null, null));
                continue;
            }
            if (start < 0 || length < 0) {
                throw new DecodeException("property " + name + " has a negative range " + start + ":" + length);
            }
            if (binary) {
                int size = valuesBinary == null ? 0 : valuesBinary.length;
                if ((long) start + length > size) {
                    throw new DecodeException("property " + name + " range " + start + ":" + length
                            + " is outside PropertyValuesBinary (" + size + " bytes)");
                }
                byte[] b = new byte[length];
                System.arraycopy(valuesBinary, start, b, 0, length);
                out.put(name, new Property(name, true, null, b));
            } else {
                int size = valuesString == null ? 0 : valuesString.length();
                if ((long) start + length > size) {
                    throw new DecodeException("property " + name + " range " + start + ":" + length
                            + " is outside PropertyValuesString (" + size + " characters)");
                }
                out.put(name, new Property(name, false, valuesString.substring(start, start + length), null));
            }
        }
        return out;
    }

    /** Encodes string properties the way SqlProfileProvider stores them (test fixtures, benchmarks). */
    public static String[] encodeStrings(Map<String, String> values) {
        StringBuilder names = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getKey().indexOf(':') >= 0) {
                throw new IllegalArgumentException("property name must not contain ':' : " + e.getKey());
            }
            names.append(e.getKey()).append(":S:");
            if (e.getValue() == null) {
                names.append("0:-1:");
            } else {
                names.append(text.length()).append(':').append(e.getValue().length()).append(':');
                text.append(e.getValue());
            }
        }
        return new String[]{names.toString(), text.toString()};
    }

    private static int number(String s, String property, String what) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new DecodeException("property " + property + " has a " + what + " that is not a number: '" + s + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
