package io.crmhub.connectors.email;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The email flow's own tables (migration V40): handled messages (de-duplication by mailbox and
 * Message-ID), the unmatched list, service cases, the outbound queue, address deliverability and
 * the auto-response rate limit. Every method joins the caller's Spring transaction when there is
 * one (the inbound processor runs a message's whole effect in one), else runs on its own.
 */
public class MailStore {

    private final JdbcTemplate db;

    public MailStore(DataSource dataSource) {
        this.db = new JdbcTemplate(dataSource);
    }

    // --- handled messages -------------------------------------------------------------------

    /** Claims the message for this mailbox; false when it was handled before (a re-read after a crash). */
    public boolean claim(String mailbox, String messageId, Instant receivedAt) {
        return db.update("INSERT INTO mail_message (mailbox, message_id, received_at, processed_at, outcome)"
                + " VALUES (?, ?, ?, ?, 'PROCESSING') ON CONFLICT DO NOTHING",
                mailbox, messageId, ts(receivedAt), ts(Instant.now())) == 1;
    }

    public void finish(String mailbox, String messageId, String outcome, UUID profileId, Long caseId, String from,
                       String subject, String detail) {
        db.update("UPDATE mail_message SET outcome = ?, profile_id = ?, case_id = ?, from_address = ?, subject = ?,"
                        + " detail = ?, processed_at = ? WHERE mailbox = ? AND message_id = ?",
                outcome, uuid(profileId), caseId, from, subject, detail, ts(Instant.now()), mailbox, messageId);
    }

    public record Handled(String mailbox, String messageId, String outcome, UUID profileId, Long caseId,
                          String from, String subject, String detail, Instant processedAt) {
    }

    public Optional<Handled> handled(String mailbox, String messageId) {
        return db.query("SELECT * FROM mail_message WHERE mailbox = ? AND message_id = ?", HANDLED, mailbox, messageId)
                .stream().findFirst();
    }

    public List<Handled> caseMessages(long caseId) {
        return db.query("SELECT * FROM mail_message WHERE case_id = ? ORDER BY processed_at", HANDLED, caseId);
    }

    private static final RowMapper<Handled> HANDLED = (rs, n) -> new Handled(rs.getString("mailbox"),
            rs.getString("message_id"), rs.getString("outcome"), rs.getObject("profile_id", UUID.class),
            (Long) rs.getObject("case_id", Long.class), rs.getString("from_address"), rs.getString("subject"),
            rs.getString("detail"), instant(rs, "processed_at"));

    // --- unmatched --------------------------------------------------------------------------

    public record Unmatched(long id, String mailbox, String messageId, String from, String fromName, String subject,
                            String snippet, Instant receivedAt, Instant recordedAt, String details) {
    }

    public void addUnmatched(Unmatched u) {
        db.update("INSERT INTO mail_unmatched (mailbox, message_id, from_address, from_name, subject, snippet,"
                        + " received_at, recorded_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                u.mailbox(), u.messageId(), u.from(), u.fromName(), u.subject(), u.snippet(), ts(u.receivedAt()),
                ts(Instant.now()), u.details());
    }

    /** Newest first; {@code beforeId} pages to older entries. */
    public List<Unmatched> unmatched(String mailbox, Long beforeId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM mail_unmatched WHERE 1 = 1");
        List<Object> args = new java.util.ArrayList<>();
        if (mailbox != null) {
            sql.append(" AND mailbox = ?");
            args.add(mailbox);
        }
        if (beforeId != null) {
            sql.append(" AND id < ?");
            args.add(beforeId);
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(limit);
        return db.query(sql.toString(), (rs, n) -> new Unmatched(rs.getLong("id"), rs.getString("mailbox"),
                rs.getString("message_id"), rs.getString("from_address"), rs.getString("from_name"),
                rs.getString("subject"), rs.getString("snippet"), instant(rs, "received_at"),
                instant(rs, "recorded_at"), rs.getString("details")), args.toArray());
    }

    // --- cases ------------------------------------------------------------------------------

    public record ServiceCase(long id, String mailbox, String subject, String status, UUID profileId,
                              String customerAddress, String firstMessageId, int messageCount, Instant openedAt,
                              Instant updatedAt) {
    }

    public long openCase(String mailbox, String subject, UUID profileId, String customerAddress, String firstMessageId,
                         Instant at) {
        return insert("INSERT INTO service_case (mailbox, subject, status, profile_id, customer_address,"
                        + " first_message_id, message_count, opened_at, updated_at) VALUES (?, ?, 'OPEN', ?, ?, ?, 1, ?, ?)",
                mailbox, subject, uuid(profileId), customerAddress, firstMessageId, ts(at), ts(at));
    }

    /** Another message on the case: counted, and the case is open again. */
    public void appendToCase(long caseId, Instant at) {
        db.update("UPDATE service_case SET message_count = message_count + 1, status = 'OPEN', updated_at = ? WHERE id = ?",
                ts(at), caseId);
    }

    public Optional<ServiceCase> findCase(long id) {
        return db.query("SELECT * FROM service_case WHERE id = ?", (rs, n) -> new ServiceCase(rs.getLong("id"),
                rs.getString("mailbox"), rs.getString("subject"), rs.getString("status"),
                rs.getObject("profile_id", UUID.class), rs.getString("customer_address"),
                rs.getString("first_message_id"), rs.getInt("message_count"), instant(rs, "opened_at"),
                instant(rs, "updated_at")), id).stream().findFirst();
    }

    // --- outbound ---------------------------------------------------------------------------

    public record Outbound(long id, String kind, UUID profileId, String to, String template, String model,
                           String campaignCode, Long caseId, String inReplyTo, String messageId, String subject,
                           String status, String reason, int attempts, Instant createdAt, Instant sentAt) {
    }

    public long enqueue(String kind, UUID profileId, String to, String template, String model, String campaignCode,
                        Long caseId, String inReplyTo, String messageId) {
        Instant now = Instant.now();
        return insert("INSERT INTO mail_outbound (kind, profile_id, to_address, template, model, campaign_code, case_id,"
                        + " in_reply_to, message_id, status, attempts, created_at, next_attempt_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)",
                kind, uuid(profileId), to, template, model, campaignCode, caseId, inReplyTo, messageId, ts(now), ts(now));
    }

    public List<Outbound> due(int limit) {
        return db.query("SELECT * FROM mail_outbound WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                OUTBOUND, ts(Instant.now()), limit);
    }

    public Optional<Outbound> outbound(long id) {
        return db.query("SELECT * FROM mail_outbound WHERE id = ?", OUTBOUND, id).stream().findFirst();
    }

    public List<Outbound> outboundOfCase(long caseId) {
        return db.query("SELECT * FROM mail_outbound WHERE case_id = ? ORDER BY id", OUTBOUND, caseId);
    }

    public Optional<Outbound> outboundByMessageId(String messageId) {
        return db.query("SELECT * FROM mail_outbound WHERE message_id = ?", OUTBOUND, messageId).stream().findFirst();
    }

    public void markSent(long id, String subject) {
        db.update("UPDATE mail_outbound SET status = 'SENT', subject = ?, sent_at = ?, attempts = attempts + 1, reason = NULL"
                + " WHERE id = ?", subject, ts(Instant.now()), id);
    }

    public void markSuppressed(long id, String reason) {
        db.update("UPDATE mail_outbound SET status = 'SUPPRESSED', reason = ? WHERE id = ?", reason, id);
    }

    /** A failed attempt: retried after {@code retryIn}, or FAILED for good when {@code retryIn} is null. */
    public void markAttemptFailed(long id, String reason, Duration retryIn) {
        if (retryIn == null) {
            db.update("UPDATE mail_outbound SET status = 'FAILED', reason = ?, attempts = attempts + 1 WHERE id = ?", reason, id);
        } else {
            db.update("UPDATE mail_outbound SET reason = ?, attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                    reason, ts(Instant.now().plus(retryIn)), id);
        }
    }

    private static final RowMapper<Outbound> OUTBOUND = (rs, n) -> new Outbound(rs.getLong("id"), rs.getString("kind"),
            rs.getObject("profile_id", UUID.class), rs.getString("to_address"), rs.getString("template"),
            rs.getString("model"), rs.getString("campaign_code"), (Long) rs.getObject("case_id", Long.class),
            rs.getString("in_reply_to"), rs.getString("message_id"), rs.getString("subject"), rs.getString("status"),
            rs.getString("reason"), rs.getInt("attempts"), instant(rs, "created_at"), instant(rs, "sent_at"));

    // --- deliverability ---------------------------------------------------------------------

    public record AddressStatus(String address, String status, int hardBounces, int softBounces, String lastStatus,
                                String lastDiagnostic, Instant lastBounceAt) {
        public boolean undeliverable() {
            return "UNDELIVERABLE".equals(status);
        }
    }

    public Optional<AddressStatus> addressStatus(String address) {
        return db.query("SELECT * FROM mail_address WHERE address = ?", (rs, n) -> new AddressStatus(
                rs.getString("address"), rs.getString("status"), rs.getInt("hard_bounces"), rs.getInt("soft_bounces"),
                rs.getString("last_status"), rs.getString("last_diagnostic"), instant(rs, "last_bounce_at")),
                address).stream().findFirst();
    }

    /** Counts a bounce; a hard one marks the address UNDELIVERABLE. */
    public void recordBounce(String address, boolean hard, String status, String diagnostic, Instant at) {
        Instant now = Instant.now();
        db.update("INSERT INTO mail_address (address, status, hard_bounces, soft_bounces, updated_at) VALUES (?, 'DELIVERABLE', 0, 0, ?)"
                + " ON CONFLICT DO NOTHING", address, ts(now));
        if (hard) {
            db.update("UPDATE mail_address SET status = 'UNDELIVERABLE', hard_bounces = hard_bounces + 1, last_status = ?,"
                    + " last_diagnostic = ?, last_bounce_at = ?, updated_at = ? WHERE address = ?",
                    status, diagnostic, ts(at), ts(now), address);
        } else {
            db.update("UPDATE mail_address SET soft_bounces = soft_bounces + 1, last_status = ?, last_diagnostic = ?,"
                    + " last_bounce_at = ?, updated_at = ? WHERE address = ?", status, diagnostic, ts(at), ts(now), address);
        }
    }

    // --- auto-response rate limit -----------------------------------------------------------

    /** Reserves an auto-response to {@code sender}: false when one went out within {@code window}. */
    public boolean reserveAutoResponse(String sender, Duration window) {
        Instant now = Instant.now();
        if (db.update("UPDATE mail_auto_response SET last_sent_at = ? WHERE sender = ? AND last_sent_at <= ?",
                ts(now), sender, ts(now.minus(window))) == 1) {
            return true;
        }
        return db.update("INSERT INTO mail_auto_response (sender, last_sent_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                sender, ts(now)) == 1;
    }

    // --- erasure ----------------------------------------------------------------------------

    /**
     * GDPR erasure of the email flow's own rows of a person (the profile and the profiles merged
     * into it): addresses, subjects and details blanked where rows must stay (dedup keys, cases,
     * the queue), rows keyed by the person's addresses deleted (deliverability, auto-response
     * window, unmatched mail). Idempotent. Answers the rows touched per table.
     */
    public java.util.Map<String, Integer> erase(UUID profileId) {
        List<UUID> ids = db.query("SELECT id FROM profile WHERE id = ? OR merged_into = ?",
                (rs, n) -> rs.getObject(1, UUID.class), profileId, profileId);
        if (ids.isEmpty()) {
            ids = List.of(profileId);
        }
        java.util.Set<String> addresses = new java.util.HashSet<>();
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (UUID id : ids) {
            addresses.addAll(db.queryForList("SELECT to_address FROM mail_outbound WHERE profile_id = ?", String.class, id));
            addresses.addAll(db.queryForList("SELECT customer_address FROM service_case WHERE profile_id = ? AND customer_address IS NOT NULL",
                    String.class, id));
            addresses.addAll(db.queryForList("SELECT from_address FROM mail_message WHERE profile_id = ? AND from_address IS NOT NULL",
                    String.class, id));
            out.merge("mail_message", db.update("UPDATE mail_message SET from_address = NULL, subject = NULL, detail = NULL"
                    + " WHERE profile_id = ?", id), Integer::sum);
            out.merge("service_case", db.update("UPDATE service_case SET customer_address = NULL, subject = NULL"
                    + " WHERE profile_id = ?", id), Integer::sum);
            out.merge("mail_outbound", db.update("UPDATE mail_outbound SET to_address = 'erased', model = NULL, subject = NULL,"
                    + " in_reply_to = NULL WHERE profile_id = ?", id), Integer::sum);
        }
        addresses.remove("erased");
        for (String a : addresses) {
            out.merge("mail_address", db.update("DELETE FROM mail_address WHERE address = ?", a), Integer::sum);
            out.merge("mail_auto_response", db.update("DELETE FROM mail_auto_response WHERE sender = ?", a), Integer::sum);
            out.merge("mail_unmatched", db.update("DELETE FROM mail_unmatched WHERE from_address = ?", a), Integer::sum);
            out.merge("mail_message", db.update("UPDATE mail_message SET from_address = NULL, subject = NULL, detail = NULL"
                    + " WHERE from_address = ?", a), Integer::sum);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------

    private long insert(String sql, Object... args) {
        KeyHolder keys = new GeneratedKeyHolder();
        db.update(con -> {
            PreparedStatement ps = con.prepareStatement(sql, new String[]{"id"});
            for (int i = 0; i < args.length; i++) {
                org.springframework.jdbc.core.StatementCreatorUtils.setParameterValue(ps, i + 1,
                        org.springframework.jdbc.core.SqlTypeValue.TYPE_UNKNOWN, args[i]);
            }
            return ps;
        }, keys);
        Number key = keys.getKey();
        if (key == null) {
            throw new IllegalStateException("no generated id");
        }
        return key.longValue();
    }

    private static Object ts(Instant t) {
        return t == null ? new TypedNull(Types.TIMESTAMP_WITH_TIMEZONE)
                : OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    private static Object uuid(UUID id) {
        return id == null ? new TypedNull(Types.OTHER) : id;
    }

    private static Instant instant(ResultSet rs, String col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** A NULL with its SQL type (PostgreSQL wants the type of a null UUID or timestamp). */
    record TypedNull(int sqlType) implements org.springframework.jdbc.core.SqlTypeValue {
        @Override
        public void setTypeValue(PreparedStatement ps, int paramIndex, int sqlType, String typeName) throws SQLException {
            ps.setNull(paramIndex, this.sqlType);
        }
    }
}
