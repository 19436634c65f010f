//! `healthcode bench pass`: full verification of a pass (QR text → verdict) against the bare
//! signature check of the same key type in the same run, and issuance per second on one core.

use std::hint::black_box;
use std::time::Instant;

use clap::Args;
use healthcode_core::ResidentId;
use healthcode_core::rating::Colour;
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::cose::Signed;
use healthcode_pass::{
    Algorithm, Holder, PassClaims, SigningKey, TrustStore, TrustedKey, Verifier, container,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::median;

#[derive(Debug, Args)]
pub struct PassOptions {
    /// Operations per round of each measurement.
    #[arg(long, default_value_t = 2_000)]
    operations: u32,
    /// Rounds; full and bare verification alternate round by round, and medians are reported.
    #[arg(long, default_value_t = 9)]
    rounds: u32,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// The figures of one algorithm, per operation, medians over the rounds.
#[derive(Debug, Serialize)]
struct AlgorithmFigures {
    algorithm: &'static str,
    pass_characters: usize,
    full_verify_us: f64,
    bare_verify_us: f64,
    /// Full over bare: the goal is at most 1.3.
    full_over_bare: f64,
    issue_us: f64,
    issued_per_second_per_core: f64,
}

pub fn run(options: &PassOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.operations > 0 && options.rounds > 0,
        "nothing to measure"
    );
    let mut figures = Vec::new();
    for algorithm in [Algorithm::Es256, Algorithm::EdDsa] {
        figures.push(measure(algorithm, options)?);
    }
    if options.json {
        println!("{}", serde_json::to_string(&figures)?);
        return Ok(());
    }
    println!(
        "pass verification, {} rounds of {} operations each, one core, medians:",
        options.rounds, options.operations
    );
    for figure in &figures {
        println!(
            "  {:<5} full (QR text → verdict) {:.1} µs, bare signature check {:.1} µs: \
             full / bare {:.3} (goal ≤ 1.3); issuing {:.1} µs = {:.0} passes per second per \
             core; a pass is {} characters",
            figure.algorithm,
            figure.full_verify_us,
            figure.bare_verify_us,
            figure.full_over_bare,
            figure.issue_us,
            figure.issued_per_second_per_core,
            figure.pass_characters
        );
    }
    Ok(())
}

fn measure(algorithm: Algorithm, options: &PassOptions) -> anyhow::Result<AlgorithmFigures> {
    let (key, _) = SigningKey::generate(algorithm)?;
    let now = Timestamp::now();
    let resident = ResidentId::with_check_character("33010619800101123")?;
    let claims = PassClaims {
        issuer: "330100".into(),
        issued_at: Timestamp::from_second(now.as_second())?,
        expires: Timestamp::from_second(now.as_second())? + SignedDuration::from_hours(1),
        colour: Colour::Green,
        colour_valid_until: None,
        rating_version: 1_234_567,
        holder: Holder::bind(&resident, "张*明".into(), [9; SALT_LENGTH]),
    };
    let mut trust = TrustStore::new();
    trust.add(TrustedKey::issued_by("330100", key.public_key()));
    let verifier = Verifier::new(trust);
    let text = claims.issue(&key);
    anyhow::ensure!(
        verifier.verify(&text, now).is_ok(),
        "the pass does not verify"
    );
    let (_, cose) = container::unwrap(&text)?;
    let signed = Signed::parse(&cose)?;
    let (message, signature) = signed.signed_bytes_and_signature();
    let public = key.public_key();
    anyhow::ensure!(public.verifies(&message, signature), "the bare check fails");

    let per_operation =
        |started: Instant| started.elapsed().as_secs_f64() * 1e6 / f64::from(options.operations);
    let (mut full, mut bare, mut issue) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..options.rounds {
        let started = Instant::now();
        for _ in 0..options.operations {
            black_box(verifier.verify(black_box(&text), now).is_ok());
        }
        full.push(per_operation(started));
        let started = Instant::now();
        for _ in 0..options.operations {
            black_box(public.verifies(black_box(&message), black_box(signature)));
        }
        bare.push(per_operation(started));
        let started = Instant::now();
        for _ in 0..options.operations {
            black_box(black_box(&claims).issue(&key));
        }
        issue.push(per_operation(started));
    }
    let (full, bare, issue) = (median(&mut full), median(&mut bare), median(&mut issue));
    Ok(AlgorithmFigures {
        algorithm: algorithm.name(),
        pass_characters: text.len(),
        full_verify_us: full,
        bare_verify_us: bare,
        full_over_bare: full / bare,
        issue_us: issue,
        issued_per_second_per_core: 1e6 / issue,
    })
}
