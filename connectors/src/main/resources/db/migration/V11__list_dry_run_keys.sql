-- Identifying keys (type:namespace:value) a dry run has seen so far, committed with the chunk that
-- saw them: a dry run counts duplicates in the file exactly like a real import, with memory flat
-- whatever the file size, and the same after a resume by another instance. Deleted when the run ends.
CREATE TABLE list_import_dry_key (
    import_id BIGINT  NOT NULL,
    key_value VARCHAR NOT NULL,
    CONSTRAINT list_import_dry_key_pk PRIMARY KEY (import_id, key_value),
    CONSTRAINT list_import_dry_key_import_fk FOREIGN KEY (import_id) REFERENCES list_import (id)
);
