-- Phone-network data: cells, raw pings (kept briefly), daily stays per cell, the itinerary's
-- city days, and proximity searches with their candidates for contact review.
--
-- Conventions as in 0001 and 0002. Days are civil dates as YYYY-MM-DD (as health_reports.day),
-- in the offset the caller read them in. Movement data is kept no longer than needed: the
-- retention purge deletes raw pings, daily stays, city days and candidates' stays by time,
-- each through the key or index named below.

-- Cells as their networks register them. Not personal data. A proximity search scans them all:
-- a city has thousands, not millions.
CREATE TABLE cells (
    cell_id       TEXT    NOT NULL PRIMARY KEY,
    latitude      REAL    NOT NULL,
    longitude     REAL    NOT NULL,
    -- The city's region code (GB/T 2260, ending in 00).
    city          INTEGER NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Raw pings, clustered by time: they arrive in about that order, and the purge deletes the
-- oldest as one range of the key. The event id makes resends idempotent while a ping is kept.
CREATE TABLE cell_pings (
    seen_at   INTEGER NOT NULL,
    event_id  BLOB    NOT NULL,
    person_id BLOB    NOT NULL REFERENCES persons (id),
    cell_id   TEXT    NOT NULL REFERENCES cells (cell_id),
    PRIMARY KEY (seen_at, event_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX cell_pings_by_event_id ON cell_pings (event_id);

-- A person's first and last ping in a cell on a day, clustered by cell and day: a proximity
-- search reads the stays of a few cells over a few days as ranges of the key, and the purge
-- deletes each cell's old days as one range.
CREATE TABLE daily_stays (
    cell_id    TEXT    NOT NULL REFERENCES cells (cell_id),
    day        TEXT    NOT NULL,
    person_id  BLOB    NOT NULL REFERENCES persons (id),
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (cell_id, day, person_id),
    CHECK (first_seen <= last_seen)
) STRICT, WITHOUT ROWID;

-- The itinerary: a person's first and last ping in a city on a day, over its cells, with the
-- event id that names it in ratings' evidence (derived from person, day and city, so the same
-- day in the same city always has the same id). Clustered by person like the other facts, so
-- that reading everyone's facts (Store::for_each_facts) is one ordered scan.
CREATE TABLE itinerary_days (
    person_id  BLOB    NOT NULL REFERENCES persons (id),
    day        TEXT    NOT NULL,
    city       INTEGER NOT NULL,
    event_id   BLOB    NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (person_id, day, city),
    CHECK (first_seen <= last_seen)
) STRICT, WITHOUT ROWID;
-- The purge deletes old days through it.
CREATE INDEX itinerary_days_by_day ON itinerary_days (day);

-- Searches officials ran, with the purpose they stated (sealed, with the search id as the row).
CREATE TABLE proximity_searches (
    search_id      BLOB    NOT NULL PRIMARY KEY,
    case_id        BLOB    NOT NULL REFERENCES cases (case_id),
    latitude       REAL    NOT NULL,
    longitude      REAL    NOT NULL,
    radius_metres  INTEGER NOT NULL,
    window_from    INTEGER NOT NULL,
    window_until   INTEGER NOT NULL,
    purpose_sealed BLOB    NOT NULL,
    searched_by    BLOB    NOT NULL,
    searched_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The people a search found, and each one's review once an official made it (the reason
-- sealed, with the search id and person id as the row).
CREATE TABLE proximity_candidates (
    search_id     BLOB    NOT NULL REFERENCES proximity_searches (search_id),
    person_id     BLOB    NOT NULL REFERENCES persons (id),
    decision      TEXT    CHECK (decision IN ('confirm', 'reject')),
    reason_sealed BLOB,
    reviewed_by   BLOB,
    reviewed_at   INTEGER,
    contact_id    BLOB,
    PRIMARY KEY (search_id, person_id),
    CHECK ((decision IS NULL) = (reviewed_at IS NULL)),
    CHECK ((decision = 'confirm') = (contact_id IS NOT NULL))
) STRICT, WITHOUT ROWID;

-- The stays that placed each candidate inside the search, copied from daily_stays. They are
-- movement data like the stays they copy, and purged with them (a full scan: candidates are
-- few).
CREATE TABLE proximity_candidate_stays (
    search_id  BLOB    NOT NULL,
    person_id  BLOB    NOT NULL,
    cell_id    TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (search_id, person_id, cell_id, first_seen),
    FOREIGN KEY (search_id, person_id) REFERENCES proximity_candidates (search_id, person_id)
) STRICT, WITHOUT ROWID;
