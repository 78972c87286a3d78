package io.crmhub.mappings.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmhub.mappings.model.Attributes;
import io.crmhub.mappings.model.Hashes;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps one JSON event into a {@link ClickEvent}, or rejects it with every violation found.
 * <p>
 * Accepted shapes:
 * <ul>
 *   <li>the Segment / RudderStack spec: {@code type} track, page, screen, identify, alias (and group,
 *       counted only); common fields {@code messageId, anonymousId, userId, timestamp} (or
 *       {@code originalTimestamp}, corrected as Segment does: {@code receivedAt − (sentAt − originalTimestamp)}),
 *       {@code sentAt, receivedAt}, {@code context} with {@code campaign}
 *       (utm name/source/medium/term/content), {@code page}, {@code ip}, {@code userAgent},
 *       {@code locale}, {@code traits}; {@code properties} (track/page/screen), {@code traits} (identify),
 *       {@code previousId} (alias). A page or track sent with the legacy {@code action} field is
 *       read as {@code type}.</li>
 *   <li>ad-server log records, told apart by {@code recordType} {@code impression} or {@code click}:
 *       {@code eventId, timestamp} (ISO-8601 or epoch milliseconds), {@code cookieId} (or
 *       {@code anonymousId}), optional {@code userId}, {@code campaignId} (required),
 *       {@code creativeId, placement, clickId, ip, userAgent}, and the landing page's utm fields as
 *       {@code landingUrl} query or {@code utm_source, utm_medium, utm_campaign, utm_term, utm_content}.</li>
 * </ul>
 * Events without a {@code messageId} get {@code sha256:<hex of the JSON text>} so that the same
 * record written twice is still de-duplicated. Thread-safe.
 */
public final class SegmentMapper {

    /** Longest id (messageId, anonymousId, userId) accepted. */
    public static final int MAX_ID_LENGTH = 200;
    private static final int MAX_CATEGORY_LENGTH = 100;

    /**
     * Maps the event.
     *
     * @param node       the event as parsed JSON
     * @param receivedAt when the hub (or the producer's gateway) received it; the clock-skew anchor
     * @throws InvalidEventException listing every violation
     */
    /** How far after its receipt an event's time may be (clocks a little ahead); beyond, it is no event time. */
    public static final Duration MAX_AHEAD = Duration.ofDays(1);
    /** No event is older than this. */
    public static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");

    /**
     * An event time a day or more after the receipt, or before 2000, is refused: one page view dated 2100 would
     * pin the person's interest score (it never decays) and last-seen for good, and make daily aggregates of
     * years that never were.
     */
    private static void plausible(Instant at, Instant receivedAt, String field, List<InvalidEventException.Violation> v) {
        if (receivedAt != null && at.isAfter(receivedAt.plus(MAX_AHEAD))) {
            v.add(new InvalidEventException.Violation(field, "the event time " + at + " is more than a day after its"
                    + " receipt (" + receivedAt + "): a clock far off, not an event time"));
        } else if (at.isBefore(EARLIEST)) {
            v.add(new InvalidEventException.Violation(field, "the event time " + at + " is before 2000: not an event time"));
        }
    }

    /**
     * An event of {@code {"batch": [...], "context": {...}, "sentAt": "..."}} takes the batch's {@code sentAt} where it
     * has none of its own (Segment's mobile and browser SDKs — analytics-kotlin, -swift, analytics-next — set it on the
     * batch only, and the clock correction needs it) and the batch's {@code context} fields it does not set itself
     * (the batch's context applies to every call of the batch; what an event says of itself wins).
     */
    public static void inheritFromBatch(ObjectNode event, JsonNode batchRoot) {
        if (batchRoot == null || !batchRoot.isObject()) {
            return;
        }
        JsonNode context = batchRoot.get("context");
        if (context instanceof ObjectNode c) {
            if (!event.has("context")) {
                event.set("context", c.deepCopy());
            } else if (event.get("context") instanceof ObjectNode own) {
                c.fields().forEachRemaining(f -> {
                    if (!own.has(f.getKey())) {
                        own.set(f.getKey(), f.getValue().deepCopy());
                    }
                });
            }
        }
        JsonNode sentAt = batchRoot.get("sentAt");
        if (sentAt != null && !sentAt.isNull() && !event.hasNonNull("sentAt")) {
            event.set("sentAt", sentAt);
        }
    }

    public ClickEvent map(JsonNode node, Instant receivedAt) {
        if (node == null || !node.isObject()) {
            throw new InvalidEventException("", "an event must be a JSON object");
        }
        ObjectNode e = (ObjectNode) node;
        if (e.hasNonNull("recordType")) {
            return adRecord(e, receivedAt);
        }
        List<InvalidEventException.Violation> v = new ArrayList<>();
        String typeText = text(e, "type", v);
        if (typeText == null) {
            typeText = text(e, "action", v);
        }
        ClickEvent.Type type = null;
        if (typeText == null) {
            v.add(new InvalidEventException.Violation("/type", "is required (track, page, screen, identify, alias, group)"));
        } else {
            type = switch (typeText.trim().toLowerCase(Locale.ROOT)) {
                case "track" -> ClickEvent.Type.TRACK;
                case "page" -> ClickEvent.Type.PAGE;
                case "screen" -> ClickEvent.Type.SCREEN;
                case "identify" -> ClickEvent.Type.IDENTIFY;
                case "alias" -> ClickEvent.Type.ALIAS;
                case "group" -> ClickEvent.Type.GROUP;
                default -> null;
            };
            if (type == null) {
                v.add(new InvalidEventException.Violation("/type", "unknown type '" + typeText
                        + "' (track, page, screen, identify, alias, group)"));
            }
        }
        String messageId = id(e, "messageId", v);
        String anonymousId = id(e, "anonymousId", v);
        String userId = id(e, "userId", v);
        String previousId = id(e, "previousId", v);
        // an id that is there but unusable (too long, not a string) has its own violation: it is not also "missing"
        if (type == ClickEvent.Type.ALIAS) {
            if (userId == null && !violated(v, "/userId")) {
                v.add(new InvalidEventException.Violation("/userId", "an alias needs the new userId"));
            }
            if (previousId == null && !violated(v, "/previousId")) {
                v.add(new InvalidEventException.Violation("/previousId", "an alias needs the previousId"));
            }
        } else if (anonymousId == null && userId == null && !violated(v, "/userId") && !violated(v, "/anonymousId")) {
            v.add(new InvalidEventException.Violation("/userId", "either userId or anonymousId is required"));
        }
        String name = null;
        if (type == ClickEvent.Type.TRACK) {
            name = text(e, "event", v);
            if (name == null || name.isBlank()) {
                v.add(new InvalidEventException.Violation("/event", "a track call needs the event name"));
            } else {
                name = name.trim();
            }
        } else if (type == ClickEvent.Type.PAGE || type == ClickEvent.Type.SCREEN) {
            name = blankToNull(text(e, "name", v));
        }
        ObjectNode context = object(e, "context", v);
        ObjectNode properties = object(e, "properties", v);
        ObjectNode traitsNode = object(e, "traits", v);
        ObjectNode contextTraits = context == null ? null : object(context, "traits", v, "/context/traits");
        ObjectNode campaign = context == null ? null : object(context, "campaign", v, "/context/campaign");

        Instant timestamp = time(e, "timestamp", v);
        Instant original = time(e, "originalTimestamp", v);
        Instant sentAt = time(e, "sentAt", v);
        Instant received = time(e, "receivedAt", v);
        if (received == null) {
            received = receivedAt;
        }
        Instant at;
        String timeField;
        if (timestamp != null && original != null) {
            at = timestamp;                      // a gateway (Segment, RudderStack) corrected it already
            timeField = "/timestamp";
        } else {
            // Segment's rule: what the sender's clock said (originalTimestamp, or the timestamp an SDK sets from the
            // device clock) is corrected by how far that clock was off when it sent: receivedAt - (sentAt - it).
            // A sender with a right clock keeps its time (a historical import's too); a phone hours off is put right.
            Instant device = original != null ? original : timestamp;
            timeField = original != null ? "/originalTimestamp" : timestamp != null ? "/timestamp" : "/receivedAt";
            if (device != null && sentAt != null && received != null) {
                at = received.minus(Duration.between(device, sentAt));
            } else {
                at = device != null ? device : received;
            }
        }
        plausible(at, receivedAt, timeField, v);
        if (!v.isEmpty()) {
            throw new InvalidEventException(v);
        }

        ObjectNode traits = type == ClickEvent.Type.IDENTIFY ? merge(contextTraits, traitsNode) : contextTraits;
        String email = traits == null ? null : blankToNull(str(traits.get("email")));
        String phone = traits == null ? null : blankToNull(str(traits.get("phone")));
        Map<String, String> attributes = type == ClickEvent.Type.IDENTIFY ? attributes(traits) : Map.of();

        String category = blankToNull(str(e.get("category")));
        if (category == null && properties != null) {
            category = blankToNull(str(properties.get("category")));
        }
        category = category == null ? null : cap(category.trim().toLowerCase(Locale.ROOT), MAX_CATEGORY_LENGTH);

        String campaignName = campaign == null ? null : blankToNull(str(campaign.get("name")));
        String medium = campaign == null ? null : blankToNull(str(campaign.get("medium")));
        String ip = context == null ? null : IpAddresses.truncate(str(context.get("ip")));
        if (messageId == null) {
            messageId = contentId(e);
        }
        ObjectNode planned = type == ClickEvent.Type.IDENTIFY ? traitsNode : properties;
        return new ClickEvent(messageId, type, name, anonymousId, userId, previousId, email, phone, at, ip, category,
                campaignCode(campaignName), campaignName, medium, attributes, planned, null);
    }

    private ClickEvent adRecord(ObjectNode e, Instant receivedAt) {
        List<InvalidEventException.Violation> v = new ArrayList<>();
        String kind = text(e, "recordType", v);
        ClickEvent.Type type = switch (kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT)) {
            case "impression" -> ClickEvent.Type.AD_IMPRESSION;
            case "click" -> ClickEvent.Type.AD_CLICK;
            default -> null;
        };
        if (type == null) {
            v.add(new InvalidEventException.Violation("/recordType", "ad-server records are 'impression' or 'click', got '"
                    + kind + "'"));
        }
        String eventId = id(e, "eventId", v);
        String cookie = id(e, "cookieId", v);
        if (cookie == null) {
            cookie = id(e, "anonymousId", v);
        }
        String userId = id(e, "userId", v);
        if (cookie == null && userId == null) {
            v.add(new InvalidEventException.Violation("/cookieId", "an ad-server record needs cookieId (or userId)"));
        }
        String campaignId = id(e, "campaignId", v);
        if (campaignId == null) {
            v.add(new InvalidEventException.Violation("/campaignId", "is required"));
        }
        String creativeId = id(e, "creativeId", v);
        String placement = id(e, "placement", v);
        String clickId = id(e, "clickId", v);
        Instant at = time(e, "timestamp", v);
        if (at != null) {
            plausible(at, receivedAt, "/timestamp", v);
        }
        if (!v.isEmpty()) {
            throw new InvalidEventException(v);
        }
        Map<String, String> utm = new HashMap<>();
        String landing = blankToNull(str(e.get("landingUrl")));
        if (landing != null) {
            utm.putAll(utmOf(landing));
        }
        for (String f : List.of("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")) {
            String value = blankToNull(str(e.get(f)));
            if (value != null) {
                utm.put(f, value);
            }
        }
        String campaignName = utm.getOrDefault("utm_campaign", campaignId);
        String messageId = eventId != null ? "ad:" + eventId : contentId(e);
        String category = blankToNull(str(e.get("category")));
        return new ClickEvent(messageId, type, null, cookie, userId, null, null, null, at == null ? receivedAt : at,
                IpAddresses.truncate(str(e.get("ip"))), category == null ? null : cap(category.toLowerCase(Locale.ROOT),
                MAX_CATEGORY_LENGTH), campaignCode(campaignName), campaignName, utm.get("utm_medium"), Map.of(), null,
                new ClickEvent.AdDetails(campaignId, creativeId, placement, clickId));
    }

    /** Canonical campaign code of a utm_campaign or ad campaign id: trimmed, lower-case, blanks as '-'. */
    public static String campaignCode(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        return cap(name.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", "-"), 200);
    }

    /** The utm_* parameters of a URL's query. */
    public static Map<String, String> utmOf(String url) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            String query = URI.create(url.trim()).getRawQuery();
            if (query == null) {
                return out;
            }
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String k = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                if (k.startsWith("utm_")) {
                    out.put(k, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        } catch (IllegalArgumentException ignored) {
            // not a URL: no utm fields
        }
        return out;
    }

    /** Segment traits to canonical profile attributes (only what the profile has a place for). */
    static Map<String, String> attributes(ObjectNode traits) {
        Map<String, String> a = new LinkedHashMap<>();
        if (traits == null) {
            return a;
        }
        put(a, Attributes.FIRST_NAME, traits, "firstName", "first_name");
        put(a, Attributes.LAST_NAME, traits, "lastName", "last_name");
        put(a, Attributes.FULL_NAME, traits, "name");
        put(a, Attributes.BIRTH_DATE, traits, "birthday", "birthDate");
        put(a, Attributes.GENDER, traits, "gender");
        put(a, Attributes.JOB_TITLE, traits, "title");
        JsonNode address = traits.get("address");
        if (address != null && address.isObject()) {
            put(a, Attributes.CITY, (ObjectNode) address, "city");
            put(a, Attributes.COUNTRY, (ObjectNode) address, "country");
            put(a, Attributes.POSTAL_CODE, (ObjectNode) address, "postalCode", "postal_code");
            put(a, Attributes.REGION, (ObjectNode) address, "state", "region");
            put(a, Attributes.ADDRESS, (ObjectNode) address, "street");
        }
        JsonNode company = traits.get("company");
        if (company != null && company.isObject()) {
            put(a, Attributes.COMPANY, (ObjectNode) company, "name");
        } else {
            put(a, Attributes.COMPANY, traits, "company");
        }
        return a;
    }

    private static void put(Map<String, String> out, String attribute, ObjectNode from, String... fields) {
        for (String f : fields) {
            String value = blankToNull(str(from.get(f)));
            if (value != null) {
                out.put(attribute, value);
                return;
            }
        }
    }

    private static ObjectNode merge(ObjectNode base, ObjectNode over) {
        if (base == null) {
            return over;
        }
        if (over == null) {
            return base;
        }
        ObjectNode m = base.deepCopy();
        m.setAll(over);
        return m;
    }

    private static String contentId(ObjectNode e) {
        return "sha256:" + Hashes.sha256Hex(e.toString());
    }

    private static String text(ObjectNode e, String field, List<InvalidEventException.Violation> v) {
        JsonNode n = e.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            v.add(new InvalidEventException.Violation("/" + field, "must be a string"));
            return null;
        }
        return n.asText();
    }

    private static boolean violated(List<InvalidEventException.Violation> v, String field) {
        for (InvalidEventException.Violation x : v) {
            if (x.field().equals(field)) {
                return true;
            }
        }
        return false;
    }

    private static String id(ObjectNode e, String field, List<InvalidEventException.Violation> v) {
        JsonNode n = e.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() && !n.isIntegralNumber()) {
            v.add(new InvalidEventException.Violation("/" + field, "must be a string"));
            return null;
        }
        String s = n.asText().trim();
        if (s.isEmpty()) {
            return null;
        }
        if (s.length() > MAX_ID_LENGTH) {
            v.add(new InvalidEventException.Violation("/" + field, "is longer than " + MAX_ID_LENGTH + " characters"));
            return null;
        }
        return s;
    }

    private static ObjectNode object(ObjectNode e, String field, List<InvalidEventException.Violation> v) {
        return object(e, field, v, "/" + field);
    }

    private static ObjectNode object(ObjectNode e, String field, List<InvalidEventException.Violation> v, String pointer) {
        JsonNode n = e.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            v.add(new InvalidEventException.Violation(pointer, "must be an object"));
            return null;
        }
        return (ObjectNode) n;
    }

    private static Instant time(ObjectNode e, String field, List<InvalidEventException.Violation> v) {
        JsonNode n = e.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return Instant.ofEpochMilli(n.asLong());
        }
        if (!n.isTextual()) {
            v.add(new InvalidEventException.Violation("/" + field, "must be an ISO-8601 date-time"));
            return null;
        }
        Instant t = parseTime(n.asText());
        if (t == null) {
            v.add(new InvalidEventException.Violation("/" + field, "'" + n.asText() + "' is not an ISO-8601 date-time"));
        }
        return t;
    }

    /** ISO-8601 with offset, or without (read as UTC); null when unparseable. */
    public static Instant parseTime(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String t = s.trim();
        Instant fast = parseCommonTime(t);
        if (fast != null) {
            return fast;
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                try {
                    return Instant.parse(t);
                } catch (DateTimeParseException e3) {
                    return null;
                }
            }
        }
    }

    /**
     * The forms SDKs send — {@code 2026-11-30T09:00:00.123Z}, {@code …+01:00}, {@code …+0100}, {@code …+01},
     * no offset (UTC) — read by hand: every event carries two or three of them, and the
     * {@code java.time} parsers (case-insensitive, with a fallback chain) were 6% of the fold's Java time.
     * Null for anything else (other forms, out-of-range fields), which then goes through those parsers;
     * {@code SegmentMapperTest} checks both agree.
     */
    static Instant parseCommonTime(String t) {
        int n = t.length();
        if (n < 19 || t.charAt(4) != '-' || t.charAt(7) != '-' || (t.charAt(10) != 'T' && t.charAt(10) != 't')
                || t.charAt(13) != ':' || t.charAt(16) != ':') {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 2);
        int day = digits(t, 8, 2);
        int hour = digits(t, 11, 2);
        int minute = digits(t, 14, 2);
        int second = digits(t, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > java.time.YearMonth.of(year, month).lengthOfMonth()
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (i < n && t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                i++;
            }
            int count = i - start;
            if (count < 1 || count > 9) {
                return null;
            }
            nanos = digits(t, start, count);
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offset;
        if (i == n) {
            offset = 0;                                             // no offset: UTC
        } else if (i == n - 1 && (t.charAt(i) == 'Z' || t.charAt(i) == 'z')) {
            offset = 0;
        } else if (t.charAt(i) == '+' || t.charAt(i) == '-') {
            int sign = t.charAt(i) == '-' ? -1 : 1;
            int rest = n - i - 1;
            int oh;
            int om = 0;
            if (rest == 2) {
                oh = digits(t, i + 1, 2);
            } else if (rest == 5 && t.charAt(i + 3) == ':') {
                oh = digits(t, i + 1, 2);
                om = digits(t, i + 4, 2);
            } else if (rest == 4) {
                oh = digits(t, i + 1, 2);
                om = digits(t, i + 3, 2);
            } else {
                return null;
            }
            if (oh < 0 || oh > 18 || om < 0 || om > 59 || (oh == 18 && om > 0)) {
                return null;
            }
            offset = sign * (oh * 3600 + om * 60);
        } else {
            return null;
        }
        long epochSecond = java.time.LocalDate.of(year, month, day).toEpochDay() * 86_400L
                + hour * 3600L + minute * 60L + second - offset;
        return Instant.ofEpochSecond(epochSecond, nanos);
    }

    /** The decimal number of count digits at from; -1 when one is not a digit. */
    private static int digits(String t, int from, int count) {
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = t.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static String str(JsonNode n) {
        return n == null || n.isNull() || n.isContainerNode() ? null : n.asText();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String cap(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
