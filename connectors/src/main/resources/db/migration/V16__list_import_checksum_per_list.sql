-- The same content is imported once per list, not once in all: the same file may go into a second list (the
-- partner list into "Q3 nurture" too), and is refused as a duplicate only when it comes again for the same list.
ALTER TABLE list_import_checksum ADD COLUMN list_name VARCHAR NOT NULL DEFAULT '';
UPDATE list_import_checksum SET list_name = COALESCE((SELECT i.list_name FROM list_import i
                                                      WHERE i.id = list_import_checksum.import_id), '');
ALTER TABLE list_import_checksum DROP CONSTRAINT list_import_checksum_pk;
ALTER TABLE list_import_checksum ADD CONSTRAINT list_import_checksum_pk PRIMARY KEY (checksum, list_name);
