package io.crmhub.connectors.lists;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Opens a list file with the reader its content calls for. */
public final class TabularReaders {

    private TabularReaders() {
    }

    public static TabularReader open(Path file, ListSettings settings) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        byte[] magic;
        try (InputStream in = Files.newInputStream(file)) {
            magic = in.readNBytes(8);
        }
        boolean zip = magic.length >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        if (name.endsWith(".xlsx") || zip) {
            if (!zip) {
                throw new TabularReader.UnreadableFileException("not an .xlsx workbook (no zip signature)");
            }
            return new XlsxListReader(file);
        }
        if (name.endsWith(".xls") || (magic.length >= 4 && (magic[0] & 0xff) == 0xD0 && (magic[1] & 0xff) == 0xCF)) {
            throw new TabularReader.UnreadableFileException(
                    "legacy Excel .xls is not supported: save the sheet as .xlsx or CSV");
        }
        return new CsvListReader(file, settings.charset(), settings.delimiter());
    }
}
