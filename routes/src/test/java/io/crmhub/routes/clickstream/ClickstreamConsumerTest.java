package io.crmhub.routes.clickstream;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.sql.SQLException;
import java.time.Duration;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which batch failures the consumer waits out (never quarantining events) and which it isolates. */
class ClickstreamConsumerTest {

    @Test
    void databaseAndConnectionFaultsAreWaitedOut() {
        assertThat(ClickstreamConsumer.retryable(new CannotCreateTransactionException("no connection",
                new SQLTransientConnectionException("down", "08001")))).isTrue();
        assertThat(ClickstreamConsumer.retryable(new TransactionSystemException("commit failed",
                new SQLException("This connection has been closed.", "08003")))).isTrue();
        assertThat(ClickstreamConsumer.retryable(new RuntimeException(new SQLException("terminating connection", "57P01"))))
                .isTrue();
        assertThat(ClickstreamConsumer.retryable(new RuntimeException(new SQLException("deadlock", "40P01")))).isTrue();
    }

    @Test
    void dataErrorsAndBugsAreNot() {
        assertThat(ClickstreamConsumer.retryable(new DataIntegrityViolationException("constraint",
                new SQLException("value too long", "22001")))).isFalse();
        assertThat(ClickstreamConsumer.retryable(new IllegalStateException("bug"))).isFalse();
        assertThat(ClickstreamConsumer.retryable(new IllegalArgumentException("bad"))).isFalse();
    }

    @Test
    void fetchSettingsOutsideTheirRangeAreRefusedAtStartWithTheirName() {
        assertThat(source(1, Duration.ZERO).fetchMinBytes()).isEqualTo(1);
        assertThat(source(1024 * 1024, Duration.ofSeconds(10)).fetchMaxWait()).isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> source(0, Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fetch-min-bytes");
        assertThatThrownBy(() -> source(1024, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fetch-max-wait");
        assertThatThrownBy(() -> source(1024, Duration.ofSeconds(31)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fetch-max-wait");
    }

    private static ClickstreamConsumer.Source source(int fetchMinBytes, Duration fetchMaxWait) {
        return new ClickstreamConsumer.Source("localhost:9092", "hub.clickstream", "g", 1, 5000, Duration.ofMillis(500),
                fetchMinBytes, fetchMaxWait, Duration.ofMillis(500), Duration.ofSeconds(30));
    }
}
