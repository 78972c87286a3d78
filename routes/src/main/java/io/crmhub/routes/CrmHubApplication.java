package io.crmhub.routes;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.core.metrics.StartupStep;

import java.time.Duration;
import java.util.Comparator;

/** crm-hub: the integration hub between the CRM core and the systems around it. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CrmHubApplication {

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(CrmHubApplication.class);
        if (Boolean.getBoolean("hub.startup-report")) {
            // diagnostics: -Dhub.startup-report=true prints the slowest steps of the start to stderr
            BufferingApplicationStartup startup = new BufferingApplicationStartup(100_000);
            app.setApplicationStartup(startup);
            app.addListeners(event -> {
                if (event instanceof ApplicationReadyEvent) {
                    startup.getBufferedTimeline().getEvents().stream()
                            .sorted(Comparator.comparing(e -> e.getDuration().negated()))
                            .limit(Integer.getInteger("hub.startup-report.lines", 60))
                            .forEach(e -> System.err.printf("startup-step %6d ms %s %s%n", e.getDuration().toMillis(),
                                    e.getStartupStep().getName(), tags(e.getStartupStep())));
                }
            });
        }
        if (Boolean.getBoolean("hub.exit-when-ready")) {
            // class-data-sharing training run (see routes/pom.xml): start everything once, then exit so
            // that the JVM writes the archive of every class the start needed
            app.addListeners(event -> {
                if (event instanceof ApplicationReadyEvent ready) {
                    Thread exit = new Thread(() -> System.exit(SpringApplication.exit(ready.getApplicationContext())), "exit-when-ready");
                    exit.start();
                }
            });
        }
        app.run(args);
    }

    private static String tags(StartupStep step) {
        StringBuilder b = new StringBuilder();
        step.getTags().forEach(t -> b.append(t.getKey()).append('=').append(t.getValue()).append(' '));
        return b.toString();
    }
}
