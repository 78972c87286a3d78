package io.crmhub.connectors.lists;

import org.dhatim.fastexcel.Workbook;
import org.dhatim.fastexcel.Worksheet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListFileReadersTest {

    @TempDir
    Path dir;

    List<String[]> all(TabularReader r) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String[] v; (v = r.next()) != null; ) {
            rows.add(v);
        }
        return rows;
    }

    Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void rfc4180QuotedFieldsWithSeparatorsQuotesAndNewlines() throws IOException {
        Path f = write("a.csv", ("email,note\r\na@x.de,\"one, two\"\r\nb@x.de,\"line1\nline2 \"\"quoted\"\"\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("a"))) {
            assertThat(r.header()).containsExactly("email", "note");
            List<String[]> rows = all(r);
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)[1]).isEqualTo("one, two");
            assertThat(rows.get(1)[1]).isEqualTo("line1\nline2 \"quoted\"");
            assertThat(r.rowNumber()).isEqualTo(3);
            assertThat(r.describe()).contains("UTF-8 (detected)").contains("','");
        }
    }

    @Test
    void utf8BomAndSemicolon() throws IOException {
        Path f = write("b.csv", concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                "E-Mail;Straße\nä@x.de;Königsallee 1\n".getBytes(StandardCharsets.UTF_8)));
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("b"))) {
            assertThat(r.header()).containsExactly("E-Mail", "Straße");
            assertThat(all(r).get(0)).containsExactly("ä@x.de", "Königsallee 1");
            assertThat(r.describe()).contains("UTF-8 (BOM)").contains("';'");
        }
    }

    @Test
    void utf16WithBomBothByteOrders() throws IOException {
        for (Charset cs : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE)) {
            byte[] bom = cs == StandardCharsets.UTF_16LE ? new byte[]{(byte) 0xFF, (byte) 0xFE} : new byte[]{(byte) 0xFE, (byte) 0xFF};
            Path f = write("c-" + cs.name() + ".csv", concat(bom, "email\tName\nß@x.de\tJosé\n".getBytes(cs)));
            try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("c"))) {
                assertThat(r.header()).containsExactly("email", "Name");
                assertThat(all(r).get(0)).containsExactly("ß@x.de", "José");
                assertThat(r.describe()).contains(cs.name()).contains("TAB");
            }
        }
    }

    @Test
    void windows1252DetectedAndIso88591Declared() throws IOException {
        Path f = write("d.csv", "email|Name|Preis\nx@y.de|Müller|5 €\n".getBytes(Charset.forName("windows-1252")));
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("d"))) {
            assertThat(all(r).get(0)).containsExactly("x@y.de", "Müller", "5 €");
            assertThat(r.describe()).contains("windows-1252").contains("'|'");
        }
        // declared Latin-1 but written by Excel: "„Müller“" and "€" are windows-1252 bytes 0x84, 0x93 and 0x80, which
        // ISO-8859-1 makes control characters; read as windows-1252 (as browsers do)
        Path g = write("e.csv", "email,Name,Preis\nx@y.de,Gonçalves „Müller“,5 €\n".getBytes(Charset.forName("windows-1252")));
        ListSettings declared = new ListSettings("e", null, null, null, StandardCharsets.ISO_8859_1, null, null, false, false);
        try (TabularReader r = TabularReaders.open(g, declared)) {
            assertThat(all(r).get(0)).containsExactly("x@y.de", "Gonçalves „Müller“", "5 €");
            assertThat(r.describe()).contains("windows-1252 (declared ISO-8859-1)");
        }
    }

    @Test
    void utf16WithoutAByteOrderMarkIsDetectedAndBinaryContentSaysWhere() throws IOException {
        for (Charset cs : new Charset[]{StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE}) {
            Path f = write("u16-" + cs.name() + ".txt", "email\tName\nß@x.de\tJosé Müller\n".getBytes(cs));
            try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("u"))) {
                assertThat(r.header()).containsExactly("email", "Name");
                assertThat(all(r).get(0)).containsExactly("ß@x.de", "José Müller");
                assertThat(r.describe()).contains(cs.name() + " (detected: no byte-order mark)");
            }
        }
        byte[] garbage = ("email,name\na@x.de,A\nb@x.de,B\n").getBytes(StandardCharsets.UTF_8);
        byte[] content = java.util.Arrays.copyOf(garbage, garbage.length + 40);
        for (int i = garbage.length; i < content.length; i++) {
            content[i] = (byte) (i % 3 == 0 ? 0 : 0xA7);
        }
        Path bin = write("bin.csv", content);
        assertThatThrownBy(() -> TabularReaders.open(bin, ListSettings.defaults("bin")))
                .isInstanceOf(TabularReader.UnreadableFileException.class)
                .hasMessageStartingWith("binary content in line 4 (a NUL character at character ")
                .hasMessageNotContaining("windows-1252");
    }

    @Test
    void aFileMixingUtf8AndWindows1252LinesReadsEachLineRight() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes("email,first,last,city\n".getBytes(StandardCharsets.UTF_8));
        b.writeBytes("a@x.de,Jürgen,Müller,Berlin\n".getBytes(StandardCharsets.UTF_8));
        // more stray windows-1252 bytes than UTF-8 characters, in either order
        b.writeBytes("b@x.de,Björn,Größ,Köln\n".getBytes(Charset.forName("windows-1252")));
        b.writeBytes("c@x.de,Françoise,Œuvre,„Zürich“\n".getBytes(Charset.forName("windows-1252")));
        Path f = write("mixed.csv", b.toByteArray());
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("m"))) {
            List<String[]> rows = all(r);
            assertThat(rows.get(0)).containsExactly("a@x.de", "Jürgen", "Müller", "Berlin");
            assertThat(rows.get(1)).containsExactly("b@x.de", "Björn", "Größ", "Köln");
            assertThat(rows.get(2)).containsExactly("c@x.de", "Françoise", "Œuvre", "„Zürich“");
            assertThat(r.describe()).contains("UTF-8 (detected; bytes that are not UTF-8 read as windows-1252)");
        }
    }

    @Test
    void separatorDetectionIgnoresQuotedSeparators() {
        assertThat(CsvListReader.detectSeparator("\"a,b,c\";x;y\n1,2,3,4,5")).isEqualTo(';');
        assertThat(CsvListReader.detectSeparator("email\n")).isEqualTo(',');
        assertThat(CsvListReader.detectSeparator("a|b|c")).isEqualTo('|');
    }

    @Test
    void emptyFileAndLegacyXlsAreUnreadable() throws IOException {
        Path empty = write("f.csv", new byte[0]);
        assertThatThrownBy(() -> TabularReaders.open(empty, ListSettings.defaults("f")))
                .isInstanceOf(TabularReader.UnreadableFileException.class).hasMessageContaining("empty");
        Path xls = write("g.xls", new byte[]{(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, 0, 0, 0, 0});
        assertThatThrownBy(() -> TabularReaders.open(xls, ListSettings.defaults("g")))
                .isInstanceOf(TabularReader.UnreadableFileException.class).hasMessageContaining(".xlsx");
    }

    @Test
    void xlsxFirstSheetWithNumbersAndDates() throws IOException {
        Path f = dir.resolve("h.xlsx");
        try (OutputStream os = Files.newOutputStream(f)) {
            Workbook wb = new Workbook(os, "test", "1.0");
            Worksheet ws = wb.newWorksheet("Leads");
            ws.value(0, 0, "E-Mail");
            ws.value(0, 1, "Mobile");
            ws.value(0, 2, "Birth Date");
            ws.value(0, 3, "Name");
            ws.value(1, 0, "a@x.de");
            ws.value(1, 1, 491711234567L);
            ws.value(1, 2, LocalDate.of(1980, 4, 3));
            ws.style(1, 2).format("yyyy-mm-dd").set();
            ws.value(1, 3, "Zoë");
            ws.value(3, 0, "b@x.de");
            Worksheet other = wb.newWorksheet("Other");
            other.value(0, 0, "ignored");
            wb.finish();
        }
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("h"))) {
            assertThat(r.header()).containsExactly("E-Mail", "Mobile", "Birth Date", "Name");
            String[] first = r.next();
            assertThat(first).containsExactly("a@x.de", "491711234567", "1980-04-03", "Zoë");
            assertThat(r.rowNumber()).isEqualTo(2);
            String[] second = r.next();
            assertThat(second[0]).isEqualTo("b@x.de");
            assertThat(r.rowNumber()).isEqualTo(4);
            assertThat(r.next()).isNull();
        }
    }

    @Test
    void excelSeparatorHintLineIsHonouredAndSkipped() throws IOException {
        Path f = write("sep.csv", "sep=;\r\nEmail;Name, first\r\na@x.de;Ann, B\r\n".getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("sep"))) {
            assertThat(r.header()).containsExactly("Email", "Name, first");
            assertThat(all(r).get(0)).containsExactly("a@x.de", "Ann, B");
        }
    }

    static final java.util.function.Predicate<List<String>> HAS_EMAIL =
            h -> h.stream().anyMatch(c -> ColumnAliases.builtIn().target(c) != null
                    && ColumnAliases.builtIn().target(c).equals(ListColumns.EMAIL));

    @Test
    void notesAndTitlesAboveTheHeaderAreSkipped() throws IOException {
        // LinkedIn's export of connections: a note of two lines, a blank line, then the header
        Path f = write("Connections.csv", ("Notes:\n\"When exporting your connection data, you may notice that some of the"
                + " email addresses are missing. You will only see email addresses for connections who have allowed"
                + " their connections to see or download their email address using this setting"
                + " https://www.linkedin.com/psettings/privacy/email. You can learn more here"
                + " https://www.linkedin.com/help/linkedin/answer/261\"\n\nFirst Name,Last Name,URL,Email Address,Company,"
                + "Position,Connected On\nAnn,Lee,https://www.linkedin.com/in/annlee,ann@example.com,Acme,CTO,02 May 2024\n")
                .getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("li"), HAS_EMAIL)) {
            assertThat(r.header()).containsExactly("First Name", "Last Name", "URL", "Email Address", "Company", "Position",
                    "Connected On");
            assertThat(r.linesBeforeHeader()).isEqualTo(2);
            assertThat(r.describe()).endsWith(", 2 lines above the header skipped");
            assertThat(all(r)).singleElement().satisfies(v -> assertThat(v[3]).isEqualTo("ann@example.com"));
            assertThat(r.rowNumber()).isEqualTo(4);
        }
        // a report's title with a comma above a header separated by ';': the separator is the header line's
        Path g = write("report.csv", "Leads, Mai 2024\r\n;;\r\nE-Mail;Vorname\r\nb@example.de;Bea\r\n"
                .getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(g, ListSettings.defaults("r"), HAS_EMAIL)) {
            assertThat(r.header()).containsExactly("E-Mail", "Vorname");
            assertThat(r.describe()).contains("separator ';'");
            assertThat(all(r)).singleElement().satisfies(v -> assertThat(v).containsExactly("b@example.de", "Bea"));
        }
        // no line names a column that identifies anyone: the first line is the header (and the file is refused
        // with its names as the reason)
        Path h = write("none.csv", "Name,City\nAnn,Berlin\n".getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(h, ListSettings.defaults("n"), HAS_EMAIL)) {
            assertThat(r.header()).containsExactly("Name", "City");
            assertThat(r.linesBeforeHeader()).isZero();
        }
        // ... nor is a data row whose cell reads like a header name: a header has more values than the lines above
        Path d = write("data.csv", "Name,Contact\nAnn,email\nBob,bob@example.com\n".getBytes(StandardCharsets.UTF_8));
        try (TabularReader r = TabularReaders.open(d, ListSettings.defaults("d"), HAS_EMAIL)) {
            assertThat(r.header()).containsExactly("Name", "Contact");
        }
    }

    @Test
    void titleRowsAboveTheHeaderOfASheetAreSkipped() throws IOException {
        Path f = dir.resolve("report.xlsx");
        try (OutputStream os = Files.newOutputStream(f)) {
            Workbook wb = new Workbook(os, "test", "1.0");
            Worksheet ws = wb.newWorksheet("Report");
            ws.value(0, 0, "Trade fair leads");
            ws.value(1, 0, "exported 2024-05-02");
            ws.value(3, 0, "Email");
            ws.value(3, 1, "Name");
            ws.value(4, 0, "c@example.com");
            ws.value(4, 1, "Cy");
            wb.finish();
        }
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("x"), HAS_EMAIL)) {
            assertThat(r.header()).containsExactly("Email", "Name");
            assertThat(r.linesBeforeHeader()).isEqualTo(2);
            assertThat(all(r)).singleElement().satisfies(v -> assertThat(v[0]).isEqualTo("c@example.com"));
            assertThat(r.rowNumber()).isEqualTo(5);
        }
    }

    @Test
    void formulaCellsGiveTheValueExcelStoredWithThem() throws IOException {
        Path plain = dir.resolve("plain.xlsx");
        try (OutputStream os = Files.newOutputStream(plain)) {
            Workbook wb = new Workbook(os, "test", "1.0");
            Worksheet ws = wb.newWorksheet("Leads");
            ws.value(0, 0, "Email");
            ws.value(0, 1, "Birth Date");
            ws.value(0, 2, "Revenue");
            ws.value(1, 0, "a@x.de");
            ws.value(1, 1, LocalDate.of(1980, 4, 3));
            ws.style(1, 1).format("yyyy-mm-dd").set();
            ws.value(1, 2, 42.5);
            wb.finish();
        }
        // Excel writes a formula with the value it computed: <c><f>…</f><v>…</v></c>
        Path f = Workbooks.rewriteFirstSheet(plain, dir.resolve("formulas.xlsx"), xml -> {
            String withFormulas = xml.replaceAll("<c r=\"(B2|C2)\"([^>]*)><v>([^<]*)</v></c>",
                    "<c r=\"$1\"$2><f>SUM(0,$3)</f><v>$3</v></c>");
            assertThat(withFormulas).contains("<f>SUM(0,");
            return withFormulas;
        });
        try (TabularReader r = TabularReaders.open(f, ListSettings.defaults("f"))) {
            assertThat(r.next()).containsExactly("a@x.de", "1980-04-03", "42.5");
        }
    }
}
