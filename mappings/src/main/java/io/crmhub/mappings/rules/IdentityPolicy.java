package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Guards of identity resolution.
 * <ul>
 *   <li>Role mailboxes ({@code info@}, {@code sales@} ...) are shared by many people: they never
 *       cause a merge.</li>
 *   <li>An identifier already presented with more than {@link #maxProfilesPerIdentifier()} distinct
 *       live profiles is shared (a family e-mail, a shop's phone): it never causes a merge.</li>
 *   <li>Types in {@link #uniquePerProfileTypes()} identify exactly one person per namespace: two
 *       profiles each holding a different value of such a type (same namespace) are never merged,
 *       and a profile never gets a second value of it.</li>
 *   <li>{@link #strength(IdentityType)} orders types when the record has to go to one profile.</li>
 * </ul>
 * Immutable; use the {@code with...} methods to derive a configured copy.
 */
public final class IdentityPolicy {

    public static final List<String> DEFAULT_ROLE_MAILBOXES = List.of("info", "sales", "noreply", "no-reply",
            "support", "contact", "admin", "office", "hello", "marketing", "team", "billing", "postmaster",
            "mailer-daemon", "webmaster");
    public static final int DEFAULT_MAX_PROFILES_PER_IDENTIFIER = 3;
    public static final Set<IdentityType> DEFAULT_UNIQUE_PER_PROFILE = Set.copyOf(EnumSet.of(IdentityType.CRM_ID,
            IdentityType.MEMBER_ID, IdentityType.ECOM_CUSTOMER_ID, IdentityType.EXTERNAL_ID));
    /** Strongest first. */
    public static final List<IdentityType> DEFAULT_STRENGTH = List.of(IdentityType.CRM_ID, IdentityType.MEMBER_ID,
            IdentityType.ECOM_CUSTOMER_ID, IdentityType.EXTERNAL_ID, IdentityType.EMAIL, IdentityType.PHONE,
            IdentityType.ANONYMOUS_ID);

    private final Set<String> roleMailboxes;
    private final int maxProfilesPerIdentifier;
    private final Set<IdentityType> uniquePerProfileTypes;
    private final List<IdentityType> strengthOrder;
    private final Map<IdentityType, Integer> strength;

    public IdentityPolicy(Collection<String> roleMailboxes, int maxProfilesPerIdentifier,
                          Collection<IdentityType> uniquePerProfileTypes, List<IdentityType> strengthOrder) {
        if (maxProfilesPerIdentifier < 1) {
            throw new IllegalArgumentException("maxProfilesPerIdentifier must be >= 1, got " + maxProfilesPerIdentifier);
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String r : roleMailboxes == null ? List.<String>of() : roleMailboxes) {
            if (r != null && !r.isBlank()) {
                roles.add(r.trim().toLowerCase(Locale.ROOT));
            }
        }
        this.roleMailboxes = Set.copyOf(roles);
        this.maxProfilesPerIdentifier = maxProfilesPerIdentifier;
        this.uniquePerProfileTypes = uniquePerProfileTypes == null || uniquePerProfileTypes.isEmpty()
                ? Set.of() : Set.copyOf(EnumSet.copyOf(uniquePerProfileTypes));
        List<IdentityType> order = new ArrayList<>(new LinkedHashSet<>(
                strengthOrder == null ? DEFAULT_STRENGTH : strengthOrder));
        for (IdentityType t : IdentityType.values()) {
            if (!order.contains(t)) {
                order.add(t);
            }
        }
        this.strengthOrder = List.copyOf(order);
        Map<IdentityType, Integer> s = new EnumMap<>(IdentityType.class);
        for (int i = 0; i < order.size(); i++) {
            s.put(order.get(i), order.size() - i);
        }
        this.strength = s;
    }

    public static IdentityPolicy defaults() {
        return new IdentityPolicy(DEFAULT_ROLE_MAILBOXES, DEFAULT_MAX_PROFILES_PER_IDENTIFIER,
                DEFAULT_UNIQUE_PER_PROFILE, DEFAULT_STRENGTH);
    }

    public IdentityPolicy withRoleMailboxes(Collection<String> localParts) {
        return new IdentityPolicy(localParts, maxProfilesPerIdentifier, uniquePerProfileTypes, strengthOrder);
    }

    public IdentityPolicy withMaxProfilesPerIdentifier(int n) {
        return new IdentityPolicy(roleMailboxes, n, uniquePerProfileTypes, strengthOrder);
    }

    public IdentityPolicy withUniquePerProfileTypes(Collection<IdentityType> types) {
        return new IdentityPolicy(roleMailboxes, maxProfilesPerIdentifier, types, strengthOrder);
    }

    public IdentityPolicy withStrengthOrder(List<IdentityType> strongestFirst) {
        return new IdentityPolicy(roleMailboxes, maxProfilesPerIdentifier, uniquePerProfileTypes, strongestFirst);
    }

    public Set<String> roleMailboxes() {
        return roleMailboxes;
    }

    public int maxProfilesPerIdentifier() {
        return maxProfilesPerIdentifier;
    }

    public Set<IdentityType> uniquePerProfileTypes() {
        return uniquePerProfileTypes;
    }

    public List<IdentityType> strengthOrder() {
        return strengthOrder;
    }

    /**
     * An e-mail whose local part (lower-cased, a {@code +tag} removed) is a role mailbox,
     * e.g. {@code info@acme.com}, {@code Sales+eu@acme.com}.
     */
    public boolean isRoleMailbox(Identity identity) {
        if (identity == null || identity.type() != IdentityType.EMAIL) {
            return false;
        }
        String v = identity.value();
        int at = v.lastIndexOf('@');
        if (at <= 0) {
            return false;
        }
        String local = v.substring(0, at).trim().toLowerCase(Locale.ROOT);
        int plus = local.indexOf('+');
        if (plus > 0) {
            local = local.substring(0, plus);
        }
        return roleMailboxes.contains(local);
    }

    /** True when an identifier presented with {@code distinctLiveProfiles} profiles must not merge them. */
    public boolean isOverShared(int distinctLiveProfiles) {
        return distinctLiveProfiles > maxProfilesPerIdentifier;
    }

    /** True when the identifier never causes a merge by itself (role mailbox or over-shared). */
    public boolean isGuarded(Identity identity, int distinctLiveProfiles) {
        return isRoleMailbox(identity) || isOverShared(distinctLiveProfiles);
    }

    public boolean isUniquePerProfile(IdentityType type) {
        return uniquePerProfileTypes.contains(type);
    }

    public boolean isUniquePerProfile(Identity identity) {
        return identity != null && isUniquePerProfile(identity.type());
    }

    /** Higher is stronger. */
    public int strength(IdentityType type) {
        return strength.getOrDefault(type, 0);
    }

    /** True when both are of the same unique-per-profile type and namespace but differ in value. */
    public boolean conflicts(Identity a, Identity b) {
        return isUniquePerProfile(a) && a.type() == b.type() && a.namespace().equals(b.namespace())
                && !a.value().equals(b.value());
    }

    @Override
    public String toString() {
        return "IdentityPolicy{roleMailboxes=" + roleMailboxes.size() + ", maxProfilesPerIdentifier="
                + maxProfilesPerIdentifier + ", uniquePerProfileTypes=" + uniquePerProfileTypes + "}";
    }
}
