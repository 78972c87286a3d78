package io.crmhub.routes.flows;

import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.routes.ApiClient;
import io.crmhub.routes.HubIntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The profile API over HTTP against PostgreSQL: contract, identity resolution, consent, merge, erasure, auth. */
@HubIntegrationTest
class ProfileApiIT {

    @LocalServerPort
    int port;
    ApiClient api;

    @BeforeEach
    void setUp() {
        api = new ApiClient(port, ApiClient.DEV_KEY);
    }

    static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static String record(String source, String email, String phone, String firstName) {
        StringBuilder ids = new StringBuilder();
        if (email != null) ids.append("{\"type\":\"EMAIL\",\"value\":\"").append(email).append("\"}");
        if (phone != null) ids.append(ids.isEmpty() ? "" : ",").append("{\"type\":\"PHONE\",\"value\":\"").append(phone).append("\"}");
        return "{\"source\":\"" + source + "\",\"identities\":[" + ids + "],\"attributes\":{\"firstName\":\""
                + firstName + "\"}}";
    }

    @Test
    void createsLooksUpAndShowsTheProfile() {
        String u = unique();
        var created = api.post("/api/v1/profiles", record("crm", "  Ann." + u + "@Example.COM ", null, "ANN"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().get("profileId").asText();
        assertThat(created.json().get("outcome").asText()).isEqualTo("CREATED");

        var found = api.get("/api/v1/profiles?email=ann." + u + "%40example.com");
        assertThat(found.status()).as(found.body()).isEqualTo(200);
        assertThat(found.json().get("id").asText()).isEqualTo(id);

        var view = api.get("/api/v1/profiles/" + id);
        assertThat(view.status()).isEqualTo(200);
        JsonNode p = view.json();
        assertThat(p.get("identities").toString()).contains("ann." + u + "@example.com");
        assertThat(p.at("/attributes/firstName/value").asText()).isEqualTo("Ann");
        assertThat(p.at("/attributes/firstName/source").asText()).isEqualTo("crm");

        var again = api.post("/api/v1/profiles", record("crm", "ann." + u + "@example.com", null, "Ann"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("profileId").asText()).isEqualTo(id);

        var timeline = api.get("/api/v1/profiles/" + id + "/timeline?limit=10");
        assertThat(timeline.status()).as(timeline.body()).isEqualTo(200);
        assertThat(timeline.json().get("profileId").asText()).isEqualTo(id);
    }

    @Test
    void mergesTwoProfilesAndUnmergesThemExactly() {
        String u = unique();
        String a = api.post("/api/v1/profiles", record("crm", "bo." + u + "@example.com", null, "Bo")).json().get("profileId").asText();
        String b = api.post("/api/v1/profiles", record("ecommerce", null, "+4930" + (1000000 + (u.hashCode() & 0xfffff)), "Bob")).json().get("profileId").asText();
        assertThat(a).isNotEqualTo(b);
        var phone = api.get("/api/v1/profiles/" + b).json().at("/identities/0/value").asText();

        var merged = api.post("/api/v1/profiles", record("crm", "bo." + u + "@example.com", phone, "Bo"));
        assertThat(merged.status()).as(merged.body()).isEqualTo(200);
        assertThat(merged.json().get("outcome").asText()).isEqualTo("MERGED");
        String survivor = merged.json().get("profileId").asText();
        String loser = survivor.equals(a) ? b : a;
        assertThat(merged.json().get("mergedProfiles").toString()).contains(loser);
        // the merged-away id answers with the survivor
        assertThat(api.get("/api/v1/profiles/" + loser).json().get("id").asText()).isEqualTo(survivor);

        var unmerged = api.post("/api/v1/profiles/" + survivor + "/unmerge", "{\"mergedProfileId\":\"" + loser + "\"}");
        assertThat(unmerged.status()).as(unmerged.body()).isEqualTo(200);
        assertThat(api.get("/api/v1/profiles?email=bo." + u + "%40example.com").json().get("id").asText()).isEqualTo(a);
        assertThat(api.get("/api/v1/profiles?phone=" + phone.replace("+", "%2B")).json().get("id").asText()).isEqualTo(b);
    }

    @Test
    void consentOptOutWinsOverALaterImplicitOptIn() {
        String u = unique();
        String id = api.post("/api/v1/profiles", record("crm", "cy." + u + "@example.com", null, "Cy")).json().get("profileId").asText();
        var out = api.put("/api/v1/profiles/" + id + "/consents/EMAIL",
                "{\"status\":\"OPT_OUT\",\"source\":\"email\",\"at\":\"2026-01-02T10:00:00Z\",\"evidence\":\"unsubscribe link\"}");
        assertThat(out.status()).as(out.body()).isEqualTo(200);
        assertThat(out.json().at("/effective/status").asText()).isEqualTo("OPT_OUT");

        // a list import saying opt-in (not explicit) never lifts the opt-out
        String listRecord = "{\"source\":\"lists\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"cy." + u + "@example.com\"}],"
                + "\"consents\":[{\"channel\":\"EMAIL\",\"status\":\"OPT_IN\",\"at\":\"2026-02-01T10:00:00Z\"}]}";
        assertThat(api.post("/api/v1/profiles", listRecord).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/profiles/" + id).json().at("/consents/EMAIL/status").asText()).isEqualTo("OPT_OUT");

        // an explicit, newer opt-in with evidence does
        var in = api.put("/api/v1/profiles/" + id + "/consents/EMAIL",
                "{\"status\":\"OPT_IN\",\"source\":\"crm\",\"at\":\"2026-03-01T10:00:00Z\",\"evidence\":\"double opt-in click\",\"explicit\":true}");
        assertThat(in.json().at("/effective/status").asText()).isEqualTo("OPT_IN");
    }

    @Test
    void erasureRemovesThePersonAndStopsReCreation() {
        String u = unique();
        String email = "dee." + u + "@example.com";
        String id = api.post("/api/v1/profiles", record("crm", email, null, "Dee")).json().get("profileId").asText();
        var erased = api.delete("/api/v1/profiles/" + id);
        assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        assertThat(erased.json().get("tombstoneHashes").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(erased.json().get("removed").toString()).contains("identity");
        assertThat(api.get("/api/v1/profiles?email=" + email.replace("@", "%40")).status()).isEqualTo(404);

        var recreate = api.post("/api/v1/profiles", record("lists", email, null, "Dee"));
        assertThat(recreate.status()).as(recreate.body()).isEqualTo(409);
        assertThat(recreate.contentType()).startsWith("application/problem+json");
    }

    @Test
    void badInputGetsProblemDetailsWithFields() {
        var noIds = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[]}");
        assertThat(noIds.status()).isEqualTo(400);
        assertThat(noIds.contentType()).startsWith("application/problem+json");
        assertThat(noIds.json().get("errors").toString()).contains("/identities");

        var unknownField = api.post("/api/v1/profiles",
                "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"x@example.com\"}],\"colour\":\"red\"}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.body()).contains("colour");

        var badType = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"SHOE_SIZE\",\"value\":\"42\"}]}");
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.json().get("errors").get(0).get("field").asText()).isEqualTo("/identities/0/type");

        var badEmail = api.post("/api/v1/profiles", "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"not-an-email\"}]}");
        assertThat(badEmail.status()).as(badEmail.body()).isEqualTo(400);
        assertThat(badEmail.json().get("errors").toString()).contains("not-an-email");

        var malformed = api.post("/api/v1/profiles", "{\"source\":");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.contentType()).startsWith("application/problem+json");

        var badId = api.get("/api/v1/profiles/not-a-uuid");
        assertThat(badId.status()).isEqualTo(400);

        var missing = api.get("/api/v1/profiles/" + UUID.randomUUID());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).startsWith("application/problem+json");
    }

    @Test
    void everyApiPathNeedsAKeyWithTheRightScope() {
        var anonymous = new ApiClient(port, null).get("/api/v1/profiles?email=a%40example.com");
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.contentType()).startsWith("application/problem+json");

        assertThat(api.withKey("wrong-key").get("/api/v1/profiles?email=a%40example.com").status()).isEqualTo(401);
        // a second key beside a valid one (a proxy's, a client's mistake) is not decided by order
        var twoKeys = api.send(api.builder("/api/v1/profiles?email=a%40example.com").header("X-API-Key", "wrong-key").GET());
        assertThat(twoKeys.status()).isEqualTo(401);
        assertThat(twoKeys.body()).contains("several X-API-Key headers");
        assertThat(api.send(api.builder("/api/v1/profiles?email=nobody%40example.com").header("X-API-Key",
                ApiClient.DEV_KEY).GET()).status()).isEqualTo(404);

        ApiClient reader = api.withKey(ApiClient.READER_KEY);
        assertThat(reader.get("/api/v1/profiles?email=nobody%40example.com").status()).isEqualTo(404);
        var forbidden = reader.post("/api/v1/profiles", record("crm", "r@example.com", null, "R"));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.contentType()).startsWith("application/problem+json");
        assertThat(reader.delete("/api/v1/profiles/" + UUID.randomUUID()).status()).isEqualTo(403);

        assertThat(new ApiClient(port, null).get("/actuator/health").status()).isEqualTo(200);
    }

    @Test
    void bodiesOverTheCapGet413() {
        String huge = "{\"source\":\"crm\",\"identities\":[{\"type\":\"EMAIL\",\"value\":\"big@example.com\"}],\"attributes\":{\"note\":\""
                + "x".repeat(1_100_000) + "\"}}";
        var r = api.post("/api/v1/profiles", huge);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.contentType()).startsWith("application/problem+json");
    }

    @Test
    void servesTheContract() {
        var spec = api.get("/api/v1/openapi.json");
        assertThat(spec.status()).as(spec.contentType() + " " + spec.body()).isEqualTo(200);
        assertThat(spec.json().at("/paths/~1profiles/post/operationId").asText()).isEqualTo("upsertProfile");
    }

    @Test
    void everyEndpointOfTheHubIsInTheContract(
            @org.springframework.beans.factory.annotation.Autowired
            @org.springframework.beans.factory.annotation.Qualifier("requestMappingHandlerMapping")
            org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping mvc) {
        Set<String> contract = new HashSet<>();
        api.get("/api/v1/openapi.json").json().get("paths").fieldNames()
                .forEachRemaining(p -> contract.add(p.replaceAll("\\{[^}]*}", "{}")));
        List<String> missing = new ArrayList<>();
        mvc.getHandlerMethods().forEach((info, method) -> {
            for (String pattern : info.getPatternValues()) {
                // the contract itself, and the benchmark's bare endpoint (off unless a benchmark turns it on)
                if (!pattern.startsWith("/api/v1/") || pattern.equals("/api/v1/openapi.json") || pattern.endsWith("/_bare")) {
                    continue;
                }
                if (!contract.contains(pattern.substring("/api/v1".length()).replaceAll("\\{[^}]*}", "{}"))) {
                    missing.add(pattern + " (" + method.getShortLogMessage() + ")");
                }
            }
        });
        assertThat(missing).as("served but not in the contract").isEmpty();
    }

    @Test
    void theSameNewIdentityOnManyThreadsYieldsOneProfile() throws Exception {
        String email = "race." + unique() + "@example.com";
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> api.post("/api/v1/profiles", record("crm", email, null, "Race")).json().get("profileId").asText());
            }
            Set<String> ids = new HashSet<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                ids.add(f.get());
            }
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownPathsAnswer404() {
        var r = api.send(api.builder("/api/v1/nothing-here").GET());
        assertThat(r.status()).isEqualTo(404);
        assertThat(api.send(api.builder("/api/v1/profiles").method("PATCH", HttpRequest.BodyPublishers.noBody())).status())
                .isIn(404, 405);
    }
}
