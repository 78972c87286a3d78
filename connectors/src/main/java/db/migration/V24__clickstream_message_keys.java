package db.migration;

import io.crmhub.connectors.clickstream.MessageKeys;
import io.crmhub.connectors.jdbc.DatabaseKind;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Clickstream: the messageIds remembered for de-duplication are kept as 16-byte keys (the id itself when it is a
 * UUID, else a digest of it: {@link MessageKeys}) instead of the id's text: {@code click_message_key} replaces {@code click_message_seen}.
 * The remembered ids are carried over with their times, so an event sent again within the retention is still
 * recognised after the upgrade. PostgreSQL computes the keys in SQL (the same function, see
 * {@link MessageKeys#SQL}); H2 streams the rows through Java.
 */
public class V24__clickstream_message_keys extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        boolean postgres = DatabaseKind.isPostgres(c);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE click_message_key (message_key UUID NOT NULL, seen_at TIMESTAMP WITH TIME ZONE NOT NULL,"
                    + " CONSTRAINT click_message_key_pk PRIMARY KEY (message_key))");
            if (postgres) {
                st.execute("INSERT INTO click_message_key (message_key, seen_at) SELECT " + MessageKeys.SQL
                        + ", seen_at FROM click_message_seen ON CONFLICT (message_key) DO NOTHING");
            }
        }
        if (!postgres) {
            try (Statement read = c.createStatement();
                 PreparedStatement write = c.prepareStatement("INSERT INTO click_message_key (message_key, seen_at) VALUES (?, ?)")) {
                read.setFetchSize(1000);
                int pending = 0;
                try (ResultSet rs = read.executeQuery("SELECT message_id, seen_at FROM click_message_seen")) {
                    while (rs.next()) {
                        write.setObject(1, MessageKeys.of(rs.getString(1)));
                        write.setObject(2, rs.getObject(2));
                        write.addBatch();
                        if (++pending == 1000) {
                            write.executeBatch();
                            pending = 0;
                        }
                    }
                }
                if (pending > 0) {
                    write.executeBatch();
                }
            }
        }
        try (Statement st = c.createStatement()) {
            // the index is built after the copy; purging by age reads it
            st.execute("CREATE INDEX click_message_key_at_ix ON click_message_key (seen_at)");
            st.execute("DROP TABLE click_message_seen");
        }
    }
}
