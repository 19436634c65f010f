//! The one-character changes both passes and venue codes must catch.

use healthcode_pass::container;
use healthcode_pass::verdict::Invalid;

const BASE45_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Changes every character of `text` (whose prefix is `prefix` characters long) twice, to a
/// character outside the Base45 alphabet and to one inside it, and asserts that `open` refuses
/// each change with a reason of the layer it broke, or, when it accepts one, that what was
/// signed is unchanged: only bits zlib ignores (the padding of its last block) may change, and
/// at most twice. `label` names the case in failure messages.
pub fn assert_every_single_character_change_is_caught(
    text: &str,
    prefix: usize,
    label: &str,
    open: impl Fn(&str) -> Result<(), Invalid>,
) {
    let (_, signed) = container::unwrap(text).unwrap();
    let mut same_signed_bytes = 0;
    for (at, original) in text.char_indices() {
        let outside = 'a';
        let inside = BASE45_ALPHABET
            .chars()
            .find(|candidate| *candidate != original)
            .unwrap();
        for replacement in [outside, inside] {
            let mut changed = text.to_owned();
            changed.replace_range(at..at + original.len_utf8(), &replacement.to_string());
            let expected: &[&str] = if at < prefix {
                &["prefix"]
            } else if replacement == outside {
                &["base45"]
            } else {
                &[
                    "base45",
                    "zlib",
                    "cose_structure",
                    "unknown_key",
                    "bad_signature",
                    "claims",
                ]
            };
            match open(&changed) {
                Err(invalid) => assert!(
                    expected.contains(&invalid.code()),
                    "{label}: character {at} as {replacement:?}: {invalid}"
                ),
                Ok(()) => {
                    assert_eq!(
                        container::unwrap(&changed).unwrap().1,
                        signed,
                        "{label}: character {at} as {replacement:?} was accepted"
                    );
                    same_signed_bytes += 1;
                }
            }
        }
    }
    assert!(same_signed_bytes <= 2, "{label}: {same_signed_bytes}");
}
