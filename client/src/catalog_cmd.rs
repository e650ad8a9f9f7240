//! `hwupctl catalog`: create signing keys, write and sign catalogs, verify signatures.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use hwupd::catalog::authoring::{self, AddOutcome, AuthoringError, SignCatalogOptions};
use hwupd::catalog::document::{Devices, InstallMethod, Payload, Release, Replaces, Ring};
use hwupd::catalog::document::{Rollout, Severity, VersionFormat};
use hwupd::catalog::minisign::SignatureAlgorithm;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Exit status of any failure not listed below. For `verify` it means that an input
/// could not be read or parsed, or the catalog is invalid, so no signature was checked
/// or the catalog is unusable.
pub const EXIT_FAILED: u8 = 1;

/// Exit status when a signature was checked and rejected: it is invalid, or it was
/// made by a key that was not given. The same status as hwupctl's other commands use
/// for a signature or checksum that did not verify.
pub const EXIT_NOT_VERIFIED: u8 = 5;

/// Exit status when a file named on the command line does not exist.
pub const EXIT_NOT_FOUND: u8 = 6;

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  failure, such as an input that could not be read or parsed (so no signature was
     checked) or an invalid catalog
  2  invalid command line
  5  the signature was checked and rejected: it is invalid, or a key not given made it
  6  a file named on the command line does not exist";

/// Subcommands of `hwupctl catalog`.
#[derive(Debug, Subcommand)]
#[command(after_help = EXIT_CODES)]
pub enum CatalogCommand {
    /// Generate a key pair for signing catalogs, in minisign's unencrypted format.
    Keygen(KeygenArgs),

    /// Create an empty catalog with serial 1.
    New(NewArgs),

    /// Add a release to a catalog, or replace the release that has the same id.
    ///
    /// Reads the payload file to fill in its size and SHA-256. Does not change the serial.
    Add(Box<AddArgs>),

    /// Sign a catalog and write its detached minisign signature.
    ///
    /// Signs the file as it is. Only --bump-serial changes it: every published change
    /// needs a higher serial, or machines that have the old catalog reject the new one.
    Sign(SignArgs),

    /// Verify a catalog's signature with pinned public keys, then validate the catalog.
    ///
    /// Exits with 0 only if one of the given keys made a valid signature of the file.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Secret key file to write, with mode 0600 and no password.
    #[arg(long, value_name = "FILE")]
    secret_key: PathBuf,

    /// Public key file to write, with mode 0644.
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,

    /// Replace key files that already exist.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Catalog file to create, usually catalog.json.
    catalog: PathBuf,

    /// Id of the remote that serves the catalog, as in the remote's configuration
    /// (1 to 128 lower-case letters, digits, '.', '_' and '-', starting with a letter
    /// or digit).
    #[arg(long, value_name = "ID")]
    remote_id: String,

    /// Days from now until the catalog expires, 1 to 366. Machines reject it after that.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    valid_days: u32,

    /// Replace a catalog file that already exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Catalog file to change.
    catalog: PathBuf,

    /// Payload file to read for the size and SHA-256.
    #[arg(long, value_name = "FILE")]
    payload: PathBuf,

    /// Payload path to list in the catalog, relative to the catalog, with '/' between
    /// segments. Defaults to the --payload file's path relative to the catalog's folder.
    #[arg(long, value_name = "PATH")]
    payload_path: Option<String>,

    /// Absolute http:// or https:// URL to fetch the payload from instead of the path.
    /// Machines accept a host other than the catalog's only if their remote allows it.
    #[arg(long, value_name = "URL")]
    payload_url: Option<String>,

    /// Release id, unique in the catalog (ASCII letters, digits, '.', '_', '-' and '+').
    #[arg(long)]
    id: String,

    /// Release name shown to users.
    #[arg(long)]
    name: String,

    /// One-line summary of the release.
    #[arg(long)]
    summary: String,

    /// Longer description, which may contain line breaks.
    #[arg(long)]
    description: Option<String>,

    /// Vendor of the firmware or driver.
    #[arg(long)]
    vendor: Option<String>,

    /// Device GUID that the release applies to, such as
    /// f9203adb-b862-5263-88e9-373204438174. Repeat for several.
    #[arg(long = "guid", value_name = "GUID")]
    guids: Vec<String>,

    /// Device instance ID that the release applies to, such as 'PCI\VEN_8086&DEV_15BB'.
    /// Repeat for several. At least one --guid or --instance-id is required.
    #[arg(long = "instance-id", value_name = "ID")]
    instance_ids: Vec<String>,

    /// Hardware ID GUID of the whole machine. With any given, the release applies only
    /// on machines that have one of them. Repeat for several.
    #[arg(long = "hardware-id", value_name = "GUID")]
    hardware_ids: Vec<String>,

    /// Version that the device reports after the update.
    #[arg(long)]
    version: String,

    /// Format of the version strings, as fwupd names them.
    #[arg(long, value_name = "FORMAT", value_parser = named::<VersionFormat>(VersionFormat::NAMES))]
    version_format: VersionFormat,

    /// Exact current version that the release replaces. Repeat for several.
    #[arg(long = "replaces-version", value_name = "VERSION")]
    replaces_versions: Vec<String>,

    /// Lowest current version that the release replaces, inclusive.
    #[arg(long, value_name = "VERSION")]
    replaces_min: Option<String>,

    /// Highest current version that the release replaces, inclusive.
    #[arg(long, value_name = "VERSION")]
    replaces_max: Option<String>,

    /// Lowest current version from which the device can install the release.
    #[arg(long, value_name = "VERSION")]
    lowest_supported_version: Option<String>,

    /// Severity from the vendor's advisory.
    #[arg(long, value_parser = named::<Severity>(Severity::NAMES))]
    severity: Severity,

    /// CVE id that the release fixes, such as CVE-2024-12345. Repeat for several.
    #[arg(long = "cve", value_name = "CVE")]
    cves: Vec<String>,

    /// Mark a fixed vulnerability as known to be exploited.
    #[arg(long)]
    known_exploited: bool,

    /// Release date as YYYY-MM-DD. Defaults to today in UTC.
    #[arg(long, value_name = "DATE")]
    release_date: Option<Date>,

    /// Backend that installs the payload.
    #[arg(long, value_name = "METHOD", value_parser = named::<InstallMethod>(InstallMethod::NAMES))]
    install_method: InstallMethod,

    /// Mark the update as needing a reboot to take effect.
    #[arg(long)]
    reboot_required: bool,

    /// Last rollout ring that is offered the release: canary reaches canary machines
    /// only, early reaches canary and early machines, broad reaches all.
    #[arg(long, value_parser = named::<Ring>(Ring::NAMES), default_value = "broad")]
    ring: Ring,

    /// Share of the machines in those rings that is offered the release, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    percentage: u32,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Catalog file to sign.
    catalog: PathBuf,

    /// Unencrypted minisign secret key file.
    #[arg(long, value_name = "FILE")]
    secret_key: PathBuf,

    /// Signature file to write. Defaults to the catalog path with .minisig appended.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,

    /// Before signing, add 1 to the serial and set the issue time to now.
    #[arg(long)]
    bump_serial: bool,

    /// With --bump-serial, also set the expiry to this many days from now, 1 to 366.
    #[arg(long, value_name = "DAYS", requires = "bump_serial")]
    valid_days: Option<u32>,

    /// Sign the file itself (minisign's legacy "Ed" algorithm) instead of its
    /// BLAKE2b-512 hash.
    #[arg(long)]
    legacy: bool,

    /// Trusted comment to sign with the catalog, on one line. Defaults to
    /// "timestamp:<unix seconds>\tfile:<name>\thashed\tserial:<serial>".
    #[arg(long, value_name = "TEXT")]
    trusted_comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Catalog file to verify.
    catalog: PathBuf,

    /// Public key to accept: the base64 string that `minisign -P` takes, or a public key
    /// file. Repeat to accept any of several keys.
    #[arg(long = "public-key", value_name = "KEY", required = true)]
    public_keys: Vec<String>,

    /// Signature file. Defaults to the catalog path with .minisig appended.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
}

/// Builds a clap parser that accepts the given names and converts them with `From<String>`.
fn named<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: From<String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).map(T::from)
}

/// Runs one `hwupctl catalog` subcommand.
pub fn run(command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Keygen(args) => keygen(&args),
        CatalogCommand::New(args) => new(&args),
        CatalogCommand::Add(args) => add(*args),
        CatalogCommand::Sign(args) => sign(&args),
        CatalogCommand::Verify(args) => verify(&args),
    }
}

/// Maps an error from [`run`] to the documented exit status.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    match error.downcast_ref::<AuthoringError>() {
        Some(AuthoringError::Verify { source, .. }) if source.is_rejection() => EXIT_NOT_VERIFIED,
        Some(AuthoringError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            EXIT_NOT_FOUND
        }
        _ => EXIT_FAILED,
    }
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<()> {
    let public_key = authoring::keygen(&args.secret_key, &args.public_key, args.force)?;

    println!(
        "Secret key written to {}; keep it private.",
        args.secret_key.display()
    );
    println!(
        "Public key {} written to {}.",
        public_key.key_id(),
        args.public_key.display()
    );
    println!(
        "Pin it in the remote's configuration: {}",
        public_key.to_base64()
    );
    Ok(())
}

fn new(args: &NewArgs) -> anyhow::Result<()> {
    let (path, remote_id, days) = (&args.catalog, &args.remote_id, args.valid_days);
    let catalog = authoring::new_catalog(path, remote_id, days, now(), args.force)?;

    let path = args.catalog.display();
    println!(
        "Created {path} for remote {} with serial 1.",
        catalog.remote_id
    );
    println!("It expires at {}.", catalog.expires);
    Ok(())
}

fn add(args: AddArgs) -> anyhow::Result<()> {
    let catalog = args.catalog.clone();
    let payload = args.payload.clone();
    let release = args.into_release();
    let id = release.id.clone();

    let outcome = authoring::add_release(&catalog, &payload, release)?;
    let verb = match outcome {
        AddOutcome::Inserted => "Added",
        AddOutcome::Replaced => "Replaced",
    };
    println!("{verb} release {id} in {}.", catalog.display());
    println!("The serial is unchanged; sign with --bump-serial to publish the change.");
    Ok(())
}

impl AddArgs {
    fn into_release(self) -> Release {
        let today = TimeZone::UTC.to_datetime(Timestamp::now()).date();
        let replaces = (!self.replaces_versions.is_empty()
            || self.replaces_min.is_some()
            || self.replaces_max.is_some())
        .then_some(Replaces {
            versions: self.replaces_versions,
            min: self.replaces_min,
            max: self.replaces_max,
        });
        let payload = Payload {
            path: self.payload_path.unwrap_or_default(),
            sha256: String::new(),
            size: 0,
            url: self.payload_url,
        };
        Release {
            id: self.id,
            name: self.name,
            summary: self.summary,
            description: self.description,
            vendor: self.vendor,
            devices: Devices {
                guids: self.guids,
                instance_ids: self.instance_ids,
            },
            hardware_ids: self.hardware_ids,
            version: self.version,
            version_format: self.version_format,
            replaces,
            lowest_supported_version: self.lowest_supported_version,
            severity: self.severity,
            cves: self.cves,
            known_exploited: self.known_exploited,
            release_date: self.release_date.unwrap_or(today),
            install_method: self.install_method,
            payload,
            reboot_required: self.reboot_required,
            rollout: Rollout {
                ring: self.ring,
                percentage: self.percentage,
            },
        }
    }
}

fn sign(args: &SignArgs) -> anyhow::Result<()> {
    let algorithm = if args.legacy {
        SignatureAlgorithm::Legacy
    } else {
        SignatureAlgorithm::Prehashed
    };
    let options = SignCatalogOptions {
        signature_path: args.signature.clone(),
        bump_serial: args.bump_serial,
        valid_days: args.valid_days,
        algorithm,
        trusted_comment: args.trusted_comment.clone(),
        now: now(),
    };

    let signed = authoring::sign(&args.catalog, &args.secret_key, &options)?;
    let signature = signed.signature_path.display();
    println!(
        "Signed serial {} with key {}: {signature}",
        signed.serial, signed.key_id
    );
    Ok(())
}

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let keys = args
        .public_keys
        .iter()
        .map(|key| authoring::read_public_key(key))
        .collect::<Result<Vec<_>, _>>()?;
    let signature_path = signature_path(&args.catalog, args.signature.as_deref());

    let verified = authoring::verify(&args.catalog, &signature_path, &keys)
        .with_context(|| format!("verifying {}", args.catalog.display()))?;
    let catalog = &verified.catalog;
    println!("Signature verified with key {}.", verified.key_id);
    println!("Trusted comment: {}", verified.trusted_comment);
    println!("Remote: {}", catalog.remote_id);
    println!("Serial: {}", catalog.serial);
    println!("Releases: {}", catalog.releases.len());
    println!("Expires: {}", catalog.expires);
    if catalog.is_expired_at(Timestamp::now()) {
        eprintln!("warning: the catalog has expired, so machines will reject it");
    }
    Ok(())
}

/// Returns the current time in whole seconds, which is all that the catalog needs.
fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

fn signature_path(catalog: &Path, signature: Option<&Path>) -> PathBuf {
    match signature {
        Some(path) => path.to_owned(),
        None => authoring::signature_path_for(catalog),
    }
}
