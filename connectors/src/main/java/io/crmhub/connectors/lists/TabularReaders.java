package io.crmhub.connectors.lists;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/** Opens a list file with the reader its content calls for. */
public final class TabularReaders {

    /** How many non-blank lines above the header {@link #open(Path, ListSettings, Predicate)} looks past. */
    public static final int MAX_LINES_BEFORE_HEADER = 10;

    private TabularReaders() {
    }

    /** The file with its first non-blank line (row) as the header. */
    public static TabularReader open(Path file, ListSettings settings) throws IOException {
        return open(file, settings, 0);
    }

    /**
     * The file with the first of its first {@value #MAX_LINES_BEFORE_HEADER} + 1 non-blank lines that
     * {@code isHeader} accepts as the header and that has more values than each line above it (notes, a title);
     * the lines above it are skipped. When none is, the first line is
     * the header (whose column names then go into the reason the file is refused).
     */
    public static TabularReader open(Path file, ListSettings settings, Predicate<List<String>> isHeader) throws IOException {
        for (int skip = 0; skip <= MAX_LINES_BEFORE_HEADER; skip++) {
            TabularReader r;
            try {
                r = open(file, settings, skip);
            } catch (TabularReader.UnreadableFileException e) {
                if (skip == 0) {
                    throw e;
                }
                break;            // fewer lines than that, or not readable as such: the first line it is
            }
            int values = (int) r.header().stream().filter(h -> !h.isBlank()).count();
            // a header below notes or a title has more columns than any line above it: a data row whose cell
            // happens to read "email" under a header that maps nothing is not taken for the header
            if (values > r.widestLineBeforeHeader() && isHeader.test(r.header())) {
                return r;
            }
            r.close();
        }
        return open(file, settings, 0);
    }

    private static TabularReader open(Path file, ListSettings settings, int skip) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        byte[] magic;
        try (InputStream in = Files.newInputStream(file)) {
            magic = in.readNBytes(8);
        }
        boolean zip = magic.length >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        if (name.endsWith(".ods") || name.endsWith(".numbers")) {
            throw new TabularReader.UnreadableFileException("a " + name.substring(name.lastIndexOf('.'))
                    + " spreadsheet is not supported: save the sheet as .xlsx or CSV");
        }
        if (name.endsWith(".xlsx") || zip) {
            if (!zip) {
                throw new TabularReader.UnreadableFileException("not an .xlsx workbook (no zip signature)");
            }
            return new XlsxListReader(file, skip);
        }
        if (name.endsWith(".xls") || (magic.length >= 4 && (magic[0] & 0xff) == 0xD0 && (magic[1] & 0xff) == 0xCF)) {
            throw new TabularReader.UnreadableFileException(
                    "legacy Excel .xls is not supported: save the sheet as .xlsx or CSV");
        }
        return new CsvListReader(file, settings.charset(), settings.delimiter(), skip);
    }
}
