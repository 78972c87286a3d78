package io.crmhub.connectors.lists;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/** A list file read row by row (CSV or the first sheet of an .xlsx), never whole in memory. */
public interface TabularReader extends Closeable {

    /** The header row (column names as written, trimmed). */
    List<String> header();

    /** The next data row (blank rows skipped), or null at the end. */
    String[] next() throws IOException;

    /** Row number in the file of the row {@link #next()} returned last (the header is row 1). */
    long rowNumber();

    /** Bytes of the file consumed so far (approximate: read-ahead buffers count). */
    long bytesRead();

    /** What was detected: format, charset, separator (and the lines above the header, if any were skipped). */
    String describe();

    /**
     * How many non-blank lines (rows) above the header were skipped: the notes and titles some exports put
     * first (LinkedIn's "Notes:", a report's title).
     */
    default int linesBeforeHeader() {
        return 0;
    }

    /** The most non-blank values one of the skipped lines above the header has (read as the header is). */
    default int widestLineBeforeHeader() {
        return 0;
    }

    /** How many of the values hold more than white space (0: a blank row). */
    static int nonBlank(String[] values) {
        int n = 0;
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                n++;
            }
        }
        return n;
    }

    /** A file that cannot be read as a whole (wrong format, no header ...): it goes to failed/. */
    class UnreadableFileException extends IOException {
        public UnreadableFileException(String message) {
            super(message);
        }

        public UnreadableFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
