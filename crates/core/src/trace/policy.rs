//! What a policy says about tracing: how the infectious window is drawn, how long people must
//! be together, and how long a visit or ride lasts when its end was not recorded.

use std::collections::BTreeMap;

use jiff::SignedDuration;

use crate::transit::TransitMode;
use crate::venue::VenueKind;

/// The tracing part of a policy (its `[tracing]` table). Every venue kind and every transit
/// mode has a default; every duration is positive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracingPolicy {
    /// How long before symptom onset (or the first positive sample) a case is infectious.
    pub infectious_before: SignedDuration,
    /// How long two visits to one venue must overlap inside the window for a close contact.
    /// Riders of one trip and members of one household are close contacts whatever the time.
    pub min_overlap: SignedDuration,
    /// The longest a visit or ride counts for: a check-out later than this after the check-in
    /// is taken as forgotten, and the visit as lasting this long.
    pub longest_stay: SignedDuration,
    /// How long a check-in without a check-out lasts, by venue kind.
    pub default_stays: BTreeMap<VenueKind, SignedDuration>,
    /// How long a boarding without an alighting lasts, by transit mode.
    pub default_rides: BTreeMap<TransitMode, SignedDuration>,
    /// On a flight where both seats are known, only passengers within this many rows of the
    /// case's row are close contacts; `None` counts the whole flight.
    pub flight_seat_rows: Option<u16>,
    /// How far back an employer's close-contact check looks.
    pub contact_check_within: SignedDuration,
}

const fn minutes(count: i64) -> SignedDuration {
    SignedDuration::from_mins(count)
}

/// The default stay of each venue kind, when a check-in has no check-out: roughly how long a
/// visit to such a place lasts. Gates (residential compounds, highway checkpoints) are passed
/// through, not stayed in.
pub const DEFAULT_STAYS: [(VenueKind, SignedDuration); 20] = [
    (VenueKind::Shop, minutes(20)),
    (VenueKind::Supermarket, minutes(30)),
    (VenueKind::Market, minutes(30)),
    (VenueKind::Mall, minutes(90)),
    (VenueKind::Restaurant, minutes(60)),
    (VenueKind::Office, minutes(8 * 60)),
    (VenueKind::Factory, minutes(8 * 60)),
    (VenueKind::School, minutes(7 * 60)),
    (VenueKind::Hospital, minutes(120)),
    (VenueKind::Clinic, minutes(60)),
    (VenueKind::Pharmacy, minutes(10)),
    (VenueKind::Hotel, minutes(12 * 60)),
    (VenueKind::Gym, minutes(90)),
    (VenueKind::PlaceOfWorship, minutes(90)),
    (VenueKind::ResidentialCompound, minutes(5)),
    (VenueKind::SubwayStation, minutes(15)),
    (VenueKind::BusStation, minutes(20)),
    (VenueKind::RailwayStation, minutes(60)),
    (VenueKind::Airport, minutes(120)),
    (VenueKind::HighwayCheckpoint, minutes(5)),
];

/// The default ride of each transit mode, when a boarding has no alighting.
pub const DEFAULT_RIDES: [(TransitMode, SignedDuration); 4] = [
    (TransitMode::Flight, minutes(3 * 60)),
    (TransitMode::Train, minutes(2 * 60)),
    (TransitMode::Bus, minutes(30)),
    (TransitMode::Taxi, minutes(20)),
];

impl Default for TracingPolicy {
    /// 2 days before onset, 15 minutes together, visits of at most a day, the default stays
    /// and rides above, two rows either side on flights, and 14 days for employers' checks.
    fn default() -> TracingPolicy {
        TracingPolicy {
            infectious_before: SignedDuration::from_hours(2 * 24),
            min_overlap: minutes(15),
            longest_stay: SignedDuration::from_hours(24),
            default_stays: DEFAULT_STAYS.into_iter().collect(),
            default_rides: DEFAULT_RIDES.into_iter().collect(),
            flight_seat_rows: Some(2),
            contact_check_within: SignedDuration::from_hours(14 * 24),
        }
    }
}

impl TracingPolicy {
    /// How long a check-in without a check-out at a venue of this kind lasts.
    pub fn default_stay(&self, kind: VenueKind) -> SignedDuration {
        self.default_stays
            .get(&kind)
            .copied()
            .unwrap_or(self.min_overlap)
    }

    /// How long a boarding without an alighting lasts on a trip of this mode.
    pub fn default_ride(&self, mode: TransitMode) -> SignedDuration {
        self.default_rides
            .get(&mode)
            .copied()
            .unwrap_or(self.min_overlap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_cover_every_venue_kind_and_transit_mode() {
        let policy = TracingPolicy::default();
        assert_eq!(policy.default_stays.len(), VenueKind::ALL.len());
        assert_eq!(policy.default_rides.len(), TransitMode::ALL.len());
        assert!(
            policy
                .default_stays
                .values()
                .chain(policy.default_rides.values())
                .all(|stay| stay.is_positive() && *stay <= policy.longest_stay)
        );
    }
}
