package io.crmhub.routes.email;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmStore;
import io.crmhub.connectors.email.MailParser;
import io.crmhub.connectors.email.MailStore;
import io.crmhub.connectors.email.MailTemplates;
import io.crmhub.connectors.email.SmtpSender;
import io.crmhub.connectors.email.UnsubscribeTokens;
import io.crmhub.routes.config.HubProperties;
import io.crmhub.routes.profiles.ProfileService;
import io.crmhub.routes.security.ApiAccessRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.http.HttpMethod;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import static io.crmhub.routes.security.ApiAccessRules.paths;

/** Wires the email flow (issue 6) from {@code hub.mail.*}. */
@Configuration
public class MailBeans {

    private static final Logger LOG = LoggerFactory.getLogger(MailBeans.class);

    @Bean
    MailParser mailParser(MailProperties props) {
        return new MailParser(props.getMaxMessageBytes());
    }

    @Bean
    @DependsOnDatabaseInitialization
    MailStore mailStore(DataSource dataSource) {
        return new MailStore(dataSource);
    }

    @Bean
    MailTemplates mailTemplates(MailProperties props) {
        return new MailTemplates(Path.of(props.getTemplatesDir()));
    }

    @Bean
    UnsubscribeTokens unsubscribeTokens(MailProperties props) {
        return new UnsubscribeTokens(props.getUnsubscribe().getSecret());
    }

    /** The prod profile refuses the published development secret (anyone could forge opt-out links with it). */
    @EventListener(ApplicationReadyEvent.class)
    void refuseDevelopmentSecretInProd(ApplicationReadyEvent ready) {
        Environment env = ready.getApplicationContext().getEnvironment();
        MailProperties props = ready.getApplicationContext().getBean(MailProperties.class);
        if (env.acceptsProfiles(Profiles.of("prod")) && MailProperties.Unsubscribe.DEV_SECRET.equals(props.getUnsubscribe().getSecret())) {
            throw new IllegalStateException("The prod profile refuses the development unsubscribe secret: set "
                    + "HUB_MAIL_UNSUBSCRIBE_SECRET (hub.mail.unsubscribe.secret, 16+ random characters).");
        }
    }

    @Bean
    TransactionTemplate mailTransactions(PlatformTransactionManager txm) {
        return new TransactionTemplate(txm);
    }

    @Bean
    OutboundMailService outboundMailService(MailProperties props, MailStore mail, CrmStore crm, MailTemplates templates,
                                            UnsubscribeTokens tokens, TransactionTemplate mailTransactions,
                                            ObjectMapper json, HubProperties hub) {
        MailProperties.Smtp s = props.getSmtp();
        SmtpSender sender = null;
        if (s.getHost() != null && !s.getHost().isBlank()) {
            sender = new SmtpSender(new SmtpSender.Settings(s.getHost(), s.getPort(), s.getUsername(), s.getPassword(),
                    SmtpSender.Security.valueOf(s.getSecurity().trim().toUpperCase(Locale.ROOT)), s.getTimeout()));
        } else {
            LOG.info("hub.mail.smtp.host is not set: outbound mail is queued but not sent.");
        }
        return new OutboundMailService(props, mail, crm, templates, sender, tokens, mailTransactions, json, hub.getInstanceId());
    }

    @Bean
    InboundMailService inboundMailService(MailProperties props, MailParser parser, MailStore mail, CrmStore crm,
                                          ProfileService profiles, OutboundMailService outbound,
                                          TransactionTemplate mailTransactions, ObjectMapper json,
                                          UnsubscribeTokens tokens) {
        Set<String> names = new HashSet<>();
        for (MailProperties.Inbox i : props.getInboxes()) {
            if (i.getName() == null || !i.getName().matches("[A-Za-z0-9_-]{1,50}")) {
                throw new IllegalStateException("hub.mail.inboxes[].name must be 1-50 letters, digits, - or _: " + i.getName());
            }
            if (!names.add(i.getName())) {
                throw new IllegalStateException("hub.mail.inboxes: the name " + i.getName() + " is used twice");
            }
            if (i.getUri() == null || !i.getUri().matches("(?i)imaps?://.+")) {
                throw new IllegalStateException("hub.mail.inboxes[" + i.getName() + "].uri must be imap://host:port or imaps://host:port");
            }
        }
        return new InboundMailService(props, parser, mail, crm, profiles, outbound, mailTransactions, json, tokens);
    }

    @Bean
    MailApi mailApi(MailStore mail, CrmStore crm, OutboundMailService outbound, MailTemplates templates,
                    UnsubscribeTokens tokens, TransactionTemplate mailTransactions, ObjectMapper json, MailProperties props) {
        return new MailApi(mail, crm, outbound, templates, tokens, mailTransactions, json, props);
    }

    /** Reading mail data needs mail:read; sending needs admin; the one-click link is open (its token authorises). */
    @Bean
    ApiAccessRules mailAccessRules() {
        return rules -> rules
                .requestMatchers(paths("/api/v1/unsubscribe/*")).permitAll()
                .requestMatchers(paths(HttpMethod.POST, "/api/v1/mail/messages")).hasAuthority("SCOPE_admin")
                .requestMatchers(paths(HttpMethod.GET, "/api/v1/mail/**")).hasAnyAuthority("SCOPE_mail:read", "SCOPE_admin");
    }
}
