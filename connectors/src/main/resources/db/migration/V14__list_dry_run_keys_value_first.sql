-- A dry run looks up the keys of each chunk among those of the run so far: import_id = ? AND key_value IN
-- (...). With the key (import_id, key_value) H2 (the embedded default) used only its first column and read
-- every key of the run for each chunk: a 200,000-row dry run fell to ~100 rows/s. Value first, both
-- databases look the keys up; the run's keys are deleted at its end by the import_id index.
ALTER TABLE list_import_dry_key DROP CONSTRAINT list_import_dry_key_pk;
ALTER TABLE list_import_dry_key ADD CONSTRAINT list_import_dry_key_pk PRIMARY KEY (key_value, import_id);
CREATE INDEX list_import_dry_key_import_ix ON list_import_dry_key (import_id);
