//! Building the server alone (`./setup.sh`) and building every test (`./test.sh`) must resolve
//! the same features for every dependency, or the second build compiles much of the first one
//! again. The `workspace-hack` crate makes them agree; this test reads both resolutions with
//! `cargo tree` and names any dependency on which they part.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

/// Each package of the resolution, by name and version, with its features.
fn resolution(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["--format", "{p}|{f}"])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        // Workspace members carry their path; only registry dependencies matter here.
        if package.contains('(') && !package.contains("(proc-macro)") {
            continue;
        }
        let name = package.trim_end_matches(" (proc-macro)").to_string();
        let features = features.trim_end_matches(" (*)");
        packages.entry(name).or_default().extend(
            features
                .split(',')
                .filter(|f| !f.is_empty())
                .map(String::from),
        );
    }
    packages
}

#[test]
fn the_server_alone_and_the_tests_resolve_the_same_dependency_features() {
    let server = resolution(&["-p", "server", "-e", "normal,build"]);
    let everything = resolution(&["--workspace", "-e", "normal,build,dev"]);
    assert!(
        server.len() > 100,
        "too few packages read: {}",
        server.len()
    );
    let differ: Vec<String> = server
        .iter()
        .filter_map(|(package, features)| {
            let all = everything.get(package)?;
            let missing: Vec<&String> = all.difference(features).collect();
            (!missing.is_empty()).then(|| format!("{package}: {missing:?}"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "the tests turn on features that the server's own build does not; add them to \
         workspace-hack/Cargo.toml ([build-dependencies] for proc-macro and build-script \
         dependencies): {differ:#?}"
    );
}
