package io.crmhub.mappings.normalise;

import io.crmhub.mappings.model.Attributes;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.ProfileRecord;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns a raw {@link ProfileRecord} into its normalised copy.
 * <ul>
 * <li>Identities: EMAIL through {@link EmailNormaliser}, PHONE through {@link PhoneNormaliser}
 * (E.164), all other types trimmed; namespaces trimmed. Blank values are dropped silently,
 * invalid values (and qualified types without namespace) are reported. Duplicates that appear
 * after normalisation are merged.</li>
 * <li>Attributes by canonical name ({@link Attributes}): firstName, lastName, fullName through
 * {@link NameNormaliser}; birthDate through {@link DateNormaliser#parseBirthDate} (ISO-8601);
 * country (ISO 3166-1 alpha-2), gender ({@link Gender} name), language (ISO 639-1), postalCode.
 * Every other attribute, known or not, is kept with its name and value trimmed. Blank values and
 * a gender of UNKNOWN are dropped silently (they carry no information and must not overwrite a
 * known value).</li>
 * <li>Source, observedAt and consents are passed through unchanged.</li>
 * </ul>
 * Lenient mode drops invalid fields, reports them in {@link NormalisedRecord#errors()} and rejects
 * the record only when no valid identity remains. Strict mode rejects the record on any invalid
 * field. Rejection is a {@link ValidationException} carrying all {@link FieldError}s.
 * <p>
 * Thread-safe; build one per configuration and share it.
 */
public final class RecordNormaliser {

    static final String NO_IDENTITY = "record has no valid identity";

    private final NormaliserSettings settings;
    private final EmailNormaliser emails = new EmailNormaliser();
    private final PhoneNormaliser phones;
    private final NameNormaliser names = new NameNormaliser();
    private final DateNormaliser dates;
    /** The other reading of ambiguous dates than the configured one: for people of countries that write it. */
    private final DateNormaliser otherOrder;
    private final CountryNormaliser countries = new CountryNormaliser();
    private final GenderNormaliser genders = new GenderNormaliser();
    private final LanguageNormaliser languages = new LanguageNormaliser();
    private final PostalCodeNormaliser postalCodes = new PostalCodeNormaliser();

    public RecordNormaliser(NormaliserSettings settings) {
        this(settings, Clock.systemUTC());
    }

    /** @param clock source of "today" for the birth date check (tests) */
    public RecordNormaliser(NormaliserSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.phones = new PhoneNormaliser(settings.defaultRegion());
        this.dates = new DateNormaliser(settings.defaultZone(), settings.dayFirst(), clock);
        this.otherOrder = new DateNormaliser(settings.defaultZone(), !settings.dayFirst(), clock);
    }

    /** Countries that write dates month first (03/04/1988 is March 4): the US and the places that follow it. */
    static final Set<String> MONTH_FIRST = Set.of("US", "PR", "GU", "VI", "AS", "MP", "UM", "FM", "MH", "PW", "PH", "BZ");

    /**
     * The dates of a person of {@code country} (ISO code or a name; may be null): an ambiguous 03/04/1988 is read
     * as that country writes dates (month first in the US, day first in most of the world); without a country as
     * configured ({@code hub.normalise.day-first}).
     */
    public DateNormaliser datesFor(String country) {
        if (country == null) {
            return dates;
        }
        String iso = country.length() == 2 ? country.toUpperCase(java.util.Locale.ROOT) : null;
        if (iso == null) {
            Result<String> c = countries.normalise(country);
            if (!c.isOk()) {
                return dates;
            }
            iso = c.value();
        }
        boolean dayFirstThere = !MONTH_FIRST.contains(iso);
        return dayFirstThere == settings.dayFirst() ? dates : otherOrder;
    }

    public NormaliserSettings settings() {
        return settings;
    }

    /** Normalises with the configured strictness ({@link NormaliserSettings#strict()}). */
    public NormalisedRecord normalise(ProfileRecord raw) {
        return normalise(raw, settings.strict());
    }

    /**
     * Normalises with the given strictness, so one instance can serve both the REST API (strict)
     * and bulk imports (lenient).
     *
     * @throws ValidationException in strict mode when any field is invalid; in both modes when no
     *                             valid identity remains
     */
    public NormalisedRecord normalise(ProfileRecord raw, boolean strict) {
        return normalise(raw, strict, null);
    }

    /**
     * As {@link #normalise(ProfileRecord, boolean)}; a record without a (valid) country is read in
     * {@code fallbackCountry} (ISO code; null: the default region) — its phones, ambiguous dates and postal codes.
     * The fallback is not stored as the record's country.
     */
    public NormalisedRecord normalise(ProfileRecord raw, boolean strict, String fallbackCountry) {
        Objects.requireNonNull(raw, "raw");
        List<FieldError> errors = new ArrayList<>(0);

        Set<Identity> identities = new LinkedHashSet<>(raw.identities().size() * 2);
        // the person's country, normalised once: phones, ambiguous dates and postal codes are read by it
        Result<String> countryValue = raw.attributes().containsKey(Attributes.COUNTRY)
                ? countries.normalise(raw.attributes().get(Attributes.COUNTRY)) : null;
        String country = countryValue != null && countryValue.isOk() ? countryValue.value() : fallbackCountry;
        for (Identity identity : raw.identities()) {
            Identity normalised = identity(identity, errors, country);
            if (normalised != null) {
                identities.add(normalised);
            }
        }

        Map<String, String> attributes = new HashMap<>(raw.attributes().size() * 2);
        for (Map.Entry<String, String> e : raw.attributes().entrySet()) {
            String name = Text.strip(e.getKey());
            if (name.isEmpty()) {
                errors.add(new FieldError("attributes", e.getValue(), "attribute without a name"));
                continue;
            }
            Result<String> value = countryValue != null && e.getKey().equals(Attributes.COUNTRY) ? countryValue
                    : name.equals(Attributes.POSTAL_CODE) ? postalCodes.normalise(e.getValue(), country)
                    : name.equals(Attributes.BIRTH_DATE) ? datesFor(country).parseBirthDate(e.getValue()).map(Object::toString)
                    : attribute(name, e.getValue());
            if (value.isOk()) {
                attributes.put(name, value.value());
            } else if (value.isInvalid()) {
                errors.add(new FieldError(name, e.getValue(), value.reason()));
            }
        }

        if (identities.isEmpty()) {
            errors.add(new FieldError("identities", null, NO_IDENTITY));
            throw new ValidationException(errors);
        }
        if (strict && !errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        ProfileRecord record = new ProfileRecord(raw.source(), raw.observedAt(), List.copyOf(identities),
                attributes, raw.consents());
        return new NormalisedRecord(record, errors);
    }

    private Identity identity(Identity identity, List<FieldError> errors, String country) {
        Result<String> value = switch (identity.type()) {
            case EMAIL -> emails.normalise(identity.value());
            case PHONE -> phones.normaliseFor(identity.value(), country);
            default -> Text.isBlank(identity.value()) ? Result.empty() : Result.ok(Text.strip(identity.value()));
        };
        if (value.isInvalid()) {
            errors.add(new FieldError("identity." + identity.type(), identity.value(), value.reason()));
            return null;
        }
        if (value.isEmpty()) {
            return null;
        }
        String namespace = Text.strip(identity.namespace());
        if (identity.type().qualified() && namespace.isEmpty()) {
            errors.add(new FieldError("identity." + identity.type(), identity.value(),
                    identity.type() + " needs a namespace (the issuing system)"));
            return null;
        }
        if (value.value().equals(identity.value()) && namespace.equals(identity.namespace())) {
            return identity;
        }
        return new Identity(identity.type(), namespace, value.value());
    }

    private Result<String> attribute(String name, String raw) {
        return switch (name) {
            case Attributes.FIRST_NAME, Attributes.LAST_NAME, Attributes.FULL_NAME -> names.normalise(raw);
            case Attributes.BIRTH_DATE -> dates.parseBirthDate(raw).map(Object::toString);
            case Attributes.COUNTRY -> countries.normalise(raw);
            case Attributes.GENDER -> {
                Result<Gender> g = genders.normalise(raw);
                yield g.isOk() && g.value() == Gender.UNKNOWN ? Result.empty() : g.map(Gender::name);
            }
            case Attributes.LANGUAGE -> languages.normalise(raw);
            case Attributes.POSTAL_CODE -> postalCodes.normalise(raw);
            default -> Text.isBlank(raw) ? Result.empty() : Result.ok(Text.strip(raw));
        };
    }

    public EmailNormaliser emails() {
        return emails;
    }

    public PhoneNormaliser phones() {
        return phones;
    }

    public NameNormaliser names() {
        return names;
    }

    public DateNormaliser dates() {
        return dates;
    }

    public CountryNormaliser countries() {
        return countries;
    }

    public GenderNormaliser genders() {
        return genders;
    }

    public LanguageNormaliser languages() {
        return languages;
    }

    public PostalCodeNormaliser postalCodes() {
        return postalCodes;
    }
}
