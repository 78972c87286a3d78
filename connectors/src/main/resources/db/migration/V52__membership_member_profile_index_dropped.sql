-- Membership flow: the profile_id index served one statement only — the reconciliation's clean-up
-- of members whose profile was erased, which runs once per reconciliation next to a read of all
-- the source's members, and joins the erased profiles (a scan of the profile table) anyway —
-- while every member written maintained it (one index entry per member in an initial sync).
DROP INDEX membership_member_profile_ix;
