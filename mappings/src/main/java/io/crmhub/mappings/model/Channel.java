package io.crmhub.mappings.model;

/** Channels a person can consent to, or refuse, being reached on. */
public enum Channel {
    EMAIL, SMS, PHONE, ADS, PERSONALISATION
}
