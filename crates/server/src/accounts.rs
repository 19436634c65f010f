//! Staff accounts, passwords and bearer tokens.
//!
//! Passwords are kept only as argon2 hashes and tokens only as SHA-256 hashes: neither a
//! password nor a token is ever stored, logged or returned after the response that hands it out.
//! These functions are shared by the HTTP API and the `healthcode admin` commands.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use healthcode_core::{Actor, Role, StaffAccount, StaffId, Timestamp, Username, UsernameError};
use healthcode_store::{Store, StoreError, TokenGrant, TokenHash};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

use crate::clock::Clock;

/// Passwords shorter than this are refused. Length beats composition rules for strength.
pub const MIN_PASSWORD_CHARACTERS: usize = 12;
/// Longer passwords are refused so that hashing cannot be used to exhaust the server.
pub const MAX_PASSWORD_CHARACTERS: usize = 256;

/// Why an account could not be created or a sign-in failed, in the caller's terms.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    // Not a `#[source]`: the message already says all of it, and error reports would repeat it.
    #[error("username {0}")]
    InvalidUsername(UsernameError),
    #[error("password should be at least {MIN_PASSWORD_CHARACTERS} characters")]
    PasswordTooShort,
    #[error("password should be at most {MAX_PASSWORD_CHARACTERS} characters")]
    PasswordTooLong,
    #[error("role should be a staff role, one of: {}", Role::STAFF.map(Role::code).join(", "))]
    NotAStaffRole,
    #[error("username {0} is already taken")]
    UsernameTaken(String),
    /// Deliberately silent about whether the username or the password was wrong.
    #[error("the username or password is wrong")]
    WrongCredentials,
    #[error("could not hash the password: {0}")]
    Hashing(String),
    #[error("the token lifetime reaches past the year 9999; lower staff_token_ttl_hours")]
    TokenLifetime,
    #[error(transparent)]
    Store(StoreError),
}

impl From<UsernameError> for AccountError {
    fn from(error: UsernameError) -> AccountError {
        AccountError::InvalidUsername(error)
    }
}

impl AccountError {
    /// The request field the error is about, if it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AccountError::InvalidUsername(_) | AccountError::UsernameTaken(_) => Some("username"),
            AccountError::PasswordTooShort | AccountError::PasswordTooLong => Some("password"),
            AccountError::NotAStaffRole => Some("role"),
            AccountError::WrongCredentials
            | AccountError::Hashing(_)
            | AccountError::TokenLifetime
            | AccountError::Store(_) => None,
        }
    }
}

/// Creates a staff account with an argon2-hashed password.
pub fn create_staff_account(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
    password: &str,
    role: Role,
) -> Result<StaffAccount, AccountError> {
    let username = Username::parse(username)?;
    check_password_policy(password)?;
    if role == Role::Resident {
        return Err(AccountError::NotAStaffRole);
    }
    let account = StaffAccount {
        id: StaffId::from_uuid(uuid::Uuid::new_v4()),
        password_hash: hash_password(password)?,
        username,
        role,
        created_at: clock.now(),
    };
    store
        .create_staff_account(&account)
        .map_err(|error| match error {
            StoreError::UsernameTaken => AccountError::UsernameTaken(account.username.to_string()),
            other => AccountError::Store(other),
        })?;
    Ok(account)
}

/// A successful staff sign-in. The token is shown to the caller once and never stored.
#[derive(Clone)]
pub struct SignedIn {
    pub token: String,
    pub role: Role,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("token", &"<redacted>")
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Checks a staff member's password and grants a bearer token valid for `ttl`.
pub fn sign_in(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
    password: &str,
    ttl: SignedDuration,
) -> Result<SignedIn, AccountError> {
    let account = match Username::parse(username) {
        Ok(username) => store
            .staff_account(&username)
            .map_err(AccountError::Store)?,
        Err(_) => None,
    };
    let Some(account) = account else {
        // Spend the same effort as for a real account, so that response times do not tell
        // which usernames exist.
        let _ = verify_password(password, dummy_password_hash());
        return Err(AccountError::WrongCredentials);
    };
    if !verify_password(password, &account.password_hash) {
        return Err(AccountError::WrongCredentials);
    }
    let now = clock.now();
    let expires_at = now
        .checked_add(ttl)
        .map_err(|_| AccountError::TokenLifetime)?;
    let (token, hash) = new_bearer_token();
    store
        .grant_token(&TokenGrant {
            hash,
            holder: Actor::Staff {
                id: account.id,
                role: account.role,
            },
            issued_at: now,
            expires_at: Some(expires_at),
        })
        .map_err(AccountError::Store)?;
    Ok(SignedIn {
        token,
        role: account.role,
        expires_at,
    })
}

/// A fresh bearer token (32 random bytes, base64url without padding) and the hash to store.
pub fn new_bearer_token() -> (String, TokenHash) {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The hash under which a token is stored: SHA-256 of its text.
pub fn token_hash(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

fn check_password_policy(password: &str) -> Result<(), AccountError> {
    let characters = password.chars().count();
    if characters < MIN_PASSWORD_CHARACTERS {
        return Err(AccountError::PasswordTooShort);
    }
    if characters > MAX_PASSWORD_CHARACTERS {
        return Err(AccountError::PasswordTooLong);
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hashing(e.to_string()))
}

fn verify_password(password: &str, stored_hash: &str) -> bool {
    // A stored hash that does not parse can never match; the account is unusable rather than open.
    PasswordHash::new(stored_hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

fn dummy_password_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    // Hashing a constant with a fresh salt only fails if the system has no randomness, and then
    // no password can be hashed at all; an empty stand-in would make unknown usernames answer
    // faster than wrong passwords, so stop instead.
    DUMMY.get_or_init(|| {
        hash_password("a password that no account has")
            .expect("hashing needs the system's random number generator")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused() {
        assert!(matches!(
            check_password_policy("elevenchars"),
            Err(AccountError::PasswordTooShort)
        ));
        assert!(check_password_policy("twelve chars").is_ok());
        // Characters, not bytes: twelve Chinese characters are long enough, four are not.
        assert!(check_password_policy("一二三四五六七八九十百千").is_ok());
        assert!(matches!(
            check_password_policy("一二三四"),
            Err(AccountError::PasswordTooShort)
        ));
    }

    #[test]
    fn bearer_tokens_are_43_url_safe_characters_and_hash_deterministically() {
        let (token, hash) = new_bearer_token();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(token_hash(&token), hash);
        assert_ne!(new_bearer_token().0, token);
    }
}
