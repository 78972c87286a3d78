package io.crmhub.connectors.clickstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.mappings.clickstream.ClickEvent;
import io.crmhub.mappings.clickstream.InvalidEventException;
import io.crmhub.mappings.clickstream.SegmentMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The shipped tracking plan (config/tracking-plan) and the plan loader's errors. */
class TrackingPlanTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final SegmentMapper mapper = new SegmentMapper();
    private final TrackingPlan plan = TrackingPlan.load(Path.of("../config/tracking-plan"), false, JSON);

    private ClickEvent event(String json) throws Exception {
        return mapper.map(JSON.readTree(json), Instant.now());
    }

    @Test
    void shippedPlanLoads() {
        assertThat(plan.planned()).contains("track:Product Viewed", "track:Order Completed", "page", "identify");
    }

    @Test
    void plannedEventsPassAndViolationsNameTheProperty() throws Exception {
        assertThatCode(() -> plan.check(event("{\"type\":\"track\",\"event\":\"Product Viewed\",\"userId\":\"u\","
                + "\"properties\":{\"product_id\":\"507f1f77bcf86cd799439011\",\"price\":18.99,\"category\":\"Games\"}}")))
                .doesNotThrowAnyException();
        InvalidEventException missing = catchThrowableOfType(InvalidEventException.class, () -> plan.check(event(
                "{\"type\":\"track\",\"event\":\"Product Viewed\",\"userId\":\"u\",\"properties\":{\"price\":\"cheap\"}}")));
        assertThat(missing.violations()).extracting(InvalidEventException.Violation::field)
                .contains("/properties/product_id", "/properties/price");
        assertThatThrownBy(() -> plan.check(event("{\"type\":\"track\",\"event\":\"Rocket Launched\",\"userId\":\"u\"}")))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("unplanned event 'Rocket Launched'");
        assertThatThrownBy(() -> plan.check(event("{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"email\":5}}")))
                .hasMessageContaining("/traits/email");
        // a mistyped or space-padded e-mail does not send the whole identify (and its anonymousId's link) to the
        // quarantine: the fold links a well-formed one and leaves out any other
        for (String email : new String[]{"nope", " anna@example.com ", "", "anna..b@example.com"}) {
            assertThatCode(() -> plan.check(event("{\"type\":\"identify\",\"userId\":\"u\",\"anonymousId\":\"a\","
                    + "\"traits\":{\"email\":\"" + email + "\"}}"))).as(email).doesNotThrowAnyException();
        }
        assertThatCode(() -> plan.check(event("{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":\"a\"}")))
                .doesNotThrowAnyException();
        assertThatCode(() -> TrackingPlan.load(Path.of("../config/tracking-plan"), true, JSON)
                .check(event("{\"type\":\"track\",\"event\":\"Rocket Launched\",\"userId\":\"u\"}")))
                .as("allow-unplanned").doesNotThrowAnyException();
    }

    @Test
    void badPlanFilesAreNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), "{\"x-event-type\":\"track\",\"type\":\"object\"}");
        assertThatThrownBy(() -> TrackingPlan.load(dir, false, JSON)).hasMessageContaining("a.json")
                .hasMessageContaining("title");
        Files.writeString(dir.resolve("a.json"), "{not json");
        assertThatThrownBy(() -> TrackingPlan.load(dir, false, JSON)).hasMessageContaining("not valid JSON");
        Files.writeString(dir.resolve("a.json"), "{\"type\":\"object\"}");
        assertThatThrownBy(() -> TrackingPlan.load(dir, false, JSON)).hasMessageContaining("x-event-type");
        assertThat(TrackingPlan.load(dir.resolve("missing"), false, JSON).planned()).isEmpty();
    }
}
