package io.crmhub.connectors.crm;

import java.util.UUID;

/** The profile does not exist, or was erased. */
public class NoSuchProfileException extends IllegalArgumentException {

    private final UUID profileId;
    private final boolean erased;

    public NoSuchProfileException(UUID profileId, boolean erased) {
        super("profile " + profileId + (erased ? " was erased" : " does not exist"));
        this.profileId = profileId;
        this.erased = erased;
    }

    public UUID profileId() {
        return profileId;
    }

    public boolean erased() {
        return erased;
    }
}
