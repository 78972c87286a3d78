package io.crmhub.connectors.lists;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * CSV per RFC 4180 through commons-csv: quoted fields with separators, quotes and line breaks.
 * Charset: a BOM wins (UTF-8, UTF-16LE/BE); else the declared one; else UTF-8 when the first 64 KiB
 * are valid UTF-8, otherwise windows-1252 (a superset of ISO-8859-1's printable range). Separator:
 * declared, or whichever of {@code , ; TAB |} occurs most often outside quotes in the header line. The header is
 * the first non-blank line, or the one after {@code skip} non-blank lines (see {@link TabularReaders}).
 */
public final class CsvListReader implements TabularReader {

    static final int SAMPLE = 64 * 1024;
    static final char[] SEPARATORS = {',', ';', '\t', '|'};

    private final Counting counting;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final List<String> header;
    private final String description;
    private long rowNumber = 1;
    private final int skipped;
    private int widestSkipped;

    public CsvListReader(Path file, Charset declared, Character declaredDelimiter) throws IOException {
        this(file, declared, declaredDelimiter, 0);
    }

    public CsvListReader(Path file, Charset declared, Character declaredDelimiter, int skip) throws IOException {
        this.skipped = skip;
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(SAMPLE);
        }
        int bom = 0;
        Charset charset;
        String how;
        if (head.length >= 3 && (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF) {
            charset = StandardCharsets.UTF_8;
            bom = 3;
            how = "UTF-8 (BOM)";
        } else if (head.length >= 2 && (head[0] & 0xff) == 0xFF && (head[1] & 0xff) == 0xFE) {
            charset = StandardCharsets.UTF_16LE;
            bom = 2;
            how = "UTF-16LE (BOM)";
        } else if (head.length >= 2 && (head[0] & 0xff) == 0xFE && (head[1] & 0xff) == 0xFF) {
            charset = StandardCharsets.UTF_16BE;
            bom = 2;
            how = "UTF-16BE (BOM)";
        } else if (declared != null && (declared.equals(StandardCharsets.ISO_8859_1) || declared.equals(StandardCharsets.US_ASCII))) {
            // as browsers do (WHATWG Encoding): a file said to be Latin-1 is windows-1252, its superset, in practice
            // (Excel's "€", "„", curly quotes are bytes 0x80-0x9F, control characters in ISO-8859-1)
            charset = Charset.forName("windows-1252");
            how = "windows-1252 (declared " + declared.name() + ")";
        } else if (declared != null) {
            charset = declared;
            how = declared.name() + " (declared)";
        } else if (utf16(head, 1)) {
            // Excel's "Unicode text" and some exports without a byte-order mark: every other byte of Latin text NUL
            charset = StandardCharsets.UTF_16LE;
            how = "UTF-16LE (detected: no byte-order mark)";
        } else if (utf16(head, 0)) {
            charset = StandardCharsets.UTF_16BE;
            how = "UTF-16BE (detected: no byte-order mark)";
        } else if (validUtf8(head, head.length < SAMPLE)) {
            charset = StandardCharsets.UTF_8;
            how = "UTF-8 (detected)";
        } else if (holdsUtf8(head)) {
            // a UTF-8 file with a line pasted in from a windows-1252 one: read as windows-1252, every "ü" of the
            // file would become "Ã¼" (and overwrite good names in the CRM); read as UTF-8, only that line is wrong,
            // and its row is rejected with the reason (RowMapper)
            charset = StandardCharsets.UTF_8;
            how = "UTF-8 (detected; bytes that are not UTF-8 read as windows-1252)";
        } else {
            charset = Charset.forName("windows-1252");
            how = "windows-1252 (detected: not UTF-8)";
        }
        String sample = new String(head, bom, head.length - bom, charset);
        int nul = sample.indexOf('\u0000');
        if (nul >= 0) {
            long line = sample.substring(0, nul).chars().filter(c -> c == '\n').count() + 1;
            throw new UnreadableFileException("binary content in line " + line + " (a NUL character at character "
                    + (nul + 1) + "): not a text file" + (declared == null ? "" : " in the declared " + declared.name())
                    + "; a damaged file, or an .xlsx or other format renamed .csv");
        }
        // Excel's "sep=;" hint line names the separator and is not part of the data
        java.util.regex.Matcher hint = java.util.regex.Pattern.compile("^sep=(.)\\r?\\n").matcher(sample);
        boolean sepLine = hint.find();
        char delimiter = declaredDelimiter != null ? declaredDelimiter
                : sepLine ? hint.group(1).charAt(0)
                : detectSeparator(sample, sepLine ? skip + 1 : skip);
        this.description = "CSV, " + how + ", separator " + (delimiter == '\t' ? "TAB" : "'" + delimiter + "'")
                + (skip == 0 ? "" : ", " + skip + " lines above the header skipped");

        InputStream raw = Files.newInputStream(file);
        this.counting = new Counting(raw);
        try {
            counting.skipNBytes(bom);
            CharsetDecoder decoder = charset.equals(StandardCharsets.UTF_8) ? new Utf8OrWindows1252() : charset.newDecoder();
            BufferedReader reader = new BufferedReader(new InputStreamReader(counting,
                    decoder.onMalformedInput(CodingErrorAction.REPLACE)
                            .onUnmappableCharacter(CodingErrorAction.REPLACE)), 1 << 16);
            if (sepLine) {
                reader.readLine();
            }
            CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true)
                    .setTrim(false).get();
            this.parser = CSVParser.builder().setReader(reader).setFormat(format).get();
            this.records = parser.iterator();
            CSVRecord h = null;
            for (int toSkip = skip; records.hasNext(); ) {
                CSVRecord r = records.next();
                if (skip == 0 || !blank(r.values())) {
                    if (toSkip-- == 0) {
                        h = r;
                        break;
                    }
                    widestSkipped = Math.max(widestSkipped, TabularReader.nonBlank(r.values()));
                }
            }
            if (h == null) {
                throw new UnreadableFileException(skip == 0 ? "the file is empty: a header line is required"
                        : "no line after " + skip + " non-blank lines");
            }
            List<String> names = new ArrayList<>(h.size());
            for (String s : h) {
                names.add(s == null ? "" : s.replace("\uFEFF", "").strip());
            }
            if (names.stream().allMatch(String::isEmpty)) {
                throw new UnreadableFileException("the header line is empty");
            }
            this.header = List.copyOf(names);
            this.rowNumber = h.getRecordNumber();
        } catch (UncheckedIOException e) {
            raw.close();
            throw new UnreadableFileException("cannot parse the header line: " + e.getCause().getMessage(), e);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static boolean blank(String[] values) {
        return TabularReader.nonBlank(values) == 0;
    }

    /**
     * UTF-8, where a byte sequence that is not UTF-8 is read as windows-1252: a UTF-8 file with a line pasted in from
     * a windows-1252 one ("J\u00fcrgen" as the single byte 0xFC) reads right instead of turning into "J\uFFFDrgen".
     * A windows-1252 text is almost never well-formed UTF-8 by chance, so the two cannot be confused in practice. The
     * five bytes windows-1252 has no character for stay U+FFFD, and RowMapper rejects their row.
     */
    static final class Utf8OrWindows1252 extends CharsetDecoder {
        private static final String WINDOWS_1252;

        static {
            byte[] all = new byte[256];
            for (int i = 0; i < 256; i++) {
                all[i] = (byte) i;
            }
            WINDOWS_1252 = new String(all, Charset.forName("windows-1252"));
        }

        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        Utf8OrWindows1252() {
            super(StandardCharsets.UTF_8, 1.0f, 1.0f);
        }

        @Override
        protected CoderResult decodeLoop(ByteBuffer in, CharBuffer out) {
            while (true) {
                CoderResult r = utf8.decode(in, out, false);
                if (!r.isError()) {
                    return r;                           // underflow (more input needed) or overflow
                }
                if (out.remaining() < r.length()) {
                    return CoderResult.OVERFLOW;
                }
                for (int k = 0; k < r.length(); k++) {
                    out.put(WINDOWS_1252.charAt(in.get() & 0xff));
                }
            }
        }

        @Override
        protected void implReset() {
            utf8.reset();
        }
    }

    /**
     * Whether the bytes hold UTF-8 text besides stray bytes that are not: any well-formed multi-byte sequence. A
     * windows-1252 text has none in practice ("é" is one byte followed by ASCII, "ß" too), so it is not taken for
     * UTF-8; a file that mixes both (a windows-1252 line pasted into a UTF-8 file, or the other way round) is read
     * right by {@link Utf8OrWindows1252} line for line, where reading it all as windows-1252 garbles its UTF-8
     * names ("JÃ¼rgen") and overwrites correct ones in the CRM.
     */
    static boolean holdsUtf8(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            int n = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
            boolean ok = n > 0 && i + n < b.length;
            for (int k = 1; ok && k <= n; k++) {
                ok = (b[i + k] & 0xC0) == 0x80;
            }
            if (ok) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the bytes look like UTF-16 without a byte-order mark: in the first KiB, at least 40% of the bytes at
     * the given parity (1: little-endian, where Latin text has its NUL high bytes) are NUL and almost none of the
     * others.
     */
    static boolean utf16(byte[] head, int parity) {
        int n = Math.min(head.length, 1024) & ~1;
        if (n < 8) {
            return false;
        }
        int here = 0;
        int there = 0;
        for (int i = 0; i < n; i++) {
            if (head[i] == 0) {
                if ((i & 1) == parity) {
                    here++;
                } else {
                    there++;
                }
            }
        }
        return here >= 0.4 * (n / 2) && there <= 0.05 * (n / 2);
    }

    static boolean validUtf8(byte[] head, boolean complete) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(head);
        CharBuffer out = CharBuffer.allocate(head.length + 16);
        CoderResult r = d.decode(in, out, complete);
        if (r.isError()) {
            return false;
        }
        if (complete) {
            try {
                return !d.flush(out).isError();
            } catch (RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    /** The candidate that occurs most often outside quotes on the first line; ',' when none does. */
    static char detectSeparator(String sample) {
        return detectSeparator(sample, 0);
    }

    /**
     * The candidate that occurs most often outside quotes on the line after {@code skip} non-blank lines (line
     * breaks inside quotes belong to their line); ',' when none does.
     */
    static char detectSeparator(String sample, int skip) {
        int[] counts = new int[SEPARATORS.length];
        boolean quoted = false;
        int start = 0;
        for (int toSkip = skip; toSkip > 0 && start < sample.length(); ) {
            int i = start;
            boolean blank = true;
            for (; i < sample.length(); i++) {
                char c = sample.charAt(i);
                if (c == '"') {
                    quoted = !quoted;
                } else if (!quoted && (c == '\n' || c == '\r')) {
                    break;
                }
                if (!Character.isWhitespace(c) && c != '"' && c != ',' && c != ';' && c != '|') {
                    blank = false;
                }
            }
            start = i + 1;
            if (!blank) {
                toSkip--;
            }
        }
        // blank lines before the header line
        while (start < sample.length() && (sample.charAt(start) == '\n' || sample.charAt(start) == '\r')) {
            start++;
        }
        quoted = false;
        for (int i = start; i < sample.length(); i++) {
            char c = sample.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == '\n' || c == '\r')) {
                break;
            } else if (!quoted) {
                for (int k = 0; k < SEPARATORS.length; k++) {
                    if (c == SEPARATORS[k]) {
                        counts[k]++;
                    }
                }
            }
        }
        int best = 0;
        for (int k = 1; k < counts.length; k++) {
            if (counts[k] > counts[best]) {
                best = k;
            }
        }
        return counts[best] == 0 ? ',' : SEPARATORS[best];
    }

    @Override
    public List<String> header() {
        return header;
    }

    @Override
    public String[] next() throws IOException {
        try {
            while (records.hasNext()) {
                CSVRecord r = records.next();
                rowNumber = r.getRecordNumber();
                String[] values = r.values();
                if (!blank(values)) {
                    return values;
                }
            }
            return null;
        } catch (UncheckedIOException e) {
            throw new UnreadableFileException("CSV syntax error after row " + rowNumber + ": "
                    + e.getCause().getMessage(), e);
        } catch (IllegalStateException e) {
            throw new UnreadableFileException("CSV syntax error after row " + rowNumber + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long rowNumber() {
        return rowNumber;
    }

    @Override
    public long bytesRead() {
        return counting.count;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public int linesBeforeHeader() {
        return skipped;
    }

    @Override
    public int widestLineBeforeHeader() {
        return widestSkipped;
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }

    static final class Counting extends FilterInputStream {
        volatile long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }

}
