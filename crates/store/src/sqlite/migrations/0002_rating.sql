-- The rating engine's facts, ratings as history, policies, the region-risk list, appeals and
-- overrides.
--
-- Conventions as in 0001. Fact tables that the rating engine reads for every resident at once
-- (Store::for_each_facts) are WITHOUT ROWID tables clustered by person, so that reading them in
-- person order is one sequential scan; a unique index on the event (or case, contact, override)
-- id makes resends idempotent. Free text written by people about a person (appeal statements,
-- decision reasons, override reasons) is personal data and is stored sealed only.
-- History tables (ratings, policy activations, region-risk lists) are append-only: triggers
-- refuse to change or delete their rows.

-- Declarations move to a table clustered by person like the other facts: reading them in
-- person order through 0001's index cost one table look-up per declaration, most of the time
-- of a re-rating of every resident. One declared at the same moment as another now comes after
-- it in event id order.
CREATE TABLE declarations_clustered (
    person_id          BLOB    NOT NULL REFERENCES persons (id),
    declared_at        INTEGER NOT NULL,
    event_id           BLOB    NOT NULL,
    symptoms           TEXT    NOT NULL,
    temperature_tenths INTEGER,
    travel             TEXT    NOT NULL,
    PRIMARY KEY (person_id, declared_at, event_id)
) STRICT, WITHOUT ROWID;
INSERT INTO declarations_clustered
    (person_id, declared_at, event_id, symptoms, temperature_tenths, travel)
    SELECT person_id, declared_at, event_id, symptoms, temperature_tenths, travel
    FROM declarations;
DROP TABLE declarations;
ALTER TABLE declarations_clustered RENAME TO declarations;
CREATE UNIQUE INDEX declarations_by_event_id ON declarations (event_id);

CREATE TABLE test_results (
    person_id   BLOB    NOT NULL REFERENCES persons (id),
    sampled_at  INTEGER NOT NULL,
    event_id    BLOB    NOT NULL,
    kind        TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, sampled_at, event_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX test_results_by_event_id ON test_results (event_id);

CREATE TABLE pharmacy_purchases (
    person_id    BLOB    NOT NULL REFERENCES persons (id),
    purchased_at INTEGER NOT NULL,
    event_id     BLOB    NOT NULL,
    medicine     TEXT    NOT NULL,
    PRIMARY KEY (person_id, purchased_at, event_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX pharmacy_purchases_by_event_id ON pharmacy_purchases (event_id);

CREATE TABLE health_reports (
    person_id          BLOB    NOT NULL REFERENCES persons (id),
    reported_at        INTEGER NOT NULL,
    event_id           BLOB    NOT NULL,
    reporter           TEXT    NOT NULL,
    -- The day the report is about, as YYYY-MM-DD.
    day                TEXT    NOT NULL,
    temperature_tenths INTEGER,
    -- As declarations.symptoms.
    symptoms           TEXT    NOT NULL,
    PRIMARY KEY (person_id, reported_at, event_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX health_reports_by_event_id ON health_reports (event_id);

CREATE TABLE cases (
    person_id   BLOB    NOT NULL REFERENCES persons (id),
    case_id     BLOB    NOT NULL,
    status      TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    released_at INTEGER,
    PRIMARY KEY (person_id, since, case_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX cases_by_case_id ON cases (case_id);

CREATE TABLE contacts (
    person_id      BLOB    NOT NULL REFERENCES persons (id),
    contact_id     BLOB    NOT NULL,
    case_id        BLOB    NOT NULL REFERENCES cases (case_id),
    degree         TEXT    NOT NULL,
    -- 'venue' (with venue_id), 'trip' or 'household'. The venue is not a foreign key: tracing
    -- may name a venue this store has not registered.
    setting        TEXT    NOT NULL CHECK (setting IN ('venue', 'trip', 'household')),
    venue_id       BLOB,
    first_exposure INTEGER NOT NULL,
    last_exposure  INTEGER NOT NULL,
    found_at       INTEGER NOT NULL,
    dismissed_at   INTEGER,
    PRIMARY KEY (person_id, found_at, contact_id),
    CHECK ((setting = 'venue') = (venue_id IS NOT NULL))
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX contacts_by_contact_id ON contacts (contact_id);

-- The rating history. sequence is the rowid, from 1 without gaps, increasing with time.
CREATE TABLE ratings (
    sequence        INTEGER NOT NULL PRIMARY KEY,
    person_id       BLOB    NOT NULL REFERENCES persons (id),
    colour          TEXT    NOT NULL,
    valid_until     INTEGER,
    policy_version  TEXT    NOT NULL,
    -- The reasons' rule ids, strongest first, separated by single spaces; '' for none.
    rule_ids        TEXT    NOT NULL,
    rated_at        INTEGER NOT NULL,
    -- 'event' and 'override' (an id BLOB), 'policy_activated' (the version, TEXT),
    -- 'region_risk_list_changed' (the list version, INTEGER), 'expiry' and 'request' (NULL).
    cause_kind      TEXT    NOT NULL,
    cause_reference ANY
) STRICT;
CREATE INDEX ratings_by_person ON ratings (person_id, sequence);

-- Each person's latest rating, copied from ratings so that a new rating is compared with it by
-- one look-up, and so that the ratings due for renewal are one range of the valid_until index.
CREATE TABLE current_ratings (
    person_id      BLOB    NOT NULL PRIMARY KEY REFERENCES persons (id),
    sequence       INTEGER NOT NULL REFERENCES ratings (sequence),
    colour         TEXT    NOT NULL,
    valid_until    INTEGER,
    policy_version TEXT    NOT NULL,
    rule_ids       TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX current_ratings_by_valid_until ON current_ratings (valid_until)
    WHERE valid_until IS NOT NULL;

-- Uploaded policy files, in order of upload. Only files that parse are stored.
CREATE TABLE policies (
    version          TEXT    NOT NULL UNIQUE,
    source           TEXT    NOT NULL,
    sha256           BLOB    NOT NULL,
    uploaded_at      INTEGER NOT NULL,
    uploaded_by_kind TEXT    NOT NULL,
    uploaded_by_id   BLOB,
    uploaded_by_role TEXT
) STRICT;

-- Every activation, in order; the last is the active policy.
CREATE TABLE policy_activations (
    sequence          INTEGER NOT NULL PRIMARY KEY,
    version           TEXT    NOT NULL REFERENCES policies (version),
    activated_at      INTEGER NOT NULL,
    activated_by_kind TEXT    NOT NULL,
    activated_by_id   BLOB,
    activated_by_role TEXT
) STRICT;

-- Versions of the region-risk list, from 1; the latest is in force.
CREATE TABLE region_risk_lists (
    version      INTEGER NOT NULL PRIMARY KEY,
    published_at INTEGER NOT NULL
) STRICT;
CREATE TABLE region_risk_entries (
    version INTEGER NOT NULL REFERENCES region_risk_lists (version),
    region  INTEGER NOT NULL,
    level   TEXT    NOT NULL,
    PRIMARY KEY (version, region)
) STRICT, WITHOUT ROWID;

CREATE TABLE appeals (
    appeal_id              BLOB    NOT NULL PRIMARY KEY,
    person_id              BLOB    NOT NULL REFERENCES persons (id),
    rating_sequence        INTEGER NOT NULL REFERENCES ratings (sequence),
    -- Sealed with the appeal id as the row.
    statement_sealed       BLOB    NOT NULL,
    filed_at               INTEGER NOT NULL,
    -- The decision, all NULL until there is one.
    decided_at             INTEGER,
    decided_by             BLOB,
    outcome                TEXT CHECK (outcome IN ('uphold', 'amend')),
    decision_reason_sealed BLOB,
    override_id            BLOB,
    CHECK ((decided_at IS NULL) = (outcome IS NULL)),
    CHECK ((outcome = 'amend') = (override_id IS NOT NULL))
) STRICT;
CREATE INDEX appeals_by_person ON appeals (person_id, filed_at);
-- The queue officials work: undecided appeals, oldest first.
CREATE INDEX undecided_appeals ON appeals (filed_at) WHERE decided_at IS NULL;

CREATE TABLE overrides (
    person_id     BLOB    NOT NULL REFERENCES persons (id),
    override_id   BLOB    NOT NULL,
    colour        TEXT    NOT NULL,
    -- Sealed with the override id as the row.
    reason_sealed BLOB    NOT NULL,
    set_by        BLOB    NOT NULL,
    set_at        INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    appeal_id     BLOB    REFERENCES appeals (appeal_id),
    PRIMARY KEY (person_id, set_at, override_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX overrides_by_override_id ON overrides (override_id);

CREATE TRIGGER ratings_are_append_only_update BEFORE UPDATE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE TRIGGER ratings_are_append_only_delete BEFORE DELETE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE TRIGGER policy_activations_are_append_only_update BEFORE UPDATE ON policy_activations
BEGIN SELECT RAISE(ABORT, 'policy activations are append-only'); END;
CREATE TRIGGER policy_activations_are_append_only_delete BEFORE DELETE ON policy_activations
BEGIN SELECT RAISE(ABORT, 'policy activations are append-only'); END;
CREATE TRIGGER region_risk_entries_are_append_only_update BEFORE UPDATE ON region_risk_entries
BEGIN SELECT RAISE(ABORT, 'region-risk lists are append-only'); END;
CREATE TRIGGER region_risk_entries_are_append_only_delete BEFORE DELETE ON region_risk_entries
BEGIN SELECT RAISE(ABORT, 'region-risk lists are append-only'); END;
