package io.crmhub.routes.ecommerce;

import io.crmhub.mappings.ecommerce.Promotions;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.DefaultResourceLoader;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromotionCatalogTest {

    @Test
    void theShippedRulesLoad() {
        Promotions p = PromotionCatalog.load(new DefaultResourceLoader(), "file:../config/promotions.yml");
        assertThat(p.rules()).extracting(Promotions.Rule::id).contains("vip-early-access", "win-back", "newsletter-welcome");
        assertThat(p.generic(Instant.parse("2026-12-01T00:00:00Z"))).extracting(Promotions.Offer::code).containsExactly("FREESHIP-50");
    }

    @Test
    void aMissingFileMeansNoOffersAndAMalformedOneNamesTheFault() {
        assertThat(PromotionCatalog.load(new DefaultResourceLoader(), "file:does-not-exist.yml").rules()).isEmpty();
        assertThatThrownBy(() -> parse("promotions:\n  - id: a\n    code: A\n    when: {segment: [Loyal]}\n"))
                .hasMessageContaining("promotions[0].when: unknown key 'segment'");
        assertThatThrownBy(() -> parse("promotions:\n  - id: a\n    title: no code\n"))
                .hasMessageContaining("promotions[0]").hasMessageContaining("no offer code");
        assertThatThrownBy(() -> parse("promotions:\n  - {id: a, code: A}\n  - {id: a, code: B}\n"))
                .hasMessageContaining("defined twice");
        assertThatThrownBy(() -> parse("promotions:\n  - {id: a, code: A, validUntil: soon}\n"))
                .hasMessageContaining("validUntil must be an ISO-8601 time");
        assertThatThrownBy(() -> parse("offers: []\n")).hasMessageContaining("top-level 'promotions:' list");
    }

    private static Promotions parse(String yaml) {
        return PromotionCatalog.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yml");
    }
}
