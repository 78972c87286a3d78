-- A corrected errors file names each row by its number in the original file (its "row" column). The rows it
-- rejects again keep that number in the next errors file, so a file's row numbers stay those of the original
-- however many round trips it makes; row_no (the row in the file being imported) stays the key and the order.
ALTER TABLE list_import_error ADD COLUMN source_row BIGINT;
