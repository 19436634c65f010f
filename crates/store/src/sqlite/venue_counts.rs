//! How many check-ins a venue had, hour by hour: the numbers a venue's operator sees on the
//! venue's page. Counts only: no person id leaves SQL, so the read is not audited.

use healthcode_core::{Timestamp, VenueId};
use rusqlite::params;

use super::SqliteStore;
use super::encoding::millis;
use crate::StoreError;

const MILLISECONDS_PER_HOUR: i64 = 3_600_000;

/// The check-ins at `venue` entered in each of the `hours` hours from `from`, in order.
pub(super) fn check_in_counts(
    store: &SqliteStore,
    venue: VenueId,
    from: Timestamp,
    hours: u32,
) -> Result<Vec<u64>, StoreError> {
    let mut counts = vec![0; hours as usize];
    let start = millis(from);
    let end = start.saturating_add(i64::from(hours) * MILLISECONDS_PER_HOUR);
    store.readers.with(|connection| {
        // The venue index leads with the venue: one range of it, counted in SQL.
        let mut statement = connection.prepare_cached(
            "SELECT (entered_at - ?2) / 3600000 AS hour, COUNT(*) FROM check_ins \
             WHERE venue_id = ?1 AND entered_at >= ?2 AND entered_at < ?3 GROUP BY hour",
        )?;
        let mut rows = statement.query(params![venue.as_bytes(), start, end])?;
        while let Some(row) = rows.next()? {
            let hour: i64 = row.get(0)?;
            let count: i64 = row.get(1)?;
            if let Some(slot) = usize::try_from(hour)
                .ok()
                .and_then(|hour| counts.get_mut(hour))
            {
                *slot = u64::try_from(count).unwrap_or(0);
            }
        }
        Ok(counts)
    })
}
