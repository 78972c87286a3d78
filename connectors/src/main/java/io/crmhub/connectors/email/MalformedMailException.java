package io.crmhub.connectors.email;

/** A message the hub cannot use (no sender, too large, unreadable): it is quarantined with this reason. */
public class MalformedMailException extends IllegalArgumentException {
    public MalformedMailException(String message) {
        super(message);
    }

    public MalformedMailException(String message, Throwable cause) {
        super(message, cause);
    }
}
