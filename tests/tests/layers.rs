//! The workspace's layers stay one way: in each crate, no top-level module of `src/` reaches
//! back into a module that reaches it (read from the `crate::NAME` paths outside
//! `#[cfg(test)]`, with the names the crate root re-exports counted as their module). The same
//! holds one level down, inside each folder of `server/src`, for `super::NAME` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The source without its `#[cfg(test)]` items and its comments.
fn live_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find(['{', ';']) else {
            rest = "";
            break;
        };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip_while(|&(i, _)| i < open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `.rs` file of a module (a file, or a folder with everything below it), tests left out.
fn module_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = dir.join(format!("{name}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut folders = vec![dir.join(name)];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    folders.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                files.push(path);
            }
        }
    }
    files
}

/// The modules of `dir` (files and folders, the root file left out) and, for each, the modules
/// of `dir` its live code names after `prefix` (`crate::` or `super::`).
fn graph(dir: &Path, root: &str, prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem == root || stem == "main" || stem == "tests" {
            continue;
        }
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            names.insert(stem.to_string());
        }
    }
    // Names the root re-exports (`pub use engine::{EngineConfig, …}`) stand for their module.
    let mut alias: BTreeMap<String, String> = BTreeMap::new();
    let root_text = fs::read_to_string(dir.join(format!("{root}.rs"))).unwrap_or_default();
    for line in root_text.lines() {
        if let Some(rest) = line.trim().strip_prefix("pub use ") {
            if let Some((module, items)) = rest.split_once("::") {
                for item in items.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    if !item.is_empty() {
                        alias.insert(item.to_string(), module.to_string());
                    }
                }
            }
        }
    }
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut graph = BTreeMap::new();
    for name in &names {
        let mut uses = BTreeSet::new();
        for file in module_files(dir, name) {
            let code = live_code(&fs::read_to_string(&file).expect("a source file"));
            for (at, _) in code.match_indices(prefix) {
                let after = &code[at + prefix.len()..];
                let mut targets = vec![word(after)];
                if let Some(group) = after.strip_prefix('{') {
                    let group = group.split('}').next().unwrap_or("");
                    targets.extend(group.split(',').map(|item| word(item.trim())));
                }
                for target in targets {
                    let target = alias.get(&target).cloned().unwrap_or(target);
                    if &target != name && names.contains(&target) {
                        uses.insert(target);
                    }
                }
            }
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

/// A cycle of the graph, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_cycle_between_its_top_level_modules() {
    for krate in ["app", "checks", "models", "server"] {
        let src = workspace().join(krate).join("src");
        let graph = graph(&src, "lib", "crate::");
        assert!(graph.len() > 2, "{krate}: too few modules read: {graph:?}");
        if let Some(found) = cycle(&graph) {
            panic!("{krate}/src: {}", found.join(" → "));
        }
    }
}

#[test]
fn no_folder_of_the_server_has_a_cycle_between_its_modules() {
    let src = workspace().join("server/src");
    for entry in fs::read_dir(&src).expect("server/src").flatten() {
        let folder = entry.path();
        if !folder.is_dir() {
            continue;
        }
        let graph = graph(&folder, "mod", "super::");
        if let Some(found) = cycle(&graph) {
            panic!("{}: {}", folder.display(), found.join(" → "));
        }
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\nmod c;\n").expect("lib.rs");
    fs::write(dir.path().join("a.rs"), "use crate::b::thing;\n").expect("a.rs");
    fs::write(
        dir.path().join("b.rs"),
        "use crate::{c, d};\n#[cfg(test)]\nmod tests { use crate::a; }\n",
    )
    .expect("b.rs");
    fs::write(dir.path().join("c.rs"), "// crate::a in a comment\n").expect("c.rs");
    let acyclic = graph(dir.path(), "lib", "crate::");
    assert_eq!(cycle(&acyclic), None, "{acyclic:?}");
    fs::write(dir.path().join("c.rs"), "fn f() { crate::a::g() }\n").expect("c.rs");
    let cyclic = graph(dir.path(), "lib", "crate::");
    assert!(cycle(&cyclic).is_some(), "{cyclic:?}");
}
