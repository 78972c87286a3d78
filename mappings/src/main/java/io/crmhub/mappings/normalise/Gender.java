package io.crmhub.mappings.normalise;

/** Canonical gender values, stored as the enum name in the {@code gender} attribute. */
public enum Gender {
    MALE, FEMALE, OTHER, UNKNOWN
}
