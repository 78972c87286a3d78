package io.crmhub.mappings.model;

/**
 * Kinds of identifier a customer can be known by.
 * <p>
 * Types marked {@link #qualified()} are only meaningful together with a namespace naming the
 * system that issued them (for example the membership source "website" or the shop "shop-eu"):
 * member 42 of one website is not member 42 of another.
 */
public enum IdentityType {
    EMAIL(false),
    PHONE(false),
    MEMBER_ID(true),
    ECOM_CUSTOMER_ID(true),
    ANONYMOUS_ID(false),
    CRM_ID(false),
    /** Any other id issued by a named source system (userId of a web app, partner id ...). */
    EXTERNAL_ID(true);

    private final boolean qualified;

    IdentityType(boolean qualified) {
        this.qualified = qualified;
    }

    public boolean qualified() {
        return qualified;
    }
}
