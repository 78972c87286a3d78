package io.crmhub.routes.clickstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ClickstreamControllerTest {

    private final ObjectMapper json = new ObjectMapper();

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
    void anEmptyListIsAnEmptyArray() throws Exception {
        JsonNode answer = json.readTree(ClickstreamController.accepted(List.of()));
        assertThat(answer.get("accepted").asInt()).isZero();
        assertThat(answer.get("messageIds").isArray()).isTrue();
        assertThat(answer.get("messageIds")).isEmpty();
    }
}
