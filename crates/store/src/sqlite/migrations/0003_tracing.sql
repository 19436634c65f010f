-- Contact tracing: cases with their infectious window, contacts with their evidence and
-- dismissals, trips and boardings, households, and the indexes tracing reads through.
--
-- Conventions as in 0001 and 0002.

-- A case's onset (symptoms, or the first positive sample) and isolation draw its infectious
-- window. Cases recorded before tracing existed had neither: their registration stands for both.
ALTER TABLE cases ADD COLUMN onset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN isolated_at INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET onset = since, isolated_at = since;

-- Contacts gain the trip they shared, how long they were together, the close contact through
-- whom a secondary contact was found, and who dismissed a contact and why (sealed, with the
-- contact id as the row). The setting check changes, so the table is rebuilt.
CREATE TABLE contacts_traced (
    person_id        BLOB    NOT NULL REFERENCES persons (id),
    contact_id       BLOB    NOT NULL,
    case_id          BLOB    NOT NULL REFERENCES cases (case_id),
    degree           TEXT    NOT NULL,
    -- 'venue' (with venue_id), 'trip' (with trip_id), 'household' or 'nearby'. Neither the
    -- venue nor the trip is a foreign key: tracing may name places this store has not
    -- registered.
    setting          TEXT    NOT NULL CHECK (setting IN ('venue', 'trip', 'household', 'nearby')),
    venue_id         BLOB,
    trip_id          BLOB,
    first_exposure   INTEGER NOT NULL,
    last_exposure    INTEGER NOT NULL,
    together_ms      INTEGER NOT NULL,
    via_person_id    BLOB    REFERENCES persons (id),
    found_at         INTEGER NOT NULL,
    dismissed_at     INTEGER,
    dismissed_by     BLOB,
    dismissal_sealed BLOB,
    PRIMARY KEY (person_id, found_at, contact_id),
    CHECK ((setting = 'venue') = (venue_id IS NOT NULL)),
    CHECK ((setting = 'trip') = (trip_id IS NOT NULL)),
    CHECK (dismissed_at IS NOT NULL OR (dismissed_by IS NULL AND dismissal_sealed IS NULL))
) STRICT, WITHOUT ROWID;
-- Contacts recorded before tracing existed carry no measured time together (their exposure
-- stands for it) and no trip (the nil id stands for a trip not recorded).
INSERT INTO contacts_traced
    (person_id, contact_id, case_id, degree, setting, venue_id, trip_id, first_exposure,
     last_exposure, together_ms, via_person_id, found_at, dismissed_at, dismissed_by,
     dismissal_sealed)
    SELECT person_id, contact_id, case_id, degree,
           setting, venue_id, CASE setting WHEN 'trip' THEN zeroblob(16) END, first_exposure, last_exposure, last_exposure - first_exposure, NULL,
           found_at, NULL, NULL, NULL
    FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_traced RENAME TO contacts;
CREATE UNIQUE INDEX contacts_by_contact_id ON contacts (contact_id);
-- One contact per case, person, degree and place: tracing a case again finds the same
-- contacts, and only new ones are stored. The contacts of a case are one range of it.
CREATE UNIQUE INDEX contacts_by_case ON contacts
    (case_id, degree, person_id, setting, coalesce(venue_id, trip_id, x''));

-- Trips with real-name manifests, named by their operators.
CREATE TABLE trips (
    id          BLOB    NOT NULL PRIMARY KEY,
    mode        TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    departs_at  INTEGER NOT NULL
) STRICT;

-- Boardings, in order of arrival (a rowid table, as check_ins).
CREATE TABLE boardings (
    event_id    BLOB    NOT NULL,
    trip_id     BLOB    NOT NULL REFERENCES trips (id),
    person_id   BLOB    NOT NULL REFERENCES persons (id),
    boarded_at  INTEGER NOT NULL,
    alighted_at INTEGER,
    -- Written as on the ticket, `12C`; NULL where seats are not assigned.
    seat        TEXT
) STRICT;
CREATE UNIQUE INDEX boardings_by_event_id ON boardings (event_id);
CREATE INDEX boardings_by_person ON boardings (person_id, boarded_at);
CREATE INDEX boardings_by_trip ON boardings (trip_id);

-- Who lives together. A person is registered in at most one household; registering them again
-- moves them.
CREATE TABLE household_members (
    person_id BLOB NOT NULL PRIMARY KEY REFERENCES persons (id),
    household TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX household_members_by_household ON household_members (household);

-- The visits at a venue in order of entry, with everything tracing reads from them, so that
-- the overlap join never touches the table.
CREATE INDEX check_ins_by_venue ON check_ins (venue_id, entered_at, left_at, person_id);
