-- The fold adds a batch's stats to the stored row without reading it first (no profile lock on PostgreSQL):
-- whether the batch's first visit goes on with the stored last session is decided in the upsert, which needs
-- the batch's first visit. Stored as the profile's first visit (earliest of all batches); NULL on rows
-- written before this version, which the next batch of the profile fills in.
ALTER TABLE click_profile_stats ADD COLUMN first_visit TIMESTAMP WITH TIME ZONE;
