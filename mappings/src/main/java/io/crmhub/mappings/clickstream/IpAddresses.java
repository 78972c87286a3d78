package io.crmhub.mappings.clickstream;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Truncates client IP addresses before anything is stored: IPv4 to its /24 network (last octet
 * zero, {@code 203.0.113.77 → 203.0.113.0}), IPv6 to its /48 ({@code 2001:db8:85a3::8a2e → 2001:db8:85a3::}).
 * What is not an IP address literal is dropped (null): it is never resolved over DNS.
 */
public final class IpAddresses {

    private IpAddresses() {
    }

    public static String truncate(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.trim();
        int comma = s.indexOf(',');              // X-Forwarded-For style lists: the client is first
        if (comma >= 0) {
            s = s.substring(0, comma).trim();
        }
        if (s.isEmpty()) {
            return null;
        }
        if (s.startsWith("[") && s.contains("]")) {
            s = s.substring(1, s.indexOf(']'));
        }
        if (s.indexOf(':') < 0) {
            return truncateV4(s);                // the common case, without regex or InetAddress
        }
        boolean v4 = false;
        boolean v6 = V6.matcher(s).matches();
        if (!v4 && !v6) {
            return null;
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        try {
            byte[] b = InetAddress.getByName(s).getAddress();   // literal only: no lookup happens for these forms
            if (b.length == 4) {
                b[3] = 0;
            } else {
                for (int i = 6; i < b.length; i++) {
                    b[i] = 0;
                }
            }
            String out = InetAddress.getByAddress(b).getHostAddress();
            return b.length == 16 ? compress(out) : out;
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    private static final java.util.regex.Pattern V6 = java.util.regex.Pattern.compile("[0-9A-Fa-f:.]+(%[0-9A-Za-z]+)?");

    /** {@code a.b.c.d} (1–3 digits each, ≤ 255) → {@code a.b.c.0} in canonical decimal; else null. */
    private static String truncateV4(String s) {
        int[] octets = new int[4];
        int n = 0;
        int digits = 0;
        int value = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                if (++digits > 3) {
                    return null;
                }
                value = value * 10 + (c - '0');
            } else if (c == '.') {
                if (digits == 0 || value > 255 || n == 4) {
                    return null;
                }
                octets[n++] = value;
                digits = 0;
                value = 0;
            } else {
                return null;
            }
        }
        return n == 4 ? octets[0] + "." + octets[1] + "." + octets[2] + ".0" : null;
    }

    /** {@code 2001:db8:85a3:0:0:0:0:0 → 2001:db8:85a3::}. */
    private static String compress(String full) {
        String s = full.replaceAll("(^|:)0(:0)+(:|$)", "::");
        return s.replaceAll(":::+", "::");
    }
}
