package io.crmhub.connectors.crm;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class ProfileIdsTest {

    @Test
    void versionSevenLayoutWithTheTimeFirst() {
        long ms = 1_796_000_000_123L;
        UUID id = ProfileIds.at(ms);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(ms);
    }

    @Test
    void laterIdsSortAfterEarlierOnesAsPostgresComparesThem() {
        // PostgreSQL compares uuids as unsigned bytes: the string form sorts the same way
        String earlier = ProfileIds.at(1_796_000_000_000L).toString();
        String later = ProfileIds.at(1_796_000_000_001L).toString();
        assertThat(earlier).isLessThan(later);
    }

    @Test
    void idsOfTheSameMillisecondStayDistinct() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(ProfileIds.at(1_796_000_000_000L));
        }
        assertThat(ids).hasSize(10_000);
    }
}
