package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class ClickstreamControllerTest {

    private final ObjectMapper json = JsonMapper.builder().findAndAddModules().build();

    @Test
    void theAcceptedAnswerIsJsonWithTheCallersIdsEscaped() throws Exception {
        List<String> ids = List.of("page-1", "quote\"and\\backslash", "line\nbreak\ttab\u0001", "ünïcödé €", "</script>");
        JsonNode answer = json.readTree(ClickstreamController.accepted(ids));
        assertThat(answer.get("success").asBoolean()).isTrue();
        assertThat(answer.get("accepted").asInt()).isEqualTo(ids.size());
        List<String> back = new ArrayList<>();
        answer.get("messageIds").forEach(n -> back.add(n.asText()));
        assertThat(back).containsExactlyElementsOf(ids);
        assertThat(answer.size()).isEqualTo(3);
    }

    @Test
    void eventsBoundForTheQuarantineAreListedWithTheirProblems() throws Exception {
        JsonNode answer = json.readTree(ClickstreamController.accepted(new EventIntake.Accepted(List.of("a", "c"),
                List.of(new EventIntake.Quarantined(1, "b\"1", List.of(new io.crmhub.routes.api.Problem.FieldProblem(
                        "/batch/1/timestamp", null, "the event time 2100-01-01T00:00:00Z is more than a day after"
                        + " its receipt"))), new EventIntake.Quarantined(3, null, List.of())))));
        assertThat(answer.get("accepted").asInt()).isEqualTo(2);
        assertThat(answer.at("/quarantined/0/index").asInt()).isEqualTo(1);
        assertThat(answer.at("/quarantined/0/messageId").asText()).isEqualTo("b\"1");
        assertThat(answer.at("/quarantined/0/errors/0/field").asText()).isEqualTo("/batch/1/timestamp");
        assertThat(answer.at("/quarantined/1/messageId").isNull()).isTrue();
        assertThat(answer.at("/quarantined/1/errors").isEmpty()).isTrue();
    }

    @Test
    void anEmptyListIsAnEmptyArray() throws Exception {
        JsonNode answer = json.readTree(ClickstreamController.accepted(List.of()));
        assertThat(answer.get("accepted").asInt()).isZero();
        assertThat(answer.get("messageIds").isArray()).isTrue();
        assertThat(answer.get("messageIds")).isEmpty();
    }

    /** An intake whose sends complete when the test says (the producer is never used: nothing connects). */
    private final class HeldIntake extends EventIntake {
        final List<CompletableFuture<EventIntake.Accepted>> sent = new ArrayList<>();

        HeldIntake(EventPublisher unused, ClickstreamProperties props) {
            super(json, unused, props.getRest());
        }

        @Override
        public CompletableFuture<EventIntake.Accepted> acceptAsync(byte[] body, String clientIp, String pathType) {
            CompletableFuture<EventIntake.Accepted> f = new CompletableFuture<>();
            sent.add(f);
            return f;
        }
    }

    private static MockHttpServletRequest asyncPost() {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/v1/events");
        request.setAsyncSupported(true);
        request.setContent("{\"type\":\"page\",\"anonymousId\":\"a\"}".getBytes());
        return request;
    }

    @Test
    void aSuspendedRequestIsAnsweredByTheBrokersOutcome() throws Exception {
        ClickstreamProperties props = new ClickstreamProperties();
        try (EventPublisher unused = new EventPublisher("127.0.0.1:9", "t", Duration.ofSeconds(1))) {
            HeldIntake intake = new HeldIntake(unused, props);
            ClickstreamController controller = new ClickstreamController(intake, null, json, props);

            // acknowledged: 202 with the ids, only then
            MockHttpServletRequest ok = asyncPost();
            MockHttpServletResponse okResponse = new MockHttpServletResponse();
            controller.events(ok, okResponse);
            assertThat(ok.isAsyncStarted()).isTrue();
            assertThat(okResponse.getContentAsByteArray()).isEmpty();
            intake.sent.get(0).complete(EventIntake.Accepted.of(List.of("m-1")));
            assertThat(ok.isAsyncStarted()).as("completed").isFalse();
            assertThat(okResponse.getStatus()).isEqualTo(202);
            assertThat(json.readTree(okResponse.getContentAsByteArray()).get("messageIds").get(0).asText()).isEqualTo("m-1");

            // not stored: 503 with Retry-After, nothing accepted
            MockHttpServletRequest refused = asyncPost();
            MockHttpServletResponse refusedResponse = new MockHttpServletResponse();
            controller.events(refused, refusedResponse);
            intake.sent.get(1).completeExceptionally(new EventPublisher.BrokerUnavailableException("broker gone", null));
            assertThat(refused.isAsyncStarted()).isFalse();
            assertThat(refusedResponse.getStatus()).isEqualTo(503);
            assertThat(refusedResponse.getHeader("Retry-After")).isEqualTo("5");
            assertThat(refusedResponse.getContentAsString()).contains("broker gone").contains("nothing was accepted");

            // an answer larger than the response buffer is written by a container thread (here: at once)
            MockHttpServletRequest big = asyncPost();
            MockHttpServletResponse bigResponse = new MockHttpServletResponse();
            bigResponse.setBufferSize(64);
            controller.events(big, bigResponse);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add("message-" + i);
            }
            intake.sent.get(2).complete(EventIntake.Accepted.of(ids));
            assertThat(big.isAsyncStarted()).isFalse();
            assertThat(json.readTree(bigResponse.getContentAsByteArray()).get("messageIds")).hasSize(20);
        }
    }
}
