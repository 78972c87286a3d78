package io.crmhub.mappings.normalise;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dates to {@link LocalDate} and timestamps to {@link Instant}.
 * <p>
 * Dates: ISO {@code 2024-03-31} (a time part after it is ignored), {@code 31.03.2024},
 * {@code 31/03/2024} or {@code 03/31/2024} (also with dashes; when both readings are possible,
 * {@code dayFirst} decides), {@code 2024/03/31}, {@code 20240331} and five-digit Excel serial day
 * numbers ({@code 45382}, also with a time fraction; 1927-05-18 to 2173-10-14). Two-digit years and year-only values are rejected
 * as ambiguous, impossible dates such as 31.02. as impossible. Birth dates must also lie between
 * 1900-01-01 and today (in the default zone).
 * <p>
 * Timestamps: any of the date forms followed by {@code T} or a space and {@code HH:mm[:ss[.fraction]]},
 * optionally followed by {@code Z}/{@code UTC}/{@code GMT}, an offset ({@code +01:00}, {@code +0100},
 * {@code +01}) and/or a zone in brackets ({@code [Europe/Berlin]}); without offset or zone the
 * default zone applies, a date alone means its start of day there. Plain numbers of 9-10 digits
 * are epoch seconds (a fraction allowed), 11-13 digits epoch milliseconds.
 * <p>
 * Thread-safe.
 */
public final class DateNormaliser {

    private static final LocalDate MIN_BIRTH_DATE = LocalDate.of(1900, 1, 1);
    /** Day 0 of Excel's 1900 date system for serials from 61 on (Excel counts a 1900-02-29 that never was). */
    private static final LocalDate EXCEL_EPOCH = LocalDate.of(1899, 12, 30);

    static final String UNRECOGNISED = "unrecognised date format (expected e.g. 2024-03-31, 31.03.2024, "
            + "31/03/2024, 2024/03/31 or an Excel serial number)";

    private static final String TIME = "(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?";
    private static final String OFFSET = "([Zz]|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?)";

    /** Groups: 1 first number, 2 separator, 3 middle, 4 last number, 5 start of an optional time tail. */
    private static final Pattern DATE = Pattern.compile(
            "(\\d{1,4})\\s*([./-])\\s*(\\d{1,2})\\s*\\2\\s*(\\d{1,4})\\.?"
                    + "([T\\s]\\s*" + TIME + "\\s*" + OFFSET + "?(?:\\[[^\\]]+\\])?)?");
    /** Groups: 1 date, 2 hour, 3 minute, 4 second, 5 fraction, 6 offset, 7 zone id. */
    private static final Pattern TIMESTAMP = Pattern.compile(
            "([^\\sT]+)(?:T|\\s+)" + TIME + "\\s*" + OFFSET + "?(?:\\[([^\\]]+)\\])?");
    private static final Pattern EXCEL_WITH_FRACTION = Pattern.compile("(\\d{5})[.,]\\d+");
    private static final Pattern EPOCH = Pattern.compile("(-?)(\\d+)(?:[.,](\\d{1,9}))?");

    private static final Set<String> ZONE_IDS = Set.copyOf(ZoneId.getAvailableZoneIds());
    private static final Map<String, ZoneId> ZONES = new ConcurrentHashMap<>();

    private final ZoneId defaultZone;
    private final boolean dayFirst;
    private final Clock clock;

    public DateNormaliser(NormaliserSettings settings) {
        this(settings.defaultZone(), settings.dayFirst(), Clock.systemUTC());
    }

    /**
     * @param defaultZone zone for timestamps without offset and for "today"
     * @param dayFirst    read ambiguous 03/04/2024 as 3 April ({@code true}) or March 4 ({@code false})
     * @param clock       source of "today" for the birth date check
     */
    public DateNormaliser(ZoneId defaultZone, boolean dayFirst, Clock clock) {
        this.defaultZone = Objects.requireNonNull(defaultZone, "defaultZone");
        this.dayFirst = dayFirst;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Any calendar date. */
    public Result<LocalDate> parseDate(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        return date(Text.strip(raw), true, true);
    }

    /**
     * A birth date: a valid date between 1900-01-01 and today. A date-time with an offset or zone is the date it
     * is in the default zone: analytics.js sends {@code new Date(1990, 4, 17)} of a browser at UTC+2 as
     * {@code 1990-05-16T22:00:00.000Z}, which is the 17th there, not the 16th.
     */
    public Result<LocalDate> parseBirthDate(String raw) {
        Result<LocalDate> r = null;
        if (!Text.isBlank(raw)) {
            String s = Text.strip(raw);
            Matcher ts = TIMESTAMP.matcher(s);
            if (ts.matches() && (ts.group(6) != null || ts.group(7) != null)) {
                Result<Instant> at = timestamp(s, ts);
                if (at.isOk()) {
                    r = Result.ok(LocalDate.ofInstant(at.value(), defaultZone));
                }
            }
        }
        if (r == null) {
            r = parseDate(raw);
        }
        if (!r.isOk()) {
            return r;
        }
        LocalDate d = r.value();
        if (d.isBefore(MIN_BIRTH_DATE)) {
            return Result.invalid("birth date before 1900");
        }
        if (d.isAfter(LocalDate.ofInstant(clock.instant(), defaultZone))) {
            return Result.invalid("birth date in the future");
        }
        return r;
    }

    /** A point in time. */
    public Result<Instant> parseInstant(String raw) {
        if (Text.isBlank(raw)) {
            return Result.empty();
        }
        String s = Text.strip(raw);
        Matcher epoch = EPOCH.matcher(s);
        if (epoch.matches()) {
            return epoch(s, epoch);
        }
        Matcher ts = TIMESTAMP.matcher(s);
        if (ts.matches()) {
            return timestamp(s, ts);
        }
        Result<LocalDate> d = date(s, false, false);
        return d.isOk() ? Result.ok(d.value().atStartOfDay(defaultZone).toInstant()) : d.cast();
    }

    private Result<Instant> epoch(String s, Matcher m) {
        int digits = m.end(2) - m.start(2);
        if (digits == 8 && m.start(1) == m.end(1) && m.start(3) < 0) {
            Result<LocalDate> d = date(s, false, false);
            return d.isOk() ? Result.ok(d.value().atStartOfDay(defaultZone).toInstant()) : d.cast();
        }
        boolean negative = m.end(1) > m.start(1);
        if (digits < 9 || digits > 13) {
            return Result.invalid("number is not an epoch timestamp (expected 9-10 digits of seconds or 11-13 of milliseconds)");
        }
        long whole = parseLong(s, m.start(2), m.end(2));
        if (negative) {
            whole = -whole;
        }
        if (digits <= 10) {
            long nanos = 0;
            if (m.start(3) >= 0) {
                nanos = fractionNanos(s, m.start(3), m.end(3));
            }
            return Result.ok(Instant.ofEpochSecond(whole, negative ? -nanos : nanos));
        }
        return Result.ok(Instant.ofEpochMilli(whole));
    }

    private Result<Instant> timestamp(String s, Matcher m) {
        Result<LocalDate> d = date(s.substring(m.start(1), m.end(1)), false, false);
        if (!d.isOk()) {
            return d.isEmpty() ? Result.invalid(UNRECOGNISED) : d.cast();
        }
        int hour = parseInt(s, m.start(2), m.end(2));
        int minute = parseInt(s, m.start(3), m.end(3));
        int second = m.start(4) >= 0 ? parseInt(s, m.start(4), m.end(4)) : 0;
        int nanos = m.start(5) >= 0 ? (int) fractionNanos(s, m.start(5), m.end(5)) : 0;
        if (hour > 23 || minute > 59 || second > 59) {
            return Result.invalid("impossible time of day");
        }
        LocalDateTime local = LocalDateTime.of(d.value(), LocalTime.of(hour, minute, second, nanos));
        if (m.start(6) >= 0) {
            Result<ZoneOffset> offset = offset(s, m.start(6), m.end(6));
            return offset.isOk() ? Result.ok(local.toInstant(offset.value())) : offset.cast();
        }
        if (m.start(7) >= 0) {
            ZoneId zone = zone(s.substring(m.start(7), m.end(7)));
            return zone == null ? Result.invalid("unknown time zone") : Result.ok(local.atZone(zone).toInstant());
        }
        return Result.ok(local.atZone(defaultZone).toInstant());
    }

    private Result<LocalDate> date(String s, boolean allowSerial, boolean allowTimeTail) {
        int len = s.length();
        if (allDigits(s)) {
            if (len == 8) {
                return ymd(parseInt(s, 0, 4), parseInt(s, 4, 6), parseInt(s, 6, 8));
            }
            if (len == 4 && s.charAt(0) >= '1' && s.charAt(0) <= '2') {
                return Result.invalid("year only, not a full date");
            }
            if (allowSerial && len == 5) {
                return excel(parseInt(s, 0, 5));
            }
            return Result.invalid(UNRECOGNISED);
        }
        if (allowSerial) {
            Matcher excel = EXCEL_WITH_FRACTION.matcher(s);
            if (excel.matches()) {
                return excel(parseInt(s, 0, 5));
            }
        }
        Matcher m = DATE.matcher(s);
        if (!m.matches() || (!allowTimeTail && m.start(5) >= 0)) {
            return Result.invalid(UNRECOGNISED);
        }
        int l1 = m.end(1) - m.start(1);
        int l3 = m.end(4) - m.start(4);
        int a = parseInt(s, m.start(1), m.end(1));
        int b = parseInt(s, m.start(3), m.end(3));
        int c = parseInt(s, m.start(4), m.end(4));
        if (l1 == 4 && l3 <= 2) {
            return ymd(a, b, c);
        }
        if (l1 <= 2 && l3 == 4) {
            if (s.charAt(m.start(2)) == '.') {
                return ymd(c, b, a);
            }
            // slash or dash: day/month or month/day
            if (a > 12 && b > 12) {
                return Result.invalid("neither day/month nor month/day gives a valid date");
            }
            boolean dayFirstHere = a > 12 || (b <= 12 && dayFirst);
            return dayFirstHere ? ymd(c, b, a) : ymd(c, a, b);
        }
        if (l1 <= 2 && l3 <= 2) {
            return Result.invalid("two-digit year is ambiguous");
        }
        return Result.invalid(UNRECOGNISED);
    }

    private static Result<LocalDate> ymd(int year, int month, int day) {
        if (year < 1) {
            return Result.invalid("year out of range");
        }
        if (month < 1 || month > 12) {
            return Result.invalid("month " + month + " does not exist");
        }
        int max = switch (month) {
            case 2 -> Year.isLeap(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
        if (day < 1 || day > max) {
            return Result.invalid("impossible date: day " + day + " does not exist in " + year + "-"
                    + (month < 10 ? "0" : "") + month);
        }
        return Result.ok(LocalDate.of(year, month, day));
    }

    /** A five-digit Excel serial day number (1927-05-18 .. 2173-10-14); shorter ones are too likely junk. */
    private static Result<LocalDate> excel(int serial) {
        if (serial < 10000) {
            return Result.invalid(UNRECOGNISED);
        }
        return Result.ok(EXCEL_EPOCH.plusDays(serial));
    }

    private static Result<ZoneOffset> offset(String s, int start, int end) {
        char sign = s.charAt(start);
        if (sign != '+' && sign != '-') {
            return Result.ok(ZoneOffset.UTC);
        }
        int hours = parseInt(s, start + 1, start + 3);
        int minutes = 0;
        if (end > start + 3) {
            int mStart = s.charAt(start + 3) == ':' ? start + 4 : start + 3;
            minutes = parseInt(s, mStart, mStart + 2);
        }
        if (hours > 18 || minutes > 59 || (hours == 18 && minutes > 0)) {
            return Result.invalid("impossible UTC offset");
        }
        return Result.ok(sign == '-' ? ZoneOffset.ofHoursMinutes(-hours, -minutes) : ZoneOffset.ofHoursMinutes(hours, minutes));
    }

    private static ZoneId zone(String id) {
        ZoneId zone = ZONES.get(id);
        if (zone == null && ZONE_IDS.contains(id)) {
            zone = ZONES.computeIfAbsent(id, ZoneId::of);
        }
        return zone;
    }

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static int parseInt(CharSequence s, int start, int end) {
        int v = 0;
        for (int i = start; i < end; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    private static long parseLong(CharSequence s, int start, int end) {
        long v = 0;
        for (int i = start; i < end; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    private static long fractionNanos(CharSequence s, int start, int end) {
        long v = parseLong(s, start, end);
        for (int i = end - start; i < 9; i++) {
            v *= 10;
        }
        return v;
    }
}
