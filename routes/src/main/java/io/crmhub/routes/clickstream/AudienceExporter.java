package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.clickstream.AudienceStore;
import io.crmhub.mappings.clickstream.AudienceRule;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Exports every segment's aggregate and match list to the export folder
 * ({@code <segment>.aggregate.<utc time>.json}, {@code <segment>.match-list.<utc time>.json}, written to a
 * temporary name and renamed, so a reader never sees half a file) and to the audiences topic
 * (key = segment, header {@code hub_audience_kind} = aggregate | match-list).
 */
public class AudienceExporter {

    private static final Logger LOG = LoggerFactory.getLogger(AudienceExporter.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Audiences audiences;
    private final ClickstreamProperties.Export config;
    private final ObjectMapper json;
    private final ProducerTemplate producer;

    public AudienceExporter(Audiences audiences, ClickstreamProperties.Export config, ObjectMapper json,
                            ProducerTemplate producer) {
        this.audiences = audiences;
        this.config = config;
        this.json = json;
        this.producer = producer;
    }

    /** Exports all segments; returns the files written. */
    public List<Path> exportAll() {
        List<Path> files = new ArrayList<>();
        for (AudienceRule rule : audiences.rules().values()) {
            AudienceStore.Aggregate aggregate = audiences.store().aggregate(rule);
            AudienceStore.MatchList matchList = audiences.store().matchList(rule);
            files.add(write(rule.name(), "aggregate", aggregate, STAMP.format(aggregate.generatedAt())));
            files.add(write(rule.name(), "match-list", matchList, STAMP.format(matchList.generatedAt())));
            LOG.info("Audience '{}' exported: {} cells published ({} members; {} cells under the floor), match list {}",
                    rule.name(), aggregate.cells().size(), aggregate.members(), aggregate.suppressedCells(),
                    matchList.suppressed() ? "suppressed" : matchList.entries().size() + " entries ("
                            + matchList.consentingMembers() + " consenting)");
        }
        return files;
    }

    private Path write(String segment, String kind, Object body, String stamp) {
        try {
            byte[] bytes = json.writeValueAsBytes(body);
            Path dir = Path.of(config.getFolder());
            Files.createDirectories(dir);
            Path target = dir.resolve(segment + "." + kind + "." + stamp + ".json");
            Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            producer.sendBodyAndHeaders("kafka:" + config.getTopic(), new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
                    Map.of("kafka.KEY", segment, "hub_audience_kind", kind));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audience export of " + segment + " to "
                    + Path.of(config.getFolder()).toAbsolutePath() + " (hub.clickstream.audiences.export.folder): " + e, e);
        }
    }
}
