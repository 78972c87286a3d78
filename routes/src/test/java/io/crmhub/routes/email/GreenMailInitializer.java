package io.crmhub.routes.email;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

import java.util.Map;

/**
 * Starts one GreenMail (real IMAP and SMTP servers on free ports, so no clash with other builds
 * on the machine) per test JVM for every application context of the "it" profile, before the
 * mail routes start, and publishes its ports as {@code greenmail.imap.port} and
 * {@code greenmail.smtp.port} (used by application-it.yml). It starts in well under a second and
 * the shared context keeps one instance, so the other flows' ITs pay nearly nothing for it.
 */
public class GreenMailInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    public static final String SALES = "sales@crm.test";
    public static final String SERVICE = "service@crm.test";
    public static final String SALES_PASSWORD = "sales-pw";
    public static final String SERVICE_PASSWORD = "service-pw";

    private static GreenMail greenMail;

    public static synchronized GreenMail greenMail() {
        if (greenMail == null) {
            ServerSetup[] setups = ServerSetup.dynamicPort(new ServerSetup[]{ServerSetupTest.SMTP, ServerSetupTest.IMAP});
            GreenMail g = new GreenMail(setups).withConfiguration(GreenMailConfiguration.aConfig()
                    .withUser(SALES, SALES, SALES_PASSWORD)
                    .withUser(SERVICE, SERVICE, SERVICE_PASSWORD));
            g.start();
            Runtime.getRuntime().addShutdownHook(new Thread(g::stop, "greenmail-stop"));
            greenMail = g;
        }
        return greenMail;
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        if (!context.getEnvironment().acceptsProfiles(Profiles.of("it"))) {
            return;
        }
        GreenMail g = greenMail();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("greenmail", Map.of(
                "greenmail.imap.port", g.getImap().getPort(),
                "greenmail.smtp.port", g.getSmtp().getPort())));
    }
}
