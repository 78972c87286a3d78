package io.crmhub.connectors.lists;

import io.crmhub.mappings.model.Attributes;

import java.util.Locale;
import java.util.Set;

/** The fields a list column can be mapped to. */
public final class ListColumns {

    public static final String EMAIL = "email";
    public static final String PHONE = "phone";
    public static final String MOBILE = "mobile";
    public static final String EXTERNAL_ID = "externalId";
    public static final String CRM_ID = "crmId";
    public static final String OPT_IN = "optIn";
    public static final String OPT_IN_DATE = "optInDate";
    public static final String OPT_OUT = "optOut";
    /** A date in it says the person opted out (or was cleaned, as a bounced address) then. */
    public static final String OPT_OUT_DATE = "optOutDate";
    public static final String IGNORE = "ignore";

    public static final Set<String> SPECIAL = Set.of(EMAIL, PHONE, MOBILE, EXTERNAL_ID, CRM_ID, OPT_IN, OPT_IN_DATE,
            OPT_OUT, OPT_OUT_DATE, IGNORE);

    private ListColumns() {
    }

    /**
     * The target's canonical spelling: the known ones match ignoring case, spaces and punctuation ("last_name",
     * "Last Name" and "lastname" are lastName, "opt-in date" optInDate); others are kept as given (custom attributes).
     */
    public static String canonicalTarget(String target) {
        String t = target.trim();
        String k = ColumnAliases.key(t);
        for (String s : SPECIAL) {
            if (s.equalsIgnoreCase(t) || ColumnAliases.key(s).equals(k)) {
                return s;
            }
        }
        for (String a : Attributes.CANONICAL) {
            if (a.equalsIgnoreCase(t) || ColumnAliases.key(a).equals(k)) {
                return a;
            }
        }
        return t;
    }

    public static boolean known(String target) {
        return SPECIAL.contains(target) || Attributes.CANONICAL.contains(target);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
