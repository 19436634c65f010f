//! `healthcode pass …`: issue a resident's signed pass, verify a pass or an EU certificate
//! from its text or a photo of its QR code, manage the pass keys and trust lists, print a
//! venue's poster, and run the EU certificate test vectors.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use healthcode_core::{Access, Actor, PersonId, Purpose, VenueId};
use healthcode_pass::dcc::signer::SignerCertificate;
use healthcode_pass::keystore::{PassKeys, format_public_key, parse_public_key};
use healthcode_pass::{Algorithm, Contents, Invalid, Verified, qr};
use healthcode_server::api::VerdictView;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::config::parse_signing_algorithm;
use healthcode_server::{ApiError, Passes, pass_service};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde::Serialize;

use crate::config::Config;
use crate::ratings::{active_policy, note_default_policy};

#[derive(Debug, Subcommand)]
pub enum PassCommand {
    /// Issue a resident's pass: their colour now, signed with the active key.
    Issue(IssueArgs),
    /// Verify a pass (HCODE1:) or an EU certificate (HC1:) offline, from its text or a photo
    /// of its QR code, against this region's keys and the imported trust lists.
    Verify(VerifyArgs),
    /// Make a new signing key the active one; the old one stays trusted for
    /// `pass.rotation_overlap_hours`.
    Rotate {
        /// ES256 or EdDSA; by default the configuration's `pass.algorithm`.
        #[arg(long, value_parser = parse_signing_algorithm)]
        algorithm: Option<Algorithm>,
    },
    /// Print this region's trust anchor, the public key other regions pin to import its
    /// trust list.
    Anchor,
    /// This region's signed trust list, or another region's imported.
    #[command(subcommand)]
    TrustList(TrustListCommand),
    /// The EU certificate signers trusted: add one from its X.509 certificate, list, remove.
    #[command(subcommand)]
    DccSigners(DccSignersCommand),
    /// Write a venue's printable A4 poster (SVG, English and Chinese) with its code signed by
    /// this region's trust anchor, which residents scan to check in.
    Poster {
        #[arg(value_name = "VENUE_ID")]
        venue: VenueId,
        /// Where to write the SVG; `poster-<VENUE_ID>.svg` by default.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run every EU Digital COVID Certificate test vector under DIR and compare each
    /// expected result; ends with `N passed, M failed`, counting files.
    DccVectors {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustListCommand {
    /// Write this region's trust list, signed by its anchor, to FILE.
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Import another region's signed trust list, checked against its anchor (pinned on the
    /// first import of that region).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The other region's anchor, as its `healthcode pass anchor` prints it.
        #[arg(long, value_name = "KEY")]
        anchor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DccSignersCommand {
    /// Trust an EU certificate signer: FILE holds its X.509 certificate, PEM or base64 of its
    /// DER. The verifier then accepts the certificates it signed, within its key usage.
    Add {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the trusted signers: key id, issuer, algorithm, kinds and validity.
    List,
    /// Stop trusting the signer with this key id (hex, as `list` prints it).
    Remove {
        #[arg(value_name = "KID")]
        kid: String,
    },
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The resident's person id.
    #[arg(value_name = "PERSON_ID")]
    person: PersonId,
    /// Also write the QR code as a PNG image.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Also write the QR code as an SVG image.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Print the pass as JSON: its text, colour and expiry.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The text of the QR code.
    #[arg(
        value_name = "TEXT",
        required_unless_present = "image",
        conflicts_with = "image"
    )]
    text: Option<String>,
    /// A photo of the QR code (PNG or JPEG) instead of its text.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Verify as at this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    at: Option<Timestamp>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

/// Opens the pass keys of the data directory, making them on first run.
pub fn open_keys(config: &Config, now: Timestamp) -> anyhow::Result<PassKeys> {
    let algorithm = config
        .pass
        .signing_algorithm()
        .map_err(anyhow::Error::msg)
        .context("reading the configuration's pass.algorithm")?;
    PassKeys::open_or_create(&config.data_dir, algorithm, now)
        .with_context(|| format!("opening the pass keys in {}", config.data_dir.display()))
}

pub fn run(config: &Config, command: PassCommand) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match command {
        PassCommand::Issue(args) => issue(config, args, now),
        PassCommand::Verify(args) => verify(config, args, now),
        PassCommand::Rotate { algorithm } => {
            let mut keys = open_keys(config, now)?;
            let algorithm = match algorithm {
                Some(algorithm) => algorithm,
                None => config
                    .pass
                    .signing_algorithm()
                    .map_err(anyhow::Error::msg)?,
            };
            let overlap = SignedDuration::from_hours(config.pass.rotation_overlap_hours.into());
            let key = keys.rotate(algorithm, now, overlap)?;
            println!(
                "new active key {} ({}); the previous one stays trusted for {} hours",
                healthcode_pass::cose::hex(key.kid()),
                key.algorithm().name(),
                config.pass.rotation_overlap_hours
            );
            Ok(())
        }
        PassCommand::Anchor => {
            println!("{}", format_public_key(&open_keys(config, now)?.anchor()));
            Ok(())
        }
        PassCommand::TrustList(TrustListCommand::Export { file }) => {
            let keys = open_keys(config, now)?;
            let list = keys.signed_trust_list(&config.pass.issuer, now);
            std::fs::write(&file, list).with_context(|| format!("writing {}", file.display()))?;
            println!(
                "wrote the trust list of {} ({} keys) to {}",
                config.pass.issuer,
                keys.own_keys(&config.pass.issuer, now).len(),
                file.display()
            );
            Ok(())
        }
        PassCommand::TrustList(TrustListCommand::Import { file, anchor }) => {
            let keys = open_keys(config, now)?;
            let anchor = parse_public_key(&anchor).context(
                "the anchor should look like `ES256:04ab…`, as `healthcode pass anchor` prints it",
            )?;
            let signed =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let list = keys.import_trust_list(&config.pass.issuer, &signed, &anchor)?;
            println!(
                "imported the trust list of {} ({} keys, issued {})",
                list.issuer,
                list.keys.len(),
                list.issued_at
            );
            Ok(())
        }
        PassCommand::DccSigners(command) => dcc_signers(config, command, now),
        PassCommand::Poster { venue, out } => {
            let store = crate::open_store(&config.data_dir)?;
            let passes =
                Passes::open(&config.data_dir, config.pass.clone(), now).with_context(|| {
                    format!("opening the pass keys in {}", config.data_dir.display())
                })?;
            let keys = passes.current(now)?;
            let poster = pass_service::venue_poster(&store, &keys, &config.pass.issuer, venue, now)
                .map_err(|error| match error {
                    ApiError::NotFound { .. } => anyhow::anyhow!("no venue {venue} is registered"),
                    other => other.into(),
                })?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("poster-{venue}.svg")));
            std::fs::write(&out, poster).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote the poster of venue {venue} to {}", out.display());
            Ok(())
        }
        PassCommand::DccVectors { dir } => dcc_vectors(&dir),
    }
}

fn issue(config: &Config, args: IssueArgs, now: Timestamp) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let keys = open_keys(config, now)?;
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(Actor::LocalOperator, Purpose::PassIssuance, now);
    let mut salt = [0; healthcode_pass::claims::SALT_LENGTH];
    rand::rng().fill_bytes(&mut salt);
    let issued = pass_service::issue_pass(
        &store,
        &access,
        &policy,
        &keys,
        &config.pass,
        args.person,
        salt,
    )
    .map_err(|error| crate::officials::about_person(error, args.person))?;
    if let Some(path) = &args.png {
        std::fs::write(path, qr::png(&issued.text)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, qr::svg(&issued.text, 512)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        #[derive(Serialize)]
        struct IssuedView<'a> {
            text: &'a str,
            colour: &'a str,
            expires: Timestamp,
            rating_version: u64,
        }
        let view = IssuedView {
            text: &issued.text,
            colour: issued.claims.colour.code(),
            expires: issued.claims.expires,
            rating_version: issued.claims.rating_version,
        };
        println!("{}", serde_json::to_string(&view)?);
    } else {
        println!("{}", issued.text);
        eprintln!(
            "{} until {} (valid {} s)",
            issued.claims.colour.code(),
            issued.claims.expires,
            config.pass.lifetime_secs
        );
    }
    Ok(())
}

fn verify(config: &Config, args: VerifyArgs, now: Timestamp) -> anyhow::Result<()> {
    let keys = open_keys(config, now)?;
    let at = args.at.unwrap_or(now);
    let verifier = keys.verifier(&config.pass.issuer, at)?;
    let verdict = match (&args.text, &args.image) {
        (_, Some(path)) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            verifier.verify_image(&bytes, at)
        }
        (Some(text), None) => verifier.verify(text, at),
        (None, None) => anyhow::bail!("give the pass's text or --image FILE"),
    };
    if args.json {
        println!("{}", serde_json::to_string(&VerdictView::new(&verdict))?);
    } else {
        println!("{}", verdict_text(&verdict));
    }
    match verdict {
        Ok(_) => Ok(()),
        Err(invalid) => anyhow::bail!("the pass is not valid ({})", invalid.code()),
    }
}

fn verdict_text(verdict: &Result<Verified, Invalid>) -> String {
    match verdict {
        Err(invalid) => format!("invalid ({}): {invalid}", invalid.code()),
        Ok(verified) => match &verified.contents {
            Contents::HealthCode(claims) => format!(
                "valid: {} pass of {} (born {}), issued by {} with key {}, expires {}{}",
                claims.colour.code(),
                claims.holder.masked_name,
                claims.holder.birth_year,
                verified.issuer,
                verified.kid,
                claims.expires,
                claims
                    .colour_valid_until
                    .map(|until| format!("; the colour holds until {until}"))
                    .unwrap_or_default()
            ),
            Contents::Dcc(certificate) => format!(
                "valid: EU certificate ({}) signed by {} with key {}, expires {}",
                certificate
                    .kinds()
                    .iter()
                    .map(|kind| kind.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                verified.issuer,
                verified.kid,
                certificate.expires
            ),
        },
    }
}

fn dcc_signers(config: &Config, command: DccSignersCommand, now: Timestamp) -> anyhow::Result<()> {
    let keys = open_keys(config, now)?;
    match command {
        DccSignersCommand::Add { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let signer = keys
                .add_dcc_signer(&text)
                .with_context(|| format!("reading the certificate in {}", file.display()))?;
            println!("trusted EU certificate signer {}", signer_line(&signer));
        }
        DccSignersCommand::List => {
            let signers = keys.dcc_signers()?;
            if signers.is_empty() {
                println!("no EU certificate signer is trusted");
            }
            for signer in signers {
                println!("{}", signer_line(&signer));
            }
        }
        DccSignersCommand::Remove { kid } => {
            anyhow::ensure!(
                keys.remove_dcc_signer(&kid)?,
                "no trusted EU certificate signer has key id {kid}"
            );
            println!("no longer trusting EU certificate signer {kid}");
        }
    }
    Ok(())
}

/// A trusted signer on one line: key id, issuer, algorithm, kinds, validity.
fn signer_line(signer: &SignerCertificate) -> String {
    let kinds = match &signer.key.kinds {
        None => "any kind".to_owned(),
        Some(kinds) => kinds
            .iter()
            .map(|kind| kind.name())
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "{} of {} ({}; {kinds}; certificate valid {} to {})",
        signer.key.kid_hex(),
        signer.key.issuer,
        signer.key.key.algorithm.name(),
        signer.not_before,
        signer.not_after
    )
}

fn dcc_vectors(dir: &Path) -> anyhow::Result<()> {
    let report = healthcode_pass::dcc::vectors::run(dir)
        .with_context(|| format!("reading the test vectors in {}", dir.display()))?;
    println!("{report}");
    if report.failed() > 0 {
        anyhow::bail!("{} vector files disagree", report.failed());
    }
    Ok(())
}
