-- Residents' consents to employers' close-contact checks, and the index quarantine follow-up
-- reads the residents in isolation from.
--
-- Conventions as in 0001 and 0002.

-- A consent of one resident to one employer's staff account. Its token is kept only as its
-- SHA-256, as bearer tokens are, and apart from them: a consent token never signs anyone in,
-- and a bearer token never answers a check. checks_made counts the checks answered with it.
CREATE TABLE consents (
    consent_id  BLOB    NOT NULL PRIMARY KEY,
    person_id   BLOB    NOT NULL REFERENCES persons (id),
    employer_id BLOB    NOT NULL REFERENCES staff_accounts (id),
    -- Unique, and so indexed: an employer's check finds the consent by its token.
    token_hash  BLOB    NOT NULL UNIQUE,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    max_checks  INTEGER NOT NULL CHECK (max_checks > 0),
    checks_made INTEGER NOT NULL DEFAULT 0,
    revoked_at  INTEGER,
    CHECK (expires_at > issued_at),
    CHECK (checks_made BETWEEN 0 AND max_checks)
) STRICT;
-- A resident lists their own consents, oldest first.
CREATE INDEX consents_by_person ON consents (person_id, issued_at);

-- The residents in isolation: those whose latest rating is red or yellow, in person order, with
-- the end of their colour. The follow-up list reads them from here, then each one's own health
-- reports and declarations by primary key: its cost grows with the people isolated, never with
-- everyone enrolled.
CREATE INDEX current_ratings_isolated ON current_ratings (person_id, valid_until)
    WHERE colour IN ('red', 'yellow');
