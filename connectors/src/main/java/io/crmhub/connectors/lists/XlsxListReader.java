package io.crmhub.connectors.lists;

import org.dhatim.fastexcel.reader.Cell;
import org.dhatim.fastexcel.reader.CellType;
import org.dhatim.fastexcel.reader.ReadableWorkbook;
import org.dhatim.fastexcel.reader.ReadingOptions;
import org.dhatim.fastexcel.reader.Row;
import org.dhatim.fastexcel.reader.Sheet;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The first sheet of an .xlsx workbook, streamed row by row through fastexcel-reader (the sheet XML
 * is parsed as a stream; only the shared-strings table is held). Numbers come as plain decimals
 * (no exponent, no trailing ".0": phone numbers and ids survive), date-formatted cells as ISO dates.
 */
public final class XlsxListReader implements TabularReader {

    private final ReadableWorkbook workbook;
    private final Stream<Row> stream;
    private final Iterator<Row> rows;
    private final List<String> header;
    private final long size;
    private long rowNumber;
    private long rowsRead;
    /** the sheet ended, or broke: from then on the iterator is not asked again (a broken one throws again) */
    private boolean ended;
    private final int skipped;
    private int widestSkipped;

    public XlsxListReader(Path file) throws IOException {
        this(file, 0);
    }

    /** The sheet with the header on its non-blank row after the first {@code skip} non-blank rows. */
    public XlsxListReader(Path file, int skip) throws IOException {
        this.skipped = skip;
        this.size = Files.size(file);
        try {
            this.workbook = new ReadableWorkbook(file.toFile(), new ReadingOptions(true, false));
        } catch (IOException | RuntimeException e) {
            throw new UnreadableFileException("not a readable .xlsx workbook (a damaged or incomplete copy?): "
                    + rootMessage(e), e);
        }
        try {
            Sheet sheet = workbook.getFirstSheet();
            this.stream = sheet.openStream();
            this.rows = stream.iterator();
            Row h = null;
            int toSkip = skip;
            while (rows.hasNext()) {
                Row r = rows.next();
                String[] v = values(r, -1);
                if (!blank(v)) {
                    if (toSkip-- == 0) {
                        h = r;
                        break;
                    }
                    widestSkipped = Math.max(widestSkipped, TabularReader.nonBlank(v));
                }
            }
            if (h == null) {
                throw new UnreadableFileException(skip == 0 ? "the first sheet is empty: a header row is required"
                        : "the first sheet has no row after " + skip + " non-blank rows");
            }
            List<String> names = new ArrayList<>();
            for (String s : values(h, -1)) {
                names.add(s == null ? "" : s.strip());
            }
            this.header = List.copyOf(names);
            this.rowNumber = h.getRowNum();
        } catch (IOException e) {
            workbook.close();
            throw e;
        } catch (RuntimeException e) {
            workbook.close();
            throw new UnreadableFileException("cannot read the first sheet: " + e.getMessage(), e);
        }
    }

    private static boolean blank(String[] values) {
        return TabularReader.nonBlank(values) == 0;
    }

    private String[] values(Row r, int width) {
        int n = Math.max(r.getCellCount(), width);
        String[] out = new String[n];
        for (int i = 0; i < r.getCellCount(); i++) {
            out[i] = text(r.getCell(i));
        }
        return out;
    }

    static String text(Cell c) {
        if (c == null) {
            return null;
        }
        CellType t = c.getType();
        if (t == CellType.EMPTY || t == CellType.ERROR) {
            return null;
        }
        if (t == CellType.NUMBER || (t == CellType.FORMULA && c.getValue() instanceof BigDecimal)) {
            // a formula's value is the one Excel computed and stored with it (fastexcel's asNumber and asDate refuse
            // a FORMULA cell: read through getValue)
            BigDecimal n = t == CellType.NUMBER ? c.asNumber() : (BigDecimal) c.getValue();
            String fmt = c.getDataFormatString();
            if (n != null && fmt != null && isDateFormat(fmt)) {
                try {
                    LocalDateTime d = t == CellType.NUMBER ? c.asDate() : excelDate(n);
                    return d.toLocalTime().equals(LocalTime.MIDNIGHT) ? d.toLocalDate().toString() : d.toString();
                } catch (RuntimeException e) {
                    // not a date after all: the number
                }
            }
            return n == null ? c.getRawValue() : n.stripTrailingZeros().toPlainString();
        }
        if (t == CellType.BOOLEAN) {
            return String.valueOf(c.asBoolean());
        }
        return c.getText();
    }

    /** An Excel serial date (1900 date system, Excel's 1900-02-29 included) to the date and time it stands for. */
    static LocalDateTime excelDate(BigDecimal serial) {
        double v = serial.doubleValue();
        if (v < 0 || v > 2_958_465) {          // 9999-12-31
            throw new IllegalArgumentException("not an Excel date: " + serial);
        }
        long days = (long) Math.floor(v);
        long millis = Math.round((v - days) * 86_400_000d);
        java.time.LocalDate base = days < 61 ? java.time.LocalDate.of(1899, 12, 31) : java.time.LocalDate.of(1899, 12, 30);
        return base.plusDays(days).atStartOfDay().plus(java.time.Duration.ofMillis(millis));
    }

    static boolean isDateFormat(String fmt) {
        String f = fmt.replaceAll("\"[^\"]*\"", "").replaceAll("\\[[^]]*]", "").toLowerCase(java.util.Locale.ROOT);
        if (f.equals("general") || f.contains("0") || f.contains("#")) {
            return false;
        }
        return f.contains("y") || f.contains("d") || (f.contains("m") && !f.contains("h"));
    }

    @Override
    public List<String> header() {
        return header;
    }

    @Override
    public String[] next() throws IOException {
        if (ended) {
            return null;
        }
        try {
            while (rows.hasNext()) {
                Row r = rows.next();
                String[] v = values(r, header.size());
                if (!blank(v)) {
                    rowNumber = r.getRowNum();
                    rowsRead++;
                    return v;
                }
            }
            ended = true;
            return null;
        } catch (RuntimeException e) {
            ended = true;
            throw new UnreadableFileException("cannot read the sheet after row " + rowNumber + ": " + rootMessage(e), e);
        }
    }

    /** What broke, without the parser's wrappers (they name the hub's staging path, which means nothing to a user). */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m).replaceAll("(/[^\\s/]+)+/\\.processing/[^\\s\\]]*", "the file");
    }

    @Override
    public long rowNumber() {
        return rowNumber;
    }

    /** Unknown while streaming a zipped sheet: estimated as rows read, the total only at the end. */
    @Override
    public long bytesRead() {
        return ended ? size : Math.min(size - 1, rowsRead * 64);
    }

    @Override
    public String describe() {
        return "XLSX (first sheet)" + (skipped == 0 ? "" : ", " + skipped + " rows above the header skipped");
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
        try {
            stream.close();
        } finally {
            workbook.close();
        }
    }
}
