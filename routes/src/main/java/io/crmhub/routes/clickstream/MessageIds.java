package io.crmhub.routes.clickstream;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The messageIds the intake gives events that come without one: version-4-shaped UUIDs whose upper half is
 * drawn from {@link SecureRandom} once per intake (per start of the hub) and whose lower half counts. Unique
 * within an intake by the counter and across intakes and restarts by the 60 random bits, and cheap to make:
 * {@link UUID#randomUUID()} reads the shared {@code SecureRandom} under its lock, and with a hundred request
 * threads that lock was the intake's most contended monitor after the producer's own queues.
 */
final class MessageIds {

    private final long high;
    private final AtomicLong next;

    MessageIds() {
        this(new SecureRandom());
    }

    MessageIds(SecureRandom random) {
        this.high = (random.nextLong() & ~0xF000L) | 0x4000L;       // version 4
        this.next = new AtomicLong(random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL);
    }

    String next() {
        long low = (next.getAndIncrement() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;   // IETF variant
        return new UUID(high, low).toString();
    }
}
