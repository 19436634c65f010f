-- The first schema of the embedded store.
--
-- Conventions: ids are 16-byte BLOBs, times are INTEGER milliseconds since the Unix epoch, codes
-- (kinds, sources, purposes, actions, outcomes, roles) are the stable code() strings of the domain
-- types. Personal data (resident ID number, name, phone) is never stored in plaintext: persons keep
-- a keyed hash of the resident ID for look-up and sealed (encrypted) copies of the three fields.
-- Indexes exist only for queries the Store trait makes; later features add their own.

CREATE TABLE persons (
    id                 BLOB    NOT NULL PRIMARY KEY,
    resident_id_hash   BLOB    NOT NULL UNIQUE,
    resident_id_sealed BLOB    NOT NULL,
    name_sealed        BLOB    NOT NULL,
    phone_sealed       BLOB    NOT NULL,
    enrolled_at        INTEGER NOT NULL,
    -- The event that enrolled the person: a resend of it is answered with this person (see
    -- Store::enrol), so one event id enrols at most one person.
    enrolment_event_id BLOB    NOT NULL UNIQUE
) STRICT;

CREATE TABLE venues (
    id            BLOB    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    district      INTEGER NOT NULL,
    latitude      REAL    NOT NULL,
    longitude     REAL    NOT NULL,
    -- OpeningHours in its text form ("24/7" or "Mo,Tu 09:00-18:00; ..."), which parses back to
    -- the same value.
    opening_hours TEXT    NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT;

-- A rowid table: rows are appended in rowid order, so the bulk-ingest cost is the two indexes
-- below plus the two foreign-key look-ups, not a random insert into the table itself.
CREATE TABLE check_ins (
    event_id   BLOB    NOT NULL,
    venue_id   BLOB    NOT NULL REFERENCES venues (id),
    person_id  BLOB    NOT NULL REFERENCES persons (id),
    entered_at INTEGER NOT NULL,
    left_at    INTEGER,
    source     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX check_ins_by_event_id ON check_ins (event_id);
-- By person only: a person has few check-ins, sorted after the look-up, and a narrower index
-- dirties fewer pages per bulk-ingest commit.
CREATE INDEX check_ins_by_person ON check_ins (person_id);

CREATE TABLE declarations (
    event_id           BLOB    NOT NULL PRIMARY KEY,
    person_id          BLOB    NOT NULL REFERENCES persons (id),
    declared_at        INTEGER NOT NULL,
    -- Symptom codes separated by single spaces, in the symptoms' natural order; '' for none.
    symptoms           TEXT    NOT NULL,
    temperature_tenths INTEGER,
    -- Travel entries "region from to" (e.g. "420100 2026-02-01 2026-02-03") separated by ';',
    -- in the order declared; '' for none.
    travel             TEXT    NOT NULL
) STRICT;
CREATE INDEX declarations_by_person ON declarations (person_id, declared_at);

CREATE TABLE staff_accounts (
    id            BLOB    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- Bearer tokens, by the SHA-256 of the token. A holder is a resident (person_id) or a staff
-- member (staff_id and the role the token grants).
CREATE TABLE tokens (
    hash        BLOB    NOT NULL PRIMARY KEY,
    holder_kind TEXT    NOT NULL CHECK (holder_kind IN ('resident', 'staff')),
    person_id   BLOB    REFERENCES persons (id) ON DELETE CASCADE,
    staff_id    BLOB    REFERENCES staff_accounts (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER,
    CHECK ((holder_kind = 'resident') = (person_id IS NOT NULL AND staff_id IS NULL)),
    CHECK ((holder_kind = 'staff') = (staff_id IS NOT NULL AND person_id IS NULL))
) STRICT;

-- The tamper-evident audit log (see audit_chain.rs for the hash). sequence is the rowid, from 1
-- without gaps.
CREATE TABLE audit_log (
    sequence   INTEGER NOT NULL PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_kind TEXT    NOT NULL,
    actor_id   BLOB,
    actor_role TEXT,
    purpose    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    subject    BLOB,
    records    INTEGER NOT NULL,
    outcome    TEXT    NOT NULL,
    hash       BLOB    NOT NULL
) STRICT;
-- Residents read who touched their data: the audit log by subject.
CREATE INDEX audit_log_by_subject ON audit_log (subject, sequence) WHERE subject IS NOT NULL;
