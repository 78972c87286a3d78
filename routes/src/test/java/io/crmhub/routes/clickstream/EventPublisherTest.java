package io.crmhub.routes.clickstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventPublisherTest {

    @Test
    void anUnknownCompressionStopsTheStartNamingTheSetting() {
        assertThatThrownBy(() -> new EventPublisher("127.0.0.1:9", "t", Duration.ofSeconds(1), Duration.ofMillis(2), "lz5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hub.clickstream.rest.compression").hasMessageContaining("lz4");
    }
}
