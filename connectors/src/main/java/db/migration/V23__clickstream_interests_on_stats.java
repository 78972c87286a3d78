package db.migration;

import io.crmhub.connectors.clickstream.InterestDocument;
import io.crmhub.mappings.clickstream.InterestScore;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Clickstream: a profile's interest scores move from one row per category
 * ({@code click_profile_interest}) into one document on its stats row ({@code click_profile_stats.interests},
 * see {@code InterestDocument}), scores and as-of times unchanged. Java rather than SQL because the
 * JSON aggregation differs between PostgreSQL 15 and H2; rows are streamed in profile order, so memory
 * stays flat.
 */
public class V23__clickstream_interests_on_stats extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("ALTER TABLE click_profile_stats ADD COLUMN interests VARCHAR");
        }
        try (Statement read = c.createStatement();
             PreparedStatement write = c.prepareStatement("UPDATE click_profile_stats SET interests = ? WHERE profile_id = ?")) {
            read.setFetchSize(1000);
            int pending = 0;
            try (ResultSet rs = read.executeQuery("SELECT profile_id, category, score, scored_at FROM click_profile_interest"
                    + " ORDER BY profile_id, category")) {
                Object current = null;
                TreeMap<String, InterestScore.Score> scores = new TreeMap<>();
                while (rs.next()) {
                    Object id = rs.getObject(1);
                    if (current != null && !Objects.equals(current, id)) {
                        pending = add(write, current, scores, pending);
                        scores = new TreeMap<>();
                    }
                    current = id;
                    scores.put(rs.getString(2), new InterestScore.Score(rs.getDouble(3),
                            rs.getObject(4, OffsetDateTime.class).toInstant()));
                }
                if (current != null) {
                    pending = add(write, current, scores, pending);
                }
            }
            if (pending > 0) {
                write.executeBatch();
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE click_profile_interest");
        }
    }

    private static int add(PreparedStatement write, Object profile, TreeMap<String, InterestScore.Score> scores,
                           int pending) throws Exception {
        write.setString(1, InterestDocument.write(scores));
        write.setObject(2, profile);
        write.addBatch();
        if (++pending >= 1000) {
            write.executeBatch();
            return 0;
        }
        return pending;
    }
}
