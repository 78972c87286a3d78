package io.crmhub.connectors.clickstream;

import io.crmhub.mappings.clickstream.InterestScore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterestDocumentTest {

    @Test
    void scoresAndTheirTimesSurviveTheDocument() {
        Map<String, InterestScore.Score> scores = Map.of(
                "sports", new InterestScore.Score(2.395792487408608, Instant.parse("2026-11-01T10:00:00.123456Z")),
                "travel \"abroad\" / ünïcode", new InterestScore.Score(1.0, Instant.parse("1969-12-31T23:59:59.5Z")),
                "news", new InterestScore.Score(1.0E-12, Instant.parse("2026-11-02T11:30:00Z")));
        String doc = InterestDocument.write(scores);
        assertThat(doc).startsWith("{\"news\":[");
        assertThat(InterestDocument.read(doc)).isEqualTo(scores);
    }

    @Test
    void noScoresIsNoDocument() {
        assertThat(InterestDocument.write(Map.of())).isNull();
        assertThat(InterestDocument.read(null)).isEmpty();
    }

    @Test
    void anUnreadableDocumentSaysWhatIsWrong() {
        assertThatThrownBy(() -> InterestDocument.read("{\"sports\":[\"high\",1]}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("score of sports");
        assertThatThrownBy(() -> InterestDocument.read("{\"sports\":[1.0]}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unreadable interest document");
    }
}
