package io.crmhub.connectors.membership;

/** A membership database could not be read (connection, SQL, configuration that does not fit the schema). */
public class MembershipSourceException extends RuntimeException {
    public MembershipSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
