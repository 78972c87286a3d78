-- Rows whose e-mail, phone or id the CRM could not link to the person the row resolved to (another person
-- holds it: the same e-mail under another customer number, a shared office phone): counted per run, so the
-- report says how many people of the list are not reachable by what the file gave for them.
ALTER TABLE list_import ADD COLUMN identities_not_linked BIGINT NOT NULL DEFAULT 0;
