//! Contact tracing: who was with a case while it was infectious.
//!
//! A case is infectious from its onset less the policy's `infectious_before` until it was
//! isolated. Its **close contacts** are
//! - people whose visit to a venue overlapped one of the case's visits, inside that window, for
//!   at least the policy's `min_overlap` (a check-in without a check-out lasts the policy's
//!   default stay for the venue's kind; no visit counts for longer than `longest_stay`);
//! - people who rode the same trip while both were on board (on a flight where both seats are
//!   known, only within the policy's `flight_seat_rows` of the case);
//! - the other members of the case's household.
//!
//! Its **secondary contacts** are the close contacts, found the same way, of each close contact
//! from that person's first exposure on: people who may have been infected by someone the case
//! infected. Nobody is both; the case is neither.
//!
//! Every contact keeps its evidence: where (venue, trip or household), from the first to the
//! last moment of exposure, and how long they were together. Overlaps are measured on
//! half-open intervals: visits that only touch (one leaves at the minute the other enters) were
//! never together, and a visit that ends as the window opens is outside it.
//!
//! The minimum overlap applies to each pair of visits: two separate 10-minute overlaps are not a
//! contact, and shorter overlaps between people who are contacts elsewhere count neither
//! towards the time together nor the last exposure. A seat not known counts as near every
//! other. A secondary contact found through several close contacts is credited to the one
//! exposed first (on a tie, the lower person id).
//!
//! The algorithm reads through a [`VisitIndex`], which each store implements with its own
//! indexes, so that every backend traces alike.

mod policy;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::access::StaffId;
use crate::person::PersonId;
use crate::rating::{CaseRecord, Contact, ContactDegree, ContactSetting};
use crate::transit::{Seat, TransitMode, TripId};
use crate::venue::{VenueId, VenueKind};

pub use policy::{DEFAULT_RIDES, DEFAULT_STAYS, TracingPolicy};

/// A half-open interval of time, `[from, to)`, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    from: Timestamp,
    to: Timestamp,
}

impl Interval {
    /// `None` unless `from` is before `to`.
    pub fn new(from: Timestamp, to: Timestamp) -> Option<Interval> {
        (from < to).then_some(Interval { from, to })
    }

    pub fn from(&self) -> Timestamp {
        self.from
    }

    pub fn to(&self) -> Timestamp {
        self.to
    }

    pub fn length(&self) -> SignedDuration {
        self.to.duration_since(self.from)
    }

    /// The time both intervals cover, if any.
    pub fn intersection(&self, other: &Interval) -> Option<Interval> {
        Interval::new(self.from.max(other.from), self.to.min(other.to))
    }

    /// This interval widened backwards by `by`: the starts of everything that may reach into
    /// it when nothing lasts longer than `by`.
    fn reached_from(&self, by: SignedDuration) -> Interval {
        Interval {
            from: self
                .from
                .saturating_sub(by)
                .expect("a duration always subtracts"),
            to: self.to,
        }
    }
}

/// A visit to a venue, as a [`VisitIndex`] answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    pub person: PersonId,
    pub venue: VenueId,
    pub kind: VenueKind,
    pub entered: Timestamp,
    pub left: Option<Timestamp>,
}

/// A ride on a trip, as a [`VisitIndex`] answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ride {
    pub person: PersonId,
    pub trip: TripId,
    pub mode: TransitMode,
    pub boarded: Timestamp,
    pub alighted: Option<Timestamp>,
    pub seat: Option<Seat>,
}

/// Where people were: what tracing reads. A store implements it over its own indexes; answers
/// may come in any order.
pub trait VisitIndex {
    type Error;

    /// The visits of `person` entered during `entered`.
    fn visits_of(&self, person: PersonId, entered: Interval) -> Result<Vec<Visit>, Self::Error>;

    /// Everyone's visits to `venue` that may overlap `during` for the policy's minimum overlap
    /// or longer, each visit counted as [`Visit::counted`] counts it: every such
    /// visit, and perhaps others, which tracing passes over. An index may use the policy's
    /// stays to read back only as far as visits can reach.
    fn visits_at(
        &self,
        venue: VenueId,
        during: Interval,
        policy: &TracingPolicy,
    ) -> Result<Vec<Visit>, Self::Error>;

    /// The rides of `person` boarded during `boarded`.
    fn rides_of(&self, person: PersonId, boarded: Interval) -> Result<Vec<Ride>, Self::Error>;

    /// Every ride of one trip.
    fn rides_on(&self, trip: TripId) -> Result<Vec<Ride>, Self::Error>;

    /// The other people registered in `person`'s household, if any.
    fn household_members(&self, person: PersonId) -> Result<Vec<PersonId>, Self::Error>;
}

/// A contact found by tracing, with its evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TracedContact {
    pub person: PersonId,
    pub degree: ContactDegree,
    pub setting: ContactSetting,
    pub first_exposure: Timestamp,
    pub last_exposure: Timestamp,
    /// How long they were together, overlaps counted once.
    pub together: SignedDuration,
    /// For a secondary contact, the close contact they met.
    pub via: Option<PersonId>,
}

/// A contact as officials review it: the fact the rating engine reads, whose contact it is,
/// through whom a secondary contact was found, and its dismissal if an official dismissed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRecord {
    pub person: PersonId,
    pub contact: Contact,
    pub via: Option<PersonId>,
    pub dismissal: Option<Dismissal>,
}

/// An official's dismissal of a contact: when, by whom (`None` for the local operator) and
/// why. The reason is shown to the resident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dismissal {
    pub at: Timestamp,
    pub by: Option<StaffId>,
    pub reason: String,
}

/// What tracing one case found: the infectious window, then the close contacts and the
/// secondary contacts, each ordered by person and setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    /// `None` when the case was isolated before its window opened: nobody can be traced.
    pub window: Option<Interval>,
    pub contacts: Vec<TracedContact>,
}

impl Traced {
    pub fn close(&self) -> impl Iterator<Item = &TracedContact> {
        self.contacts
            .iter()
            .filter(|contact| contact.degree == ContactDegree::Close)
    }

    pub fn secondary(&self) -> impl Iterator<Item = &TracedContact> {
        self.contacts
            .iter()
            .filter(|contact| contact.degree == ContactDegree::Secondary)
    }
}

/// The window in which a case was infectious: from its onset less `infectious_before` until
/// its isolation.
pub fn infectious_window(case: &CaseRecord, policy: &TracingPolicy) -> Option<Interval> {
    let opens = case
        .onset
        .saturating_sub(policy.infectious_before)
        .expect("a duration always subtracts");
    Interval::new(opens, case.isolated_at)
}

/// Traces the case of `person`: its close contacts in its infectious window, and their close
/// contacts from each one's first exposure until `now`.
pub fn trace<I: VisitIndex>(
    index: &I,
    person: PersonId,
    case: &CaseRecord,
    policy: &TracingPolicy,
    now: Timestamp,
) -> Result<Traced, I::Error> {
    let Some(window) = infectious_window(case, policy) else {
        return Ok(Traced {
            window: None,
            contacts: Vec::new(),
        });
    };
    let close = exposures_to(index, person, window, policy)?;
    let mut close_people: BTreeMap<PersonId, Timestamp> = BTreeMap::new();
    for ((contact, _), overlaps) in &close {
        let first = overlaps[0].from;
        close_people
            .entry(*contact)
            .and_modify(|earliest| *earliest = (*earliest).min(first))
            .or_insert(first);
    }
    let mut contacts: Vec<TracedContact> = close
        .into_iter()
        .map(|((contact, setting), overlaps)| {
            evidence(contact, ContactDegree::Close, setting, &overlaps, None)
        })
        .collect();

    let mut secondary: BTreeMap<(PersonId, ContactSetting), (Vec<Interval>, PersonId, Timestamp)> =
        BTreeMap::new();
    for (&close_contact, &exposed_from) in &close_people {
        let Some(window) = Interval::new(exposed_from, now) else {
            continue;
        };
        for ((contact, setting), overlaps) in exposures_to(index, close_contact, window, policy)? {
            if contact == person || close_people.contains_key(&contact) {
                continue;
            }
            let (all, via, via_exposed) = secondary.entry((contact, setting)).or_insert((
                Vec::new(),
                close_contact,
                exposed_from,
            ));
            all.extend(overlaps);
            if exposed_from < *via_exposed {
                *via = close_contact;
                *via_exposed = exposed_from;
            }
        }
    }
    contacts.extend(
        secondary
            .into_iter()
            .map(|((contact, setting), (overlaps, via, _))| {
                let merged = merge(overlaps);
                evidence(
                    contact,
                    ContactDegree::Secondary,
                    setting,
                    &merged,
                    Some(via),
                )
            }),
    );
    Ok(Traced {
        window: Some(window),
        contacts,
    })
}

/// The merged, ordered intervals of exposure of each person, per setting.
type Exposures = BTreeMap<(PersonId, ContactSetting), Vec<Interval>>;

/// The people exposed to `person` during `window`, each with the merged, ordered intervals of
/// exposure per setting.
fn exposures_to<I: VisitIndex>(
    index: &I,
    person: PersonId,
    window: Interval,
    policy: &TracingPolicy,
) -> Result<Exposures, I::Error> {
    let mut found = Exposures::new();
    let reach = policy.longest_stay;

    for visit in index.visits_of(person, window.reached_from(reach))? {
        let Some(exposed) = visit.counted(policy).intersection(&window) else {
            continue;
        };
        for other in index.visits_at(visit.venue, exposed, policy)? {
            if other.person == person {
                continue;
            }
            let Some(overlap) = other.counted(policy).intersection(&exposed) else {
                continue;
            };
            if overlap.length() >= policy.min_overlap {
                found
                    .entry((other.person, ContactSetting::Venue(visit.venue)))
                    .or_default()
                    .push(overlap);
            }
        }
    }

    let mut riders: BTreeMap<TripId, Vec<Ride>> = BTreeMap::new();
    for ride in index.rides_of(person, window.reached_from(reach))? {
        let Some(exposed) = ride_interval(&ride, policy).intersection(&window) else {
            continue;
        };
        let others = match riders.entry(ride.trip) {
            std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::btree_map::Entry::Vacant(new) => {
                new.insert(index.rides_on(ride.trip)?)
            }
        };
        for other in others.iter() {
            if other.person == person || !seated_near(&ride, other, policy) {
                continue;
            }
            if let Some(overlap) = ride_interval(other, policy).intersection(&exposed) {
                found
                    .entry((other.person, ContactSetting::Trip(ride.trip)))
                    .or_default()
                    .push(overlap);
            }
        }
    }

    for member in index.household_members(person)? {
        if member != person {
            found
                .entry((member, ContactSetting::Household))
                .or_default()
                .push(window);
        }
    }

    Ok(found
        .into_iter()
        .map(|(key, overlaps)| (key, merge(overlaps)))
        .collect())
}

impl Visit {
    /// When the visit counts: from entering until leaving, or for the default stay of its
    /// venue's kind without a check-out, and never longer than the longest stay (a check-out
    /// at or before the check-in counts for a millisecond).
    pub fn counted(&self, policy: &TracingPolicy) -> Interval {
        let ends = self
            .left
            .unwrap_or_else(|| later(self.entered, policy.default_stay(self.kind)));
        let ends = ends.min(later(self.entered, policy.longest_stay));
        Interval::new(self.entered, ends).unwrap_or(Interval {
            from: self.entered,
            to: later(self.entered, SignedDuration::from_millis(1)),
        })
    }
}

/// When a ride counts, as [`Visit::counted`] for visits.
fn ride_interval(ride: &Ride, policy: &TracingPolicy) -> Interval {
    let ends = ride
        .alighted
        .unwrap_or_else(|| later(ride.boarded, policy.default_ride(ride.mode)));
    let ends = ends.min(later(ride.boarded, policy.longest_stay));
    Interval::new(ride.boarded, ends).unwrap_or(Interval {
        from: ride.boarded,
        to: later(ride.boarded, SignedDuration::from_millis(1)),
    })
}

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.saturating_add(by).expect("a duration always adds")
}

/// Whether two riders of one trip count as near: on a flight, when the policy narrows flights
/// to nearby rows and both seats are known, only within that many rows.
fn seated_near(case: &Ride, other: &Ride, policy: &TracingPolicy) -> bool {
    match (case.mode, policy.flight_seat_rows, case.seat, other.seat) {
        (TransitMode::Flight, Some(rows), Some(own), Some(theirs)) => {
            own.row().abs_diff(theirs.row()) <= rows
        }
        _ => true,
    }
}

/// Sorts intervals and merges those that overlap or touch.
fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort();
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for interval in intervals {
        match merged.last_mut() {
            Some(last) if interval.from <= last.to => last.to = last.to.max(interval.to),
            _ => merged.push(interval),
        }
    }
    merged
}

fn evidence(
    person: PersonId,
    degree: ContactDegree,
    setting: ContactSetting,
    merged: &[Interval],
    via: Option<PersonId>,
) -> TracedContact {
    TracedContact {
        person,
        degree,
        setting,
        first_exposure: merged.first().expect("an exposure has an interval").from,
        last_exposure: merged.last().expect("an exposure has an interval").to,
        together: merged.iter().fold(SignedDuration::ZERO, |total, interval| {
            total + interval.length()
        }),
        via,
    }
}
