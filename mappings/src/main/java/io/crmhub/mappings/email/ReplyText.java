package io.crmhub.mappings.email;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Text helpers for inbound mail: the new part of a reply without the quoted history (Outlook,
 * Gmail, Apple Mail and German clients), a short snippet for the timeline, a plain-text reading of
 * HTML, and recognising an "unsubscribe" answer.
 */
public final class ReplyText {

    /** Lines that start the quoted history; everything from them on is dropped. */
    private static final List<Pattern> HISTORY = List.of(
            Pattern.compile("^-{2,}\\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\\s*-{2,}.*",
                    Pattern.CASE_INSENSITIVE),
            Pattern.compile("^_{10,}\\s*$"),                                     // Outlook separator line
            Pattern.compile("^(From|Von|De):\\s.*", Pattern.CASE_INSENSITIVE),      // Outlook header block
            Pattern.compile("^On .{4,200} wrote:\\s*$", Pattern.CASE_INSENSITIVE),
            Pattern.compile("^Am .{4,200} schrieb .{1,200}:\\s*$", Pattern.CASE_INSENSITIVE),
            Pattern.compile("^Le .{4,200} a écrit\\s*:\\s*$", Pattern.CASE_INSENSITIVE));
    private static final Pattern REPLY_PREFIX = Pattern.compile("^\\s*((re|aw|wg|fw|fwd|sv|antw|tr)\\s*(\\[\\d+])?\\s*:\\s*)+",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final Pattern DROP_BLOCKS = Pattern.compile("(?is)<(script|style|head)[^>]*>.*?</\\1\\s*>");
    private static final Pattern BREAKS = Pattern.compile("(?i)<\\s*(br|/p|/div|/tr|/li|/h\\d)[^>]*>");

    private ReplyText() {
    }

    /** The reply's own text: quoted lines ({@code >}) and the history after a reply header removed. */
    public static String newPart(String body) {
        if (body == null) {
            return "";
        }
        List<String> kept = new ArrayList<>();
        for (String line : body.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)) {
            String t = line.strip();
            if (HISTORY.stream().anyMatch(p -> p.matcher(t).matches())) {
                break;
            }
            if (t.startsWith(">")) {
                continue;
            }
            kept.add(line);
        }
        return String.join("\n", kept).strip();
    }

    /** Whitespace collapsed, at most {@code max} characters (an ellipsis marks a cut). */
    public static String snippet(String text, int max) {
        if (text == null) {
            return "";
        }
        String s = text.replaceAll("\\s+", " ").strip();
        if (s.length() <= max) {
            return s;
        }
        int cut = Math.max(0, max - 1);
        if (cut > 0 && Character.isHighSurrogate(s.charAt(cut - 1))) {
            cut--;
        }
        return s.substring(0, cut) + "…";
    }

    /** A readable plain text of an HTML body: blocks become lines, tags go, common entities are decoded. */
    public static String htmlToText(String html) {
        if (html == null) {
            return "";
        }
        String s = DROP_BLOCKS.matcher(html).replaceAll(" ");
        s = BREAKS.matcher(s).replaceAll("\n");
        s = s.replaceAll("(?i)<blockquote[^>]*>", "\n> ");
        s = TAG.matcher(s).replaceAll("");
        s = s.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&#39;", "'").replace("&apos;", "'").replace("&amp;", "&");
        return s.replaceAll("[ \\t\\x0B\\f]+", " ").replaceAll("\\n\\s*\\n+", "\n\n").strip();
    }

    /** The subject without reply and forward prefixes ({@code Re:}, {@code AW:}, {@code Fwd:} ...). */
    public static String baseSubject(String subject) {
        return subject == null ? "" : REPLY_PREFIX.matcher(subject).replaceFirst("").strip();
    }

    /**
     * True when the message asks to be unsubscribed: its subject (without prefixes) or the first
     * line of its new text is one of the keywords, e.g. "unsubscribe" or "Abmelden".
     */
    public static boolean isUnsubscribeRequest(String subject, String body, Collection<String> keywords) {
        if (keywords == null || keywords.isEmpty()) {
            return false;
        }
        List<String> words = keywords.stream().map(k -> k.trim().toLowerCase(Locale.ROOT)).filter(k -> !k.isEmpty()).toList();
        String s = clean(baseSubject(subject));
        if (matchesKeyword(s, words)) {
            return true;
        }
        String first = newPart(body).lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
        return matchesKeyword(clean(first), words);
    }

    private static boolean matchesKeyword(String text, List<String> words) {
        if (text.isEmpty()) {
            return false;
        }
        for (String w : words) {
            if (text.equals(w) || text.startsWith(w + " ")) {
                return true;
            }
        }
        return false;
    }

    private static String clean(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}&&[^@.-]]", " ").replaceAll("\\s+", " ").strip();
    }
}
