package io.crmhub.mappings.model;

public enum ConsentStatus {
    OPT_IN, OPT_OUT, UNKNOWN
}
