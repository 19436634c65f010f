//! Client-supplied event identifiers.
//!
//! Every write into the system carries an `EventId` chosen by the client that produced it. The
//! store keeps the first write under an id and reports later ones as duplicates, so a client can
//! resend after a timeout without anything being stored twice.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Every `EventId` is a non-nil UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(Uuid);

/// Why a text is not an event id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventIdError {
    #[error("should be a UUID such as 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04")]
    NotUuid,
    #[error("should not be the nil UUID")]
    Nil,
}

impl EventId {
    /// Wraps a UUID; the nil UUID is refused because clients that forget to set an id send it.
    pub fn from_uuid(uuid: Uuid) -> Result<EventId, EventIdError> {
        if uuid.is_nil() {
            return Err(EventIdError::Nil);
        }
        Ok(EventId(uuid))
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Result<EventId, EventIdError> {
        EventId::from_uuid(Uuid::from_bytes(bytes))
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl FromStr for EventId {
    type Err = EventIdError;

    fn from_str(text: &str) -> Result<EventId, EventIdError> {
        let uuid = Uuid::parse_str(text).map_err(|_| EventIdError::NotUuid)?;
        EventId::from_uuid(uuid)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Declares a newtype around a UUID used as an entity identifier (person, venue, …).
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn from_uuid(uuid: uuid::Uuid) -> Self {
                $name(uuid)
            }

            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                $name(uuid::Uuid::from_bytes(bytes))
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }

            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(text).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

pub(crate) use uuid_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_parse_from_uuid_text_and_refuse_nil() {
        let id: EventId = "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".parse().unwrap();
        assert_eq!(id.to_string(), "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04");
        assert_eq!(
            "00000000-0000-0000-0000-000000000000".parse::<EventId>(),
            Err(EventIdError::Nil)
        );
        assert_eq!("not-a-uuid".parse::<EventId>(), Err(EventIdError::NotUuid));
    }
}
