package io.crmhub.connectors.lists;

import io.crmhub.mappings.model.Attributes;
import io.crmhub.mappings.model.Consent;
import io.crmhub.mappings.model.ConsentStatus;
import io.crmhub.mappings.model.Identity;
import io.crmhub.mappings.model.IdentityType;
import io.crmhub.mappings.model.ProfileRecord;
import io.crmhub.mappings.normalise.FieldError;
import io.crmhub.mappings.normalise.NormalisedRecord;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.mappings.normalise.Result;
import io.crmhub.mappings.normalise.ValidationException;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of a list file → a normalised {@link ProfileRecord}, or the reason it is rejected.
 * <p>
 * Columns map by the manifest's {@code columns} (header → field), else through the alias table.
 * Validation: an e-mail, phone or external id must identify the row; e-mails and phones must be
 * well-formed, dates must parse. Other values that do not normalise (a country nobody knows ...)
 * are dropped and counted, the row is kept. Consent: an opt-out column (or an opt-out date, as in Mailchimp's
 * export of unsubscribed members) records an opt-out; an opt-in column (or an opt-in date alone) records a
 * NON-explicit opt-in with the date and the file row as evidence, so a list can never lift an opt-out (see
 * ConsentRules). An opt-out in a row wins over an opt-in in the same row.
 */
public final class RowMapper {

    /** Source of the profile records (attribute survivorship ranks it as "lists"). */
    public static final String RECORD_SOURCE = "lists";
    /** Leading columns of an errors file, ignored when the corrected file comes back. */
    public static final List<String> ERROR_COLUMNS = List.of("row", "column", "reason");

    /** Exporters' placeholders for an empty date. */
    static final java.util.regex.Pattern NO_DATE = java.util.regex.Pattern.compile(
            "0{1,2}[./-]0{1,2}[./-]0{2,4}|0{4}-00-00([ T]00:00(:00)?)?|n/?a|-+");
    /** Day and month without a year. */
    static final java.util.regex.Pattern DAY_MONTH = java.util.regex.Pattern.compile("\\d{1,2}[./-]\\d{1,2}\\.?|--\\d{2}-\\d{2}");

    private final List<String> header;
    private final String[] targets;
    private final int offset;
    private final boolean errorsFile;
    private final ListSettings settings;
    private final RecordNormaliser normaliser;
    private final String fileName;
    /** the list's country (ISO) for rows without one; null: the hub's default region */
    private final String defaultCountry;
    private final List<String> unmapped = new ArrayList<>();
    private final List<String> manifestNotFound = new ArrayList<>();

    /** A mapped row: the normalised record, and the values that were dropped on the way. */
    public record Mapped(ProfileRecord record, int dropped) {
    }

    /** Rejected row: column (header name, may be empty), reason. */
    public static final class RejectedRow extends Exception {
        private final String column;
        private final transient ProfileRecord optOut;

        public RejectedRow(String column, String reason) {
            this(column, reason, null);
        }

        RejectedRow(String column, String reason, ProfileRecord optOut) {
            super(reason, null, false, false);
            this.column = column == null ? "" : column;
            this.optOut = optOut;
        }

        public String column() {
            return column;
        }

        /**
         * The row's opt-out, when it states one, with those of its identities that are valid (the rest of the row
         * is not): a rejected row must not leave a person who opted out mailable. Null otherwise.
         */
        public ProfileRecord optOut() {
            return optOut;
        }
    }

    public RowMapper(List<String> fileHeader, ListSettings settings, ColumnAliases aliases, RecordNormaliser normaliser,
                     String fileName) throws TabularReader.UnreadableFileException {
        this.settings = settings;
        this.normaliser = normaliser;
        this.fileName = fileName;
        if (settings.country() == null) {
            this.defaultCountry = null;
        } else {
            var c = normaliser.countries().normalise(settings.country());
            if (!c.isOk()) {
                throw new TabularReader.UnreadableFileException("country '" + settings.country() + "' is not a"
                        + " country: give an ISO code (US, DE …) or a name");
            }
            this.defaultCountry = c.value();
        }
        this.errorsFile = fileHeader.size() > 3
                && ColumnAliases.key(fileHeader.get(0)).equals("row")
                && ColumnAliases.key(fileHeader.get(1)).equals("column")
                && ColumnAliases.key(fileHeader.get(2)).equals("reason");
        this.offset = errorsFile ? 3 : 0;
        this.header = fileHeader.subList(offset, fileHeader.size());
        Map<String, String> manifest = new HashMap<>();
        settings.columns().forEach((h, t) -> manifest.put(ColumnAliases.key(h), t));
        this.targets = new String[header.size()];
        // per target, the column that maps to it and how specifically (-1: the manifest names it)
        Map<String, Integer> used = new HashMap<>();
        int[] rank = new int[header.size()];
        for (int i = 0; i < header.size(); i++) {
            String h = header.get(i);
            String t = settings.columns().get(h);
            if (t == null) {
                t = manifest.get(ColumnAliases.key(h));
            }
            int r = -1;
            if (t == null) {
                t = aliases.target(h);
                r = aliases.rank(h);
            }
            if (t == null && settings.keepUnmapped() && !h.isBlank()) {
                t = h;
                r = Integer.MAX_VALUE;
            }
            if (t == null || t.equals(ListColumns.IGNORE)) {
                if (t == null && !h.isBlank()) {
                    unmapped.add(h);
                }
                continue;
            }
            rank[i] = r;
            Integer earlier = t.equals(ListColumns.PHONE) || t.equals(ListColumns.MOBILE) ? null : used.get(t);
            if (earlier != null) {
                // one column per target; a second "E-Mail" column is reported, not silently merged. The more
                // specific header wins ("Job Title" over "Title"), else the first
                int loser = r < rank[earlier] ? earlier : i;
                unmapped.add(header.get(loser) + " (second column for " + t + ")");
                if (loser == i) {
                    continue;
                }
                targets[earlier] = null;
            }
            used.put(t, i);
            targets[i] = t;
        }
        // a manifest's mapping for a header the file does not have: a typo or another export's header, reported
        java.util.Set<String> keys = new java.util.HashSet<>();
        header.forEach(h -> keys.add(ColumnAliases.key(h)));
        settings.columns().keySet().forEach(h -> {
            if (!keys.contains(ColumnAliases.key(h))) {
                manifestNotFound.add(h);
            }
        });
        // "Name" beside a first-name column and no last-name column is the surname (German exports: Vorname, Name)
        if (used.containsKey(Attributes.FULL_NAME) && used.containsKey(Attributes.FIRST_NAME)
                && !used.containsKey(Attributes.LAST_NAME)) {
            int col = used.get(Attributes.FULL_NAME);
            if (ColumnAliases.key(header.get(col)).equals("name") && rank[col] >= 0) {
                targets[col] = Attributes.LAST_NAME;
            }
        }
        boolean identifying = false;
        for (String t : targets) {
            identifying |= t != null && (t.equals(ListColumns.EMAIL) || t.equals(ListColumns.PHONE)
                    || t.equals(ListColumns.MOBILE) || t.equals(ListColumns.EXTERNAL_ID) || t.equals(ListColumns.CRM_ID));
        }
        if (!identifying) {
            throw new TabularReader.UnreadableFileException("no column maps to an e-mail, phone or external id"
                    + " (headers: " + String.join(", ", header) + "); map one in the manifest (columns:) or"
                    + " add an alias to config/mappings/list-columns.yml");
        }
    }

    public boolean errorsFile() {
        return errorsFile;
    }

    /** Headers the manifest maps that the file does not have. */
    public List<String> manifestColumnsNotFound() {
        return List.copyOf(manifestNotFound);
    }

    /** Headers that map to nothing (not imported). */
    public List<String> unmapped() {
        return List.copyOf(unmapped);
    }

    /** The header as the errors file repeats it (without an errors file's own leading columns). */
    public List<String> originalHeader() {
        return header;
    }

    /** The original values of a row (without an errors file's own leading columns, neutralising undone). */
    public String[] originalValues(String[] values) {
        String[] out = new String[header.size()];
        for (int i = 0; i < out.length; i++) {
            int k = i + offset;
            String v = k < values.length ? values[k] : null;
            out[i] = errorsFile ? ErrorsCsv.unneutralise(v) : v;
        }
        return out;
    }

    /**
     * The row of the original file a corrected errors file's row came from (its "row" cell), so the next errors
     * file names it the same; 0 for a row of an errors file without one (added by hand: it has no row in the
     * original); null for any other file.
     */
    public Long sourceRow(String[] values) {
        if (!errorsFile) {
            return null;
        }
        String v = values.length == 0 || values[0] == null ? "" : values[0].strip();
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
            return 0L;
        }
        return Long.parseLong(v);
    }

    /** Google Contacts puts several e-mails or phones of one kind in one cell: "a@x.com ::: b@y.com". */
    private static final java.util.regex.Pattern MULTI = java.util.regex.Pattern.compile("\\s*:::\\s*");

    static List<String> values(String cell) {
        if (cell.indexOf(":::") < 0) {
            return List.of(cell);
        }
        List<String> out = new ArrayList<>();
        for (String one : MULTI.split(cell)) {
            if (!one.isBlank()) {
                out.add(one);
            }
        }
        return out;
    }

    /**
     * A value without the apostrophe spreadsheets and exporters put before numbers that must stay text
     * (Shopify's {@code '10115} and {@code '+4930…}, Excel's "text" cells): zip codes, phone numbers and ids
     * keep their leading zeros and plus sign, and the apostrophe is no part of the value.
     */
    static String withoutTextMark(String v) {
        if (v != null && v.length() >= 2 && v.charAt(0) == '\'' && (Character.isDigit(v.charAt(1)) || v.charAt(1) == '+')) {
            return v.substring(1);
        }
        return v;
    }

    public Mapped map(String[] rawValues, long rowNumber, Instant observedAt) throws RejectedRow {
        String[] values = originalValues(rawValues);
        for (int i = 0; i < values.length; i++) {
            if (targets[i] != null && values[i] != null && values[i].indexOf('\uFFFD') >= 0) {
                // bytes the file's encoding has no character for (a line saved in another encoding than the rest):
                // stored, they would be "M�ller" for good — the row waits for its fix instead
                throw new RejectedRow(header.get(i), "bytes that are no text in the file's encoding (shown as \uFFFD):"
                        + " correct the value, or save the file as UTF-8");
            }
        }
        List<Identity> ids = new ArrayList<>(3);
        Map<String, String> attrs = new LinkedHashMap<>();
        Map<IdentityType, String> idColumns = new HashMap<>();
        String optIn = null;
        String optInColumn = null;
        String optInDate = null;
        String optInDateColumn = null;
        String optOut = null;
        String optOutColumn = null;
        String optOutDate = null;
        String optOutDateColumn = null;
        int dropped = 0;
        for (int i = 0; i < targets.length; i++) {
            String t = targets[i];
            String v = withoutTextMark(values[i]);
            if (t == null || v == null || v.isBlank()) {
                continue;
            }
            if ((t.equals(Attributes.BIRTH_DATE) || t.equals(ListColumns.OPT_IN_DATE) || t.equals(ListColumns.OPT_OUT_DATE))
                    && NO_DATE.matcher(v.strip()).matches()) {
                continue; // placeholders exporters write for "no date" (Outlook's 0/0/00 ...)
            }
            if (t.equals(Attributes.BIRTH_DATE) && DAY_MONTH.matcher(v.strip()).matches()) {
                dropped++; // a birthday without a year (Mailchimp's MM/DD) is no birth date: dropped, counted
                continue;
            }
            switch (t) {
                case ListColumns.EMAIL -> {
                    for (String one : values(v)) {
                        ids.add(Identity.of(IdentityType.EMAIL, one));
                    }
                    idColumns.putIfAbsent(IdentityType.EMAIL, header.get(i));
                }
                case ListColumns.PHONE, ListColumns.MOBILE -> {
                    for (String one : values(v)) {
                        ids.add(Identity.of(IdentityType.PHONE, one));
                    }
                    idColumns.putIfAbsent(IdentityType.PHONE, header.get(i));
                }
                case ListColumns.EXTERNAL_ID -> {
                    ids.add(Identity.of(IdentityType.EXTERNAL_ID, settings.source(), v));
                    idColumns.putIfAbsent(IdentityType.EXTERNAL_ID, header.get(i));
                }
                case ListColumns.CRM_ID -> {
                    ids.add(Identity.of(IdentityType.CRM_ID, v));
                    idColumns.putIfAbsent(IdentityType.CRM_ID, header.get(i));
                }
                case ListColumns.OPT_IN -> {
                    optIn = v;
                    optInColumn = header.get(i);
                }
                case ListColumns.OPT_IN_DATE -> {
                    optInDate = v;
                    optInDateColumn = header.get(i);
                }
                case ListColumns.OPT_OUT -> {
                    optOut = v;
                    optOutColumn = header.get(i);
                }
                case ListColumns.OPT_OUT_DATE -> {
                    optOutDate = v;
                    optOutDateColumn = header.get(i);
                }
                default -> attrs.putIfAbsent(t, v);
            }
        }
        if (rawValues.length - offset == 1 && header.size() > 1 && ids.stream().noneMatch(id ->
                id.type() == IdentityType.EMAIL && normaliser.emails().normalise(id.value()).isOk()
                        || id.type() == IdentityType.PHONE
                        && normaliser.phones().normaliseFor(id.value(), countryOf(attrs)).isOk())) {
            // a line without a single separator in a file of several columns, and no well-formed e-mail or phone in
            // it: the title or footer lines reports put around the data (Salesforce: "Confidential Information - Do
            // Not Distribute"), not a person with an external id of that text — nor a bad e-mail, when the text
            // falls in the e-mail column
            throw new RejectedRow("", "a line with one value in a file of " + header.size() + " columns, and no e-mail"
                    + " or phone: a title or footer line, not a record");
        }
        if (ids.isEmpty()) {
            throw new RejectedRow("", "no e-mail, phone or external id");
        }

        List<Consent> consents = new ArrayList<>(1);
        // a corrected errors file's row names the row of the original file it came from, as its timeline entry does
        Long sourceRow = sourceRow(rawValues);
        String evidenceBase = "list '" + settings.listName() + "', file " + fileName + " row " + rowNumber
                + (sourceRow == null ? "" : sourceRow > 0 ? " (row " + sourceRow + " of the original file)"
                : " (a row added to the errors file)")
                + (settings.source().equals(RECORD_SOURCE) ? "" : ", source " + settings.source());
        // a consent cell that cannot be read rejects the row, but only after the rest of the row was looked at: the
        // reason names every problem (one round trip through the errors file, not one per problem)
        List<RejectedRow> cellProblems = new ArrayList<>(0);
        ConsentStatus fromOut = null;
        ConsentStatus fromIn = null;
        try {
            fromOut = optOut == null ? null : consent(optOut, optOutColumn, true);
        } catch (RejectedRow bad) {
            cellProblems.add(bad);
        }
        try {
            fromIn = optIn == null ? null : consent(optIn, optInColumn, false);
        } catch (RejectedRow bad) {
            cellProblems.add(bad);
        }
        Instant inAt = null;
        if (optInDate != null) {
            try {
                inAt = instant(optInDate, optInDateColumn, countryOf(attrs));
            } catch (RejectedRow bad) {
                cellProblems.add(bad);
            }
            if (optIn == null) {
                fromIn = ConsentStatus.OPT_IN; // a date of opt-in alone says the person opted in then
            }
        }
        Instant outAt = null;
        if (optOutDate != null) {
            try {
                outAt = instant(optOutDate, optOutDateColumn, countryOf(attrs));
            } catch (RejectedRow bad) {
                cellProblems.add(bad);   // still an opt-out (below, dated by the file): its date is what is wrong
            }
            fromOut = ConsentStatus.OPT_OUT;   // a date of opt-out says the person opted out then
        }
        String consentSource = "lists:" + settings.listName();
        if (fromOut == ConsentStatus.OPT_OUT || fromIn == ConsentStatus.OPT_OUT) {
            consents.add(new Consent(settings.channel(), ConsentStatus.OPT_OUT, consentSource,
                    outAt == null ? observedAt : outAt,
                    "opt-out" + (outAt == null ? "" : " dated " + optOutDate.strip()) + " in " + evidenceBase, false));
        } else if (fromIn == ConsentStatus.OPT_IN) {
            Instant at = inAt == null ? observedAt : inAt;
            consents.add(new Consent(settings.channel(), ConsentStatus.OPT_IN, consentSource, at,
                    "opt-in" + (inAt == null ? "" : " dated " + optInDate.strip()) + " in " + evidenceBase, false));
        }

        NormalisedRecord n;
        try {
            n = normaliser.normalise(new ProfileRecord(RECORD_SOURCE, observedAt, ids, attrs, consents), false,
                    defaultCountry);
        } catch (ValidationException e) {
            throw rejection(cellProblems, e.errors(), idColumns, optOutOf(ids, consents, observedAt));
        }
        List<FieldError> rejecting = new ArrayList<>();
        for (FieldError fe : n.errors()) {
            if (fe.field().startsWith("identity.") || fe.field().equals(Attributes.BIRTH_DATE)) {
                rejecting.add(fe);
            } else {
                dropped++;
            }
        }
        if (!rejecting.isEmpty() || !cellProblems.isEmpty()) {
            throw rejection(cellProblems, rejecting, idColumns, optOutOf(ids, consents, observedAt));
        }
        return new Mapped(n.record(), dropped);
    }

    /** The row's rejection naming its unreadable consent cells first (the column is the first's), then the rest. */
    private RejectedRow rejection(List<RejectedRow> cells, List<FieldError> errors, Map<IdentityType, String> idColumns,
                                  ProfileRecord optOut) {
        if (cells.isEmpty()) {
            return rejection(errors, idColumns, optOut);
        }
        RejectedRow first = cells.get(0);
        StringBuilder reason = new StringBuilder(first.getMessage());
        for (RejectedRow c : cells.subList(1, cells.size())) {
            reason.append("; ").append(c.column()).append(": ").append(c.getMessage());
        }
        if (!errors.isEmpty()) {
            RejectedRow rest = rejection(errors, idColumns, null);
            reason.append("; ").append(rest.column().isEmpty() ? "" : rest.column() + ": ").append(rest.getMessage());
        }
        return new RejectedRow(first.column(), reason.toString(), optOut);
    }

    private String countryOf(Map<String, String> attrs) {
        String c = attrs.get(Attributes.COUNTRY);
        return c == null || c.isBlank() ? defaultCountry : c;
    }

    /** The opt-out among the consents, with those of the identities that are valid on their own; else null. */
    private ProfileRecord optOutOf(List<Identity> ids, List<Consent> consents, Instant observedAt) {
        Consent out = null;
        for (Consent c : consents) {
            if (c.status() == ConsentStatus.OPT_OUT) {
                out = c;
            }
        }
        if (out == null) {
            return null;
        }
        List<Identity> valid = new ArrayList<>();
        for (Identity id : ids) {
            try {
                NormalisedRecord one = normaliser.normalise(new ProfileRecord(RECORD_SOURCE, observedAt, List.of(id),
                        Map.of(), List.of()), false);
                if (one.errors().stream().noneMatch(fe -> fe.field().startsWith("identit"))) {
                    valid.addAll(one.record().identities());
                }
            } catch (ValidationException e) {
                // not valid on its own either
            }
        }
        return valid.isEmpty() ? null : new ProfileRecord(RECORD_SOURCE, observedAt, valid, Map.of(), List.of(out));
    }

    private RejectedRow rejection(List<FieldError> errors, Map<IdentityType, String> idColumns, ProfileRecord optOut) {
        FieldError first = null;
        for (FieldError fe : errors) {
            if (!fe.field().equals("identities")) {
                first = fe;
                break;
            }
        }
        if (first == null) {
            return new RejectedRow("", "no valid e-mail, phone or external id", optOut);
        }
        String column = column(first.field(), idColumns);
        // every problem of the row, not only the first: a row with a bad e-mail and a bad phone is fixed in one
        // round trip, not two (the column is the first problem's; the others name theirs in the reason)
        StringBuilder reason = new StringBuilder(describe(first));
        for (FieldError fe : errors) {
            if (fe != first && !fe.field().equals("identities")) {
                reason.append("; ").append(column(fe.field(), idColumns)).append(": ").append(describe(fe));
            }
        }
        return new RejectedRow(column, reason.toString(), optOut);
    }

    private static String describe(FieldError fe) {
        if (fe.field().startsWith("identity.")) {
            String what = fe.field().substring("identity.".length()).toLowerCase(Locale.ROOT).replace('_', ' ');
            return "invalid " + what + ": " + fe.reason();
        }
        return fe.reason();
    }

    private String column(String field, Map<IdentityType, String> idColumns) {
        if (field.startsWith("identity.")) {
            try {
                String c = idColumns.get(IdentityType.valueOf(field.substring("identity.".length())));
                if (c != null) {
                    return c;
                }
            } catch (IllegalArgumentException ignored) {
                // fall through
            }
        }
        for (int i = 0; i < targets.length; i++) {
            if (field.equals(targets[i])) {
                return header.get(i);
            }
        }
        return field;
    }

    private Instant instant(String raw, String column, String country) throws RejectedRow {
        io.crmhub.mappings.normalise.DateNormaliser dates = normaliser.datesFor(country);
        Result<Instant> t = dates.parseInstant(raw);
        if (t.isOk()) {
            return t.value();
        }
        Result<LocalDate> d = dates.parseDate(raw);
        if (d.isOk()) {
            return d.value().atStartOfDay(normaliser.settings().defaultZone()).toInstant();
        }
        throw new RejectedRow(column, "not a date: '" + raw.strip() + "'");
    }

    /**
     * The consent a cell states: yes-like values in an opt-in column are an opt-in, in an opt-out
     * column an opt-out; no-like values state nothing; "unsubscribed", "opt-out" ... are an opt-out
     * in either column.
     */
    static ConsentStatus consent(String raw, String column, boolean optOutColumn) throws RejectedRow {
        String s = ColumnAliases.key(raw);
        return switch (s) {
            case "1", "y", "yes", "true", "x", "ja", "j", "si", "oui", "wahr" ->
                    optOutColumn ? ConsentStatus.OPT_OUT : ConsentStatus.OPT_IN;
            // Constant Contact's permission "Explicit"
            case "optin", "optedin", "subscribed", "confirmed", "granted", "doubleoptin", "explicit" ->
                    optOutColumn ? null : ConsentStatus.OPT_IN;
            // Mailchimp's "cleaned" (a hard-bounced address) and Klaviyo's "suppressed" as "bounced"; Brevo's
            // blacklist; Dynamics 365's "Do Not Allow" (bulk e-mail)
            case "optout", "optedout", "unsubscribed", "withdrawn", "revoked", "bounced", "cleaned", "suppressed",
                 "blacklisted", "blocklisted", "blocked", "donotallow", "donotemail" -> ConsentStatus.OPT_OUT;
            // states nothing: also the marketing states of Shopify, Klaviyo, Pipedrive, Constant Contact and
            // Dynamics exports that are neither (never subscribed, a double opt-in still pending, an address
            // marked invalid or redacted, an implied permission, an active address, Dynamics' default "Allow")
            case "0", "n", "no", "false", "nein", "non", "none", "falsch", "denied", "notsubscribed",
                 "neversubscribed", "nonsubscribed", "nonsubscriber", "pending", "pendingconfirmation", "invalid",
                 "redacted", "implicit", "implied", "active", "noconsent", "archived", "allow", "removed", "temphold",
                 "awaitingconfirmation", "unconfirmed" -> null;
            default -> throw new RejectedRow(column, "expected yes/no (true/false, 1/0, opt-in/opt-out), got '"
                    + raw.strip() + "'");
        };
    }
}
