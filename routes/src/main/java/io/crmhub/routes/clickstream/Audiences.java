package io.crmhub.routes.clickstream;

import io.crmhub.connectors.clickstream.AudienceStore;
import io.crmhub.mappings.clickstream.AudienceRule;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The configured audience segments ({@code hub.clickstream.audiences.segments}) and their store. */
public class Audiences {

    private final Map<String, AudienceRule> rules = new LinkedHashMap<>();
    private final AudienceStore store;

    public Audiences(ClickstreamProperties.Audiences config, AudienceStore store) {
        this.store = store;
        config.getSegments().forEach((name, s) -> {
            int floor = s.getAnonymityFloor() != null ? s.getAnonymityFloor() : config.getAnonymityFloor();
            rules.put(name, new AudienceRule(name, Set.copyOf(s.getInterests()), s.getMinScore(),
                    Set.copyOf(s.getCampaigns()), s.getMinAge(), s.getMaxAge(), Set.copyOf(s.getGenders()),
                    Set.copyOf(s.getCountries()), Set.copyOf(s.getRegions()), floor));
        });
    }

    public AudienceRule rule(String name) {
        return rules.get(name);
    }

    public Set<String> names() {
        return rules.keySet();
    }

    public Map<String, AudienceRule> rules() {
        return rules;
    }

    public AudienceStore store() {
        return store;
    }
}
