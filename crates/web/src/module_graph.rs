//! The web crate's module graph must be acyclic, and the API must not reach
//! into the pages (see docs/web.md, "Module layering").
//!
//! Each file under `src/` is a node; an edge runs from a file to every module
//! file it names through `crate::`, `super::`, `self::` or one of its own
//! child modules, in `use` trees and inline paths alike. A path naming an item
//! counts as naming the file that holds it. Only the crate root's
//! [`AppState`](crate::AppState) is exempt: every handler takes it, and the
//! root (which declares every module and builds the router) is the top.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path, e.g. `["staff", "hotline"]`; the crate root is empty.
type ModulePath = Vec<String>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

/// The tokens that matter for paths; comments, strings and chars are skipped.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && raw_string_start(&chars, i)
        {
            i += 1;
            let mut hashes = 0;
            while chars.get(i) == Some(&'#') {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push(Token::Other);
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(Token::Other);
        } else if c == '\'' {
            // A char literal ('x', '\n') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
            out.push(Token::Other);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(match c {
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                _ => Token::Other,
            });
            i += 1;
        }
    }
    out
}

/// Whether `r` at `i` starts a raw string (`r"`, `r#"`) rather than an identifier.
fn raw_string_start(chars: &[char], i: usize) -> bool {
    let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if previous_is_ident {
        return false;
    }
    let mut j = i + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    chars.get(j) == Some(&'"')
}

/// Every module file of the crate, by module path.
fn module_files(src: &Path) -> BTreeMap<ModulePath, PathBuf> {
    let mut files = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let Ok(relative) = path.strip_prefix(src) else {
                continue;
            };
            let mut module: ModulePath = relative
                .iter()
                .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            files.insert(module, path);
        }
    }
    files
}

/// The longest known module prefix of `path`.
fn owning_module(path: &[String], known: &BTreeSet<ModulePath>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
        .unwrap_or_default()
}

/// Reads the paths of one file and resolves them to module files.
struct Resolver<'a> {
    known: &'a BTreeSet<ModulePath>,
    /// The module files named so far.
    found: Vec<ModulePath>,
}

impl Resolver<'_> {
    /// Resolves the first segment of a path seen in module `here`.
    fn base(&self, here: &ModulePath, first: &str) -> Option<ModulePath> {
        match first {
            "crate" => Some(Vec::new()),
            "self" => Some(here.clone()),
            "super" => Some(here[..here.len().saturating_sub(1)].to_vec()),
            child => {
                let mut path = here.clone();
                path.push(child.to_owned());
                self.known.contains(&path).then_some(path)
            }
        }
    }

    /// Records `prefix` extended by the segments of `tokens[i..]`
    /// (a path or a use tree); returns the index after it.
    fn walk(&mut self, tokens: &[Token], mut i: usize, prefix: ModulePath) -> usize {
        let mut path = prefix;
        loop {
            match tokens.get(i) {
                Some(Token::Ident(name)) if name == "super" => {
                    path.pop();
                    i += 1;
                }
                Some(Token::Ident(name)) if name == "self" => i += 1,
                Some(Token::Ident(name)) => {
                    path.push(name.clone());
                    i += 1;
                }
                Some(Token::Open) => {
                    i += 1;
                    loop {
                        match tokens.get(i) {
                            Some(Token::Close) => return i + 1,
                            Some(Token::Comma) => i += 1,
                            Some(_) => {
                                let next = self.walk(tokens, i, path.clone());
                                i = next.max(i + 1);
                            }
                            None => return i,
                        }
                    }
                }
                _ => break,
            }
            if tokens.get(i) == Some(&Token::PathSep) {
                i += 1;
            } else {
                break;
            }
        }
        self.record(path);
        i
    }

    fn record(&mut self, path: ModulePath) {
        if path == ["AppState"] {
            return;
        }
        self.found.push(owning_module(&path, self.known));
    }
}

/// The module files that the file of module `module` names.
fn references(
    module: &ModulePath,
    source: &str,
    known: &BTreeSet<ModulePath>,
) -> BTreeSet<ModulePath> {
    let tokens = tokens(source);
    let mut resolver = Resolver {
        known,
        found: Vec::new(),
    };
    // Inline modules (`mod tests { … }`) shift `self` and `super`.
    let mut scopes: Vec<(usize, ModulePath)> = Vec::new();
    let mut here = module.clone();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open => {
                depth += 1;
                i += 1;
            }
            Token::Close => {
                if scopes.last().is_some_and(|(at, _)| *at == depth)
                    && let Some((_, outer)) = scopes.pop()
                {
                    here = outer;
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Open)) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    scopes.push((depth + 1, here.clone()));
                    here.push(name.clone());
                    depth += 1;
                    i += 3;
                } else {
                    // `mod name;` declares, it does not depend.
                    i += 2;
                }
            }
            Token::Ident(first) if tokens.get(i + 1) == Some(&Token::PathSep) => {
                let after_sep = i > 0 && tokens[i - 1] == Token::PathSep;
                match resolver.base(&here, first).filter(|_| !after_sep) {
                    Some(base) => i = resolver.walk(&tokens, i + 2, base),
                    None => {
                        // An outside path (`std::…`): skip its segments.
                        i += 2;
                        while matches!(tokens.get(i), Some(Token::Ident(_)))
                            && tokens.get(i + 1) == Some(&Token::PathSep)
                        {
                            i += 2;
                        }
                    }
                }
            }
            _ => i += 1,
        }
    }
    resolver
        .found
        .into_iter()
        .filter(|target| target != module)
        .collect()
}

/// The graph: module file → module files it names.
fn graph() -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = module_files(&src);
    let known: BTreeSet<ModulePath> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, path)| {
            let source = std::fs::read_to_string(path).unwrap_or_default();
            (module.clone(), references(module, &source, &known))
        })
        .collect()
}

/// A cycle of the graph, if any, as the files around it.
fn find_cycle(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Option<Vec<ModulePath>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &ModulePath,
        graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        marks: &mut BTreeMap<ModulePath, Mark>,
        stack: &mut Vec<ModulePath>,
    ) -> Option<Vec<ModulePath>> {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node)
            && let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "lib".to_owned()
    } else {
        module.join("/")
    }
}

#[test]
fn web_modules_import_no_circle() {
    let graph = graph();
    assert!(graph.len() > 30, "read only {} files", graph.len());
    if let Some(cycle) = find_cycle(&graph) {
        let shown: Vec<String> = cycle.iter().map(name).collect();
        panic!("import circle in web: {}", shown.join(" → "));
    }
}

#[test]
fn api_and_pages_do_not_import_each_other() {
    let graph = graph();
    let area = |module: &ModulePath| {
        module
            .first()
            .map(String::as_str)
            .unwrap_or("lib")
            .to_owned()
    };
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        for to in targets {
            let (from_area, to_area) = (area(from), area(to));
            let api_to_pages =
                from_area == "api" && matches!(to_area.as_str(), "staff" | "public" | "pages");
            let pages_to_api =
                matches!(from_area.as_str(), "staff" | "public" | "pages") && to_area == "api";
            if api_to_pages || pages_to_api {
                wrong.push(format!("{} → {}", name(from), name(to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "API and pages import each other: {wrong:#?}"
    );
}

/// A module's layer (docs/web.md, "Module layering"): higher may import lower.
fn layer(module: &ModulePath) -> u8 {
    match module.first().map(String::as_str) {
        None => 5,
        Some("api" | "staff" | "public") => 4,
        Some("pages" | "steps") => 3,
        Some("ops" | "portal" | "export" | "jobs") => 2,
        Some("auth" | "city") => 1,
        Some(_) => 0,
    }
}

#[test]
fn modules_import_only_their_layer_or_below() {
    let graph = graph();
    let upward: Vec<String> = graph
        .iter()
        .flat_map(|(from, targets)| {
            targets
                .iter()
                .filter(|to| layer(to) > layer(from))
                .map(move |to| format!("{} → {}", name(from), name(to)))
        })
        .collect();
    assert!(upward.is_empty(), "upward imports in web: {upward:#?}");
}

#[test]
fn the_reader_finds_paths_in_use_trees_and_code() {
    let known: BTreeSet<ModulePath> = [
        vec![],
        vec!["staff".to_owned()],
        vec!["staff".to_owned(), "hotline".to_owned()],
        vec!["pages".to_owned()],
        vec!["error".to_owned()],
    ]
    .into_iter()
    .collect();
    let source = "use crate::{error::Error, staff::{self, hotline::X}};\n\
                  // crate::pages::nothing\n\
                  fn f() { let s = \"crate::pages\"; super::AppState::x(); }\n\
                  mod tests { use super::*; }";
    let here = vec!["staff".to_owned(), "hotline".to_owned()];
    let found = references(&here, source, &known);
    let expected: BTreeSet<ModulePath> = [vec!["error".to_owned()], vec!["staff".to_owned()]]
        .into_iter()
        .collect();
    assert_eq!(found, expected);
    let graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = [
        (vec!["a".to_owned()], [vec!["b".to_owned()]].into()),
        (vec!["b".to_owned()], [vec!["a".to_owned()]].into()),
    ]
    .into();
    assert!(find_cycle(&graph).is_some());
}
