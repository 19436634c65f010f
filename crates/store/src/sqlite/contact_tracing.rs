//! Tracing in the embedded store: trips and boardings, households, the visit index that
//! [`healthcode_core::trace::trace`] reads through, and the contacts it records.
//!
//! The visit index answers from three indexes (migration 0003): check-ins by venue and time of
//! entry, holding every column tracing reads so that the overlap join never visits the table;
//! boardings by person and by trip; household members by household. A person's own check-ins
//! come from the per-person index of 0001.

use std::cell::RefCell;
use std::collections::HashMap;

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus, Contact, ContactDegree, ContactId};
use healthcode_core::trace::{
    ContactRecord, Dismissal, Interval, Ride, Traced, TracedContact, TracingPolicy, Visit,
    VisitIndex, infectious_window, trace,
};
use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, Boarding, HouseholdCode, PersonId, Seat, StaffId,
    Timestamp, TransitMode, Trip, TripId, VenueId, VenueKind,
};
use rusqlite::{Connection, OptionalExtension, Row, Statement, Transaction, params};

use super::encoding::{code, corrupt, id_bytes, millis, optional_id_bytes, text, timestamp};
use super::rating::{decode_contact_setting, encode_contact_setting};
use super::{
    Audited, BatchRow, Refusal, SqliteStore, append_audit_record, first_unknown_person,
    insertion_order, is_foreign_key_violation, person_of_open_record, single_subject,
};
use crate::audit_chain::AuditEntry;
use crate::{IngestReport, Reference, StoreError};

/// Which contacts a trace looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Degrees {
    CloseAndSecondary,
    Close,
}

/// A case traced: whose it is, the case, and what tracing found.
type TracedCase = (PersonId, CaseRecord, Traced);

/// Column name of a dismissal's sealed reason; with the contact id it is the associated data.
const SEALED_DISMISSAL: &str = "contacts.dismissal";

const INSERT_TRIP: &str =
    "INSERT OR IGNORE INTO trips (id, mode, code, departs_at) VALUES (?1, ?2, ?3, ?4)";
const INSERT_BOARDING: &str = "INSERT OR IGNORE INTO boardings \
     (event_id, trip_id, person_id, boarded_at, alighted_at, seat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

impl SqliteStore {
    pub(super) fn ingest_boardings_now(
        &self,
        access: &Access,
        trips: &[Trip],
        boardings: &[Boarding],
    ) -> Result<IngestReport, StoreError> {
        let subject = single_subject(boardings.iter().map(Boarding::person));
        let records = boardings.len() as u64;
        self.audited(access, AuditAction::RecordBoardings, |transaction| {
            let refused = |error| Refusal::Refused {
                error,
                subject,
                records,
            };
            for trip in trips {
                if !register_trip(transaction, trip)? {
                    return Err(refused(StoreError::Conflict(
                        "a trip with this id is registered with another mode, code or departure",
                    )));
                }
            }
            let mut statement = transaction.prepare_cached(INSERT_BOARDING)?;
            let mut stored = 0u64;
            for index in insertion_order(boardings) {
                match boardings[index].insert(&mut statement) {
                    Ok(changed) => stored += changed as u64,
                    Err(error) if is_foreign_key_violation(&error) => {
                        let error = first_unknown_reference(transaction, boardings)?
                            .ok_or_else(|| Refusal::Failed(error.into()))?;
                        return Err(refused(error));
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            let report = IngestReport {
                stored,
                duplicates: records - stored,
            };
            Ok(Audited::success(report, subject, records))
        })
    }

    pub(super) fn register_households_now(
        &self,
        access: &Access,
        members: &[(PersonId, HouseholdCode)],
    ) -> Result<IngestReport, StoreError> {
        let subject = single_subject(members.iter().map(|(person, _)| *person));
        let records = members.len() as u64;
        self.audited(access, AuditAction::RegisterHouseholds, |transaction| {
            if let Some(index) =
                first_unknown_person(transaction, members.iter().map(|(person, _)| *person))?
            {
                return Err(Refusal::Refused {
                    error: StoreError::UnknownReference {
                        index,
                        reference: Reference::Person,
                    },
                    subject,
                    records,
                });
            }
            let mut statement = transaction.prepare_cached(
                "INSERT INTO household_members (person_id, household) VALUES (?1, ?2) \
                 ON CONFLICT (person_id) DO UPDATE SET household = excluded.household \
                 WHERE household != excluded.household",
            )?;
            let mut stored = 0u64;
            for (person, household) in members {
                stored += statement.execute(params![person.as_bytes(), household.as_str()])? as u64;
            }
            let report = IngestReport {
                stored,
                duplicates: records - stored,
            };
            Ok(Audited::success(report, subject, records))
        })
    }

    pub(super) fn case_now(
        &self,
        access: &Access,
        case: CaseId,
    ) -> Result<(PersonId, CaseRecord), StoreError> {
        self.audited(access, AuditAction::ReadCase, |transaction| {
            let found = find_case(transaction, case)?.ok_or_else(case_not_found)?;
            Ok(Audited::success(found, Some(found.0), 1))
        })
    }

    pub(super) fn trace_case_now(
        &self,
        access: &Access,
        case: CaseId,
        policy: &TracingPolicy,
    ) -> Result<(PersonId, CaseRecord, Traced), StoreError> {
        let mut traced =
            self.trace_cases_with(access, &[case], policy, Degrees::CloseAndSecondary)?;
        Ok(traced.remove(0))
    }

    pub(super) fn trace_cases_now(
        &self,
        access: &Access,
        cases: &[CaseId],
        policy: &TracingPolicy,
    ) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError> {
        self.trace_cases_with(access, cases, policy, Degrees::CloseAndSecondary)
    }

    /// Traces cases as [`Store::trace_cases`](crate::Store::trace_cases) does, or, for the
    /// benchmark, their close contacts only: tracing as of the opening of each window, when no
    /// close contact can have met anyone yet, through the same algorithm and index.
    ///
    /// Tracing reads in reader snapshots, not on the writer: in a crowded city a trace with its
    /// secondary contacts reads for seconds, and check-ins must keep arriving meanwhile. Many
    /// cases are shared out over one thread per core, each tracing its share in one snapshot,
    /// and nothing is written until all are traced, since every commit empties the readers'
    /// page caches. The audit records, one per case, are committed together before anything is
    /// answered, and not at all if a read fails; an unknown case is audited as not found.
    pub(super) fn trace_cases_with(
        &self,
        access: &Access,
        cases: &[CaseId],
        policy: &TracingPolicy,
        degrees: Degrees,
    ) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(cases.len())
            .max(1);
        let share = cases.len().div_ceil(threads).max(1);
        let read: Vec<Option<TracedCase>> = if threads == 1 {
            self.trace_in_snapshot(cases, policy, degrees, access.at)?
        } else {
            let shares: Vec<Result<Vec<_>, StoreError>> = std::thread::scope(|scope| {
                let workers: Vec<_> = cases
                    .chunks(share)
                    .map(|cases| {
                        scope.spawn(move || {
                            self.trace_in_snapshot(cases, policy, degrees, access.at)
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|worker| worker.join().expect("a tracing thread does not panic"))
                    .collect()
            });
            let mut read = Vec::with_capacity(cases.len());
            for share in shares {
                read.extend(share?);
            }
            read
        };
        self.write(|transaction| {
            for found in &read {
                let (subject, records, outcome) = match found {
                    Some((person, _, traced)) => (
                        Some(*person),
                        traced.contacts.len() as u64,
                        AuditOutcome::Success,
                    ),
                    None => (None, 0, AuditOutcome::NotFound),
                };
                let entry = AuditEntry::for_access(
                    access,
                    AuditAction::TraceCase,
                    subject,
                    records,
                    outcome,
                );
                append_audit_record(transaction, entry)?;
            }
            Ok(())
        })?;
        read.into_iter()
            .map(|found| found.ok_or(StoreError::NotFound { what: "case" }))
            .collect()
    }

    /// Traces `cases` in one reader snapshot: `None` for a case that does not exist.
    fn trace_in_snapshot(
        &self,
        cases: &[CaseId],
        policy: &TracingPolicy,
        degrees: Degrees,
        at: Timestamp,
    ) -> Result<Vec<Option<TracedCase>>, StoreError> {
        self.readers.with(|connection| {
            let snapshot = connection.unchecked_transaction()?;
            let index = SqliteVisitIndex::new(&snapshot);
            let mut traced = Vec::with_capacity(cases.len());
            for case in cases {
                traced.push(match find_case(&snapshot, *case)? {
                    Some((person, record)) => {
                        let now = match degrees {
                            Degrees::CloseAndSecondary => at,
                            Degrees::Close => infectious_window(&record, policy)
                                .map_or(at, |window| window.from()),
                        };
                        Some((person, record, trace(&index, person, &record, policy, now)?))
                    }
                    None => None,
                });
            }
            snapshot.finish()?;
            Ok(traced)
        })
    }

    pub(super) fn record_traced_contacts_now(
        &self,
        access: &Access,
        case: CaseId,
        contacts: &[(ContactId, TracedContact)],
    ) -> Result<Vec<(PersonId, Contact)>, StoreError> {
        let mut stored = self.record_traced_cases_now(access, &[(case, contacts.to_vec())])?;
        Ok(stored.remove(0))
    }

    pub(super) fn record_traced_cases_now(
        &self,
        access: &Access,
        cases: &[(CaseId, Vec<(ContactId, TracedContact)>)],
    ) -> Result<Vec<Vec<(PersonId, Contact)>>, StoreError> {
        let all = || cases.iter().flat_map(|(_, contacts)| contacts);
        let subject = single_subject(all().map(|(_, contact)| contact.person));
        let records = all().count() as u64;
        self.audited(access, AuditAction::RecordContact, |transaction| {
            for (case, _) in cases {
                if find_case(transaction, *case)?.is_none() {
                    return Err(Refusal::Refused {
                        error: StoreError::NotFound { what: "case" },
                        subject,
                        records,
                    });
                }
            }
            let mut statement = transaction.prepare_cached(
                "INSERT OR IGNORE INTO contacts (person_id, found_at, contact_id, case_id, \
                 degree, setting, venue_id, trip_id, first_exposure, last_exposure, \
                 together_ms, via_person_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            // In person order, the order of the table's key, so that consecutive inserts land
            // on the same pages; answered case by case in the caller's order.
            let mut order: Vec<(usize, usize)> = cases
                .iter()
                .enumerate()
                .flat_map(|(at, (_, contacts))| (0..contacts.len()).map(move |index| (at, index)))
                .collect();
            order.sort_by_key(|&(at, index)| *cases[at].1[index].1.person.as_bytes());
            let mut stored: Vec<Vec<Option<(PersonId, Contact)>>> = cases
                .iter()
                .map(|(_, contacts)| vec![None; contacts.len()])
                .collect();
            for (at, index) in order {
                let case = cases[at].0;
                let (id, traced) = &cases[at].1[index];
                let contact = Contact {
                    contact: *id,
                    case,
                    degree: traced.degree,
                    setting: traced.setting,
                    first_exposure: traced.first_exposure,
                    last_exposure: traced.last_exposure,
                    together: traced.together,
                    found_at: access.at,
                    dismissed_at: None,
                };
                let (setting, venue, trip) = encode_contact_setting(contact.setting);
                let changed = statement.execute(params![
                    traced.person.as_bytes(),
                    millis(contact.found_at),
                    id.as_bytes(),
                    case.as_bytes(),
                    contact.degree.code(),
                    setting,
                    venue.as_ref().map(VenueId::as_bytes),
                    trip.as_ref().map(TripId::as_bytes),
                    millis(contact.first_exposure),
                    millis(contact.last_exposure),
                    contact.together.as_millis() as i64,
                    traced.via.as_ref().map(PersonId::as_bytes),
                ])?;
                if changed == 1 {
                    stored[at][index] = Some((traced.person, contact));
                }
            }
            let stored = stored
                .into_iter()
                .map(|contacts| contacts.into_iter().flatten().collect())
                .collect();
            Ok(Audited::success(stored, subject, records))
        })
    }

    pub(super) fn contacts_of_case_now(
        &self,
        access: &Access,
        case: CaseId,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        self.audited(access, AuditAction::ReadContacts, |transaction| {
            if find_case(transaction, case)?.is_none() {
                return Err(case_not_found());
            }
            let mut statement = transaction.prepare_cached(
                "SELECT contact_id, case_id, degree, setting, venue_id, trip_id, first_exposure, \
                 last_exposure, together_ms, found_at, dismissed_at, person_id, via_person_id, \
                 dismissed_by, dismissal_sealed FROM contacts WHERE case_id = ?1 \
                 ORDER BY degree = 'secondary', person_id, setting, \
                 coalesce(venue_id, trip_id, x'')",
            )?;
            let mut rows = statement.query([case.as_bytes()])?;
            let mut found = Vec::new();
            while let Some(row) = rows.next()? {
                found.push(self.decode_contact_record(row)?);
            }
            let subject = single_subject(found.iter().map(|record| record.person));
            let records = found.len() as u64;
            Ok(Audited::success(found, subject, records))
        })
    }

    pub(super) fn dismiss_contact_now(
        &self,
        access: &Access,
        contact: ContactId,
        reason: &str,
    ) -> Result<PersonId, StoreError> {
        let sealed = self
            .keys
            .seal(SEALED_DISMISSAL, contact.as_bytes(), reason.as_bytes());
        let by = match access.actor {
            Actor::Staff { id, .. } => Some(id),
            _ => None,
        };
        self.audited(access, AuditAction::DismissContact, |transaction| {
            let person = person_of_open_record(
                transaction,
                "SELECT person_id, dismissed_at FROM contacts WHERE contact_id = ?1",
                contact.as_bytes(),
                "contact",
                "this contact is already dismissed",
            )?;
            transaction
                .prepare_cached(
                    "UPDATE contacts SET dismissed_at = ?1, dismissed_by = ?2, \
                     dismissal_sealed = ?3 WHERE contact_id = ?4",
                )?
                .execute(params![
                    millis(access.at),
                    by.as_ref().map(StaffId::as_bytes),
                    sealed,
                    contact.as_bytes()
                ])?;
            Ok(Audited::success(person, Some(person), 1))
        })
    }

    fn decode_contact_record(&self, row: &Row<'_>) -> Result<ContactRecord, StoreError> {
        let id = id_bytes(row, 0, "contacts.contact_id")?;
        let venue = optional_id_bytes(row, 4, "contacts.venue_id")?;
        let trip = optional_id_bytes(row, 5, "contacts.trip_id")?;
        let setting = decode_contact_setting(text(row, 3, "contacts.setting")?, venue, trip)?;
        let dismissed_at = row
            .get::<_, Option<i64>>(10)?
            .map(|at| timestamp(at, "contacts.dismissed_at"))
            .transpose()?;
        let dismissal = match (dismissed_at, row.get::<_, Option<Vec<u8>>>(14)?) {
            (Some(at), Some(sealed)) => Some(Dismissal {
                at,
                by: optional_id_bytes(row, 13, "contacts.dismissed_by")?.map(StaffId::from_bytes),
                reason: String::from_utf8(self.keys.open(SEALED_DISMISSAL, &id, &sealed)?)
                    .map_err(|_| corrupt("contacts.dismissal is not UTF-8"))?,
            }),
            _ => None,
        };
        Ok(ContactRecord {
            person: PersonId::from_bytes(id_bytes(row, 11, "contacts.person_id")?),
            contact: Contact {
                contact: ContactId::from_bytes(id),
                case: CaseId::from_bytes(id_bytes(row, 1, "contacts.case_id")?),
                degree: code(row, 2, "contacts.degree", ContactDegree::parse)?,
                setting,
                first_exposure: timestamp(row.get(6)?, "contacts.first_exposure")?,
                last_exposure: timestamp(row.get(7)?, "contacts.last_exposure")?,
                together: jiff::SignedDuration::from_millis(row.get(8)?),
                found_at: timestamp(row.get(9)?, "contacts.found_at")?,
                dismissed_at,
            },
            via: optional_id_bytes(row, 12, "contacts.via_person_id")?.map(PersonId::from_bytes),
            dismissal,
        })
    }
}

/// The refusal of an access to a case that does not exist, audited as not found; a read
/// refused counts no records.
fn case_not_found() -> Refusal {
    Refusal::Refused {
        error: StoreError::NotFound { what: "case" },
        subject: None,
        records: 0,
    }
}

/// Registers a trip: true if it is stored now or was stored as it is.
fn register_trip(connection: &Connection, trip: &Trip) -> Result<bool, StoreError> {
    let inserted = connection.prepare_cached(INSERT_TRIP)?.execute(params![
        trip.id.as_bytes(),
        trip.mode.code(),
        trip.code(),
        millis(trip.departs_at),
    ])?;
    if inserted == 1 {
        return Ok(true);
    }
    let same = connection
        .prepare_cached(
            "SELECT 1 FROM trips WHERE id = ?1 AND mode = ?2 AND code = ?3 AND departs_at = ?4",
        )?
        .exists(params![
            trip.id.as_bytes(),
            trip.mode.code(),
            trip.code(),
            millis(trip.departs_at),
        ])?;
    Ok(same)
}

impl BatchRow for Boarding {
    const INSERT: &'static str = INSERT_BOARDING;

    fn person(&self) -> PersonId {
        Boarding::person(self)
    }

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id().as_bytes(), self.boarded())
    }

    fn insert(&self, statement: &mut Statement<'_>) -> rusqlite::Result<usize> {
        statement.execute(params![
            self.event_id().as_bytes(),
            self.trip().as_bytes(),
            Boarding::person(self).as_bytes(),
            millis(self.boarded()),
            self.alighted().map(millis),
            self.seat().map(|seat| seat.to_string()),
        ])
    }

    fn unknown_reference(
        connection: &Connection,
        batch: &[Boarding],
        _failing: usize,
    ) -> Result<Option<StoreError>, StoreError> {
        first_unknown_reference(connection, batch)
    }
}

/// The first boarding, in the caller's order, whose person or trip is not stored.
fn first_unknown_reference(
    connection: &Connection,
    boardings: &[Boarding],
) -> Result<Option<StoreError>, StoreError> {
    let mut trip_exists = connection.prepare_cached("SELECT 1 FROM trips WHERE id = ?1")?;
    for (index, boarding) in boardings.iter().enumerate() {
        let reference = if first_unknown_person(connection, [boarding.person()])?.is_some() {
            Reference::Person
        } else if !trip_exists.exists([boarding.trip().as_bytes()])? {
            Reference::Trip
        } else {
            continue;
        };
        return Ok(Some(StoreError::UnknownReference { index, reference }));
    }
    Ok(None)
}

fn find_case(
    connection: &Connection,
    case: CaseId,
) -> Result<Option<(PersonId, CaseRecord)>, StoreError> {
    let found = connection
        .prepare_cached(
            "SELECT person_id, status, since, onset, isolated_at, released_at FROM cases \
             WHERE case_id = ?1",
        )?
        .query_row([case.as_bytes()], |row| {
            Ok((
                row.get::<_, [u8; 16]>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<i64>>(5)?,
            ))
        })
        .optional()?;
    let Some((person, status, since, onset, isolated_at, released_at)) = found else {
        return Ok(None);
    };
    let record = CaseRecord {
        case,
        status: CaseStatus::parse(&status).map_err(|_| corrupt("cases.status is unknown"))?,
        since: timestamp(since, "cases.since")?,
        onset: timestamp(onset, "cases.onset")?,
        isolated_at: timestamp(isolated_at, "cases.isolated_at")?,
        released_at: released_at
            .map(|at| timestamp(at, "cases.released_at"))
            .transpose()?,
    };
    Ok(Some((PersonId::from_bytes(person), record)))
}

/// The store's visits, rides and households, read in one transaction (a reader's snapshot).
struct SqliteVisitIndex<'t> {
    transaction: &'t Transaction<'t>,
    /// Venue kinds already looked up: a trace asks for the visits of few venues, many times.
    kinds: RefCell<HashMap<VenueId, VenueKind>>,
}

impl<'t> SqliteVisitIndex<'t> {
    fn new(transaction: &'t Transaction<'t>) -> SqliteVisitIndex<'t> {
        SqliteVisitIndex {
            transaction,
            kinds: RefCell::new(HashMap::new()),
        }
    }

    fn kind_of(&self, venue: VenueId) -> Result<VenueKind, StoreError> {
        if let Some(kind) = self.kinds.borrow().get(&venue) {
            return Ok(*kind);
        }
        let kind: String = self
            .transaction
            .prepare_cached("SELECT kind FROM venues WHERE id = ?1")?
            .query_row([venue.as_bytes()], |row| row.get(0))?;
        let kind = VenueKind::parse(&kind).map_err(|_| corrupt("venues.kind is unknown"))?;
        self.kinds.borrow_mut().insert(venue, kind);
        Ok(kind)
    }

    fn rides(&self, sql: &str, bind: impl rusqlite::Params) -> Result<Vec<Ride>, StoreError> {
        let mut statement = self.transaction.prepare_cached(sql)?;
        let mut rows = statement.query(bind)?;
        let mut rides = Vec::new();
        while let Some(row) = rows.next()? {
            rides.push(decode_ride(row)?);
        }
        Ok(rides)
    }
}

/// The visits of one class of stay at a venue entered in a stretch of time (both ends
/// included): one range of the index by venue, class and time of entry.
const VISITS_AT: &str = "SELECT person_id, entered_at, left_at FROM check_ins \
     WHERE venue_id = ?1 AND stay_class = ?2 AND entered_at >= ?3 AND entered_at <= ?4";

/// The upper bounds of the classes of stay of `check_ins.stay_class` (migration 0006), in
/// milliseconds: class 0 is a check-in without a check-out, class `i` a recorded stay of at
/// most `STAY_CLASSES[i]` (and more than the class before), the last class any longer stay.
const STAY_CLASSES: [Option<i64>; 6] = [
    None,
    Some(30 * 60_000),
    Some(2 * 3_600_000),
    Some(6 * 3_600_000),
    Some(12 * 3_600_000),
    None,
];

/// How long a visit of each class of stay can count for at a venue of `kind`, in
/// milliseconds: its class's bound or, without a check-out, the kind's default stay, never
/// more than the longest stay.
fn stay_reaches(kind: VenueKind, policy: &TracingPolicy) -> [i64; 6] {
    let longest = policy.longest_stay.as_millis() as i64;
    let mut reaches = [longest; 6];
    reaches[0] = (policy.default_stay(kind).as_millis() as i64).min(longest);
    for (reach, bound) in reaches.iter_mut().zip(STAY_CLASSES).skip(1) {
        if let Some(bound) = bound {
            *reach = bound.min(longest);
        }
    }
    reaches
}

const RIDE_COLUMNS: &str = "b.person_id, b.trip_id, t.mode, b.boarded_at, b.alighted_at, b.seat";

fn decode_ride(row: &Row<'_>) -> Result<Ride, StoreError> {
    Ok(Ride {
        person: PersonId::from_bytes(id_bytes(row, 0, "boardings.person_id")?),
        trip: TripId::from_bytes(id_bytes(row, 1, "boardings.trip_id")?),
        mode: code(row, 2, "trips.mode", TransitMode::parse)?,
        boarded: timestamp(row.get(3)?, "boardings.boarded_at")?,
        alighted: row
            .get::<_, Option<i64>>(4)?
            .map(|at| timestamp(at, "boardings.alighted_at"))
            .transpose()?,
        seat: row
            .get::<_, Option<String>>(5)?
            .map(|seat| seat.parse::<Seat>())
            .transpose()
            .map_err(|_| corrupt("boardings.seat is not a seat"))?,
    })
}

impl VisitIndex for SqliteVisitIndex<'_> {
    type Error = StoreError;

    fn visits_of(&self, person: PersonId, entered: Interval) -> Result<Vec<Visit>, StoreError> {
        let mut statement = self.transaction.prepare_cached(
            "SELECT venue_id, entered_at, left_at FROM check_ins \
             WHERE person_id = ?1 AND entered_at >= ?2 AND entered_at < ?3",
        )?;
        let mut rows = statement.query(params![
            person.as_bytes(),
            millis(entered.from()),
            millis(entered.to())
        ])?;
        let mut visits = Vec::new();
        while let Some(row) = rows.next()? {
            let venue = VenueId::from_bytes(id_bytes(row, 0, "check_ins.venue_id")?);
            visits.push(Visit {
                person,
                venue,
                kind: self.kind_of(venue)?,
                entered: timestamp(row.get(1)?, "check_ins.entered_at")?,
                left: row
                    .get::<_, Option<i64>>(2)?
                    .map(|at| timestamp(at, "check_ins.left_at"))
                    .transpose()?,
            });
        }
        Ok(visits)
    }

    /// One range of the index by venue for each class of stay, each read back only as far as
    /// a visit of its class can reach into `during` for the minimum overlap.
    fn visits_at(
        &self,
        venue: VenueId,
        during: Interval,
        policy: &TracingPolicy,
    ) -> Result<Vec<Visit>, StoreError> {
        let kind = self.kind_of(venue)?;
        let mut statement = self.transaction.prepare_cached(VISITS_AT)?;
        let overlap = policy.min_overlap.as_millis() as i64;
        let latest_entry = millis(during.to()) - overlap;
        let mut visits = Vec::new();
        for (class, reach) in stay_reaches(kind, policy).into_iter().enumerate() {
            if reach < overlap.max(1) {
                continue;
            }
            let earliest_entry = millis(during.from()) + overlap - reach;
            let mut rows = statement.query(params![
                venue.as_bytes(),
                class,
                earliest_entry,
                latest_entry
            ])?;
            while let Some(row) = rows.next()? {
                visits.push(Visit {
                    person: PersonId::from_bytes(id_bytes(row, 0, "check_ins.person_id")?),
                    venue,
                    kind,
                    entered: timestamp(row.get(1)?, "check_ins.entered_at")?,
                    left: row
                        .get::<_, Option<i64>>(2)?
                        .map(|at| timestamp(at, "check_ins.left_at"))
                        .transpose()?,
                });
            }
        }
        Ok(visits)
    }

    fn rides_of(&self, person: PersonId, boarded: Interval) -> Result<Vec<Ride>, StoreError> {
        self.rides(
            &format!(
                "SELECT {RIDE_COLUMNS} FROM boardings b JOIN trips t ON t.id = b.trip_id \
                 WHERE b.person_id = ?1 AND b.boarded_at >= ?2 AND b.boarded_at < ?3"
            ),
            params![
                person.as_bytes(),
                millis(boarded.from()),
                millis(boarded.to())
            ],
        )
    }

    fn rides_on(&self, trip: TripId) -> Result<Vec<Ride>, StoreError> {
        self.rides(
            &format!(
                "SELECT {RIDE_COLUMNS} FROM boardings b JOIN trips t ON t.id = b.trip_id \
                 WHERE b.trip_id = ?1"
            ),
            [trip.as_bytes()],
        )
    }

    fn household_members(&self, person: PersonId) -> Result<Vec<PersonId>, StoreError> {
        let mut statement = self.transaction.prepare_cached(
            "SELECT other.person_id FROM household_members own \
             JOIN household_members other ON other.household = own.household \
             WHERE own.person_id = ?1 AND other.person_id != ?1",
        )?;
        let mut rows = statement.query([person.as_bytes()])?;
        let mut members = Vec::new();
        while let Some(row) = rows.next()? {
            members.push(PersonId::from_bytes(id_bytes(
                row,
                0,
                "household_members.person_id",
            )?));
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{INSERT_CHECK_IN, query_plan};

    /// The class of a recorded stay as `STAY_CLASSES` reads: the first class whose bound holds
    /// it, the last class for longer, class 0 without a check-out.
    fn class_of(stayed_ms: Option<i64>) -> usize {
        let Some(stayed) = stayed_ms else {
            return 0;
        };
        (1..STAY_CLASSES.len())
            .find(|&class| STAY_CLASSES[class].is_some_and(|bound| stayed <= bound))
            .unwrap_or(STAY_CLASSES.len() - 1)
    }

    #[test]
    fn the_stay_class_column_agrees_with_the_bounds_tracing_reads_back_by() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let writer = store.writer();
        // Rows of nobody at nowhere: only the generated column is under test.
        writer.pragma_update(None, "foreign_keys", false).unwrap();
        let mut stays = vec![None, Some(-60_000), Some(0), Some(3 * 86_400_000)];
        for bound in STAY_CLASSES.iter().flatten() {
            stays.extend([Some(bound - 1), Some(*bound), Some(bound + 1)]);
        }
        for (index, stayed) in stays.iter().enumerate() {
            let event = [index as u8 + 1; 16];
            let entered = 1_770_000_000_000_i64;
            writer
                .execute(
                    INSERT_CHECK_IN,
                    params![
                        event,
                        [1u8; 16],
                        [2u8; 16],
                        entered,
                        stayed.map(|stayed| entered + stayed),
                        "person_scans_venue"
                    ],
                )
                .unwrap();
            let class: i64 = writer
                .query_row(
                    "SELECT stay_class FROM check_ins WHERE event_id = ?1",
                    [event],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(class as usize, class_of(*stayed), "a stay of {stayed:?} ms");
        }
    }

    #[test]
    fn each_class_of_stay_reaches_back_no_further_than_its_longest_counted_visit() {
        let policy = TracingPolicy {
            longest_stay: jiff::SignedDuration::from_hours(8),
            ..TracingPolicy::default()
        };
        let minutes = |count: i64| count * 60_000;
        assert_eq!(
            stay_reaches(VenueKind::SubwayStation, &policy),
            [
                minutes(15),
                minutes(30),
                minutes(120),
                minutes(360),
                minutes(480),
                minutes(480)
            ]
        );
        // A default stay longer than the longest stay is cut to it, as tracing counts it.
        let short = TracingPolicy {
            longest_stay: jiff::SignedDuration::from_hours(4),
            ..TracingPolicy::default()
        };
        assert_eq!(stay_reaches(VenueKind::Office, &short)[0], minutes(240));
    }

    #[test]
    fn the_visits_at_a_venue_are_read_from_its_index_by_class_and_time_of_entry() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let plan = query_plan(&store, VISITS_AT);
        // One range of the index; SQLite does not take an index with a generated column as
        // covering, so each row found is read from the table by its rowid.
        assert!(
            plan.contains(
                "INDEX check_ins_by_venue (venue_id=? AND stay_class=? AND entered_at>? AND entered_at<?)"
            ),
            "{plan}"
        );
    }
}
