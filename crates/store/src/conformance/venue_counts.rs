//! The behaviours of the check-in counts a venue's operator sees: aggregates that name nobody.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Behaviours.

pub fn check_ins_at_a_venue_are_counted_per_hour_from_the_time_asked_and_nobody_is_read(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let noodles = registered(store, venue("Wulin Square Noodles", "24/7"));
    let market = registered(store, venue("Hubin Market", "24/7"));
    // The day asked for starts at midnight in Beijing: 16:00 UTC the day before.
    let from = at("2026-02-09T16:00:00Z");
    let visits = [
        // Before the day: not counted.
        (&people[0], &noodles, "2026-02-09T15:59:59.999Z"),
        // 09:05 and 09:55 Beijing time: hour 9. The same person twice counts twice.
        (&people[0], &noodles, "2026-02-10T01:05:00Z"),
        (&people[1], &noodles, "2026-02-10T01:55:00Z"),
        (&people[1], &noodles, "2026-02-10T02:00:00Z"),
        // The first and last moments of the day.
        (&people[2], &noodles, "2026-02-09T16:00:00Z"),
        (&people[3], &noodles, "2026-02-10T15:59:59.999Z"),
        // After the day, and at another venue: not counted.
        (&people[3], &noodles, "2026-02-10T16:00:00Z"),
        (&people[2], &market, "2026-02-10T01:30:00Z"),
    ];
    let check_ins: Vec<CheckIn> = visits
        .iter()
        .map(|(person, venue, entered)| check_in(person, venue, entered, None))
        .collect();
    store.ingest_check_ins(&bulk_import(), &check_ins).unwrap();
    // Verifying the chain counts its records without reading (and auditing) the log.
    let before = store.verify_audit_chain().unwrap().records;

    let counts = store.venue_check_in_counts(noodles.id, from, 24).unwrap();

    let mut expected = vec![0; 24];
    expected[0] = 1;
    expected[9] = 2;
    expected[10] = 1;
    expected[23] = 1;
    assert_eq!(counts, expected);
    assert_eq!(
        store.venue_check_in_counts(market.id, from, 24).unwrap()[9],
        1
    );
    assert_eq!(
        store.venue_check_in_counts(noodles.id, from, 3).unwrap(),
        vec![1, 0, 0],
        "as many hours as asked for"
    );
    assert_eq!(
        store.verify_audit_chain().unwrap().records,
        before,
        "counts name nobody and are not audited"
    );
}

pub fn a_venue_nobody_checked_in_at_or_nobody_registered_counts_zero_every_hour(store: &dyn Store) {
    let empty = registered(store, venue("Quiet Tea House", "24/7"));
    let unknown = VenueId::from_uuid(random_uuid());
    for venue in [empty.id, unknown] {
        assert_eq!(
            store
                .venue_check_in_counts(venue, at("2026-02-09T16:00:00Z"), 24)
                .unwrap(),
            vec![0; 24]
        );
    }
}
