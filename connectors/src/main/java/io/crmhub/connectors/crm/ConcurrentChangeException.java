package io.crmhub.connectors.crm;

import org.springframework.dao.ConcurrencyFailureException;

/**
 * Another transaction changed what this one was about to decide on (an identifier claimed first,
 * a profile merged or changed between lookup and lock). The store retries on it; it only reaches
 * a caller when the bounded attempts are used up, and the whole call may then be retried.
 */
public class ConcurrentChangeException extends ConcurrencyFailureException {

    public ConcurrentChangeException(String msg) {
        super(msg);
    }
}
