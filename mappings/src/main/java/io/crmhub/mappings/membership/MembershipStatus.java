package io.crmhub.mappings.membership;

/** Values of the {@code membershipStatus} attribute a membership source sets. */
public final class MembershipStatus {
    public static final String ACTIVE = "ACTIVE";
    /** Registered but not (yet) approved / confirmed. */
    public static final String UNAPPROVED = "UNAPPROVED";
    public static final String LOCKED_OUT = "LOCKED_OUT";
    /** Gone from the membership database (found by reconciliation). */
    public static final String DELETED = "DELETED";

    private MembershipStatus() {
    }
}
