package io.crmhub.routes.clickstream;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

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
}
