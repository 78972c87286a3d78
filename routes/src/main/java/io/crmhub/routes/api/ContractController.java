package io.crmhub.routes.api;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.nio.charset.StandardCharsets;

/** Serves the merged API contract (see {@link ApiContract}) at {@code /api/v1/openapi.json} (any valid API key). */
@RestController
public class ContractController {

    private final byte[] contract;

    public ContractController(ApiContract contract) {
        this.contract = contract.json().getBytes(StandardCharsets.UTF_8);
    }

    @GetMapping(path = "/api/v1/openapi.json", produces = MediaType.APPLICATION_JSON_VALUE)
    public byte[] contract() {
        return contract;
    }
}
