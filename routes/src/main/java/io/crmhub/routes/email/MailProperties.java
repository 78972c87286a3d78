package io.crmhub.routes.email;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Settings of the email flow ({@code hub.mail.*}); see docs/flows/email.md. */
@ConfigurationProperties(prefix = "hub.mail")
public class MailProperties {

    /** Mailboxes the hub reads (IMAP/IMAPS). None by default. */
    private List<Inbox> inboxes = new ArrayList<>();
    /** Outbound mail by SMTP. */
    private Smtp smtp = new Smtp();
    private Support support = new Support();
    private Campaign campaign = new Campaign();
    private Unsubscribe unsubscribe = new Unsubscribe();
    /** The hub's own addresses: never auto-answered, never matched to a customer. */
    private List<String> ownAddresses = new ArrayList<>();
    /** Domains of the company's staff: mail from them into a tracking mailbox is outbound mail to the recipients. */
    private List<String> internalDomains = new ArrayList<>();
    /** Subject token of mail the hub sends; one %d, the outbound mail's number. */
    private String tokenFormat = "[CRM:%07d]";
    /** Subject token of a service case; one %d, the case number. */
    private String caseTokenFormat = "[CASE:%06d]";
    /** Messages larger than this are quarantined with their headers only. */
    private long maxMessageBytes = 25L * 1024 * 1024;
    /** Length of the text snippet kept on the timeline. */
    private int snippetLength = 280;
    /** Unmatched senders in tracking mailboxes: KEEP (unmatched list over REST) or CREATE_LEAD. */
    private Unmatched unmatched = Unmatched.KEEP;
    /** Where the mail templates are ({@code <name>.txt}, optional {@code <name>.html}). */
    private String templatesDir = "config/templates";
    /** Default poll interval of the inboxes. */
    private Duration pollInterval = Duration.ofSeconds(1);
    /** At most this many messages per poll of one inbox. */
    private int maxMessagesPerPoll = 100;
    /** Messages fetched in one IMAP command and moved to the processed folder in one command (each still committed on its own). */
    private int batchSize = 20;

    public enum Role { TRACKING, SUPPORT }

    public enum Unmatched { KEEP, CREATE_LEAD }

    public enum Auth { PASSWORD, EXCHANGE_OAUTH2 }

    public static class Inbox {
        /** Short name: route id {@code mail-in.<name>}, shown on the timeline. */
        private String name;
        private Role role = Role.TRACKING;
        /** imap://host:port or imaps://host:port (Exchange Online: imaps://outlook.office365.com:993). */
        private String uri;
        private String username;
        private String password;
        private Auth auth = Auth.PASSWORD;
        /** Exchange Online app registration (auth EXCHANGE_OAUTH2, client-credentials flow). */
        private Exchange exchange = new Exchange();
        private String folder = "INBOX";
        /** Where handled messages are moved; blank: they stay and are flagged \Seen instead. */
        private String processedFolder = "Processed";
        /** Overrides hub.mail.poll-interval for this inbox. */
        private Duration pollInterval;
        /** Extra Camel mail endpoint options (e.g. "connectionTimeout=30000&debugMode=true"). */
        private String options;
        private boolean enabled = true;

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public Role getRole() { return role; }
        public void setRole(Role role) { this.role = role; }
        public String getUri() { return uri; }
        public void setUri(String uri) { this.uri = uri; }
        public String getUsername() { return username; }
        public void setUsername(String username) { this.username = username; }
        public String getPassword() { return password; }
        public void setPassword(String password) { this.password = password; }
        public Auth getAuth() { return auth; }
        public void setAuth(Auth auth) { this.auth = auth; }
        public Exchange getExchange() { return exchange; }
        public void setExchange(Exchange exchange) { this.exchange = exchange; }
        public String getFolder() { return folder; }
        public void setFolder(String folder) { this.folder = folder; }
        public String getProcessedFolder() { return processedFolder; }
        public void setProcessedFolder(String processedFolder) { this.processedFolder = processedFolder; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public String getOptions() { return options; }
        public void setOptions(String options) { this.options = options; }
        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
    }

    public static class Exchange {
        /** Directory (tenant) id of the Entra ID app registration. */
        private String tenantId;
        /** Application (client) id. */
        private String clientId;
        /** Client secret (from the environment, never in a file). */
        private String clientSecret;

        public String getTenantId() { return tenantId; }
        public void setTenantId(String tenantId) { this.tenantId = tenantId; }
        public String getClientId() { return clientId; }
        public void setClientId(String clientId) { this.clientId = clientId; }
        public String getClientSecret() { return clientSecret; }
        public void setClientSecret(String clientSecret) { this.clientSecret = clientSecret; }
    }

    public static class Smtp {
        /** SMTP server; blank: nothing is sent (mail stays queued). */
        private String host;
        private int port = 587;
        private String username;
        private String password;
        /** NONE, STARTTLS or SSL (implicit TLS, port 465). */
        private String security = "STARTTLS";
        /** Sender of the hub's mail, e.g. "Example Support <support@example.com>". */
        private String from = "CRM Hub <crm-hub@localhost>";
        /** Right-hand side of generated Message-IDs; default: the domain of from. */
        private String messageIdDomain;
        private Duration pollInterval = Duration.ofMillis(500);
        private int batchSize = 50;
        /** Attempts before a mail is FAILED for good; waits retry-delay, doubling. */
        private int maxAttempts = 8;
        private Duration retryDelay = Duration.ofSeconds(30);
        private Duration timeout = Duration.ofSeconds(30);
        private Duration leaseTtl = Duration.ofSeconds(30);

        public String getHost() { return host; }
        public void setHost(String host) { this.host = host; }
        public int getPort() { return port; }
        public void setPort(int port) { this.port = port; }
        public String getUsername() { return username; }
        public void setUsername(String username) { this.username = username; }
        public String getPassword() { return password; }
        public void setPassword(String password) { this.password = password; }
        public String getSecurity() { return security; }
        public void setSecurity(String security) { this.security = security; }
        public String getFrom() { return from; }
        public void setFrom(String from) { this.from = from; }
        public String getMessageIdDomain() { return messageIdDomain; }
        public void setMessageIdDomain(String messageIdDomain) { this.messageIdDomain = messageIdDomain; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public int getMaxAttempts() { return maxAttempts; }
        public void setMaxAttempts(int maxAttempts) { this.maxAttempts = maxAttempts; }
        public Duration getRetryDelay() { return retryDelay; }
        public void setRetryDelay(Duration retryDelay) { this.retryDelay = retryDelay; }
        public Duration getTimeout() { return timeout; }
        public void setTimeout(Duration timeout) { this.timeout = timeout; }
        public Duration getLeaseTtl() { return leaseTtl; }
        public void setLeaseTtl(Duration leaseTtl) { this.leaseTtl = leaseTtl; }
    }

    public static class Support {
        /** Template of the auto-response to a new case. */
        private String autoResponseTemplate = "support-auto-response";
        /** At most one auto-response per sender within this window. */
        private Duration autoResponseWindow = Duration.ofHours(1);
        private boolean autoResponse = true;

        public String getAutoResponseTemplate() { return autoResponseTemplate; }
        public void setAutoResponseTemplate(String autoResponseTemplate) { this.autoResponseTemplate = autoResponseTemplate; }
        public Duration getAutoResponseWindow() { return autoResponseWindow; }
        public void setAutoResponseWindow(Duration autoResponseWindow) { this.autoResponseWindow = autoResponseWindow; }
        public boolean isAutoResponse() { return autoResponse; }
        public void setAutoResponse(boolean autoResponse) { this.autoResponse = autoResponse; }
    }

    public static class Campaign {
        /** Campaign mail goes only to profiles with an EMAIL opt-in (else: suppressed, "no opt-in"). */
        private boolean requireOptIn = true;
        /** Put the tracking token into campaign subjects too (replies are matched by In-Reply-To anyway). */
        private boolean subjectToken = false;

        public boolean isRequireOptIn() { return requireOptIn; }
        public void setRequireOptIn(boolean requireOptIn) { this.requireOptIn = requireOptIn; }
        public boolean isSubjectToken() { return subjectToken; }
        public void setSubjectToken(boolean subjectToken) { this.subjectToken = subjectToken; }
    }

    public static class Unsubscribe {
        /** Public base of the one-click link; the token is appended. */
        private String baseUrl = "http://localhost:8080/api/v1/unsubscribe/";
        /** Address for mailto: unsubscribe requests (a tracking mailbox should receive it); blank: https only. */
        private String mailto;
        /** HMAC secret of the tokens (16+ characters; the prod profile refuses the development one). */
        private String secret = DEV_SECRET;
        /** Replies whose subject or first line is one of these opt out. */
        private List<String> keywords = new ArrayList<>(List.of("unsubscribe", "abmelden", "austragen",
                "désabonner", "desinscribirse", "stop"));

        public static final String DEV_SECRET = "dev-unsubscribe-secret-change-me";

        public String getBaseUrl() { return baseUrl; }
        public void setBaseUrl(String baseUrl) { this.baseUrl = baseUrl; }
        public String getMailto() { return mailto; }
        public void setMailto(String mailto) { this.mailto = mailto; }
        public String getSecret() { return secret; }
        public void setSecret(String secret) { this.secret = secret; }
        public List<String> getKeywords() { return keywords; }
        public void setKeywords(List<String> keywords) { this.keywords = keywords; }
    }

    public Inbox inbox(String name) {
        return inboxes.stream().filter(i -> i.getName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no mailbox '" + name + "' in hub.mail.inboxes"));
    }

    public List<Inbox> getInboxes() { return inboxes; }
    public void setInboxes(List<Inbox> inboxes) { this.inboxes = inboxes; }
    public Smtp getSmtp() { return smtp; }
    public void setSmtp(Smtp smtp) { this.smtp = smtp; }
    public Support getSupport() { return support; }
    public void setSupport(Support support) { this.support = support; }
    public Campaign getCampaign() { return campaign; }
    public void setCampaign(Campaign campaign) { this.campaign = campaign; }
    public Unsubscribe getUnsubscribe() { return unsubscribe; }
    public void setUnsubscribe(Unsubscribe unsubscribe) { this.unsubscribe = unsubscribe; }
    public List<String> getOwnAddresses() { return ownAddresses; }
    public void setOwnAddresses(List<String> ownAddresses) { this.ownAddresses = ownAddresses; }
    public List<String> getInternalDomains() { return internalDomains; }
    public void setInternalDomains(List<String> internalDomains) { this.internalDomains = internalDomains; }
    public String getTokenFormat() { return tokenFormat; }
    public void setTokenFormat(String tokenFormat) { this.tokenFormat = tokenFormat; }
    public String getCaseTokenFormat() { return caseTokenFormat; }
    public void setCaseTokenFormat(String caseTokenFormat) { this.caseTokenFormat = caseTokenFormat; }
    public long getMaxMessageBytes() { return maxMessageBytes; }
    public void setMaxMessageBytes(long maxMessageBytes) { this.maxMessageBytes = maxMessageBytes; }
    public int getSnippetLength() { return snippetLength; }
    public void setSnippetLength(int snippetLength) { this.snippetLength = snippetLength; }
    public Unmatched getUnmatched() { return unmatched; }
    public void setUnmatched(Unmatched unmatched) { this.unmatched = unmatched; }
    public String getTemplatesDir() { return templatesDir; }
    public void setTemplatesDir(String templatesDir) { this.templatesDir = templatesDir; }
    public Duration getPollInterval() { return pollInterval; }
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    public int getMaxMessagesPerPoll() { return maxMessagesPerPoll; }
    public void setMaxMessagesPerPoll(int maxMessagesPerPoll) { this.maxMessagesPerPoll = maxMessagesPerPoll; }
    public int getBatchSize() { return batchSize; }
    public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
}
