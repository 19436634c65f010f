-- Tracing asks a venue for the visits that may overlap a stretch of time. Indexed by time of
-- entry alone, it had to read back as far as the longest visit could last (a day) for every
-- question, a whole day of a busy station to find the few people still inside. Each check-in
-- now has a class of stay by how long it lasted as recorded, and the index by venue comes by
-- class first: each class is read back only as far as its own longest stay.
--
-- The classes' bounds are repeated in `contact_tracing.rs` (`STAY_CLASSES`), which a test
-- keeps equal to this column.
ALTER TABLE check_ins ADD COLUMN stay_class INTEGER GENERATED ALWAYS AS (
    CASE
        WHEN left_at IS NULL THEN 0
        WHEN left_at - entered_at <= 1800000 THEN 1
        WHEN left_at - entered_at <= 7200000 THEN 2
        WHEN left_at - entered_at <= 21600000 THEN 3
        WHEN left_at - entered_at <= 43200000 THEN 4
        ELSE 5
    END
) VIRTUAL;
DROP INDEX check_ins_by_venue;
CREATE INDEX check_ins_by_venue ON check_ins (venue_id, stay_class, entered_at, left_at, person_id);
