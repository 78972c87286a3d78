package io.crmhub.mappings.clickstream;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Truncates client IP addresses before anything is stored: IPv4 to its /24 network (last octet
 * zero, {@code 203.0.113.77 → 203.0.113.0}), IPv6 to its /48 ({@code 2001:db8:85a3::8a2e → 2001:db8:85a3::}).
 * What is not an IP address literal is dropped (null): it is never resolved over DNS.
 */
public final class IpAddresses {

    /**
     * Field names that hold a client's IP address anywhere in an event (compared in lower case without {@code _}
     * and {@code -}): Segment's {@code context.ip}, RudderStack's {@code request_ip}, the {@code ip} trait its SDKs
     * set, an ad server's {@code ip}, and the usual spellings of the same.
     */
    static final java.util.Set<String> IP_FIELDS = java.util.Set.of("ip", "requestip", "clientip", "ipaddress",
            "ipaddr", "remoteip", "remoteaddr", "remoteaddress", "userip", "sourceip", "xforwardedfor", "forwardedfor",
            "xrealip", "ipv4", "ipv6", "visitorip", "cfconnectingip", "trueclientip", "xclientip", "fastlyclientip",
            "clientaddress", "forwarded", "customerip", "deviceip", "endusersip", "enduserip");
    private static final int MAX_DEPTH = 16;

    private IpAddresses() {
    }

    /**
     * Truncates, in place, every IP address in a JSON event: each field named as in {@link #IP_FIELDS}, at any
     * depth (context, traits, context.traits, properties …). A value that is not an IP address literal is removed,
     * as is a non-text one: nothing that might be a full address is kept.
     *
     * @return whether anything was changed
     */
    public static boolean redact(com.fasterxml.jackson.databind.JsonNode event) {
        return redact(event, 0);
    }

    private static boolean redact(com.fasterxml.jackson.databind.JsonNode node, int depth) {
        if (node == null || depth > MAX_DEPTH || !node.isContainerNode()) {
            return false;
        }
        boolean changed = false;
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            // one pass, no copy of the names: a value is replaced through its entry, a field removed through the
            // iterator (neither is a structural change the iteration trips over)
            for (java.util.Iterator<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = o.fields();
                 it.hasNext(); ) {
                java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> f = it.next();
                com.fasterxml.jackson.databind.JsonNode v = f.getValue();
                if (v.isContainerNode()) {
                    changed |= redact(v, depth + 1);
                } else if (!v.isNull() && isIpField(f.getKey())) {
                    String t = v.isTextual() ? truncate(v.asText()) : null;
                    if (t == null) {
                        it.remove();
                        changed = true;
                    } else if (!t.equals(v.asText())) {
                        f.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf(t));
                        changed = true;
                    }
                }
            }
        } else {
            for (com.fasterxml.jackson.databind.JsonNode v : node) {
                changed |= redact(v, depth + 1);
            }
        }
        return changed;
    }

    /**
     * For what goes to the quarantine, where an event's shape is wrong by definition: besides {@link #redact}, every
     * text value anywhere (object fields and array elements) that is an IP address literal is truncated, whatever
     * its field is called — a {@code "context": "203.0.113.9"} or {@code "properties": ["203.0.113.9"]} keeps no
     * full address either. (A version string such as "1.2.3.4" is truncated too: the price of not guessing.)
     */
    public static void redactEveryAddress(com.fasterxml.jackson.databind.JsonNode event) {
        redact(event, 0);
        everyAddress(event, 0);
    }

    private static void everyAddress(com.fasterxml.jackson.databind.JsonNode node, int depth) {
        if (node == null || depth > MAX_DEPTH) {
            return;
        }
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            for (java.util.Iterator<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = o.fields();
                 it.hasNext(); ) {
                java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> f = it.next();
                if (f.getValue().isTextual()) {
                    String t = literal(f.getValue().asText());
                    if (t != null) {
                        f.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf(t));
                    }
                } else {
                    everyAddress(f.getValue(), depth + 1);
                }
            }
        } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i).isTextual()) {
                    String t = literal(a.get(i).asText());
                    if (t != null) {
                        a.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf(t));
                    }
                } else {
                    everyAddress(a.get(i), depth + 1);
                }
            }
        }
    }

    /** The truncated address when {@code s} is exactly one IP address literal (not a list, not a time); else null. */
    private static String literal(String s) {
        String t = s.strip();
        if (t.length() < 2 || t.length() > 64 || t.indexOf(',') >= 0 || t.indexOf(' ') >= 0) {
            return null;
        }
        char c = t.charAt(0);
        if (!(Character.isDigit(c) || c == ':' || c == '[' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return null;
        }
        return truncate(t);
    }

    private static final java.util.regex.Pattern V4_IN_TEXT =
            java.util.regex.Pattern.compile("(?<![0-9.])(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})(?![0-9]|\\.[0-9])");
    private static final java.util.regex.Pattern V6_IN_TEXT =
            java.util.regex.Pattern.compile("(?<![0-9A-Fa-f:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![0-9A-Fa-f:])");

    /**
     * Truncates the IP addresses in a text that is not JSON (a message the quarantine keeps as it came): every
     * dotted quad and every IPv6 literal in it.
     */
    public static String redactText(String text) {
        if (text == null) {
            return null;
        }
        String out = replace(V4_IN_TEXT, text);
        return text.indexOf(':') >= 0 ? replace(V6_IN_TEXT, out) : out;
    }

    private static String replace(java.util.regex.Pattern p, String text) {
        java.util.regex.Matcher m = p.matcher(text);
        StringBuilder b = new StringBuilder(text.length());
        while (m.find()) {
            String t = truncate(m.group(1));
            m.appendReplacement(b, java.util.regex.Matcher.quoteReplacement(t == null ? m.group(1) : t));
        }
        m.appendTail(b);
        return b.toString();
    }

    static boolean isIpField(String name) {
        if (name.length() > 16 || name.length() < 2 || !mayBeIpField(name)) {
            return false;
        }
        StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '_' && c != '-') {
                b.append(Character.toLowerCase(c));
            }
        }
        return IP_FIELDS.contains(b.toString());
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
            s = s.substring(1, s.indexOf(']'));     // [v6]:port
        }
        int colon = s.indexOf(':');
        if (colon > 6 && colon == s.lastIndexOf(':') && s.indexOf('.') > 0 && s.indexOf('.') < colon) {
            s = s.substring(0, colon);              // v4:port
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

    /** Whether the name holds "ip", "addr" or "forwarded" (any case): most names of an event do not, and cost no copy. */
    private static boolean mayBeIpField(String name) {
        for (int i = 0; i < name.length() - 1; i++) {
            char c = Character.toLowerCase(name.charAt(i));
            if ((c == 'i' && Character.toLowerCase(name.charAt(i + 1)) == 'p')
                    || (c == 'a' && name.regionMatches(true, i, "addr", 0, 4))
                    || (c == 'f' && name.regionMatches(true, i, "forwarded", 0, 9))) {
                return true;
            }
        }
        return false;
    }

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
