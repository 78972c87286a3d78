package io.crmhub.connectors.crm;

import io.crmhub.mappings.model.AttributeValue;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AttributeDocumentTest {

    private static final Instant T = Instant.parse("2026-12-02T10:00:00.123456Z");

    @Test
    void writesSortedNamesWithProvenanceAndReadsThemBack() {
        Map<String, AttributeValue> in = new LinkedHashMap<>();
        in.put("lastName", new AttributeValue("O'Brien \"the\" \\ \u00e9\n", "lists", T));
        in.put("city", new AttributeValue("Lyon", "membership:web", Instant.parse("2026-01-01T00:00:00Z")));
        in.put("note", new AttributeValue(null, "api", T));
        String doc = AttributeDocument.write(in);
        assertThat(doc).isEqualTo("{\"p\":[[\"membership:web\",1767225600000000],[\"lists\",1796205600123456],[\"api\",1796205600123456]],"
                + "\"a\":{\"city\":[\"Lyon\",0],\"lastName\":[\"O'Brien \\\"the\\\" \\\\ \u00e9\\n\",1],\"note\":[null,2]}}");
        assertThat(AttributeDocument.read(doc)).containsExactlyEntriesOf(new java.util.TreeMap<>(in));
        assertThat(AttributeDocument.values(doc, Set.of("city", "missing"))).containsExactly(Map.entry("city", "Lyon"));
    }

    @Test
    void sharedProvenanceIsListedOnce() {
        AttributeValue a = new AttributeValue("Ann", "crm", T);
        String doc = AttributeDocument.write(Map.of("firstName", a, "lastName", new AttributeValue("Lee", "crm", T),
                "city", new AttributeValue("Oslo", "crm", T.minusSeconds(1))));
        assertThat(doc).isEqualTo("{\"p\":[[\"crm\",1796205599123456],[\"crm\",1796205600123456]],"
                + "\"a\":{\"city\":[\"Oslo\",0],\"firstName\":[\"Ann\",1],\"lastName\":[\"Lee\",1]}}");
        assertThat(AttributeDocument.read(doc).get("lastName")).isEqualTo(new AttributeValue("Lee", "crm", T));
    }

    @Test
    void noAttributesIsNoDocument() {
        assertThat(AttributeDocument.write(Map.of())).isNull();
        assertThat(AttributeDocument.read(null)).isEmpty();
    }

    @Test
    void aDamagedDocumentIsAClearError() {
        assertThatThrownBy(() -> AttributeDocument.read("[1,2]")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unreadable attribute document");
        assertThatThrownBy(() -> AttributeDocument.read("{\"p\":[],\"a\":{\"x\":[\"v\",0]}}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("provenance 0 of x not listed");
        assertThatThrownBy(() -> AttributeDocument.read("{\"a\":{\"v\":")).isInstanceOf(IllegalStateException.class);
    }
}
