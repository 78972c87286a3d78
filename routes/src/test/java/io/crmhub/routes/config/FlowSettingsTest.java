package io.crmhub.routes.config;

import io.crmhub.routes.clickstream.ClickstreamProperties;
import io.crmhub.routes.lists.ListsProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lists' and the clickstream's settings are refused at startup with every problem named, not met later. */
class FlowSettingsTest {

    @TempDir
    Path dir;

    @Test
    void listsDefaultsPassAndBadValuesAreNamedAllAtOnce() throws Exception {
        ListsProperties ok = lists();
        ok.afterPropertiesSet();
        assertThat(dir.resolve("in")).isDirectory();

        ListsProperties bad = lists();
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        bad.setOutbox(file.toString());
        bad.setChunkSize(0);
        bad.setWorkers(-1);
        bad.setPollInterval(Duration.ofSeconds(-2));
        bad.setReadLockMinAge(Duration.ofSeconds(-1));
        bad.setMaxUploadBytes(-1);
        bad.setColumnAliases("config/mapping/list-columns.yml");
        assertThatThrownBy(bad::afterPropertiesSet).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hub.lists.outbox must be a folder the hub can create and write to")
                .hasMessageContaining("(a file)")
                .hasMessageContaining("hub.lists.chunk-size must be at least 1, is 0")
                .hasMessageContaining("hub.lists.workers must be at least 1, is -1")
                .hasMessageContaining("hub.lists.poll-interval must be a positive duration")
                .hasMessageContaining("hub.lists.read-lock-min-age must not be negative")
                .hasMessageContaining("hub.lists.max-upload-bytes must be at least 1")
                .hasMessageContaining("hub.lists.column-aliases must be an existing file");

        // printed as Spring Boot's failure report, a line per problem
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(bad::afterPropertiesSet);
        var analysis = new SettingChecks.Analyzer().analyze(new RuntimeException("bean creation", thrown));
        assertThat(analysis.getDescription()).startsWith("Invalid settings:\n  - ")
                .contains("\n  - hub.lists.chunk-size must be at least 1, is 0");
        assertThat(analysis.getAction()).contains("docs/configuration.md");

        ListsProperties blank = lists();
        blank.setInbox(" ");
        assertThatThrownBy(blank::afterPropertiesSet).hasMessageContaining("hub.lists.inbox must not be empty");
        // a flow that does not run does not need its folders
        blank.setEnabled(false);
        blank.afterPropertiesSet();
    }

    @Test
    void clickstreamDefaultsPassAndBadValuesAreNamedAllAtOnce() throws Exception {
        ClickstreamProperties ok = clickstream();
        ok.afterPropertiesSet();

        ClickstreamProperties bad = clickstream();
        bad.getProjection().setInterval(Duration.ZERO);
        bad.getProjection().setHousekeepingInterval(Duration.ZERO);
        bad.getAudiences().getExport().setInterval(Duration.ZERO);
        bad.setSessionTimeout(Duration.ofMillis(30));
        bad.setDedupRetention(Duration.ofMillis(48));
        bad.getRest().setMaxEventBytes(-1);
        bad.getConsumer().setBatchSize(0);
        bad.setTopic("");
        bad.getAudiences().setAnonymityFloor(0);
        bad.getTrackingPlan().setFolder(dir.resolve("trackingplan").toString());
        bad.getAudiences().getExport().setFolder(Files.writeString(dir.resolve("f"), "x").toString());
        assertThatThrownBy(bad::afterPropertiesSet).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hub.clickstream.projection.interval must be a positive duration")
                .hasMessageContaining("hub.clickstream.projection.housekeeping-interval must be a positive duration")
                .hasMessageContaining("hub.clickstream.audiences.export.interval must be a positive duration")
                .hasMessageContaining("hub.clickstream.session-timeout must be at least 1m")
                .hasMessageContaining("hub.clickstream.dedup-retention must be at least 24h")
                .hasMessageContaining("(a number without a unit is milliseconds)")
                .hasMessageContaining("hub.clickstream.rest.max-event-bytes must be at least 1, is -1")
                .hasMessageContaining("hub.clickstream.consumer.batch-size must be at least 1, is 0")
                .hasMessageContaining("hub.clickstream.topic must not be empty")
                .hasMessageContaining("hub.clickstream.audiences.anonymity-floor must be at least 1, is 0")
                .hasMessageContaining("hub.clickstream.tracking-plan.folder must be an existing folder")
                .hasMessageContaining("hub.clickstream.audiences.export.folder must be a folder the hub can create");
    }

    @Test
    void aNameThatIsNoSettingStopsTheStartInsteadOfBeingIgnored() {
        runner("hub.lists.inbox-folder=x")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("hub.lists.inbox-folder"));
        runner("hub.clickstream.audiences.segments.travel.interests=travel",
                "hub.clickstream.audiences.segments.travel.min-scor=2")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("min-scor"));
        runner("hub.clickstream.audiences.segments.travel.min-score=2")
                .run(context -> assertThat(context).hasNotFailed());
    }

    /** Both flows' settings bound as the hub binds them, their folders in the test's directory, plus {@code more}. */
    private org.springframework.boot.test.context.runner.ApplicationContextRunner runner(String... more) {
        return new org.springframework.boot.test.context.runner.ApplicationContextRunner()
                .withUserConfiguration(Both.class)
                .withPropertyValues("hub.lists.inbox=" + dir.resolve("in"), "hub.lists.outbox=" + dir.resolve("out"),
                        "hub.clickstream.audiences.export.folder=" + dir.resolve("aud"))
                .withPropertyValues(more);
    }

    @org.springframework.boot.context.properties.EnableConfigurationProperties({ListsProperties.class,
            ClickstreamProperties.class})
    static class Both {
    }

    private ListsProperties lists() {
        ListsProperties p = new ListsProperties();
        p.setInbox(dir.resolve("in").toString());
        p.setOutbox(dir.resolve("out").toString());
        return p;
    }

    private ClickstreamProperties clickstream() {
        ClickstreamProperties p = new ClickstreamProperties();
        p.getAudiences().getExport().setFolder(dir.resolve("audiences").toString());
        return p;
    }
}
