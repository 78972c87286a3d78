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
        boolean v4 = s.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
        if (v4) {
            for (String octet : s.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null;
                }
            }
        }
        boolean v6 = !v4 && s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+(%[0-9A-Za-z]+)?");
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

    /** {@code 2001:db8:85a3:0:0:0:0:0 → 2001:db8:85a3::}. */
    private static String compress(String full) {
        String s = full.replaceAll("(^|:)0(:0)+(:|$)", "::");
        return s.replaceAll(":::+", "::");
    }
}
