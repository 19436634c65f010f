//! The background checkpointer: copies committed pages from the write-ahead log back into the
//! database file on a thread of its own, so that a commit does not pay for it.
//!
//! With SQLite's default, the connection whose commit pushes the log past 1,000 pages runs the
//! checkpoint itself, inside the request that committed. A bulk ingest of 10,000 check-ins
//! dirties thousands of index pages, so every batch paid for a checkpoint. Here the writer only
//! nudges this thread after each commit; nudges that arrive while a checkpoint runs coalesce
//! into one. The writer keeps a much higher automatic threshold as a backstop, so the log
//! cannot grow without bound if this thread falls behind (e.g. while a long read pins it).
//!
//! It never touches rows: it runs `PRAGMA wal_checkpoint(PASSIVE)`, which does not block readers
//! or the writer.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::StoreError;

/// The writer's own checkpoint threshold, in pages (16 KiB each, so 64 MiB of log): only reached
/// when the background thread falls behind.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: i64 = 4_096;

/// The handle the store keeps; dropping it stops the thread after its current checkpoint.
pub(super) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with a connection of its own to `database_path`.
    pub(super) fn start(database_path: &Path) -> Result<Checkpointer, StoreError> {
        let connection = super::open_connection(database_path, super::READER_CACHE_KIB)?;
        let (nudge, nudged) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || run(&connection, &nudged))
            .map_err(|error| StoreError::Backend(Box::new(error)))?;
        Ok(Checkpointer {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon; returns at once.
    pub(super) fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            match nudge.try_send(()) {
                // Full: a checkpoint is already due and will include this commit.
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    tracing::warn!(
                        "the checkpoint thread has stopped; the writer checkpoints alone"
                    );
                }
            }
        }
    }
}

fn run(connection: &Connection, nudged: &Receiver<()>) {
    // `recv` fails once the store drops its sender: then the thread ends.
    while nudged.recv().is_ok() {
        let checkpoint = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(0)
        });
        if let Err(error) = checkpoint {
            tracing::warn!(%error, "background checkpoint failed; the writer's threshold still bounds the log");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.nudge.take());
        if let Some(thread) = self.thread.take() {
            // A panic in the thread has been reported already; the store is closing either way.
            let _ = thread.join();
        }
    }
}
