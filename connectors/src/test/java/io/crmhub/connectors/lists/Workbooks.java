package io.crmhub.connectors.lists;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** Test workbooks: an .xlsx written by fastexcel, its first sheet's XML changed as Excel or a broken copy leaves it. */
final class Workbooks {

    private Workbooks() {
    }

    /** Copies {@code from} to {@code to} with the first sheet's XML passed through {@code sheetXml}. */
    static Path rewriteFirstSheet(Path from, Path to, UnaryOperator<String> sheetXml) throws IOException {
        try (var in = new java.util.zip.ZipFile(from.toFile());
             var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] bytes;
                try (InputStream is = in.getInputStream(e)) {
                    bytes = is.readAllBytes();
                }
                if (e.getName().equals("xl/worksheets/sheet1.xml")) {
                    bytes = sheetXml.apply(new String(bytes, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
        return to;
    }
}
