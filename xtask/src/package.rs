//! `cargo xtask package`: are the publishable crates ready for crates.io?
//!
//! 1. Every workspace crate without `publish = false` has the manifest fields
//!    crates.io shows (description, license, readme, documentation, keywords,
//!    categories, rust-version) and its README file.
//! 2. `cargo package` assembles and *verifies* them all in one run (dependency
//!    order; the unpublished ones are resolved from the run's own packages): each
//!    `.crate` file is unpacked and built on its own, which catches a file missing
//!    from the package, a path dependency without a version, or a dependency that
//!    resolves to something else on crates.io. Verification is kept (not
//!    `--no-verify`): it works without publishing anything. It builds in
//!    `target/package-check` (see [`check`] for why a dir of its own): the first
//!    run there compiles the dependencies once more (a few minutes on two cores),
//!    later runs only our crates. It needs the crates.io index, as any build of a
//!    fresh clone does.
//!
//! The crates are packaged from the working tree as it is (`--allow-dirty`): the
//! check is about what would be published, run before committing too.

use serde_json::Value;

use crate::{cargo, root, step};

/// Manifest fields crates.io wants, by their `cargo metadata` names.
const REQUIRED: [&str; 7] = [
    "description",
    "license",
    "readme",
    "documentation",
    "keywords",
    "categories",
    "rust_version",
];

/// Checks the manifests, then packages and verifies every publishable crate.
pub fn check() -> Result<(), String> {
    let crates = publishable()?;
    let mut problems = Vec::new();
    for (name, package) in &crates {
        problems.extend(missing_fields(name, package));
    }
    if !problems.is_empty() {
        return Err(format!(
            "publishable crates lack manifest fields:\n  {}",
            problems.join("\n  ")
        ));
    }
    // Our packages keep their version from one run to the next while their
    // content changes; cargo treats a registry package of a given version as
    // immutable (it reuses its unpacked source and its build), so both are
    // removed first, and the verification builds in a target dir of its own where
    // nothing else is named like our crates.
    forget_stale_extractions(&crates)?;
    let target = root().join("target/package-check");
    let mut clean = cargo();
    clean
        .env("CARGO_TARGET_DIR", &target)
        .args(["clean", "--quiet"]);
    for (name, _) in &crates {
        clean.args(["--package", name]);
    }
    step("forget the previous run's builds of our packages", clean)?;
    let mut package = cargo();
    package.env("CARGO_TARGET_DIR", &target);
    package.args(["package", "--allow-dirty"]);
    for (name, _) in &crates {
        package.args(["--package", name]);
    }
    let names: Vec<&str> = crates.iter().map(|(n, _)| n.as_str()).collect();
    step(&format!("cargo package ({})", names.join(", ")), package)
}

/// Removes what an earlier run left extracted of our own packages.
///
/// `cargo package` puts the packages in a local registry under `target/package/`
/// and builds each one against the others from there; cargo unpacks them into
/// `$CARGO_HOME/registry/src/<that registry>/NAME-VERSION/` and, as long as the
/// version stays the same, reuses that copy in the next run even when the
/// package has changed: a crate would be verified against an old copy of the
/// crates below it. So the copies of our packages (these names at these versions)
/// are removed first, from every registry folder but crates.io's.
fn forget_stale_extractions(crates: &[(String, Value)]) -> Result<(), String> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => match std::env::var_os("HOME") {
            Some(home) => std::path::Path::new(&home).join(".cargo"),
            None => return Ok(()),
        },
    };
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else {
        return Ok(());
    };
    for registry in registries.flatten() {
        if registry
            .file_name()
            .to_string_lossy()
            .starts_with("index.crates.io")
        {
            continue;
        }
        for (name, package) in crates {
            let version = package["version"].as_str().unwrap_or_default();
            let copy = registry.path().join(format!("{name}-{version}"));
            if copy.is_dir() {
                std::fs::remove_dir_all(&copy)
                    .map_err(|e| format!("removing {}: {e}", copy.display()))?;
            }
        }
    }
    Ok(())
}

/// The workspace members that may be published (no `publish = false`), by name.
fn publishable() -> Result<Vec<(String, Value)>, String> {
    let out = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let mut crates: Vec<(String, Value)> = packages
        .into_iter()
        // `publish = false` is an empty list of allowed registries.
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p)))
        .collect();
    crates.sort_by(|a, b| a.0.cmp(&b.0));
    if crates.is_empty() {
        return Err("no publishable crate found".into());
    }
    Ok(crates)
}

/// What `package` lacks: empty or absent fields, a documentation link other than
/// its docs.rs page, a README that is not there.
fn missing_fields(name: &str, package: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for field in REQUIRED {
        let present = match &package[field] {
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => false,
        };
        if !present {
            problems.push(format!("{name}: {field}"));
        }
    }
    let docs = format!("https://docs.rs/{name}");
    if package["documentation"].as_str().is_some_and(|d| d != docs) {
        problems.push(format!("{name}: documentation should be {docs}"));
    }
    if let Some(readme) = package["readme"].as_str() {
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        let dir = std::path::Path::new(manifest)
            .parent()
            .unwrap_or(&root())
            .to_path_buf();
        if !dir.join(readme).is_file() {
            problems.push(format!("{name}: readme {readme} does not exist"));
        }
    }
    problems
}
