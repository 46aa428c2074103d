//! Build steps of the `relman` package: link settings for the binary, the schema migrations
//! embedded in the library, and the build's identity (commit and time) for `/__version__`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), String> {
    println!("cargo::rerun-if-changed=build.rs");
    link_settings();
    build_identity();
    embed_migrations()
}

/// Sets `RELMAN_GIT_COMMIT` and `RELMAN_BUILD_TIME` for `src/server/dockerflow.rs`. The commit is
/// `RELMAN_GIT_COMMIT` when the builder sets it (an image built from a tree without `.git`), else
/// `git rev-parse HEAD`, else "unknown". The time is `SOURCE_DATE_EPOCH` when set (reproducible
/// builds), else the time this script ran.
fn build_identity() {
    println!("cargo::rerun-if-env-changed=RELMAN_GIT_COMMIT");
    println!("cargo::rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let given = std::env::var("RELMAN_GIT_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let commit = given
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".into());
    println!("cargo::rustc-env=RELMAN_GIT_COMMIT={commit}");
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    println!("cargo::rustc-env=RELMAN_BUILD_TIME={}", rfc3339(epoch));
}

/// The checked-out commit, and the files whose change means another one (so a new commit
/// rebuilds with its id, and nothing else does).
fn git_commit() -> Option<String> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").ok()?);
    let git = |args: &[&str]| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo::rerun-if-changed={}", path.display());
            }
        }
    }
    Some(commit)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (the proleptic Gregorian calendar, as in
/// Howard Hinnant's `civil_from_days`), without a date crate in the build script.
fn rfc3339(epoch: u64) -> String {
    let (days, seconds) = (epoch / 86_400, epoch % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3_600,
        seconds % 3_600 / 60,
        seconds % 60
    )
}

fn link_settings() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // Pack the executable's relative relocations (DT_RELR): 24 KiB instead of 1.5 MiB of
        // `.rela.dyn`, which the dynamic loader reads whole at every start and which then stays
        // resident for the process's life (idle RSS about 2 MiB lower). The binary stays
        // position-independent. Needs glibc 2.36 or later at run time (the image's
        // Debian trixie has 2.41) and a linker that knows the option (LLD, GNU ld 2.38).
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Writes `$OUT_DIR/migrations.rs`: for each back-end, every `migrations/<backend>/*.sql` as
/// `(version, description, SQL)`, sorted by version, read as `sqlx::migrate!` reads a directory
/// (`<version>_<description>.sql`, underscores in the description read as spaces).
/// `src/store/migrations.rs` makes the migrator of it.
///
/// Why not `sqlx::migrate!`: its proc macro builds a second copy of sqlx, both database drivers,
/// SQLite's C source and tokio for the host, in each of CI's three builds (check, test, release):
/// about two minutes of CPU each.
fn embed_migrations() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let mut out = String::from("// Generated by build.rs from migrations/; do not edit.\n");
    for (constant, backend) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let dir = manifest_dir.join("migrations").join(backend);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut migrations = read_migrations(&dir)?;
        migrations.sort_by_key(|m| m.0);
        if let Some(pair) = migrations.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(format!(
                "{}: two migrations have version {}",
                dir.display(),
                pair[0].0
            ));
        }
        let _ = writeln!(
            out,
            "pub(super) const {constant}: &[(i64, &str, &str)] = &["
        );
        for (version, description, path) in migrations {
            let _ = writeln!(
                out,
                "    ({version}, {description:?}, include_str!({:?})),",
                path.display().to_string()
            );
        }
        out.push_str("];\n");
    }
    let target = PathBuf::from(env_var("OUT_DIR")?).join("migrations.rs");
    std::fs::write(&target, out).map_err(|e| format!("writing {}: {e}", target.display()))
}

/// The migrations of one directory: `(version, description, path)`.
fn read_migrations(dir: &Path) -> Result<Vec<(i64, String, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut migrations = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", dir.display()))?
            .path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        if stem.ends_with(".up") || stem.ends_with(".down") {
            return Err(format!(
                "{}: relman's migrations only go forward (no .up.sql/.down.sql)",
                path.display()
            ));
        }
        let (version, description) = stem.split_once('_').ok_or_else(|| {
            format!(
                "{}: a migration is named <version>_<description>.sql",
                path.display()
            )
        })?;
        let version: i64 = version.parse().map_err(|_| {
            format!(
                "{}: the version before the first `_` must be an integer",
                path.display()
            )
        })?;
        migrations.push((version, description.replace('_', " "), path.clone()));
    }
    Ok(migrations)
}

fn env_var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set {name}"))
}
