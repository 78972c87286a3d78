package io.crmhub.mappings.membership;

import io.crmhub.mappings.model.IdentityType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the columns of one membership database become a profile record: a mapping file under
 * {@code config/mappings/membership-*.properties}, read in order (so tier rules keep their order).
 * <pre>
 * identity.EMAIL      = Email              # identity type = field
 * attribute.firstName = profile.FirstName  # profile attribute = field (profile.* = aspnet_Profile property, claim.* = claim type)
 * status.approved     = IsApproved         # boolean field: false → UNAPPROVED
 * status.locked-out   = IsLockedOut        # boolean field: true → LOCKED_OUT
 * roles               = Roles              # extra field with role names separated by , or ;
 * tier.Premium        = PREMIUM            # role → tier; the first rule whose role the member has wins
 * default-tier        = STANDARD           # tier of members no rule matches
 * </pre>
 */
public final class MembershipMapping {

    private final Map<IdentityType, String> identities;
    private final Map<String, String> attributes;
    private final Map<String, String> tierRules;
    private final String defaultTier;
    private final String approvedField;
    private final String lockedOutField;
    private final String rolesField;

    public MembershipMapping(Map<IdentityType, String> identities, Map<String, String> attributes,
                             Map<String, String> tierRules, String defaultTier, String approvedField,
                             String lockedOutField, String rolesField) {
        this.identities = Collections.unmodifiableMap(new LinkedHashMap<>(identities));
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        LinkedHashMap<String, String> rules = new LinkedHashMap<>();
        tierRules.forEach((role, tier) -> rules.put(role.trim().toLowerCase(Locale.ROOT), tier.trim()));
        this.tierRules = Collections.unmodifiableMap(rules);
        this.defaultTier = blankToNull(defaultTier);
        this.approvedField = blankToNull(approvedField);
        this.lockedOutField = blankToNull(lockedOutField);
        this.rolesField = blankToNull(rolesField);
        for (IdentityType t : identities.keySet()) {
            if (t == IdentityType.MEMBER_ID) {
                throw new IllegalArgumentException("identity.MEMBER_ID is implied (the member id qualified by the source name)");
            }
        }
    }

    /** Parses a mapping file; unknown keys are an error naming the line. */
    public static MembershipMapping parse(Reader in) {
        Map<IdentityType, String> ids = new LinkedHashMap<>();
        Map<String, String> attrs = new LinkedHashMap<>();
        Map<String, String> tiers = new LinkedHashMap<>();
        String defaultTier = null;
        String approved = null;
        String locked = null;
        String roles = null;
        try (BufferedReader r = new BufferedReader(in)) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#") || t.startsWith("!")) {
                    continue;
                }
                int eq = indexOfSeparator(t);
                if (eq <= 0) {
                    throw new IllegalArgumentException("mapping line " + no + ": expected key = value, got '" + t + "'");
                }
                String key = t.substring(0, eq).strip();
                String value = stripComment(t.substring(eq + 1)).strip();
                if (key.startsWith("identity.")) {
                    String type = key.substring("identity.".length()).toUpperCase(Locale.ROOT);
                    try {
                        ids.put(IdentityType.valueOf(type), value);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("mapping line " + no + ": unknown identity type '" + type + "'");
                    }
                } else if (key.startsWith("attribute.")) {
                    attrs.put(key.substring("attribute.".length()), value);
                } else if (key.startsWith("tier.")) {
                    tiers.put(key.substring("tier.".length()), value);
                } else if (key.equals("default-tier")) {
                    defaultTier = value;
                } else if (key.equals("status.approved")) {
                    approved = value;
                } else if (key.equals("status.locked-out")) {
                    locked = value;
                } else if (key.equals("roles")) {
                    roles = value;
                } else {
                    throw new IllegalArgumentException("mapping line " + no + ": unknown key '" + key + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new MembershipMapping(ids, attrs, tiers, defaultTier, approved, locked, roles);
    }

    public static MembershipMapping parse(String text) {
        return parse(new StringReader(text));
    }

    /** This mapping with tier rules from configuration placed before the file's own (config wins). */
    public MembershipMapping withTierRules(Map<String, String> rules, String defaultTierOverride) {
        if ((rules == null || rules.isEmpty()) && blankToNull(defaultTierOverride) == null) {
            return this;
        }
        LinkedHashMap<String, String> merged = new LinkedHashMap<>();
        if (rules != null) {
            rules.forEach((k, v) -> merged.put(k.trim().toLowerCase(Locale.ROOT), v));
        }
        tierRules.forEach(merged::putIfAbsent);
        String dt = blankToNull(defaultTierOverride) != null ? defaultTierOverride : defaultTier;
        return new MembershipMapping(identities, attributes, merged, dt, approvedField, lockedOutField, rolesField);
    }

    /** The tier for these roles: the first rule (in order) whose role the member has, else the default tier. */
    public String tierFor(List<String> roles) {
        if (!roles.isEmpty()) {
            List<String> lower = new ArrayList<>(roles.size());
            for (String r : roles) {
                lower.add(r.trim().toLowerCase(Locale.ROOT));
            }
            for (Map.Entry<String, String> rule : tierRules.entrySet()) {
                if (lower.contains(rule.getKey())) {
                    return rule.getValue();
                }
            }
        }
        return defaultTier;
    }

    public Map<IdentityType, String> identities() {
        return identities;
    }

    public Map<String, String> attributes() {
        return attributes;
    }

    public Map<String, String> tierRules() {
        return tierRules;
    }

    public String defaultTier() {
        return defaultTier;
    }

    public String approvedField() {
        return approvedField;
    }

    public String lockedOutField() {
        return lockedOutField;
    }

    public String rolesField() {
        return rolesField;
    }

    /** Every field the mapping reads (for readers of arbitrary schemas to check against). */
    public List<String> fields() {
        List<String> f = new ArrayList<>(identities.values());
        f.addAll(attributes.values());
        for (String s : new String[]{approvedField, lockedOutField, rolesField}) {
            if (s != null) {
                f.add(s);
            }
        }
        return f;
    }

    private static int indexOfSeparator(String t) {
        int eq = t.indexOf('=');
        int colon = t.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }

    private static String stripComment(String v) {
        int hash = v.indexOf(" #");
        return hash < 0 ? v : v.substring(0, hash);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
