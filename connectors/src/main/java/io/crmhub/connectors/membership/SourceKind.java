package io.crmhub.connectors.membership;

import java.util.Locale;

/** Schemas a membership source can have. */
public enum SourceKind {
    /** ASP.NET 2.0 SqlMembershipProvider / SqlProfileProvider / SqlRoleProvider tables (aspnet_*). */
    ASPNET_MEMBERSHIP("aspnet-membership"),
    /** ASP.NET Core Identity tables (AspNetUsers, AspNetRoles, AspNetUserRoles, AspNetUserClaims). */
    ASPNETCORE_IDENTITY("aspnetcore-identity"),
    /** Any schema: a SELECT from configuration and a column mapping. */
    SQL("sql");

    private final String configName;

    SourceKind(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static SourceKind parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (SourceKind k : values()) {
            if (k.configName.equals(v)) {
                return k;
            }
        }
        throw new IllegalArgumentException("membership source kind must be aspnet-membership, aspnetcore-identity or sql, got '"
                + s + "'");
    }
}
