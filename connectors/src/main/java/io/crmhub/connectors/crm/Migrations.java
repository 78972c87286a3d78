package io.crmhub.connectors.crm;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import javax.sql.DataSource;

/**
 * Runs the store's Flyway migrations ({@value #LOCATION}). The SQL there is portable between
 * PostgreSQL 15 and H2 2.x in PostgreSQL mode. A Spring Boot app may use its Flyway auto-config
 * with {@code spring.flyway.locations=classpath:db/migration} instead.
 * <p>
 * Flyway scans locations recursively: vendor specific scripts, should any ever be needed, must not
 * live under db/migration but in db/vendor/{vendor}, added as a second location
 * {@code classpath:db/vendor/{vendor}}.
 */
public final class Migrations {

    public static final String LOCATION = "classpath:db/migration";

    private Migrations() {
    }

    /**
     * Migrates the database.
     *
     * @param schemaOrNull schema to create (if missing) and migrate into; null for the connection's default
     * @return the number of migrations applied now
     */
    public static int migrate(DataSource dataSource, String schemaOrNull) {
        FluentConfiguration conf = Flyway.configure()
                .dataSource(dataSource)
                .locations(LOCATION)
                // per-flow version ranges: a flow's new migration may be numbered below one applied already
                .outOfOrder(true);
        if (schemaOrNull != null && !schemaOrNull.isBlank()) {
            conf = conf.schemas(schemaOrNull).defaultSchema(schemaOrNull).createSchemas(true);
        }
        return conf.load().migrate().migrationsExecuted;
    }
}
