package io.crmhub.routes.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;

/**
 * The whole API contract: {@value #MAIN} (profiles, quarantine) plus one complete OpenAPI document
 * per channel flow under {@code openapi/flows/*.json}. Their paths and components are merged into
 * one document, which is served at {@code /api/v1/openapi.json} and validated against.
 * A path or component defined twice is a build error, not a silent override.
 */
@Component
public class ApiContract {

    public static final String MAIN = "openapi/crm-hub-api.json";
    static final String FLOWS = "classpath*:openapi/flows/*.json";

    private final String json;

    public ApiContract(ObjectMapper mapper) {
        try {
            PathMatchingResourcePatternResolver resolver = new PathMatchingResourcePatternResolver();
            ObjectNode merged = (ObjectNode) read(mapper, resolver.getResource("classpath:" + MAIN));
            Resource[] flows = resolver.getResources(FLOWS);
            Arrays.sort(flows, Comparator.comparing(Resource::getFilename));
            for (Resource flow : flows) {
                JsonNode doc = read(mapper, flow);
                mergeInto(merged, "paths", doc.path("paths"), flow.getFilename());
                JsonNode components = doc.path("components");
                Iterator<Map.Entry<String, JsonNode>> kinds = components.fields();
                while (kinds.hasNext()) {
                    Map.Entry<String, JsonNode> kind = kinds.next();
                    ObjectNode target = merged.with("components");
                    mergeInto(target, kind.getKey(), kind.getValue(), flow.getFilename());
                }
            }
            this.json = mapper.writerWithDefaultPrettyPrinter().writeValueAsString(merged);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API contract", e);
        }
    }

    private static JsonNode read(ObjectMapper mapper, Resource resource) throws IOException {
        try (InputStream in = resource.getInputStream()) {
            return mapper.readTree(in);
        }
    }

    private static void mergeInto(ObjectNode parent, String field, JsonNode additions, String from) {
        ObjectNode target = parent.with(field);
        Iterator<Map.Entry<String, JsonNode>> it = additions.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = target.get(e.getKey());
            if (existing != null && !existing.equals(e.getValue())) {
                throw new IllegalStateException("API contract " + from + " redefines " + field + " '" + e.getKey()
                        + "' differently");
            }
            target.set(e.getKey(), e.getValue());
        }
    }

    /** The merged contract as JSON text. */
    public String json() {
        return json;
    }
}
