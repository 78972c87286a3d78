-- How a run's rows are cut into chunks. With lanes = 1 chunk n holds data rows n*chunk_size+1 ..
-- (n+1)*chunk_size. With lanes = L > 1 each row goes to the lane of its person (a hash of its first
-- cell holding an e-mail, lower-cased; a row without one by its row number: raw values only, so a
-- mapping changed before a resume cannot change the cut), each lane cuts its own rows into chunks of
-- chunk_size in file order, and chunks are numbered in the order the reader completes them; the L
-- lanes commit in parallel, each lane's chunks one after the other, so rows of one person never
-- meet in two concurrent transactions. A resumed run cuts the file the same way (chunk_size and
-- lanes of the run, not of the current settings) and skips the chunks in list_import_chunk.
ALTER TABLE list_import ADD COLUMN lanes INTEGER NOT NULL DEFAULT 1;
