package io.crmhub.mappings.model;

import java.util.Locale;

/** What a marketing list holds; one type per list. */
public enum MemberType {
    LEAD, CONTACT, ACCOUNT;

    public static MemberType parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("member type must be lead, contact or account, got '" + s + "'");
        }
    }
}
