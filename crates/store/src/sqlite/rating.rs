//! How the rating engine's data is written to and read from SQLite: facts, ratings, policies,
//! the region-risk list, appeals and overrides, and the merge that gathers every resident's
//! facts (the itinerary's city days among them) in one ordered pass over each table.
//!
//! As in [`super::encoding`], decoding never trusts the file and names columns, never their
//! content. Free text written about a person (appeal statements, decision reasons, override
//! reasons) reaches SQL only sealed, with its column and row as associated data, and is never
//! logged.

use std::cmp::Ordering;
use std::sync::Arc;

use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealOutcome, AppealRecord, CaseId, CaseRecord, CaseStatus,
    Colour, Contact, ContactDegree, ContactId, ContactSetting, Facts, HealthReport, LatestRating,
    Medicine, Override, OverrideId, PharmacyPurchase, PolicyError, PolicyErrors, PolicyVersion,
    Rating, RatingCause, RatingRecord, RegionRiskList, Reporter, RiskLevel, RuleId, TestKind,
    TestOutcome, TestResult,
};
use healthcode_core::{
    Date, EventId, PersonId, RegionCode, StaffId, Temperature, Timestamp, TripId, VenueId,
};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Row, Rows, params, params_from_iter,
};

use super::decode_declaration;
use super::encoding::{code, corrupt, decode_symptoms_of, id_bytes, millis, optional_id_bytes};
use super::encoding::{text, timestamp};
use crate::{KeyRing, StoreError};

/// Columns of sealed free text; with the row's id they are the associated data of the
/// ciphertext, so a sealed text does not open in another column or row.
pub(super) const SEALED_APPEAL_STATEMENT: &str = "appeals.statement";
pub(super) const SEALED_DECISION_REASON: &str = "appeals.decision_reason";
pub(super) const SEALED_OVERRIDE_REASON: &str = "overrides.reason";

/// A table of facts about people, read either for one person or for everyone in person order.
/// Its columns end with `person_id`, which the decoders do not read: the caller knows whose
/// facts they are.
pub(super) struct FactTable {
    table: &'static str,
    columns: &'static str,
    /// The order of one person's facts.
    order: &'static str,
    /// The position of `person_id` among `columns`.
    person_column: usize,
}

impl FactTable {
    /// The rows of `count` people (`?1` to `?count`, repeats allowed), in person order.
    fn of_people(&self, count: usize) -> String {
        format!(
            "SELECT {} FROM {} WHERE person_id IN ({}) ORDER BY person_id, {}",
            self.columns,
            self.table,
            parameter_list(count),
            self.order
        )
    }

    fn of_everyone(&self) -> String {
        format!(
            "SELECT {} FROM {} ORDER BY person_id, {}",
            self.columns, self.table, self.order
        )
    }
}

const DECLARATIONS: FactTable = FactTable {
    table: "declarations",
    columns: "event_id, declared_at, symptoms, temperature_tenths, travel, person_id",
    order: "declared_at, event_id",
    person_column: 5,
};
const TEST_RESULTS: FactTable = FactTable {
    table: "test_results",
    columns: "event_id, kind, outcome, sampled_at, reported_at, person_id",
    order: "sampled_at, event_id",
    person_column: 5,
};
const PHARMACY_PURCHASES: FactTable = FactTable {
    table: "pharmacy_purchases",
    columns: "event_id, medicine, purchased_at, person_id",
    order: "purchased_at, event_id",
    person_column: 3,
};
const HEALTH_REPORTS: FactTable = FactTable {
    table: "health_reports",
    columns: "event_id, reporter, day, reported_at, temperature_tenths, symptoms, person_id",
    order: "reported_at, event_id",
    person_column: 6,
};
const CASES: FactTable = FactTable {
    table: "cases",
    columns: "case_id, status, since, released_at, onset, isolated_at, person_id",
    order: "since, case_id",
    person_column: 6,
};
const CONTACTS: FactTable = FactTable {
    table: "contacts",
    columns: "contact_id, case_id, degree, setting, venue_id, first_exposure, last_exposure, \
              found_at, dismissed_at, trip_id, together_ms, person_id",
    order: "found_at, contact_id",
    person_column: 11,
};
pub(super) const OVERRIDES: FactTable = FactTable {
    table: "overrides",
    columns: "override_id, colour, reason_sealed, set_by, set_at, expires_at, appeal_id, person_id",
    order: "set_at, override_id",
    person_column: 7,
};

/// The itinerary's city days, the rating engine's region stays from phone data.
const ITINERARY_DAYS: FactTable = FactTable {
    table: "itinerary_days",
    columns: super::phone_data::CITY_DAY_COLUMNS,
    order: "day, city",
    person_column: 5,
};

/// Each person's latest rating, read beside their facts. A person has at most one row, so the
/// order after `person_id` orders nothing; it is there because every table read names one.
const LATEST_RATINGS: FactTable = FactTable {
    table: "current_ratings",
    columns: "sequence, colour, valid_until, rule_ids, person_id",
    order: "sequence",
    person_column: 4,
};

fn event_id(row: &Row<'_>, index: usize, column: &str) -> Result<EventId, StoreError> {
    EventId::from_bytes(id_bytes(row, index, column)?)
        .map_err(|_| corrupt(&format!("{column} is nil")))
}

fn optional_timestamp(
    row: &Row<'_>,
    index: usize,
    column: &str,
) -> Result<Option<Timestamp>, StoreError> {
    row.get::<_, Option<i64>>(index)?
        .map(|milliseconds| timestamp(milliseconds, column))
        .transpose()
}

fn optional_temperature(
    row: &Row<'_>,
    index: usize,
    column: &str,
) -> Result<Option<Temperature>, StoreError> {
    row.get::<_, Option<i16>>(index)?
        .map(|tenths| {
            Temperature::from_tenths(tenths)
                .map_err(|_| corrupt(&format!("{column} is out of range")))
        })
        .transpose()
}

fn decode_test_result(row: &Row<'_>) -> Result<TestResult, StoreError> {
    Ok(TestResult {
        event_id: event_id(row, 0, "test_results.event_id")?,
        kind: code(row, 1, "test_results.kind", TestKind::parse)?,
        outcome: code(row, 2, "test_results.outcome", TestOutcome::parse)?,
        sampled_at: timestamp(row.get(3)?, "test_results.sampled_at")?,
        reported_at: timestamp(row.get(4)?, "test_results.reported_at")?,
    })
}

fn decode_pharmacy_purchase(row: &Row<'_>) -> Result<PharmacyPurchase, StoreError> {
    Ok(PharmacyPurchase {
        event_id: event_id(row, 0, "pharmacy_purchases.event_id")?,
        medicine: code(row, 1, "pharmacy_purchases.medicine", Medicine::parse)?,
        purchased_at: timestamp(row.get(2)?, "pharmacy_purchases.purchased_at")?,
    })
}

fn decode_health_report(row: &Row<'_>) -> Result<HealthReport, StoreError> {
    Ok(HealthReport {
        event_id: event_id(row, 0, "health_reports.event_id")?,
        reporter: code(row, 1, "health_reports.reporter", Reporter::parse)?,
        day: text(row, 2, "health_reports.day")?
            .parse::<Date>()
            .map_err(|_| corrupt("health_reports.day is not a date"))?,
        reported_at: timestamp(row.get(3)?, "health_reports.reported_at")?,
        temperature: optional_temperature(row, 4, "health_reports.temperature_tenths")?,
        symptoms: decode_symptoms_of(
            text(row, 5, "health_reports.symptoms")?,
            "health_reports.symptoms",
        )?,
    })
}

fn decode_case(row: &Row<'_>) -> Result<CaseRecord, StoreError> {
    Ok(CaseRecord {
        case: CaseId::from_bytes(id_bytes(row, 0, "cases.case_id")?),
        status: code(row, 1, "cases.status", CaseStatus::parse)?,
        since: timestamp(row.get(2)?, "cases.since")?,
        released_at: optional_timestamp(row, 3, "cases.released_at")?,
        onset: timestamp(row.get(4)?, "cases.onset")?,
        isolated_at: timestamp(row.get(5)?, "cases.isolated_at")?,
    })
}

fn decode_contact(row: &Row<'_>) -> Result<Contact, StoreError> {
    let venue = optional_id_bytes(row, 4, "contacts.venue_id")?;
    let trip = optional_id_bytes(row, 9, "contacts.trip_id")?;
    let setting = decode_contact_setting(text(row, 3, "contacts.setting")?, venue, trip)?;
    Ok(Contact {
        contact: ContactId::from_bytes(id_bytes(row, 0, "contacts.contact_id")?),
        case: CaseId::from_bytes(id_bytes(row, 1, "contacts.case_id")?),
        degree: code(row, 2, "contacts.degree", ContactDegree::parse)?,
        setting,
        first_exposure: timestamp(row.get(5)?, "contacts.first_exposure")?,
        last_exposure: timestamp(row.get(6)?, "contacts.last_exposure")?,
        together: jiff::SignedDuration::from_millis(row.get(10)?),
        found_at: timestamp(row.get(7)?, "contacts.found_at")?,
        dismissed_at: optional_timestamp(row, 8, "contacts.dismissed_at")?,
    })
}

/// The setting of a contact from its `setting`, `venue_id` and `trip_id` columns.
pub(super) fn decode_contact_setting(
    setting: &str,
    venue: Option<[u8; 16]>,
    trip: Option<[u8; 16]>,
) -> Result<ContactSetting, StoreError> {
    Ok(match (setting, venue, trip) {
        ("venue", Some(venue), None) => ContactSetting::Venue(VenueId::from_bytes(venue)),
        ("trip", None, Some(trip)) => ContactSetting::Trip(TripId::from_bytes(trip)),
        ("household", None, None) => ContactSetting::Household,
        ("nearby", None, None) => ContactSetting::Nearby,
        _ => {
            return Err(corrupt(
                "contacts.setting does not match venue_id and trip_id",
            ));
        }
    })
}

/// The `setting`, `venue_id` and `trip_id` columns of a contact.
pub(super) fn encode_contact_setting(
    setting: ContactSetting,
) -> (&'static str, Option<VenueId>, Option<TripId>) {
    match setting {
        ContactSetting::Venue(venue) => ("venue", Some(venue), None),
        ContactSetting::Trip(trip) => ("trip", None, Some(trip)),
        ContactSetting::Household => ("household", None, None),
        ContactSetting::Nearby => ("nearby", None, None),
    }
}

/// Opens a sealed text column. Fails with [`StoreError::Keys`] if it does not open with these
/// keys for this row.
fn open_text(
    keys: &KeyRing,
    field: &str,
    owner: &[u8; 16],
    sealed: &[u8],
) -> Result<String, StoreError> {
    String::from_utf8(keys.open(field, owner, sealed)?)
        .map_err(|_| corrupt(&format!("{field} is not UTF-8")))
}

pub(super) fn decode_override(keys: &KeyRing, row: &Row<'_>) -> Result<Override, StoreError> {
    let id = id_bytes(row, 0, "overrides.override_id")?;
    let sealed_reason = row
        .get_ref(2)?
        .as_blob()
        .map_err(|_| corrupt("overrides.reason_sealed is not a blob"))?;
    Ok(Override {
        id: OverrideId::from_bytes(id),
        colour: code(row, 1, "overrides.colour", Colour::parse)?,
        reason: open_text(keys, SEALED_OVERRIDE_REASON, &id, sealed_reason)?,
        set_by: StaffId::from_bytes(id_bytes(row, 3, "overrides.set_by")?),
        set_at: timestamp(row.get(4)?, "overrides.set_at")?,
        expires_at: timestamp(row.get(5)?, "overrides.expires_at")?,
        appeal: optional_id_bytes(row, 6, "overrides.appeal_id")?.map(AppealId::from_bytes),
    })
}

/// One fact table read in person order, handing out each person's rows in turn.
struct PersonOrderedRows<'statement, T, D> {
    rows: Rows<'statement>,
    person_column: usize,
    decode: D,
    /// The row read ahead: it belongs to a person not yet asked for.
    ahead: Option<([u8; 16], T)>,
    exhausted: bool,
}

impl<'statement, T, D> PersonOrderedRows<'statement, T, D>
where
    D: FnMut(&Row<'_>) -> Result<T, StoreError>,
{
    fn new(rows: Rows<'statement>, table: &FactTable, decode: D) -> Self {
        PersonOrderedRows {
            rows,
            person_column: table.person_column,
            decode,
            ahead: None,
            exhausted: false,
        }
    }

    /// The rows of `person`, who must come after every person asked for before.
    fn take(&mut self, person: &[u8; 16]) -> Result<Vec<T>, StoreError> {
        let mut taken = Vec::new();
        loop {
            if let Some((owner, _)) = &self.ahead {
                if owner > person {
                    return Ok(taken);
                }
                // A row read ahead for someone before `person` belongs to nobody visited (see
                // below) and is passed over.
                if let Some((owner, value)) = self.ahead.take()
                    && owner == *person
                {
                    taken.push(value);
                }
            }
            if self.exhausted {
                return Ok(taken);
            }
            let Some(row) = self.rows.next()? else {
                self.exhausted = true;
                return Ok(taken);
            };
            let owner = id_bytes(row, self.person_column, "person_id")?;
            match owner.cmp(person) {
                // Foreign keys make a row without an enrolled person impossible; should one
                // exist anyway, it belongs to nobody visited and is passed over.
                Ordering::Less => {}
                Ordering::Equal => taken.push((self.decode)(row)?),
                Ordering::Greater => self.ahead = Some((owner, (self.decode)(row)?)),
            }
        }
    }
}

/// `?1, ?2, …, ?count`.
fn parameter_list(count: usize) -> String {
    let mut list = String::with_capacity(count * 6);
    for number in 1..=count {
        if number > 1 {
            list.push_str(", ");
        }
        list.push('?');
        list.push_str(&number.to_string());
    }
    list
}

/// The statements that read every fact table for one read of facts, and the merge of their
/// rows, which come in person order.
struct FactStatements<'connection> {
    declarations: CachedStatement<'connection>,
    health_reports: CachedStatement<'connection>,
    test_results: CachedStatement<'connection>,
    pharmacy_purchases: CachedStatement<'connection>,
    contacts: CachedStatement<'connection>,
    cases: CachedStatement<'connection>,
    overrides: CachedStatement<'connection>,
    itinerary_days: CachedStatement<'connection>,
}

impl<'connection> FactStatements<'connection> {
    fn prepare(
        connection: &'connection Connection,
        sql: impl Fn(&FactTable) -> String,
    ) -> rusqlite::Result<Self> {
        Ok(FactStatements {
            declarations: connection.prepare_cached(&sql(&DECLARATIONS))?,
            health_reports: connection.prepare_cached(&sql(&HEALTH_REPORTS))?,
            test_results: connection.prepare_cached(&sql(&TEST_RESULTS))?,
            pharmacy_purchases: connection.prepare_cached(&sql(&PHARMACY_PURCHASES))?,
            contacts: connection.prepare_cached(&sql(&CONTACTS))?,
            cases: connection.prepare_cached(&sql(&CASES))?,
            overrides: connection.prepare_cached(&sql(&OVERRIDES))?,
            itinerary_days: connection.prepare_cached(&sql(&ITINERARY_DAYS))?,
        })
    }

    /// Runs every statement with `bound` as its parameters and calls `visit` with the facts of
    /// each person `next_person` gives, who must come in increasing id order: one pass over
    /// each statement's rows, never a query per person. Answers how many people were visited.
    fn merge(
        &mut self,
        keys: &KeyRing,
        bound: &[[u8; 16]],
        region_risk: &Arc<RegionRiskList>,
        next_person: &mut dyn FnMut() -> Result<Option<[u8; 16]>, StoreError>,
        visit: &mut dyn FnMut([u8; 16], Facts) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut declarations = PersonOrderedRows::new(
            self.declarations.query(params_from_iter(bound))?,
            &DECLARATIONS,
            |row: &Row<'_>| {
                let owner = id_bytes(row, DECLARATIONS.person_column, "declarations.person_id")?;
                decode_declaration(row, PersonId::from_bytes(owner))
            },
        );
        let mut health_reports = PersonOrderedRows::new(
            self.health_reports.query(params_from_iter(bound))?,
            &HEALTH_REPORTS,
            decode_health_report,
        );
        let mut test_results = PersonOrderedRows::new(
            self.test_results.query(params_from_iter(bound))?,
            &TEST_RESULTS,
            decode_test_result,
        );
        let mut pharmacy_purchases = PersonOrderedRows::new(
            self.pharmacy_purchases.query(params_from_iter(bound))?,
            &PHARMACY_PURCHASES,
            decode_pharmacy_purchase,
        );
        let mut contacts = PersonOrderedRows::new(
            self.contacts.query(params_from_iter(bound))?,
            &CONTACTS,
            decode_contact,
        );
        let mut cases = PersonOrderedRows::new(
            self.cases.query(params_from_iter(bound))?,
            &CASES,
            decode_case,
        );
        let mut overrides = PersonOrderedRows::new(
            self.overrides.query(params_from_iter(bound))?,
            &OVERRIDES,
            |row: &Row<'_>| decode_override(keys, row),
        );
        let mut itinerary_days = PersonOrderedRows::new(
            self.itinerary_days.query(params_from_iter(bound))?,
            &ITINERARY_DAYS,
            |row: &Row<'_>| super::phone_data::decode_city_day(row).map(|day| day.region_stay()),
        );
        let mut visited = 0u64;
        while let Some(id) = next_person()? {
            let facts = Facts {
                declarations: declarations.take(&id)?,
                health_reports: health_reports.take(&id)?,
                test_results: test_results.take(&id)?,
                pharmacy_purchases: pharmacy_purchases.take(&id)?,
                stays: itinerary_days.take(&id)?,
                contacts: contacts.take(&id)?,
                cases: cases.take(&id)?,
                overrides: overrides.take(&id)?,
                region_risk: Arc::clone(region_risk),
            };
            visit(id, facts)?;
            visited += 1;
        }
        Ok(visited)
    }
}

/// Calls `visit` with every enrolled person's facts and latest rating in person id order: one
/// ordered scan of `persons`, of each fact table and of `current_ratings`, merged, so that the
/// cost is one pass over each table and never a query per person. Answers how many people were
/// visited.
pub(super) fn for_each_person_facts(
    connection: &Connection,
    keys: &KeyRing,
    region_risk: Arc<RegionRiskList>,
    visit: &mut dyn FnMut(PersonId, Facts, Option<LatestRating>),
) -> Result<u64, StoreError> {
    let mut statements = FactStatements::prepare(connection, FactTable::of_everyone)?;
    let mut latest_statement = connection.prepare_cached(&LATEST_RATINGS.of_everyone())?;
    let mut latest_ratings = PersonOrderedRows::new(
        latest_statement.query([])?,
        &LATEST_RATINGS,
        decode_latest_rating,
    );
    let mut persons = connection.prepare_cached(EVERYONE)?;
    let mut rows = persons.query([])?;
    statements.merge(
        keys,
        &[],
        &region_risk,
        &mut || match rows.next()? {
            Some(row) => id_bytes(row, 0, "persons.id").map(Some),
            None => Ok(None),
        },
        &mut |id, facts| {
            // The primary key allows one row per person.
            let latest = latest_ratings.take(&id)?.pop();
            visit(PersonId::from_bytes(id), facts, latest);
            Ok(())
        },
    )
}

/// Every enrolled person, in id order.
const EVERYONE: &str = "SELECT id FROM persons ORDER BY id";

/// How many people one query of a read of many people's facts asks for. Its list is padded up
/// to the next of these sizes by repeating its last person, so that a few prepared statements
/// per table serve batches of every size and stay in the statement cache. The largest keeps a
/// query's parameters far below SQLite's limit.
const PEOPLE_PER_QUERY: [usize; 3] = [1, 16, 256];

/// The facts of `people`, one entry per person in the order given, or `None` if any of them is
/// not enrolled. The distinct people are read in id order, a query of each fact table per
/// [`PEOPLE_PER_QUERY`] people, and merged as [`for_each_person_facts`] merges everyone; or,
/// when they are a large share of everyone, picked out of that pass over everyone.
pub(super) fn facts_of_people(
    connection: &Connection,
    keys: &KeyRing,
    people: &[PersonId],
    region_risk: Arc<RegionRiskList>,
) -> Result<Option<Vec<Facts>>, StoreError> {
    let mut distinct: Vec<[u8; 16]> = people.iter().map(|person| *person.as_bytes()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // The facts of the distinct people, in the same order as `distinct`.
    let read = if one_pass_pays(connection, distinct.len())? {
        facts_in_one_pass(connection, keys, &distinct, region_risk)?
    } else {
        facts_of_few_people(connection, keys, &distinct, &region_risk)?
    };
    let Some(mut read) = read else {
        return Ok(None);
    };
    // A person asked for more than once gets a copy of their facts each time but the last.
    let mut uses = vec![0usize; distinct.len()];
    let positions: Vec<usize> = people
        .iter()
        .map(|person| {
            let position = distinct
                .binary_search(person.as_bytes())
                .expect("every person asked for is among the distinct people");
            uses[position] += 1;
            position
        })
        .collect();
    let answer = positions
        .into_iter()
        .map(|position| {
            uses[position] -= 1;
            let facts = if uses[position] == 0 {
                read[position].take()
            } else {
                read[position].clone()
            };
            facts.ok_or_else(|| corrupt("a person's facts were read fewer times than asked"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(answer))
}

/// From how many people a read of many people's facts considers one ordered pass over
/// everyone's instead of queries per [`PEOPLE_PER_QUERY`] people ...
const ONE_PASS_FROM: usize = 20_000;
/// ... and takes it when they are at least one in this many of the enrolled: a pass costs about
/// a tenth of a query's share per person (measured with `healthcode bench trace`, whose
/// batches of cases re-rate almost half the city).
const ONE_PASS_SHARE: usize = 8;

/// Whether reading everyone's facts in one ordered pass is cheaper than asking for `people`.
fn one_pass_pays(connection: &Connection, people: usize) -> Result<bool, StoreError> {
    if people < ONE_PASS_FROM {
        return Ok(false);
    }
    let enrolled: usize =
        connection.query_row("SELECT count(*) FROM persons", [], |row| row.get(0))?;
    Ok(people * ONE_PASS_SHARE >= enrolled)
}

/// The facts of `distinct` (sorted, without repeats), in their order, picked out of one pass
/// over everyone's; `None` if any of them is not enrolled.
fn facts_in_one_pass(
    connection: &Connection,
    keys: &KeyRing,
    distinct: &[[u8; 16]],
    region_risk: Arc<RegionRiskList>,
) -> Result<Option<Vec<Option<Facts>>>, StoreError> {
    let mut read: Vec<Option<Facts>> = vec![None; distinct.len()];
    for_each_person_facts(connection, keys, region_risk, &mut |person, facts, _| {
        if let Ok(at) = distinct.binary_search(person.as_bytes()) {
            read[at] = Some(facts);
        }
    })?;
    Ok(read.iter().all(Option::is_some).then_some(read))
}

/// The facts of `distinct` (sorted, without repeats), in their order, read by queries of
/// [`PEOPLE_PER_QUERY`] people; `None` if any of them is not enrolled.
fn facts_of_few_people(
    connection: &Connection,
    keys: &KeyRing,
    distinct: &[[u8; 16]],
    region_risk: &Arc<RegionRiskList>,
) -> Result<Option<Vec<Option<Facts>>>, StoreError> {
    let mut read: Vec<Option<Facts>> = Vec::with_capacity(distinct.len());
    for chunk in distinct.chunks(PEOPLE_PER_QUERY[PEOPLE_PER_QUERY.len() - 1]) {
        let size = PEOPLE_PER_QUERY
            .into_iter()
            .find(|&size| size >= chunk.len())
            .unwrap_or(chunk.len());
        let mut bound = chunk.to_vec();
        bound.resize(size, chunk[chunk.len() - 1]);
        let enrolled: usize = connection
            .prepare_cached(&format!(
                "SELECT count(*) FROM persons WHERE id IN ({})",
                parameter_list(size)
            ))?
            .query_row(params_from_iter(&bound), |row| row.get(0))?;
        if enrolled != chunk.len() {
            return Ok(None);
        }
        let mut statements = FactStatements::prepare(connection, |table| table.of_people(size))?;
        let mut next = chunk.iter().copied();
        statements.merge(
            keys,
            &bound,
            region_risk,
            &mut || Ok(next.next()),
            &mut |_, facts| {
                read.push(Some(facts));
                Ok(())
            },
        )?;
    }
    Ok(Some(read))
}

/// One person's contacts and cases, as their facts hold them, without the rest of their facts:
/// what an employer's close-contact check is answered from.
pub(super) fn contacts_and_cases_of(
    connection: &Connection,
    person: PersonId,
) -> Result<(Vec<Contact>, Vec<CaseRecord>), StoreError> {
    fn rows_of<T>(
        connection: &Connection,
        table: &FactTable,
        person: PersonId,
        decode: fn(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = connection.prepare_cached(&table.of_people(1))?;
        let mut rows = statement.query([person.as_bytes()])?;
        let mut read = Vec::new();
        while let Some(row) = rows.next()? {
            read.push(decode(row)?);
        }
        Ok(read)
    }
    Ok((
        rows_of(connection, &CONTACTS, person, decode_contact)?,
        rows_of(connection, &CASES, person, decode_case)?,
    ))
}

/// A version of the region-risk list, or the latest when `version` is `None`. Version 0, the
/// empty list in force before any is published, always exists.
pub(super) fn read_region_risk_list(
    connection: &Connection,
    version: Option<u32>,
) -> Result<Option<RegionRiskList>, StoreError> {
    let header = match version {
        Some(0) => None,
        Some(version) => connection
            .prepare_cached(
                "SELECT version, published_at FROM region_risk_lists WHERE version = ?1",
            )?
            .query_row([version], |row| {
                Ok((row.get::<_, u32>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?,
        None => connection
            .prepare_cached(
                "SELECT version, published_at FROM region_risk_lists ORDER BY version DESC LIMIT 1",
            )?
            .query_row([], |row| Ok((row.get::<_, u32>(0)?, row.get::<_, i64>(1)?)))
            .optional()?,
    };
    let Some((version, published_at)) = header else {
        return Ok(match version {
            Some(0) | None => Some(RegionRiskList::default()),
            Some(_) => None,
        });
    };
    let mut statement = connection
        .prepare_cached("SELECT region, level FROM region_risk_entries WHERE version = ?1")?;
    let mut rows = statement.query([version])?;
    let mut list = RegionRiskList {
        version,
        published_at: Some(timestamp(published_at, "region_risk_lists.published_at")?),
        entries: Default::default(),
    };
    while let Some(row) = rows.next()? {
        let region = RegionCode::from_number(row.get(0)?)
            .map_err(|_| corrupt("region_risk_entries.region is not a region code"))?;
        let level = code(row, 1, "region_risk_entries.level", RiskLevel::parse)?;
        list.entries.insert(region, level);
    }
    Ok(Some(list))
}

/// A person's row of `current_ratings`, as [`LATEST_RATINGS`] and [`RatingAppender`] read it.
fn decode_latest_rating(row: &Row<'_>) -> Result<LatestRating, StoreError> {
    Ok(LatestRating {
        sequence: row.get(0)?,
        colour: code(row, 1, "current_ratings.colour", Colour::parse)?,
        valid_until: optional_timestamp(row, 2, "current_ratings.valid_until")?,
        rule_ids: decode_rule_ids(text(row, 3, "current_ratings.rule_ids")?)?,
    })
}

/// The `cause_kind` and `cause_reference` columns of a rating.
pub(super) fn encode_cause(cause: &RatingCause) -> (&'static str, Value) {
    match cause {
        RatingCause::Event(event) => ("event", Value::Blob(event.as_bytes().to_vec())),
        RatingCause::Expiry => ("expiry", Value::Null),
        RatingCause::PolicyActivated(version) => {
            ("policy_activated", Value::Text(version.to_string()))
        }
        RatingCause::RegionRiskListChanged(version) => (
            "region_risk_list_changed",
            Value::Integer(i64::from(*version)),
        ),
        RatingCause::Override(id) => ("override", Value::Blob(id.as_bytes().to_vec())),
        RatingCause::Request => ("request", Value::Null),
    }
}

fn decode_cause(row: &Row<'_>, kind: usize, reference: usize) -> Result<RatingCause, StoreError> {
    let bad = || corrupt("ratings.cause_reference does not match cause_kind");
    let id = |value: ValueRef<'_>| -> Result<[u8; 16], StoreError> {
        value
            .as_blob()
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(bad)
    };
    let value = row.get_ref(reference)?;
    Ok(match text(row, kind, "ratings.cause_kind")? {
        "event" => RatingCause::Event(EventId::from_bytes(id(value)?).map_err(|_| bad())?),
        "expiry" => RatingCause::Expiry,
        "policy_activated" => RatingCause::PolicyActivated(
            PolicyVersion::parse(value.as_str().map_err(|_| bad())?).map_err(|_| bad())?,
        ),
        "region_risk_list_changed" => RatingCause::RegionRiskListChanged(
            u32::try_from(value.as_i64().map_err(|_| bad())?).map_err(|_| bad())?,
        ),
        "override" => RatingCause::Override(OverrideId::from_bytes(id(value)?)),
        "request" => RatingCause::Request,
        _ => return Err(corrupt("ratings.cause_kind holds an unknown code")),
    })
}

fn decode_rule_ids(encoded: &str) -> Result<Vec<RuleId>, StoreError> {
    encoded
        .split_whitespace()
        .map(|rule_id| {
            // `override` is reserved: no policy may use it, so it does not parse as a rule id.
            if rule_id == RuleId::override_id().as_str() {
                Ok(RuleId::override_id())
            } else {
                RuleId::parse(rule_id).map_err(|_| corrupt("ratings.rule_ids holds an invalid id"))
            }
        })
        .collect()
}

/// The columns of `ratings`, in the order [`decode_rating_record`] reads them.
pub(super) const RATING_COLUMNS: &str = "sequence, person_id, colour, valid_until, \
     policy_version, rule_ids, rated_at, cause_kind, cause_reference";

pub(super) fn decode_rating_record(row: &Row<'_>) -> Result<RatingRecord, StoreError> {
    Ok(RatingRecord {
        sequence: row.get(0)?,
        person: PersonId::from_bytes(id_bytes(row, 1, "ratings.person_id")?),
        colour: code(row, 2, "ratings.colour", Colour::parse)?,
        valid_until: optional_timestamp(row, 3, "ratings.valid_until")?,
        policy_version: code(row, 4, "ratings.policy_version", PolicyVersion::parse)?,
        rule_ids: decode_rule_ids(text(row, 5, "ratings.rule_ids")?)?,
        rated_at: timestamp(row.get(6)?, "ratings.rated_at")?,
        cause: decode_cause(row, 7, 8)?,
    })
}

/// The statements that append ratings, prepared once per transaction: a batch runs them for
/// every resident.
pub(super) struct RatingAppender<'connection> {
    latest: CachedStatement<'connection>,
    insert_history: CachedStatement<'connection>,
    replace_latest: CachedStatement<'connection>,
    connection: &'connection Connection,
}

impl<'connection> RatingAppender<'connection> {
    pub(super) fn new(connection: &'connection Connection) -> rusqlite::Result<Self> {
        Ok(RatingAppender {
            latest: connection.prepare_cached(&format!(
                "SELECT {} FROM current_ratings WHERE person_id = ?1",
                LATEST_RATINGS.columns
            ))?,
            insert_history: connection.prepare_cached(
                "INSERT INTO ratings (person_id, colour, valid_until, policy_version, rule_ids, \
                 rated_at, cause_kind, cause_reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            replace_latest: connection.prepare_cached(
                "INSERT INTO current_ratings (person_id, sequence, colour, valid_until, \
                 policy_version, rule_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (person_id) DO UPDATE SET sequence = excluded.sequence, \
                 colour = excluded.colour, valid_until = excluded.valid_until, \
                 policy_version = excluded.policy_version, rule_ids = excluded.rule_ids",
            )?,
            connection,
        })
    }

    /// Whether `rating` changes what the person's latest rating shows them (see
    /// [`Rating::shows_the_same_as`]); a person never rated yet is always changed. Only such a
    /// rating is appended: see [`Store::record_rating`](crate::Store).
    pub(super) fn changes(
        &mut self,
        person: PersonId,
        rating: &Rating,
    ) -> Result<bool, StoreError> {
        let latest = self
            .latest
            .query_and_then([person.as_bytes()], decode_latest_rating)?
            .next()
            .transpose()?;
        Ok(latest.is_none_or(|latest| !rating.shows_the_same_as(&latest)))
    }

    /// Appends `rating` to the person's history and makes it their latest; the caller has asked
    /// [`RatingAppender::changes`] first. A person who is not enrolled fails the insert with a
    /// foreign-key violation, which the caller reports.
    pub(super) fn append(
        &mut self,
        person: PersonId,
        rating: &Rating,
        cause: &(&'static str, Value),
    ) -> rusqlite::Result<()> {
        let colour = rating.colour.code();
        let valid_until = rating.valid_until.map(millis);
        let policy_version = rating.policy_version.to_string();
        let rule_ids = rating.rule_ids().join(" ");
        self.insert_history.execute(params![
            person.as_bytes(),
            colour,
            valid_until,
            policy_version,
            rule_ids,
            millis(rating.rated_at),
            cause.0,
            cause.1,
        ])?;
        let sequence = self.connection.last_insert_rowid();
        self.replace_latest.execute(params![
            person.as_bytes(),
            sequence,
            colour,
            valid_until,
            policy_version,
            rule_ids,
        ])?;
        Ok(())
    }
}

/// The columns of `appeals`, in the order [`decode_appeal_record`] reads them.
pub(super) const APPEAL_COLUMNS: &str = "appeal_id, person_id, rating_sequence, \
     statement_sealed, filed_at, decided_at, decided_by, outcome, decision_reason_sealed, \
     override_id";

pub(super) fn decode_appeal(keys: &KeyRing, row: &Row<'_>) -> Result<Appeal, StoreError> {
    let id = id_bytes(row, 0, "appeals.appeal_id")?;
    let sealed_statement = row
        .get_ref(3)?
        .as_blob()
        .map_err(|_| corrupt("appeals.statement_sealed is not a blob"))?;
    Ok(Appeal {
        id: AppealId::from_bytes(id),
        person: PersonId::from_bytes(id_bytes(row, 1, "appeals.person_id")?),
        rating: row.get(2)?,
        statement: open_text(keys, SEALED_APPEAL_STATEMENT, &id, sealed_statement)?,
        filed_at: timestamp(row.get(4)?, "appeals.filed_at")?,
    })
}

/// An appeal with its decision; an "amend" decision's override is read from `overrides`.
pub(super) fn decode_appeal_record(
    connection: &Connection,
    keys: &KeyRing,
    row: &Row<'_>,
) -> Result<AppealRecord, StoreError> {
    let appeal = decode_appeal(keys, row)?;
    let Some(decided_at) = optional_timestamp(row, 5, "appeals.decided_at")? else {
        return Ok(AppealRecord {
            appeal,
            decision: None,
        });
    };
    let outcome = match (
        text(row, 7, "appeals.outcome")?,
        optional_id_bytes(row, 9, "appeals.override_id")?,
    ) {
        ("uphold", None) => AppealOutcome::Uphold,
        ("amend", Some(override_id)) => {
            let override_ = connection
                .prepare_cached(&format!(
                    "SELECT {} FROM overrides WHERE override_id = ?1",
                    OVERRIDES.columns
                ))?
                .query_and_then([override_id], |row| decode_override(keys, row))?
                .next()
                .ok_or_else(|| corrupt("appeals.override_id names no override"))??;
            AppealOutcome::Amend(override_)
        }
        _ => return Err(corrupt("appeals.outcome does not match override_id")),
    };
    let sealed_reason = row
        .get_ref(8)?
        .as_blob()
        .map_err(|_| corrupt("appeals.decision_reason_sealed is not a blob"))?;
    let decision = AppealDecision {
        appeal: appeal.id,
        outcome,
        reason: open_text(
            keys,
            SEALED_DECISION_REASON,
            appeal.id.as_bytes(),
            sealed_reason,
        )?,
        decided_by: StaffId::from_bytes(id_bytes(row, 6, "appeals.decided_by")?),
        decided_at,
    };
    Ok(AppealRecord {
        appeal,
        decision: Some(decision),
    })
}

/// The error for a policy file whose own name and version are not the ones it was uploaded as,
/// placed at the `[policy]` key that differs (`version`, or `name` when the names differ).
pub(super) fn uploaded_as_another_version(
    source: &str,
    found: &PolicyVersion,
    uploaded_as: &PolicyVersion,
) -> PolicyErrors {
    let key = if found.name == uploaded_as.name {
        "version"
    } else {
        "name"
    };
    let (line, column) = policy_key_position(source, key).unwrap_or((1, 1));
    PolicyErrors(vec![PolicyError {
        line,
        column,
        message: format!("this file is policy {found}, but it was uploaded as {uploaded_as}"),
    }])
}

/// Where `key` is set in the `[policy]` table, as 1-based line and column (in characters).
fn policy_key_position(source: &str, key: &str) -> Option<(usize, usize)> {
    let mut in_policy_table = false;
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_policy_table = trimmed
                .trim_end()
                .strip_prefix("[policy]")
                .is_some_and(|rest| rest.is_empty() || rest.trim_start().starts_with('#'));
            continue;
        }
        let sets_key = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if in_policy_table && sets_key {
            let indent = line.chars().count() - trimmed.chars().count();
            return Some((index + 1, indent + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use crate::sqlite::query_plan;

    #[test]
    fn reading_every_residents_facts_scans_each_table_in_order_without_sorting() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let tables = [
            &DECLARATIONS,
            &TEST_RESULTS,
            &PHARMACY_PURCHASES,
            &HEALTH_REPORTS,
            &CASES,
            &CONTACTS,
            &OVERRIDES,
            &ITINERARY_DAYS,
            &LATEST_RATINGS,
        ];
        for table in tables {
            let plan = query_plan(&store, &table.of_everyone());
            assert!(!plan.contains("TEMP B-TREE"), "{}: {plan}", table.table);
            for count in PEOPLE_PER_QUERY {
                let plan = query_plan(&store, &table.of_people(count));
                assert!(plan.contains("person_id=?"), "{}: {plan}", table.table);
                assert!(!plan.contains("TEMP B-TREE"), "{}: {plan}", table.table);
            }
        }
        let plan = query_plan(&store, EVERYONE);
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn due_ratings_and_the_appeal_queue_are_read_from_their_indexes() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let plan = query_plan(&store, super::super::DUE_RATINGS);
        assert!(plan.contains("current_ratings_by_valid_until"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        let plan = query_plan(&store, &super::super::appeal_queue_sql());
        assert!(plan.contains("undecided_appeals"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn a_policy_key_is_found_in_the_policy_table_only() {
        let source =
            "[[rule]]\nversion = 9\n\n[policy] # the header\nname = \"default\"\n  version = 2\n";
        assert_eq!(policy_key_position(source, "version"), Some((6, 3)));
        assert_eq!(policy_key_position(source, "name"), Some((5, 1)));
        assert_eq!(policy_key_position(source, "title"), None);
    }

    #[test]
    fn rule_ids_survive_their_text_encoding_including_the_override_id() {
        let ids = decode_rule_ids("override close_contact fever").unwrap();
        assert_eq!(ids[0], RuleId::override_id());
        assert_eq!(ids[1].as_str(), "close_contact");
        assert_eq!(decode_rule_ids("").unwrap(), Vec::new());
        assert!(decode_rule_ids("Not-An-Id").is_err());
    }
}
