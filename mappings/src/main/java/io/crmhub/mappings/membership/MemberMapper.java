package io.crmhub.mappings.membership;

import io.crmhub.mappings.model.Attributes;
import io.crmhub.mappings.model.Hashes;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Maps a {@link MemberRow} of one membership source to a (raw, not yet normalised) profile record:
 * the member id as {@code MEMBER_ID} qualified by the source name, the mapped identities and
 * attributes, {@code membershipTier} from the role rules and {@code membershipStatus} from the
 * approved / locked-out flags. The {@link Mapped#fingerprint()} changes exactly when what the hub
 * would write changes, so unchanged members are skipped.
 */
public final class MemberMapper {

    /** Fields of the raw ASP.NET profile bag; decoded into {@code profile.<Name>} fields. */
    public static final String PROPERTY_NAMES = "PropertyNames";
    public static final String PROPERTY_VALUES_STRING = "PropertyValuesString";
    public static final String PROPERTY_VALUES_BINARY = "PropertyValuesBinary";
    public static final String PROFILE_PREFIX = "profile.";

    private final String sourceName;
    private final String recordSource;
    private final MembershipMapping mapping;

    /**
     * @param sourceName   the configured source name: the namespace of its MEMBER_IDs
     * @param recordSource the source the profile attributes are attributed to (survivorship), e.g. "membership"
     */
    public MemberMapper(String sourceName, String recordSource, MembershipMapping mapping) {
        if (sourceName == null || sourceName.isBlank()) {
            throw new IllegalArgumentException("source name must not be blank");
        }
        this.sourceName = sourceName;
        this.recordSource = recordSource == null || recordSource.isBlank() ? "membership" : recordSource;
        this.mapping = mapping;
    }

    /** A mapped member. */
    public record Mapped(String memberId, ProfileRecord record, String tier, String status, String fingerprint) {
    }

    /**
     * @throws IllegalArgumentException (an {@link AspNetProfileDecoder.DecodeException} for a
     *                                  malformed profile bag) when the row cannot be mapped
     */
    public Mapped map(MemberRow row) {
        if (row.memberId().isBlank()) {
            throw new IllegalArgumentException("member without an id");
        }
        Map<String, String> fields = withDecodedProfile(row);
        List<String> roles = roles(row, fields);
        String status = status(fields);
        String tier = mapping.tierFor(roles);

        List<Identity> ids = new ArrayList<>(1 + mapping.identities().size());
        ids.add(Identity.of(IdentityType.MEMBER_ID, sourceName, row.memberId().trim()));
        mapping.identities().forEach((type, field) -> {
            String v = fields.get(field);
            if (v != null && !v.isBlank()) {
                ids.add(new Identity(type, type.qualified() ? sourceName : "", v));
            }
        });
        Map<String, String> attrs = new LinkedHashMap<>();
        mapping.attributes().forEach((name, field) -> {
            String v = fields.get(field);
            if (v != null && !v.isBlank()) {
                attrs.put(name, v);
            }
        });
        if (tier != null) {
            attrs.put(Attributes.MEMBERSHIP_TIER, tier);
        }
        attrs.put(Attributes.MEMBERSHIP_STATUS, status);
        Instant observed = row.changedAt() == null ? Instant.now() : row.changedAt();
        ProfileRecord record = new ProfileRecord(recordSource, observed, ids, attrs, List.of());
        return new Mapped(row.memberId().trim(), record, tier, status, fingerprint(ids, attrs));
    }

    /** The record that marks a member as gone from its source. */
    public ProfileRecord deleted(String memberId, Instant at) {
        return new ProfileRecord(recordSource, at, List.of(Identity.of(IdentityType.MEMBER_ID, sourceName, memberId)),
                Map.of(Attributes.MEMBERSHIP_STATUS, MembershipStatus.DELETED), List.of());
    }

    public String sourceName() {
        return sourceName;
    }

    public MembershipMapping mapping() {
        return mapping;
    }

    static Map<String, String> withDecodedProfile(MemberRow row) {
        String names = row.field(PROPERTY_NAMES);
        if (names == null || names.isEmpty()) {
            return row.fields();
        }
        String bin = row.field(PROPERTY_VALUES_BINARY);
        byte[] bytes = bin == null ? null : Base64.getDecoder().decode(bin);
        Map<String, String> out = new LinkedHashMap<>(row.fields());
        AspNetProfileDecoder.decode(names, row.field(PROPERTY_VALUES_STRING), bytes).forEach((name, p) -> {
            if (!p.isNull()) {
                out.put(PROFILE_PREFIX + name, p.asText());
            }
        });
        return out;
    }

    private List<String> roles(MemberRow row, Map<String, String> fields) {
        if (mapping.rolesField() == null) {
            return row.roles();
        }
        String v = fields.get(mapping.rolesField());
        if (v == null || v.isBlank()) {
            return row.roles();
        }
        List<String> all = new ArrayList<>(row.roles());
        for (String r : v.split("[,;]")) {
            if (!r.isBlank()) {
                all.add(r.strip());
            }
        }
        return all;
    }

    private String status(Map<String, String> fields) {
        if (mapping.lockedOutField() != null && truthy(fields.get(mapping.lockedOutField()), mapping.lockedOutField())) {
            return MembershipStatus.LOCKED_OUT;
        }
        if (mapping.approvedField() != null) {
            String v = fields.get(mapping.approvedField());
            if (v != null && !truthy(v, mapping.approvedField())) {
                return MembershipStatus.UNAPPROVED;
            }
        }
        return MembershipStatus.ACTIVE;
    }

    /** 1/0, true/false, yes/no, y/n (any case); null is false; anything else is an error naming the field. */
    static boolean truthy(String v, String field) {
        if (v == null) {
            return false;
        }
        switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true", "t", "yes", "y", "-1" -> {
                return true;
            }
            case "0", "false", "f", "no", "n", "" -> {
                return false;
            }
            default -> throw new IllegalArgumentException("field " + field + " is not a boolean: '" + v + "'");
        }
    }

    private static String fingerprint(List<Identity> ids, Map<String, String> attrs) {
        StringBuilder sb = new StringBuilder(256);
        List<String> keys = new ArrayList<>(ids.size());
        for (Identity i : ids) {
            keys.add(i.key());
        }
        keys.sort(null);
        for (String k : keys) {
            sb.append(k).append('\u0001');
        }
        sb.append('\u0002');
        new TreeMap<>(attrs).forEach((k, v) -> sb.append(k).append('\u0001').append(v).append('\u0001'));
        byte[] d = Hashes.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 16);
    }
}
