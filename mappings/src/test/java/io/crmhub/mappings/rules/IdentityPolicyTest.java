package io.crmhub.mappings.rules;

import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdentityPolicyTest {

    private final IdentityPolicy policy = IdentityPolicy.defaults();

    @Test
    void roleMailboxes() {
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "info@acme.com"))).isTrue();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "No-Reply@acme.com"))).isTrue();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "sales+eu@acme.com"))).isTrue();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "mailer-daemon@acme.com"))).isTrue();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "jane@acme.com"))).isFalse();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "information@acme.com"))).isFalse();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.PHONE, "info@acme.com"))).isFalse();
        assertThat(policy.isRoleMailbox(Identity.of(IdentityType.EMAIL, "not-an-email"))).isFalse();
        IdentityPolicy custom = policy.withRoleMailboxes(List.of("Reception"));
        assertThat(custom.isRoleMailbox(Identity.of(IdentityType.EMAIL, "reception@x.org"))).isTrue();
        assertThat(custom.isRoleMailbox(Identity.of(IdentityType.EMAIL, "info@x.org"))).isFalse();
    }

    @Test
    void overShared() {
        assertThat(policy.maxProfilesPerIdentifier()).isEqualTo(3);
        assertThat(policy.isOverShared(3)).isFalse();
        assertThat(policy.isOverShared(4)).isTrue();
        assertThat(policy.withMaxProfilesPerIdentifier(1).isOverShared(2)).isTrue();
        assertThat(policy.isGuarded(Identity.of(IdentityType.EMAIL, "jo@x.org"), 4)).isTrue();
        assertThat(policy.isGuarded(Identity.of(IdentityType.EMAIL, "jo@x.org"), 1)).isFalse();
        assertThatThrownBy(() -> policy.withMaxProfilesPerIdentifier(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uniquePerProfileTypesAndConflicts() {
        assertThat(policy.uniquePerProfileTypes()).isEqualTo(Set.of(IdentityType.CRM_ID, IdentityType.MEMBER_ID,
                IdentityType.ECOM_CUSTOMER_ID, IdentityType.EXTERNAL_ID));
        Identity m1 = Identity.of(IdentityType.MEMBER_ID, "web", "1");
        Identity m2 = Identity.of(IdentityType.MEMBER_ID, "web", "2");
        Identity m2other = Identity.of(IdentityType.MEMBER_ID, "app", "2");
        assertThat(policy.conflicts(m1, m2)).isTrue();
        assertThat(policy.conflicts(m1, m1)).isFalse();
        assertThat(policy.conflicts(m1, m2other)).isFalse();
        assertThat(policy.conflicts(Identity.of(IdentityType.EMAIL, "a@x"), Identity.of(IdentityType.EMAIL, "b@x")))
                .isFalse();
        assertThat(policy.withUniquePerProfileTypes(List.of(IdentityType.EMAIL))
                .conflicts(Identity.of(IdentityType.EMAIL, "a@x"), Identity.of(IdentityType.EMAIL, "b@x"))).isTrue();
    }

    @Test
    void strength() {
        assertThat(policy.strength(IdentityType.CRM_ID)).isGreaterThan(policy.strength(IdentityType.MEMBER_ID));
        assertThat(policy.strength(IdentityType.EMAIL)).isGreaterThan(policy.strength(IdentityType.PHONE));
        assertThat(policy.strength(IdentityType.PHONE)).isGreaterThan(policy.strength(IdentityType.ANONYMOUS_ID));
        IdentityPolicy emailFirst = policy.withStrengthOrder(List.of(IdentityType.EMAIL));
        assertThat(emailFirst.strength(IdentityType.EMAIL)).isGreaterThan(emailFirst.strength(IdentityType.CRM_ID));
    }
}
