//! Fixed vocabularies: enums whose values travel as stable snake_case codes (in files, the API
//! and the store), each with the list of all its values and a parser that names the allowed
//! codes when it refuses one.

/// A code outside a fixed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be one of: {allowed}")]
pub struct UnknownCode {
    allowed: String,
}

impl UnknownCode {
    pub(crate) fn new(codes: impl IntoIterator<Item = &'static str>) -> UnknownCode {
        UnknownCode {
            allowed: codes.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

/// Declares a vocabulary enum with `ALL` (in declaration order), `code()` and `parse()`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stable snake_case code used in files, the API and the store.
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }

            pub fn parse(code: &str) -> Result<$name, $crate::vocabulary::UnknownCode> {
                $name::ALL
                    .into_iter()
                    .find(|value| value.code() == code)
                    .ok_or_else(|| $crate::vocabulary::UnknownCode::new($name::ALL.map($name::code)))
            }
        }
    };
}

pub(crate) use vocabulary;
