package io.crmhub.routes.email;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailComponent;
import org.apache.camel.component.mail.MailEndpoint;

/**
 * A Camel mail endpoint (its URI, connection settings, authenticator and {@code mail.imap.*}
 * properties are Camel's, so {@code options} of a mailbox keep their meaning) whose consumer is the
 * hub's {@link MailboxConsumer}: batched IMAP fetches and one move per batch, instead of Camel's
 * mail consumer with its several round trips per message.
 */
class MailboxEndpoint extends MailEndpoint {

    private final MailboxConsumer.Settings settings;

    MailboxEndpoint(MailEndpoint configured, MailboxConsumer.Settings settings) {
        super(configured.getEndpointUri(), (MailComponent) configured.getComponent(), configured.getConfiguration());
        this.settings = settings;
    }

    @Override
    public Consumer createConsumer(Processor processor, JavaMailSender sender) throws Exception {
        MailboxConsumer consumer = new MailboxConsumer(this, processor, sender, settings);
        configureConsumer(consumer);
        return consumer;
    }
}
