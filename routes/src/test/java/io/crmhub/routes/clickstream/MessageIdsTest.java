package io.crmhub.routes.clickstream;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

class MessageIdsTest {

    @Test
    void idsAreUniqueVersion4UuidsAcrossThreadsAndIntakes() throws Exception {
        MessageIds ids = new MessageIds();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 50_000; i++) {
                    seen.add(ids.next());
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(seen).hasSize(400_000);
        UUID one = UUID.fromString(seen.iterator().next());
        assertThat(one.version()).isEqualTo(4);
        assertThat(one.variant()).isEqualTo(2);
        assertThat(UUID.fromString(new MessageIds().next()).getMostSignificantBits())
                .as("another intake (or a restart) draws another upper half")
                .isNotEqualTo(one.getMostSignificantBits());
    }
}
