//! The facts a rating is worked out from: what a resident declared, what laboratories,
//! pharmacies, employers and communities reported, the contacts and cases that tracing found,
//! the official overrides, and the region-risk list in force.
//!
//! Facts are inputs, gathered by the store from stored events; the engine never looks anything
//! up. A fact carries the identifier of the event it came from, so that every reason can point
//! at its evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::access::StaffId;
use crate::declaration::{Declaration, Symptom, Temperature};
use crate::event::{EventId, uuid_id};
use crate::region::RegionCode;
use crate::transit::TripId;
use crate::venue::VenueId;
use crate::vocabulary::vocabulary;

use super::Colour;

/// Everything known about one resident that a policy may use, as of the moment it was gathered.
///
/// Any combination of facts is accepted: the engine is total over them, and facts dated after
/// the moment of rating are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub declarations: Vec<Declaration>,
    pub health_reports: Vec<HealthReport>,
    pub test_results: Vec<TestResult>,
    pub pharmacy_purchases: Vec<PharmacyPurchase>,
    /// Stays in regions known from other sources than declarations (the phone itinerary).
    pub stays: Vec<RegionStay>,
    pub contacts: Vec<Contact>,
    pub cases: Vec<CaseRecord>,
    pub overrides: Vec<Override>,
    /// The region-risk list in force; shared by every resident's facts.
    pub region_risk: Arc<RegionRiskList>,
}

vocabulary! {
    /// The kinds of test a laboratory reports.
    pub enum TestKind {
        Pcr => "pcr",
        Antigen => "antigen",
    }
}

vocabulary! {
    /// The outcome of a test.
    pub enum TestOutcome {
        Positive => "positive",
        Negative => "negative",
        /// Neither: it counts for nothing and only prompts another test.
        Inconclusive => "inconclusive",
    }
}

/// A laboratory's result for one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestResult {
    pub event_id: EventId,
    pub kind: TestKind,
    pub outcome: TestOutcome,
    /// When the sample was taken: what "a test taken after …" refers to.
    pub sampled_at: Timestamp,
    /// When the laboratory reported it: a result counts from then on.
    pub reported_at: Timestamp,
}

vocabulary! {
    /// What a pharmacy reports a purchase of.
    pub enum Medicine {
        FeverReducer => "fever_reducer",
        CoughMedicine => "cough_medicine",
        Antiviral => "antiviral",
    }
}

/// A pharmacy's report that a resident bought fever or cough medicine. Alone it only prompts the
/// resident to declare or to take a test; together with declared symptoms a policy may count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PharmacyPurchase {
    pub event_id: EventId,
    pub medicine: Medicine,
    pub purchased_at: Timestamp,
}

vocabulary! {
    /// Who files daily health reports on residents' behalf. A checkpoint files one when its
    /// worker takes a holder's temperature while scanning their pass.
    pub enum Reporter {
        Employer => "employer",
        Community => "community",
        Checkpoint => "checkpoint",
    }
}

/// One row of an employer's or a residential community's daily health report. It counts like a
/// declaration made at `reported_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthReport {
    pub event_id: EventId,
    pub reporter: Reporter,
    /// The day the report is about.
    pub day: Date,
    pub reported_at: Timestamp,
    pub temperature: Option<Temperature>,
    pub symptoms: BTreeSet<Symptom>,
}

vocabulary! {
    /// Where a stay in a region is known from.
    pub enum StaySource {
        Declared => "declared",
        Itinerary => "itinerary",
    }
}

/// A stay in a region between two dates, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionStay {
    pub region: RegionCode,
    pub from: Date,
    pub to: Date,
    pub source: StaySource,
    /// The event the stay was learnt from (the declaration, or the itinerary's day).
    pub event_id: EventId,
}

vocabulary! {
    /// The risk level officials give a region.
    pub enum RiskLevel {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
}

/// The regions officials list as risky, each with a level. A listed code covers the regions
/// beneath it: a province code (`420000`) covers its cities and districts, a city code
/// (`420100`) its districts. Every version is kept; the list in force is the latest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionRiskList {
    /// 0 for the empty list that is in force before officials publish one.
    pub version: u32,
    pub published_at: Option<Timestamp>,
    pub entries: BTreeMap<RegionCode, RiskLevel>,
}

impl RegionRiskList {
    /// The level of the most specific listed region that covers `region`, if any.
    pub fn level_of(&self, region: RegionCode) -> Option<(RegionCode, RiskLevel)> {
        let code = region.as_number();
        let candidates = [code, code / 100 * 100, code / 10_000 * 10_000];
        candidates.into_iter().find_map(|candidate| {
            let listed = RegionCode::from_number(candidate).ok()?;
            self.entries.get(&listed).map(|level| (listed, *level))
        })
    }

    /// The highest level listed anywhere in `region`'s province, if any: what a policy that
    /// judges whole provinces looks at.
    pub fn province_level_of(&self, region: RegionCode) -> Option<(RegionCode, RiskLevel)> {
        let province = region.province();
        let first = province.as_number();
        let last = first + 9_999;
        self.entries
            .iter()
            .filter(|(code, _)| (first..=last).contains(&code.as_number()))
            .max_by_key(|(_, level)| **level)
            .map(|(_, level)| (province, *level))
    }
}

uuid_id!(
    /// The identifier of a case.
    CaseId
);

vocabulary! {
    /// How sure officials are that a person is infected.
    pub enum CaseStatus {
        Suspected => "suspected",
        Confirmed => "confirmed",
    }
}

/// A case registered by a health official, and its release if it has been released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseRecord {
    pub case: CaseId,
    pub status: CaseStatus,
    /// When the case was registered with this status.
    pub since: Timestamp,
    /// The symptom onset, or the sample of the first positive test if that came first (or
    /// there were no symptoms): the infectious window opens the policy's `infectious_before`
    /// earlier.
    pub onset: Timestamp,
    /// When the person was isolated: the infectious window closes then.
    pub isolated_at: Timestamp,
    pub released_at: Option<Timestamp>,
}

vocabulary! {
    /// How near a contact stands to the case.
    pub enum ContactDegree {
        Close => "close",
        Secondary => "secondary",
    }
}

uuid_id!(
    /// The identifier of a contact found by tracing.
    ContactId
);

/// Where a contact met the case (or, for a secondary contact, the close contact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContactSetting {
    /// Visits to the same venue that overlapped.
    Venue(VenueId),
    /// The same trip.
    Trip(TripId),
    /// The same household.
    Household,
    /// Phone data placed them near the case, and an official who reviewed it confirmed it.
    Nearby,
}

/// A contact found by tracing, with its evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contact {
    pub contact: ContactId,
    pub case: CaseId,
    pub degree: ContactDegree,
    pub setting: ContactSetting,
    pub first_exposure: Timestamp,
    pub last_exposure: Timestamp,
    /// How long they were together between the first and the last exposure.
    pub together: SignedDuration,
    /// When tracing found it: the contact counts from then on.
    pub found_at: Timestamp,
    /// When an official dismissed it, if one did: it counts for nothing from then on.
    pub dismissed_at: Option<Timestamp>,
}

uuid_id!(
    /// The identifier of an official's override of a colour.
    OverrideId
);

uuid_id!(
    /// The identifier of a resident's appeal.
    AppealId
);

/// An official's decision that a resident's colour is `colour` until `expires_at`, whatever the
/// rules say. It always has a written reason and an expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub id: OverrideId,
    pub colour: Colour,
    /// The official's written reason, shown to the resident.
    pub reason: String,
    pub set_by: StaffId,
    pub set_at: Timestamp,
    pub expires_at: Timestamp,
    /// The appeal this override decided, if it was an appeal's "amend".
    pub appeal: Option<AppealId>,
}
