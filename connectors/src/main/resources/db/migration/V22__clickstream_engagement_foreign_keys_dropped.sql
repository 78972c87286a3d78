-- Clickstream: the engagement tables no longer check their profile and campaign ids with foreign keys.
-- PostgreSQL ran the check once per inserted row (a look-up of the profile from a trigger): in a test
-- of 40 upserts of 5,000 interest rows it took more than half of the time. The ids stay valid without it:
-- every writer (the fold, the move of a merged profile's engagement) locks the profile rows it writes for
-- in the same transaction, profiles are never deleted (an erased profile keeps its row, and the
-- housekeeping deletes its engagement), and campaigns are never deleted.
ALTER TABLE click_profile_stats DROP CONSTRAINT click_profile_stats_profile_fk;
ALTER TABLE click_profile_interest DROP CONSTRAINT click_profile_interest_profile_fk;
ALTER TABLE click_profile_campaign DROP CONSTRAINT click_profile_campaign_profile_fk;
ALTER TABLE click_profile_campaign DROP CONSTRAINT click_profile_campaign_campaign_fk;
