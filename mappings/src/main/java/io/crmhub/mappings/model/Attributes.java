package io.crmhub.mappings.model;

import java.util.Set;

/**
 * Names of the canonical profile attributes. Attributes are stored by name, so sources may
 * carry others too (kept as they come), but these are the ones mapping files and normalisers know.
 */
public final class Attributes {
    public static final String FIRST_NAME = "firstName";
    public static final String LAST_NAME = "lastName";
    public static final String FULL_NAME = "fullName";
    public static final String BIRTH_DATE = "birthDate";
    public static final String GENDER = "gender";
    public static final String ADDRESS = "address";
    public static final String CITY = "city";
    public static final String POSTAL_CODE = "postalCode";
    public static final String REGION = "region";
    public static final String COUNTRY = "country";
    public static final String LANGUAGE = "language";
    public static final String TIME_ZONE = "timeZone";
    public static final String MEMBERSHIP_TIER = "membershipTier";
    public static final String MEMBERSHIP_STATUS = "membershipStatus";
    public static final String COMPANY = "company";
    public static final String JOB_TITLE = "jobTitle";

    public static final Set<String> CANONICAL = Set.of(FIRST_NAME, LAST_NAME, FULL_NAME, BIRTH_DATE,
            GENDER, ADDRESS, CITY, POSTAL_CODE, REGION, COUNTRY, LANGUAGE, TIME_ZONE, MEMBERSHIP_TIER,
            MEMBERSHIP_STATUS, COMPANY, JOB_TITLE);

    private Attributes() {
    }
}
