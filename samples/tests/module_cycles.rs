//! No module of any workspace crate imports in a circle.
//!
//! The samples crate is the workspace's development harness, so this check of the whole
//! workspace lives here. For each crate's `src/`, every `crate::`, `super::` and `self::` path
//! outside `#[cfg(test)] mod tests` is resolved to the longest module path it names. A
//! reference from module `a::x` to `a::y::z` is an edge between the siblings `x` and `y` under
//! `a`; references between a module and its own parent or children are how Rust modules are
//! built and do not count. Any cycle among siblings fails the test, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

fn crate_src_dirs() -> Vec<PathBuf> {
    let root = subunit_samples::python::workspace_dir();
    let mut dirs = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !p.is_dir() || name.starts_with('.') || name == "target" || name == "fuzz" {
                continue;
            }
            if p.join("Cargo.toml").is_file() && p.join("src").is_dir() {
                dirs.push(p.join("src"));
            }
            if p.starts_with(&root) && p.components().count() < root.components().count() + 3 {
                stack.push(p);
            }
        }
    }
    dirs.sort();
    dirs
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "bin") {
                rs_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file defines, or `None` for a crate root of its own (`main.rs`, `bin/`).
fn module_of(src: &Path, file: &Path) -> Option<ModPath> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: ModPath = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    match last.as_str() {
        "lib.rs" if parts.is_empty() => Some(parts),
        "main.rs" if parts.is_empty() => None,
        "mod.rs" => Some(parts),
        _ => {
            parts.push(last.trim_end_matches(".rs").to_owned());
            Some(parts)
        }
    }
}

/// The source without comments and without a trailing `#[cfg(test)] mod tests`.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a `use` tree or an inline path starting at `crate`, `super` or `self` names,
/// as segments (braces expanded).
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            let before = if at == 0 { b' ' } else { bytes[at - 1] };
            if before.is_ascii_alphanumeric() || before == b'_' || before == b':' {
                continue;
            }
            let head = start.trim_end_matches("::").to_owned();
            expand(&code[from..], vec![head], &mut out);
        }
    }
    out
}

/// Reads one path (with a `{...}` group) from `s`, prefixed by `prefix`.
fn expand(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = s.trim_start();
    loop {
        if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let group = &inner[..end];
            let mut depth = 0;
            let mut item_start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&group[item_start..i], path.clone(), out);
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&group[item_start..], path, out);
            return;
        }
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        path.push(ident.clone());
        rest = &rest[ident.len()..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    out.push(path);
}

/// Resolves a path seen in module `here` to the longest known module it names.
fn resolve(here: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = match path.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => here.clone(),
        "super" => {
            let mut b = here.clone();
            b.pop()?;
            b
        }
        _ => return None,
    };
    let mut segs = &path[1..];
    while segs.first().is_some_and(|s| s == "super") {
        base.pop()?;
        segs = &segs[1..];
    }
    let mut best = base.clone();
    for s in segs {
        base.push(s.clone());
        if modules.contains(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[i..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// The sibling cycles in one crate, each as `parent: a -> b -> a`.
fn cycles_in(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rs_files(src, &mut files);
    let mut code: Vec<(ModPath, String)> = Vec::new();
    for f in &files {
        if let Some(m) = module_of(src, f) {
            let text = std::fs::read_to_string(f).expect("read source");
            code.push((m, code_of(&text)));
        }
    }
    let modules: BTreeSet<ModPath> = code.iter().map(|(m, _)| m.clone()).collect();
    // Edges between siblings, keyed by their parent.
    let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (here, text) in &code {
        for path in paths_in(text) {
            let Some(there) = resolve(here, &path, &modules) else {
                continue;
            };
            let common = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
            if common == here.len() || common == there.len() {
                continue; // a module and its ancestor or descendant
            }
            graphs
                .entry(here[..common].to_vec())
                .or_default()
                .entry(here[common].clone())
                .or_default()
                .insert(there[common].clone());
        }
    }
    graphs
        .iter()
        .filter_map(|(parent, edges)| {
            find_cycle(edges).map(|c| format!("{}: {}", parent.join("::"), c.join(" -> ")))
        })
        .collect()
}

#[test]
fn the_checker_finds_a_cycle_and_resolves_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "mod a; mod b;\n").expect("write");
    std::fs::write(src.join("a/mod.rs"), "mod x; mod y;\n").expect("write");
    std::fs::write(src.join("a/x.rs"), "use super::y::Thing;\n").expect("write");
    std::fs::write(
        src.join("a/y.rs"),
        "use crate::{b::{self, B}};\n// use crate::a::x;\n",
    )
    .expect("write");
    std::fs::write(
        src.join("b.rs"),
        "pub fn f() {}\n#[cfg(test)]\nmod tests { use crate::a::x; }\n",
    )
    .expect("write");
    assert!(cycles_in(&src).is_empty(), "{:?}", cycles_in(&src));
    std::fs::write(src.join("a/y.rs"), "use crate::{b::B, a::x::X};\n").expect("write");
    assert_eq!(cycles_in(&src), ["a: x -> y -> x"]);
    std::fs::write(src.join("a/y.rs"), "").expect("write");
    std::fs::write(src.join("a/x.rs"), "use crate::b::B;\n").expect("write");
    assert!(cycles_in(&src).is_empty(), "{:?}", cycles_in(&src));
    std::fs::write(src.join("b.rs"), "pub fn f() { crate::a::y::g(); }\n").expect("write");
    assert_eq!(cycles_in(&src), [": a -> b -> a"]);
}

#[test]
fn no_workspace_module_imports_in_a_circle() {
    let dirs = crate_src_dirs();
    assert!(dirs.len() >= 10, "found too few crates: {dirs:?}");
    let mut all = Vec::new();
    for src in &dirs {
        for c in cycles_in(src) {
            all.push(format!("{}: {c}", src.display()));
        }
    }
    assert!(all.is_empty(), "module import cycles:\n{}", all.join("\n"));
}
