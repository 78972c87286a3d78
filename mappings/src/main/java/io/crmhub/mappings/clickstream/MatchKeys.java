package io.crmhub.mappings.clickstream;

import io.crmhub.mappings.model.Hashes;
import io.crmhub.mappings.normalise.EmailNormaliser;
import io.crmhub.mappings.normalise.PhoneNormaliser;
import io.crmhub.mappings.normalise.Result;


/**
 * Hashed match keys for ad platforms, by Google Customer Match's rules: e-mail trimmed and
 * lower-cased, for gmail.com / googlemail.com the dots (and a +tag) removed from the local part;
 * phone in E.164 with the leading '+'; then SHA-256, lower-case hex. Thread-safe.
 */
public final class MatchKeys {

    private final EmailNormaliser emails = new EmailNormaliser();
    private final PhoneNormaliser phones;

    public MatchKeys(String defaultRegion) {
        this.phones = new PhoneNormaliser(defaultRegion);
    }

    /** SHA-256 of the normalised e-mail, or null when it is not a valid address. */
    public String email(String raw) {
        Result<String> key = emails.matchKey(raw);
        return key.isOk() ? sha256(key.value()) : null;
    }

    /** SHA-256 of the E.164 phone number, or null when it is not a valid number. */
    public String phone(String raw) {
        Result<String> e164 = phones.normalise(raw);
        return e164.isOk() ? sha256(e164.value()) : null;
    }

    public static String sha256(String value) {
        return Hashes.sha256Hex(value);
    }
}
