//! No file of `src/` imports one that imports it back, directly or in a
//! loop: the layers of `lib.rs` hold at the level of files.
//!
//! Each file's `use` declarations (outside its `#[cfg(test)]` part) are read
//! as paths (`crate::`, `super::`, `self::` or a child module), each path is
//! resolved to the file of the longest module prefix it names, and the
//! resulting graph must have no cycle. Paths into the crate root (`lib.rs`,
//! whose only job is to declare modules and re-export) are not edges.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module path, `[]` for the crate root.
type ModPath = Vec<String>;

/// The `use` trees of `code`, expanded into paths (braces and `as` handled,
/// `*` kept as a segment).
fn use_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        // `use` as a whole word at the start of a declaration
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        expand(&[], &rest[..end], &mut paths);
        rest = &rest[end..];
    }
    paths
}

/// Appends the paths of `tree` below `prefix`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    let segments = |text: &str| -> Vec<String> {
        text.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if let Some(open) = tree.find('{') {
        let head = segments(&tree[..open]);
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        // split at top-level commas
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[start..], out);
    } else if !tree.is_empty() {
        // `a::B as C` imports `a::B`
        let tree = tree.split_whitespace().next().unwrap_or(tree);
        let mut path = prefix.to_vec();
        path.extend(segments(tree));
        out.push(path);
    }
}

/// The module path of a file under `src/`.
fn module_of(relative: &Path) -> ModPath {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The import graph of a set of files (module path -> code): for each
/// module, the modules its `use` paths resolve to.
fn graph(files: &BTreeMap<ModPath, String>) -> BTreeMap<ModPath, Vec<ModPath>> {
    let mut edges = BTreeMap::new();
    for (module, code) in files {
        // The test part of a file is not part of the layering.
        let code = code.split("#[cfg(test)]").next().unwrap_or("");
        let code: String = code
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut targets: Vec<ModPath> = Vec::new();
        for path in use_paths(&code) {
            let Some(first) = path.first() else { continue };
            let (mut base, tail): (ModPath, &[String]) = match first.as_str() {
                "crate" => (Vec::new(), &path[1..]),
                "super" => {
                    let ups = path.iter().take_while(|s| *s == "super").count();
                    let mut parent = module.clone();
                    for _ in 0..ups {
                        parent.pop();
                    }
                    (parent, &path[ups..])
                }
                "self" => (module.clone(), &path[1..]),
                _ => {
                    let mut child = module.clone();
                    child.push(first.clone());
                    if files.contains_key(&child) {
                        (module.clone(), &path[..])
                    } else {
                        continue; // another crate
                    }
                }
            };
            // the longest prefix that is a module file
            let mut target = base.clone();
            for segment in tail {
                base.push(segment.clone());
                if files.contains_key(&base) {
                    target = base.clone();
                } else {
                    break;
                }
            }
            if !target.is_empty() && &target != module && !targets.contains(&target) {
                targets.push(target);
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

/// A cycle of the graph, as the modules along it, if there is one.
fn find_cycle(edges: &BTreeMap<ModPath, Vec<ModPath>>) -> Option<Vec<ModPath>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &ModPath,
        edges: &BTreeMap<ModPath, Vec<ModPath>>,
        marks: &mut BTreeMap<ModPath, Mark>,
        stack: &mut Vec<ModPath>,
    ) -> Option<Vec<ModPath>> {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(node, edges, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

fn name(module: &ModPath) -> String {
    if module.is_empty() {
        "lib".into()
    } else {
        module.join("::")
    }
}

fn collect(dir: &Path, root: &Path, files: &mut BTreeMap<ModPath, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable source folder")
        .map(|entry| entry.expect("a readable folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).expect("below src/");
            let code = std::fs::read_to_string(&path).expect("a readable source file");
            files.insert(module_of(relative), code);
        }
    }
}

#[test]
fn no_file_of_src_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    if !root.is_dir() {
        // The test binary may run far from its sources (the GPU bundle).
        eprintln!("SKIPPED: {} is not here", root.display());
        return;
    }
    let mut files = BTreeMap::new();
    collect(&root, &root, &mut files);
    let edges = graph(&files);
    // The graph is read at all: known imports are there.
    let has = |from: &[&str], to: &[&str]| {
        let from: ModPath = from.iter().map(|s| s.to_string()).collect();
        let to: ModPath = to.iter().map(|s| s.to_string()).collect();
        edges
            .get(&from)
            .is_some_and(|targets| targets.contains(&to))
    };
    assert!(has(&["neuron"], &["dtype"]), "{edges:?}");
    assert!(has(&["cuda"], &["cuda", "registry"]), "{edges:?}");
    assert!(has(&["cuda", "registry"], &["kernel"]), "{edges:?}");
    // Element types know nothing of devices, kernels or caches.
    for low in [&["dtype"][..], &["kernel"][..]] {
        for high in [
            &["device"][..],
            &["views"][..],
            &["launch"][..],
            &["neuron"][..],
        ] {
            assert!(
                !has(low, high),
                "{} imports {}",
                low.join("::"),
                high.join("::")
            );
        }
    }
    assert!(!has(&["dtype"], &["kernel"]), "dtype imports kernel");
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<String> = cycle.iter().map(name).collect();
        panic!("import cycle among src/ files: {}", names.join(" -> "));
    }
    eprintln!(
        "{} files, {} imports between them, no cycle",
        files.len(),
        edges.values().map(Vec::len).sum::<usize>()
    );
}

/// The checker finds a loop when there is one, through braces, `super`
/// and child modules.
#[test]
fn the_checker_finds_a_loop() {
    let file = |path: &[&str], code: &str| {
        (
            path.iter().map(|s| s.to_string()).collect::<ModPath>(),
            code.to_owned(),
        )
    };
    let files: BTreeMap<ModPath, String> = [
        file(&[], "mod a; mod b; mod c;"),
        file(
            &["a"],
            "use crate::{b::{X, Y as Z}, lib_item};\nuse std::fmt;",
        ),
        file(&["b"], "use crate::c::Thing; // use crate::a::Nothing;"),
        file(&["c"], "mod d;\nuse d::Leaf;"),
        file(&["c", "d"], "use super::super::a::*;"),
    ]
    .into_iter()
    .collect();
    let cycle = find_cycle(&graph(&files)).expect("a cycle");
    let names: Vec<String> = cycle.iter().map(name).collect();
    assert_eq!(names, ["a", "b", "c", "c::d", "a"]);
    // the same files without the closing import: no cycle
    let mut acyclic = files.clone();
    acyclic.insert(
        vec!["c".into(), "d".into()],
        "#[cfg(test)] use crate::a::X;".into(),
    );
    assert_eq!(find_cycle(&graph(&acyclic)), None);
}
