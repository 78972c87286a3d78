package io.crmhub.mappings.membership;

import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemberMapperTest {

    static final String MAPPING = """
            # membership-aspnet
            identity.EMAIL      = Email
            identity.PHONE      = profile.Phone
            attribute.firstName = profile.FirstName
            attribute.lastName  = profile.LastName
            attribute.birthDate = profile.BirthDate
            attribute.city: profile.City
            status.approved     = IsApproved
            status.locked-out   = IsLockedOut
            tier.Premium        = PREMIUM   # highest first
            tier.Gold           = GOLD
            default-tier        = STANDARD
            """;

    MembershipMapping mapping = MembershipMapping.parse(MAPPING);
    MemberMapper mapper = new MemberMapper("website", "membership", mapping);

    MemberRow row(List<String> roles, String approved, String locked) {
        String[] bag = AspNetProfileDecoder.encodeStrings(new LinkedHashMap<>(Map.of("FirstName", "ANN", "LastName", "smith",
                "City", "Köln")));
        Map<String, String> f = new LinkedHashMap<>();
        f.put("UserName", "ann");
        f.put("Email", "Ann.Smith@Example.com");
        f.put("IsApproved", approved);
        f.put("IsLockedOut", locked);
        f.put("PropertyNames", bag[0]);
        f.put("PropertyValuesString", bag[1]);
        return new MemberRow("6F9619FF-8B86-D011-B42D-00C04FC964FF", Instant.parse("2026-11-01T09:30:00Z"), f, roles);
    }

    @Test
    void mapsIdentitiesAttributesTierAndStatus() {
        MemberMapper.Mapped m = mapper.map(row(List.of("Gold", "premium"), "1", "0"));
        assertThat(m.record().identities()).containsExactly(
                Identity.of(IdentityType.MEMBER_ID, "website", "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
                Identity.of(IdentityType.EMAIL, "Ann.Smith@Example.com"));
        assertThat(m.record().attributes()).containsEntry("firstName", "ANN").containsEntry("lastName", "smith")
                .containsEntry("city", "Köln").containsEntry("membershipTier", "PREMIUM")
                .containsEntry("membershipStatus", "ACTIVE").doesNotContainKey("birthDate");
        assertThat(m.record().source()).isEqualTo("membership");
        assertThat(m.record().observedAt()).isEqualTo(Instant.parse("2026-11-01T09:30:00Z"));
        assertThat(m.tier()).isEqualTo("PREMIUM");
    }

    @Test
    void tierRulesInOrderThenDefault() {
        assertThat(mapper.map(row(List.of("Gold"), "true", "false")).tier()).isEqualTo("GOLD");
        assertThat(mapper.map(row(List.of("Editors"), "true", "false")).tier()).isEqualTo("STANDARD");
        MemberMapper configured = new MemberMapper("website", null, mapping.withTierRules(Map.of("Editors", "STAFF"), null));
        assertThat(configured.map(row(List.of("Editors", "Premium"), "1", "0")).tier()).isEqualTo("STAFF");
    }

    @Test
    void lockedOutWinsOverUnapproved() {
        assertThat(mapper.map(row(List.of(), "0", "0")).status()).isEqualTo(MembershipStatus.UNAPPROVED);
        assertThat(mapper.map(row(List.of(), "0", "1")).status()).isEqualTo(MembershipStatus.LOCKED_OUT);
        assertThat(mapper.map(row(List.of(), "true", "true")).status()).isEqualTo(MembershipStatus.LOCKED_OUT);
    }

    @Test
    void fingerprintFollowsWhatIsWritten() {
        String a = mapper.map(row(List.of("Gold"), "1", "0")).fingerprint();
        assertThat(mapper.map(row(List.of("Gold"), "1", "0")).fingerprint()).isEqualTo(a);
        assertThat(mapper.map(row(List.of("Premium"), "1", "0")).fingerprint()).isNotEqualTo(a);
        assertThat(mapper.map(row(List.of("Gold"), "1", "1")).fingerprint()).isNotEqualTo(a);
        // a column the mapping does not use changes nothing
        MemberRow r = row(List.of("Gold"), "1", "0");
        Map<String, String> f = new LinkedHashMap<>(r.fields());
        f.put("LastLoginDate", "2026-11-30T10:00:00Z");
        assertThat(mapper.map(new MemberRow(r.memberId(), r.changedAt(), f, r.roles())).fingerprint()).isEqualTo(a);
    }

    @Test
    void badRowsFailWithTheReason() {
        MemberRow r = row(List.of(), "1", "0");
        Map<String, String> f = new LinkedHashMap<>(r.fields());
        f.put("PropertyNames", "FirstName:S:0:99:");
        assertThatThrownBy(() -> mapper.map(new MemberRow(r.memberId(), r.changedAt(), f, List.of())))
                .isInstanceOf(AspNetProfileDecoder.DecodeException.class).hasMessageContaining("FirstName");
        f.put("PropertyNames", r.field("PropertyNames"));
        f.put("IsApproved", "perhaps");
        assertThatThrownBy(() -> mapper.map(new MemberRow(r.memberId(), r.changedAt(), f, List.of())))
                .hasMessageContaining("IsApproved is not a boolean");
    }

    @Test
    void sqlSourcesTakeRolesFromAColumn() {
        MembershipMapping m = MembershipMapping.parse("identity.EMAIL = MAIL\nroles = PLAN\ntier.gold = GOLD\ndefault-tier = BASIC\n");
        MemberMapper sql = new MemberMapper("legacy", null, m);
        MemberRow r = new MemberRow("17", null, Map.of("MAIL", "x@example.org", "PLAN", "silver; Gold"), List.of());
        assertThat(sql.map(r).tier()).isEqualTo("GOLD");
        assertThat(sql.map(r).record().identities()).contains(Identity.of(IdentityType.MEMBER_ID, "legacy", "17"));
    }

    @Test
    void mappingFileErrorsNameTheLine() {
        assertThatThrownBy(() -> MembershipMapping.parse("identity.EMAIL = Email\nattributes.x = y\n"))
                .hasMessageContaining("line 2").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> MembershipMapping.parse("identity.SHOE = Size\n")).hasMessageContaining("unknown identity type");
        assertThatThrownBy(() -> MembershipMapping.parse("identity.MEMBER_ID = UserId\n")).hasMessageContaining("implied");
    }

    @Test
    void deletedRecordCarriesOnlyTheMemberIdAndStatus() {
        var r = mapper.deleted("42", Instant.EPOCH);
        assertThat(r.identities()).containsExactly(Identity.of(IdentityType.MEMBER_ID, "website", "42"));
        assertThat(r.attributes()).containsExactly(Map.entry("membershipStatus", "DELETED"));
    }
}
