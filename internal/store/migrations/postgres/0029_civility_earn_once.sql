-- A positive entry credits its points once (internal/civility, docs/CIVILITY.md):
-- at effect when the person has consented, or when they consent later; the
-- index makes a second credit of the same entry impossible on both engines.
CREATE UNIQUE INDEX civility_transfers_earn_once ON civility_transfers(entry_id) WHERE kind = 'earn';
