package io.crmhub.mappings.email;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether a message may get an automatic answer (RFC 3834 and the de-facto headers): never to
 * automatic mail ({@code Auto-Submitted} other than {@code no}), bulk or list mail
 * ({@code Precedence: bulk|list|junk}, {@code List-Id}), senders that asked for none
 * ({@code X-Auto-Response-Suppress: All|AutoReply|OOF}), mailer-daemons and postmasters, messages
 * without a return path ({@code Return-Path: <>}), or our own addresses.
 */
public final class LoopGuard {

    private final Set<String> ownAddresses;

    public LoopGuard(Collection<String> ownAddresses) {
        this.ownAddresses = ownAddresses == null ? Set.of()
                : ownAddresses.stream().map(a -> a.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** What the guard looks at, straight from the message headers (null when absent). */
    public record Signals(String from, String autoSubmitted, String precedence, String autoResponseSuppress,
                          String listId, String returnPath) {
    }

    /** Empty when an automatic answer is allowed, else the reason it is not. */
    public Optional<String> refuse(Signals s) {
        String from = s.from() == null ? "" : s.from().trim().toLowerCase(Locale.ROOT);
        if (from.isEmpty()) {
            return Optional.of("no sender address");
        }
        if (ownAddresses.contains(from)) {
            return Optional.of("sender is our own address " + from);
        }
        String local = from.contains("@") ? from.substring(0, from.indexOf('@')) : from;
        if (local.equals("mailer-daemon") || local.equals("postmaster") || local.startsWith("mailer-daemon")) {
            return Optional.of("sender is a mailer-daemon (" + from + ")");
        }
        if (isAutomatic(s.autoSubmitted())) {
            return Optional.of("Auto-Submitted: " + s.autoSubmitted().trim());
        }
        if (s.precedence() != null) {
            String p = s.precedence().trim().toLowerCase(Locale.ROOT);
            if (p.equals("bulk") || p.equals("list") || p.equals("junk")) {
                return Optional.of("Precedence: " + p);
            }
        }
        if (s.autoResponseSuppress() != null) {
            for (String v : s.autoResponseSuppress().split(",")) {
                String t = v.trim().toLowerCase(Locale.ROOT);
                if (t.equals("all") || t.equals("autoreply") || t.equals("oof")) {
                    return Optional.of("X-Auto-Response-Suppress: " + s.autoResponseSuppress().trim());
                }
            }
        }
        if (s.listId() != null && !s.listId().isBlank()) {
            return Optional.of("mailing list mail (List-Id)");
        }
        if (s.returnPath() != null && s.returnPath().replaceAll("\\s", "").equals("<>")) {
            return Optional.of("null return path (Return-Path: <>)");
        }
        return Optional.empty();
    }

    /** {@code Auto-Submitted} present with any value but {@code no} (parameters after ';' ignored). */
    public static boolean isAutomatic(String autoSubmitted) {
        if (autoSubmitted == null || autoSubmitted.isBlank()) {
            return false;
        }
        String v = autoSubmitted.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return !v.equals("no");
    }
}
