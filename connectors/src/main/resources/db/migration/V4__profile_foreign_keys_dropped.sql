-- Backbone: the rows that hang off a profile no longer check their profile id with a foreign key.
-- PostgreSQL ran the check once per inserted row (a look-up of the profile from a trigger); a list
-- import writes five such rows per new person (identities, their sighting, consent and its history,
-- timeline, list member), and the checks took about a sixth of the import's time (docs/benchmarks.md,
-- lists). The ids stay valid without them: profiles are never deleted (a merged or erased profile keeps
-- its row), and every writer takes the id from the profile table in the same transaction — the store's
-- own methods lock the profile first (lockResolve), the flows write for the profiles that upsertAll
-- just created or matched. The foreign keys to the list, the campaign and the merge journal stay.
ALTER TABLE identity DROP CONSTRAINT identity_profile_fk;
ALTER TABLE identity_sighting DROP CONSTRAINT identity_sighting_profile_fk;
ALTER TABLE consent DROP CONSTRAINT consent_profile_fk;
ALTER TABLE consent_history DROP CONSTRAINT consent_history_profile_fk;
ALTER TABLE interaction DROP CONSTRAINT interaction_profile_fk;
ALTER TABLE list_member DROP CONSTRAINT list_member_profile_fk;
