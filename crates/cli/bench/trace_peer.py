#!/usr/bin/env python3
"""The peer of `healthcode bench trace`: close contacts at venues, by DuckDB SQL.

Loads the check-ins and venue kinds that the benchmark exported as CSV into a DuckDB database
once (the file is kept, so later runs on the same data directory reuse it), then, for each set
of cases, computes every case's close contacts at venues by the definition healthcode traces
with, timing only the query, and writes what it found as CSV. Prints its figures as one JSON
object on standard output.

A close contact at a venue: a visit by another person to a venue the case visited, overlapping
the case's visit inside the case's infectious window for at least the minimum overlap. A visit
lasts from entering until leaving, or for its venue kind's default stay without a check-out,
and never longer than the longest stay. Overlaps of one person at one venue are merged (touching
ones too); the contact runs from the first to the last moment, and `together` sums the merged
intervals.

Needs only the `duckdb` package (`pip install duckdb`).
"""

import argparse
import csv
import json
import sys
import time

import duckdb


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="DuckDB file, created on first use")
    parser.add_argument("--check-ins", required=True, help="CSV: venue_id,person_id,entered_at,left_at")
    parser.add_argument("--venues", required=True, help="CSV: id,kind")
    parser.add_argument("--cases", required=True, help="CSV: set,case_id,person_id,opens,closes")
    parser.add_argument("--stays", required=True, help="CSV: kind,stay_ms")
    parser.add_argument("--min-overlap-ms", type=int, required=True)
    parser.add_argument("--longest-stay-ms", type=int, required=True)
    parser.add_argument("--out", required=True, help="CSV of the contacts found, by set")
    return parser.parse_args()


def load(connection, check_ins, venues):
    """Loads the exported rows once; answers the seconds it took, or None if already loaded."""
    tables = {row[0] for row in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "check_ins" in tables and "venues" in tables:
        return None
    started = time.perf_counter()
    connection.execute("DROP TABLE IF EXISTS venues")
    connection.execute("DROP TABLE IF EXISTS check_ins")
    connection.execute(
        "CREATE TABLE venues AS SELECT CAST(id AS UUID) AS id, kind "
        "FROM read_csv(?, header = true, columns = {'id': 'VARCHAR', 'kind': 'VARCHAR'})",
        [venues],
    )
    # In the order of the store's tracing index (venue, then time of entry), so that DuckDB's
    # zone maps can skip what a query does not need.
    connection.execute(
        "CREATE TABLE check_ins AS SELECT CAST(venue_id AS UUID) AS venue_id, "
        "CAST(person_id AS UUID) AS person_id, entered_at, left_at "
        "FROM read_csv(?, header = true, columns = {'venue_id': 'VARCHAR', "
        "'person_id': 'VARCHAR', 'entered_at': 'BIGINT', 'left_at': 'BIGINT'}) "
        "ORDER BY venue_id, entered_at",
        [check_ins],
    )
    connection.execute("CHECKPOINT")
    return time.perf_counter() - started


QUERY = """
CREATE OR REPLACE TEMP TABLE found AS
WITH
-- The cases' visits, cut to their windows, with their venue kind's default stay.
exposed AS (
    SELECT k.case_id, k.person_id AS case_person, c.venue_id, s.stay_ms AS stay,
           greatest(c.entered_at, k.opens) AS f,
           least(coalesce(c.left_at, c.entered_at + s.stay_ms), c.entered_at + {longest},
                 k.closes) AS t
    FROM cases k
    JOIN check_ins c ON c.person_id = k.person_id
    JOIN venues v ON v.id = c.venue_id
    JOIN stays s ON s.kind = v.kind
    WHERE c.entered_at >= k.opens - {longest} AND c.entered_at < k.closes
),
pairs AS (
    SELECT e.case_id, o.person_id, e.venue_id,
           greatest(o.entered_at, e.f) AS f,
           least(coalesce(o.left_at, o.entered_at + e.stay), o.entered_at + {longest}, e.t) AS t
    FROM exposed e
    JOIN check_ins o ON o.venue_id = e.venue_id
         AND o.entered_at >= e.f - {longest} AND o.entered_at < e.t
    WHERE e.f < e.t AND o.person_id <> e.case_person
),
kept AS (SELECT * FROM pairs WHERE t - f >= {min_overlap}),
-- Overlapping or touching intervals merge: an island starts where an interval begins after
-- every earlier one has ended.
marked AS (
    SELECT *, max(t) OVER (PARTITION BY case_id, person_id, venue_id ORDER BY f, t
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
    FROM kept
),
islands AS (
    SELECT *, sum(CASE WHEN reached IS NULL OR f > reached THEN 1 ELSE 0 END)
              OVER (PARTITION BY case_id, person_id, venue_id ORDER BY f, t
                    ROWS UNBOUNDED PRECEDING) AS island
    FROM marked
),
merged AS (
    SELECT case_id, person_id, venue_id, min(f) AS f, max(t) AS t
    FROM islands GROUP BY case_id, person_id, venue_id, island
)
SELECT case_id, person_id, venue_id, min(f) AS first_exposure, max(t) AS last_exposure,
       sum(t - f) AS together_ms
FROM merged GROUP BY case_id, person_id, venue_id
"""


def main():
    options = arguments()
    connection = duckdb.connect(options.database)
    loaded_seconds = load(connection, options.check_ins, options.venues)
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE stays AS SELECT kind, stay_ms FROM read_csv(?, header = true, "
        "columns = {'kind': 'VARCHAR', 'stay_ms': 'BIGINT'})",
        [options.stays],
    )
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE all_cases AS SELECT \"set\", CAST(case_id AS UUID) AS case_id, "
        "CAST(person_id AS UUID) AS person_id, opens, closes FROM read_csv(?, header = true, "
        "columns = {'set': 'VARCHAR', 'case_id': 'VARCHAR', 'person_id': 'VARCHAR', "
        "'opens': 'BIGINT', 'closes': 'BIGINT'})",
        [options.cases],
    )
    with open(options.cases, newline="") as file:
        sets = list(dict.fromkeys(row["set"] for row in csv.DictReader(file)))
    query = QUERY.format(longest=options.longest_stay_ms, min_overlap=options.min_overlap_ms)
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE results (\"set\" VARCHAR, case_id UUID, person_id UUID, "
        "venue_id UUID, first_exposure BIGINT, last_exposure BIGINT, together_ms BIGINT)"
    )

    def select(name):
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE cases AS SELECT case_id, person_id, opens, closes "
            "FROM all_cases WHERE \"set\" = ?",
            [name],
        )

    # One untimed run first, so that the first timed one does not pay for reading the file.
    if sets:
        select(sets[0])
        connection.execute(query)
    timings = {}
    for name in sets:
        select(name)
        started = time.perf_counter()
        connection.execute(query)
        timings[name] = time.perf_counter() - started
        connection.execute("INSERT INTO results SELECT ?, * FROM found", [name])
    connection.execute("COPY results TO '{}' (HEADER, DELIMITER ',')".format(options.out.replace("'", "''")))
    json.dump(
        {
            "duckdb_version": duckdb.__version__,
            "threads": connection.execute("SELECT current_setting('threads')").fetchone()[0],
            "loaded_seconds": loaded_seconds,
            "query_seconds": timings,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
