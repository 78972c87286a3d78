package io.crmhub.routes.lists;

import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.lists.ColumnAliases;
import io.crmhub.connectors.lists.ListImportStore;
import io.crmhub.connectors.lists.ListImporter;
import io.crmhub.mappings.normalise.NormaliserSettings;
import io.crmhub.mappings.normalise.RecordNormaliser;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.security.ApiAccessRules;
import io.crmhub.routes.security.BodySizeLimitFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;

import static io.crmhub.routes.security.ApiAccessRules.paths;

/** Beans of the marketing-list imports. */
@Configuration
public class ListsConfig {

    private static final Logger log = LoggerFactory.getLogger(ListsConfig.class);

    /** The shared idempotent repository: two instances watching one folder take each file once. */
    public static final String IDEMPOTENT_REPOSITORY = "listsInboxRepository";

    @Bean
    ColumnAliases listColumnAliases(ListsProperties props) throws IOException {
        Path file = Path.of(props.getColumnAliases());
        if (Files.exists(file)) {
            log.info("list imports: header aliases from {}", file.toAbsolutePath());
            return ColumnAliases.load(file);
        }
        log.info("list imports: {} not found, using the built-in header aliases", file);
        return ColumnAliases.builtIn();
    }

    @Bean
    @DependsOnDatabaseInitialization
    ListImportStore listImportStore(DataSource dataSource) {
        return new ListImportStore(dataSource);
    }

    @Bean
    ListImporter listImporter(CrmStore crm, ListImportStore store, ColumnAliases aliases, ListsProperties props,
                              HubProperties hub) {
        HubProperties.Normalise n = hub.getNormalise();
        RecordNormaliser normaliser = new RecordNormaliser(new NormaliserSettings(n.getDefaultRegion(),
                ZoneId.of(n.getDefaultZone()), n.isDayFirst(), false));
        return new ListImporter(crm, store, normaliser, aliases, new ListImporter.Options(Path.of(props.getInbox()),
                Path.of(props.getOutbox()), props.getChunkSize(), props.getWorkers(), props.getMaxPause(), props.getProgressLogInterval()),
                hub.getInstanceId());
    }

    @Bean(IDEMPOTENT_REPOSITORY)
    @DependsOnDatabaseInitialization
    JdbcMessageIdRepository listsInboxRepository(DataSource dataSource) {
        JdbcMessageIdRepository repo = new JdbcMessageIdRepository(dataSource, "lists-inbox");
        repo.setCreateTableIfNotExists(false); // CAMEL_MESSAGEPROCESSED comes with the V1 migration
        return repo;
    }

    /**
     * Uploads of list files may be far larger than other API bodies: this filter, ahead of the
     * security chain, gives {@code POST /api/v1/lists/imports} the cap {@code hub.lists.max-upload-bytes}
     * instead of {@code hub.api.max-body-bytes}.
     */
    @Bean
    FilterRegistrationBean<OncePerRequestFilter> listsUploadLimit(ListsProperties props) {
        OncePerRequestFilter f = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                if ("POST".equals(request.getMethod()) && ListImportController.PATH.equals(request.getRequestURI())) {
                    request.setAttribute(BodySizeLimitFilter.LIMIT_ATTRIBUTE, props.getMaxUploadBytes());
                }
                chain.doFilter(request, response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> reg = new FilterRegistrationBean<>(f);
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        reg.addUrlPatterns(ListImportController.PATH);
        return reg;
    }

    @Bean
    ApiAccessRules listsAccessRules() {
        return rules -> rules
                .requestMatchers(paths(HttpMethod.POST, "/api/v1/lists/imports")).hasAuthority("SCOPE_imports:write")
                .requestMatchers(paths(HttpMethod.GET, "/api/v1/lists/imports", "/api/v1/lists/imports/*"))
                .hasAuthority("SCOPE_imports:write");
    }
}
