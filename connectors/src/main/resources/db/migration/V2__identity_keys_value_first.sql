-- Identity look-ups come as lists of (type, namespace, value) tuples, very often all of one type.
-- With (type, namespace, value) as the key order PostgreSQL may use only the (type, namespace)
-- prefix and filter every row of that type. Keyed value first, "value IN (...)" always reaches the
-- few matching rows. Same uniqueness, other column order. Portable (PostgreSQL 15 and H2 PG mode).

ALTER TABLE identity DROP CONSTRAINT identity_pk;
ALTER TABLE identity ADD CONSTRAINT identity_pk PRIMARY KEY ("value", type, namespace);

ALTER TABLE identity_sighting DROP CONSTRAINT identity_sighting_pk;
ALTER TABLE identity_sighting ADD CONSTRAINT identity_sighting_pk PRIMARY KEY ("value", type, namespace, profile_id);
