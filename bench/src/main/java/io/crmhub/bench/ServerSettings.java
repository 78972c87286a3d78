package io.crmhub.bench;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/** The PostgreSQL settings a bench run depends on, for its output. */
final class ServerSettings {

    private ServerSettings() {
    }

    /**
     * Writes out what earlier phases left dirty (CHECKPOINT; needs a superuser), so that a measured
     * phase does not pay for the checkpoint the data generation or the previous run made due. The
     * phase's own checkpoints still fall in it. Returns false when the server refused.
     */
    static boolean settle(DataSource ds) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
            return true;
        } catch (Exception e) {
            System.out.println("note: CHECKPOINT before the measured phase refused (" + e.getMessage() + ")");
            return false;
        }
    }

    static String describe(DataSource ds) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('autovacuum'), current_setting('shared_buffers'),"
                     + " current_setting('max_wal_size'), current_setting('synchronous_commit')")) {
            rs.next();
            return rs.getString(1) + ", shared_buffers " + rs.getString(2) + ", max_wal_size " + rs.getString(3)
                    + ", synchronous_commit " + rs.getString(4);
        } catch (Exception e) {
            return "(settings unknown: " + e.getMessage() + ")";
        }
    }
}
