package io.crmhub.connectors.lists;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lines of the errors file {@code <basename>.errors.csv}: {@code row, column, reason}, then the
 * row's original values under the original headers. Every cell that begins with {@code = + - @},
 * TAB or CR is prefixed with an apostrophe so a spreadsheet shows it as text instead of running it
 * as a formula (CSV injection); the prefix is removed again when the corrected file comes back.
 */
public final class ErrorsCsv {

    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setRecordSeparator("\r\n").get();

    private ErrorsCsv() {
    }

    public static String headerLine(List<String> originalHeader) {
        List<String> cells = new ArrayList<>(RowMapper.ERROR_COLUMNS);
        cells.addAll(originalHeader);
        return line(cells);
    }

    public static String line(long row, String column, String reason, String[] values) {
        return line(Long.toString(row), column, reason, values);
    }

    public static String line(String row, String column, String reason, String[] values) {
        List<String> cells = new ArrayList<>(values.length + 3);
        cells.add(row);
        cells.add(column);
        cells.add(reason);
        for (String v : values) {
            cells.add(v);
        }
        return line(cells);
    }

    private static String line(List<String> cells) {
        StringBuilder b = new StringBuilder(64);
        try (CSVPrinter p = new CSVPrinter(b, FORMAT)) {
            List<String> safe = new ArrayList<>(cells.size());
            for (String c : cells) {
                safe.add(neutralise(c));
            }
            p.printRecord(safe);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString();
    }

    public static String neutralise(String cell) {
        if (cell == null || cell.isEmpty()) {
            return cell == null ? "" : cell;
        }
        char c = cell.charAt(0);
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' ? "'" + cell : cell;
    }

    public static String unneutralise(String cell) {
        if (cell != null && cell.length() >= 2 && cell.charAt(0) == '\'') {
            char c = cell.charAt(1);
            if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
                return cell.substring(1);
            }
        }
        return cell;
    }
}
