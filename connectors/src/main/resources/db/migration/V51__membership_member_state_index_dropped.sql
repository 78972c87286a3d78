-- Membership flow: the (source, sync_state) index served no query — the reconciliation pages
-- through a source's members by its primary key (source, member_id) and filters the state on the
-- rows, the counts read the whole source — while every member written maintained it (one index
-- entry per member in an initial sync, and no HOT update when a member's state changes).
DROP INDEX membership_member_state_ix;
