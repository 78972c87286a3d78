package io.crmhub.routes.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.membership.MemberReader;
import io.crmhub.connectors.membership.MembershipStore;
import io.crmhub.connectors.membership.MembershipSync;
import io.crmhub.connectors.membership.SourceKind;
import io.crmhub.connectors.membership.SourcePool;
import io.crmhub.connectors.membership.SourceSpec;
import io.crmhub.mappings.membership.MemberMapper;
import io.crmhub.mappings.membership.MembershipMapping;
import io.crmhub.mappings.normalise.RecordNormaliser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured membership sources, each with its read-only connection pool, reader, mapping and
 * sync engine. Built once at start from {@code hub.membership.sources}; a source whose
 * configuration is wrong (unknown kind, missing mapping file) stops the start with the reason.
 */
public class MembershipSources implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MembershipSources.class);

    private final Map<String, MembershipSync> syncs = new LinkedHashMap<>();
    private final Map<String, MembershipProperties.Source> configs = new LinkedHashMap<>();
    private final List<HikariDataSource> pools = new java.util.ArrayList<>();

    public MembershipSources(MembershipProperties props, String instanceId, CrmStore crm, DataSource core,
                             RecordNormaliser normaliser, ObjectMapper json, ResourceLoader resources) {
        this.owner = instanceId;
        MembershipStore store = new MembershipStore(core, json);
        for (MembershipProperties.Source s : props.getSources()) {
            if (!s.isEnabled()) {
                continue;
            }
            if (s.getName() == null || syncs.containsKey(s.getName())) {
                throw new IllegalArgumentException("hub.membership.sources: every source needs a unique name, got '" + s.getName() + "'");
            }
            SourceKind kind = SourceKind.parse(s.getKind());
            SourceSpec spec = new SourceSpec(s.getName(), kind, s.getApplicationName(), s.getSchema(), s.getTablePrefix(),
                    s.isQuoteIdentifiers(), s.getWatermarkColumn(), s.getIdColumn(), s.getQuery(), s.getExtraColumns(),
                    ZoneId.of(s.getSourceZone()), s.getBatchSize(), s.getLookback());
            MembershipMapping mapping = loadMapping(s, kind, resources).withTierRules(s.getTierRules(), s.getDefaultTier());
            HikariDataSource pool = readOnlyPool(s);
            pools.add(pool);
            MemberReader reader = new MemberReader(spec, pool);
            MembershipSync sync = new MembershipSync(spec, reader, new MemberMapper(s.getName(), "membership", mapping),
                    normaliser, crm, store, core, json,
                    new MembershipSync.Options(instanceId, props.getLeaseTtl(), props.getWriters(), props.isJoinedOnInitialSync(),
                            props.getMaxDeleteFraction(), MembershipRoutes.REPLAY, props.getUpsertChunk()));
            syncs.put(s.getName(), sync);
            configs.put(s.getName(), s);
            log.info("membership source {} ({}) at {}: poll every {}, reconcile every {}", s.getName(), kind.configName(),
                    redact(s.getUrl()), s.getPollInterval(), s.getReconcileInterval());
        }
        this.store = store;
    }

    private final MembershipStore store;
    private final String owner;

    /** The lease owner name of this instance. */
    public String owner() {
        return owner;
    }

    public MembershipStore store() {
        return store;
    }

    public Collection<MembershipSync> all() {
        return syncs.values();
    }

    public Optional<MembershipSync> get(String name) {
        return Optional.ofNullable(syncs.get(name));
    }

    public MembershipProperties.Source config(String name) {
        return configs.get(name);
    }

    static MembershipMapping loadMapping(MembershipProperties.Source s, SourceKind kind, ResourceLoader resources) {
        String location = s.getMapping();
        if (location == null || location.isBlank()) {
            String file = switch (kind) {
                case ASPNET_MEMBERSHIP -> "membership-aspnet.properties";
                case ASPNETCORE_IDENTITY -> "membership-identity.properties";
                case SQL -> throw new IllegalArgumentException("membership source " + s.getName()
                        + " (sql) needs a mapping file (hub.membership.sources[].mapping)");
            };
            location = "file:config/mappings/" + file;
        } else if (!location.contains(":")) {
            location = "file:" + location;
        }
        Resource r = resources.getResource(location);
        if (!r.exists()) {
            throw new IllegalArgumentException("membership source " + s.getName() + ": mapping file " + location + " not found");
        }
        try (Reader in = new InputStreamReader(r.getInputStream(), StandardCharsets.UTF_8)) {
            return MembershipMapping.parse(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("membership source " + s.getName() + ": cannot read " + location, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("membership source " + s.getName() + ": " + location + ": " + e.getMessage(), e);
        }
    }

    /** The read-only pool of a source (see {@link SourcePool#readOnly}). */
    static HikariDataSource readOnlyPool(MembershipProperties.Source s) {
        return SourcePool.readOnly(s.getName(), s.getUrl(), s.getUser(), s.getPassword(), s.getPoolSize());
    }

    static String redact(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    @Override
    public void close() {
        syncs.values().forEach(MembershipSync::close);
        pools.forEach(HikariDataSource::close);
    }
}
