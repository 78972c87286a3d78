package io.crmhub.mappings.model;

/** Kinds of entries on a profile's timeline. Channels may use others; these are the known ones. */
public final class InteractionType {
    public static final String PROFILE_CREATED = "profile.created";
    public static final String PROFILE_MERGED = "profile.merged";
    public static final String CONSENT_CHANGED = "consent.changed";
    public static final String LIST_ADDED = "list.added";
    public static final String PAGE_VIEW = "web.page";
    public static final String TRACK = "web.track";
    public static final String AD_CLICK = "ad.click";
    public static final String PURCHASE = "ecommerce.purchase";
    public static final String REFUND = "ecommerce.refund";
    public static final String EMAIL_IN = "email.inbound";
    public static final String EMAIL_OUT = "email.outbound";
    public static final String CASE = "service.case";
    public static final String MEMBERSHIP = "membership.change";

    private InteractionType() {
    }
}
