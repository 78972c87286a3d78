package io.crmhub.connectors.crm;

import java.util.List;

/**
 * A record carries an identifier of a person who was erased: a person erased is never re-created
 * from old data. Not retryable. The message names identifier types and hash prefixes only, never
 * the values.
 */
public class ErasedIdentityException extends RuntimeException {

    private final List<String> identityHashes;

    public ErasedIdentityException(String message, List<String> identityHashes) {
        super(message);
        this.identityHashes = List.copyOf(identityHashes);
    }

    /** SHA-256 hex hashes (type|namespace|value) that hit the erasure tombstone. */
    public List<String> identityHashes() {
        return identityHashes;
    }
}
