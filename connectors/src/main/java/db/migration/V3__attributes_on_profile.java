package db.migration;

import io.crmhub.connectors.crm.AttributeDocument;
import io.crmhub.mappings.model.AttributeValue;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Backbone: a profile's attributes move from one row each ({@code profile_attribute}) into one
 * document on the profile row ({@code profile.attributes}, see {@code AttributeDocument}), values
 * and provenance unchanged. Java rather than SQL because the JSON aggregation differs between
 * PostgreSQL 15 and H2; rows are streamed in profile order, so memory stays flat.
 */
public class V3__attributes_on_profile extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("ALTER TABLE profile ADD COLUMN attributes VARCHAR");
        }
        try (Statement read = c.createStatement();
             PreparedStatement write = c.prepareStatement("UPDATE profile SET attributes = ? WHERE id = ?")) {
            read.setFetchSize(1000);
            int pending = 0;
            try (ResultSet rs = read.executeQuery("SELECT profile_id, name, \"value\", source, observed_at"
                    + " FROM profile_attribute ORDER BY profile_id, name")) {
                Object current = null;
                Map<String, AttributeValue> attributes = new TreeMap<>();
                while (rs.next()) {
                    Object id = rs.getObject(1);
                    if (current != null && !Objects.equals(current, id)) {
                        pending = add(write, current, attributes, pending);
                        attributes = new TreeMap<>();
                    }
                    current = id;
                    Timestamp at = rs.getTimestamp(5);
                    attributes.put(rs.getString(2), new AttributeValue(rs.getString(3), rs.getString(4), at.toInstant()));
                }
                if (current != null) {
                    pending = add(write, current, attributes, pending);
                }
            }
            if (pending > 0) {
                write.executeBatch();
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE profile_attribute");
        }
    }

    private static int add(PreparedStatement write, Object id, Map<String, AttributeValue> attributes, int pending)
            throws Exception {
        write.setString(1, AttributeDocument.write(attributes));
        write.setObject(2, id);
        write.addBatch();
        if (++pending == 1000) {
            write.executeBatch();
            return 0;
        }
        return pending;
    }
}
