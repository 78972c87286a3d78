package io.crmhub.routes.profiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.routes.api.ProfileApi;
import org.apache.camel.Exchange;

/** One profile record from Kafka: parse, normalise leniently, upsert. */
public class ProfileIntake {

    private final ProfileService profiles;
    private final ObjectMapper mapper;

    public ProfileIntake(ProfileService profiles, ObjectMapper mapper) {
        this.profiles = profiles;
        this.mapper = mapper;
    }

    public CrmStore.UpsertResult accept(Exchange exchange) throws Exception {
        String json = exchange.getIn().getBody(String.class);
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("empty profile record");
        }
        ProfileApi.ProfileRecordDto dto = mapper.readValue(json, ProfileApi.ProfileRecordDto.class);
        if (dto.source() == null || dto.source().isBlank()) {
            throw new IllegalArgumentException("profile record has no source");
        }
        if (dto.identities() == null || dto.identities().isEmpty()) {
            throw new IllegalArgumentException("profile record has no identities");
        }
        ProfileService.Upserted upserted = profiles.upsertLenient(ProfileApi.toRecord(dto));
        exchange.getMessage().setHeader("HubProfileId", upserted.result().profileId().toString());
        return upserted.result();
    }
}
