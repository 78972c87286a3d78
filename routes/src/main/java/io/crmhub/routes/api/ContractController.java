package io.crmhub.routes.api;

import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;

/** Serves the API contract the routes are built from, at {@code /api/v1/openapi.json} (any valid API key). */
@RestController
public class ContractController {

    private final byte[] contract;

    public ContractController() throws IOException {
        try (InputStream in = new ClassPathResource(OpenApiRequestValidator.CONTRACT).getInputStream()) {
            contract = in.readAllBytes();
        }
    }

    @GetMapping(path = "/api/v1/openapi.json", produces = MediaType.APPLICATION_JSON_VALUE)
    public byte[] contract() {
        return contract;
    }
}
