//! Holds the layering `ARCHITECTURE.md` states. Each core module uses only the core modules
//! [`CORE`] lets it use (siblings such as `clean` and `score` never use each other); the front ends
//! (`cli/`, `ui/`) use the core and never each other; nothing outside `src/ui/` names egui or
//! eframe. Every `crate::`, `self::` and `super::` path of `src/` counts, in `use` trees (wrapped
//! over lines, nested groups) and in code, and comments and strings do not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The core's modules, each with the core modules it may use. A module not listed may not be
/// used by a core module; a module of `src/` in neither list fails the test until it is placed.
/// `clean` (deduplication, checks) and `score` (model judgments) are siblings: both work on what
/// the store holds, neither knows the other, and the export reads their results from the store.
const CORE: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("jobs", &["model"]),
    ("query", &["model", "jobs"]),
    ("store", &["model", "jobs", "query"]),
    ("media", &["model", "jobs", "query", "store"]),
    ("ingest", &["model", "jobs", "query", "store", "media"]),
    ("clean", &["model", "jobs", "query", "store", "media"]),
    ("score", &["model", "jobs", "query", "store", "media"]),
    ("export", &["model", "jobs", "query", "store", "media", "ingest"]),
];

/// The front ends: each may use every core module, never the other front end.
const FRONT_ENDS: &[&str] = &["cli", "ui"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

// ---------------------------------------------------------------------------------------------
// Reading Rust source: enough of the lexer to find paths, and the `use` tree grammar.

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code of a Rust file: comments (nested block comments too) removed, string and character
/// literals emptied (their quotes kept), line breaks kept. Nothing a comment, a doc comment or a
/// message says then counts as a path.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_ident = i > 0 && is_ident_char(chars[i - 1]);
        if c == '/' && at(i + 1) == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(at(i + 1), Some('"' | '#'))
            && (!prev_ident || (i > 0 && chars[i - 1] == 'b' && !(i > 1 && is_ident_char(chars[i - 2]))))
        {
            // A raw string: r"..." or r#"..."# (also br"...").
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == Some('#') {
                hashes += 1;
                j += 1;
            }
            if at(j) != Some('"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == Some('#')) {
                    j += 1 + hashes;
                    break;
                }
                if chars[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if at(i) == Some('\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), else a lifetime ('a, 'static).
            if at(i + 1) == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                out.push_str("' '");
                i += 1;
            } else if at(i + 2) == Some('\'') {
                out.push_str("' '");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Tok> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if is_ident_char(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // A number is no path segment.
            out.push(if c.is_ascii_digit() { Tok::Punct('0') } else { Tok::Ident(word) });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Tok::Sep);
            i += 2;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

fn is_ident(t: Option<&Tok>, word: &str) -> bool {
    matches!(t, Some(Tok::Ident(w)) if w == word)
}

/// Reads one `use` tree at `i` (after `use`, or inside a group) into full paths: `a::{b, c::{d}}`
/// gives `a::b` and `a::c::d`; `a::{self}` gives `a`; a glob `a::*` gives `a`.
fn use_tree(toks: &[Tok], i: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    if toks.get(*i) == Some(&Tok::Sep) {
        *i += 1;
    }
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(segment)) => {
                prefix.push(segment.clone());
                *i += 1;
                if toks.get(*i) == Some(&Tok::Sep) {
                    *i += 1;
                    continue;
                }
                if is_ident(toks.get(*i), "as") {
                    *i += 2;
                }
                break;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                while !matches!(toks.get(*i), None | Some(Tok::Punct('}'))) {
                    let before = *i;
                    use_tree(toks, i, prefix.clone(), out);
                    if toks.get(*i) == Some(&Tok::Punct(',')) {
                        *i += 1;
                    } else if *i == before || !matches!(toks.get(*i), Some(Tok::Punct('}'))) {
                        break;
                    }
                }
                if toks.get(*i) == Some(&Tok::Punct('}')) {
                    *i += 1;
                }
                return;
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                break;
            }
            _ => break,
        }
    }
    if prefix.last().is_some_and(|s| s == "self") {
        prefix.pop();
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
}

/// A path a file names: the inline modules it is written inside (`mod tests { ... }`), and its
/// segments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    inside: Vec<String>,
    path: Vec<String>,
}

/// Every path of two or more segments the code names (`use` trees expanded, and paths in
/// expressions, types and patterns), except visibilities (`pub(in crate::ui)`) and `$crate`
/// paths of macros. Paths through a type's generic arguments (`Vec::<T>::new`) end at them.
fn named_paths(text: &str) -> Vec<Named> {
    let toks = tokens(&code_only(text));
    let mut out = Vec::new();
    // Inline modules open here, with the brace depth inside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let inside = |inline: &[(String, usize)]| inline.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(k) if k == "mod" => match (toks.get(i + 1), toks.get(i + 2)) {
                (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) => {
                    depth += 1;
                    inline.push((name.clone(), depth));
                    i += 3;
                }
                _ => i += 1,
            },
            // `use<'a>` in an `impl Trait` bound is no declaration.
            Tok::Ident(k) if k == "use" && toks.get(i + 1) != Some(&Tok::Punct('<')) => {
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, Vec::new(), &mut paths);
                out.extend(paths.into_iter().map(|path| Named { inside: inside(&inline), path }));
            }
            Tok::Ident(first) if toks.get(i + 1) == Some(&Tok::Sep) => {
                let visibility = i >= 3
                    && is_ident(toks.get(i - 1), "in")
                    && toks[i - 2] == Tok::Punct('(')
                    && is_ident(toks.get(i - 3), "pub");
                let tail = i >= 1 && matches!(toks[i - 1], Tok::Sep | Tok::Punct('$'));
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::Sep) {
                    let Some(Tok::Ident(segment)) = toks.get(j + 1) else { break };
                    path.push(segment.clone());
                    j += 2;
                }
                if !visibility && !tail {
                    out.push(Named { inside: inside(&inline), path });
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// The module path (from the crate's root) of a file under `src/`: `ui/app/dialogs.rs` is
/// `ui::app::dialogs`, `ui/media/mod.rs` is `ui::media`, `lib.rs` the root.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The file modules a file can name bare (`use dialogs::Dialog` in `app.rs` or `app/mod.rs`).
fn child_modules(file: &Path) -> BTreeSet<String> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let dir = if matches!(name, "mod.rs" | "lib.rs" | "main.rs") {
        file.parent().map(Path::to_path_buf)
    } else {
        Some(file.with_extension(""))
    };
    let Some(Ok(entries)) = dir.map(std::fs::read_dir) else { return BTreeSet::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.is_dir() || path.extension().is_some_and(|x| x == "rs")).then_some(stem)
        })
        .collect()
}

/// Where a named path points, from the crate's root, when it is the crate's own: `crate::a::b`;
/// `self::` and `super::` (as often as written) from the module it is named in; or a child module
/// of the file named bare.
fn resolve(module: &[String], children: &BTreeSet<String>, named: &Named) -> Option<Vec<String>> {
    let mut here: Vec<String> = module.iter().chain(&named.inside).cloned().collect();
    let p = &named.path;
    match p[0].as_str() {
        "crate" => Some(p[1..].to_vec()),
        "self" => {
            here.extend_from_slice(&p[1..]);
            Some(here)
        }
        "super" => {
            let ups = p.iter().take_while(|s| *s == "super").count();
            for _ in 0..ups {
                here.pop()?;
            }
            here.extend_from_slice(&p[ups..]);
            Some(here)
        }
        first if named.inside.is_empty() && children.contains(first) => {
            here.extend_from_slice(p);
            Some(here)
        }
        _ => None,
    }
}

/// A source file with what it names, resolved from the crate's root.
struct Source {
    rel: PathBuf,
    module: Vec<String>,
    text: String,
    /// Each path as written and where it points.
    uses: Vec<(String, Vec<String>)>,
}

fn sources() -> Vec<Source> {
    let src = src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found the sources");
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).expect("inside src").to_path_buf();
            let text = std::fs::read_to_string(&f).expect("reads");
            let module = module_of(&rel);
            let children = child_modules(&f);
            let uses = named_paths(&text)
                .into_iter()
                .filter_map(|n| resolve(&module, &children, &n).map(|to| (n.path.join("::"), to)))
                .collect();
            Source { rel, module, text, uses }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The core's map and the front ends.

fn allowed(module: &str) -> Option<&'static [&'static str]> {
    CORE.iter().find(|(m, _)| *m == module).map(|(_, may)| *may)
}

fn is_module(name: &str) -> bool {
    allowed(name).is_some() || FRONT_ENDS.contains(&name)
}

#[test]
fn each_core_module_uses_only_what_the_map_allows_and_only_the_ui_names_egui() {
    let mut offenders = Vec::new();
    for s in sources() {
        let Some(module) = s.module.first().map(String::as_str) else { continue };
        if s.rel == Path::new("main.rs") {
            continue;
        }
        let code = code_only(&s.text);
        if module != "ui" && (code.contains("egui") || code.contains("eframe")) {
            offenders.push(format!("{} names egui/eframe", s.rel.display()));
        }
        if !is_module(module) {
            offenders.push(format!("{} is in module {module}, which no layer lists: put it in CORE", s.rel.display()));
            continue;
        }
        let mut seen = BTreeSet::new();
        for (written, to) in &s.uses {
            let Some(used) = to.first().map(String::as_str) else { continue };
            if used == module || !is_module(used) || !seen.insert(used) {
                continue;
            }
            let broken = match allowed(module) {
                Some(may) => !may.contains(&used),
                None => FRONT_ENDS.contains(&used),
            };
            if broken {
                let may = allowed(module).map_or_else(|| "the core only".to_owned(), |m| m.join(", "));
                offenders
                    .push(format!("{} ({module}) uses {used} ({written}); {module} may use: {may}", s.rel.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "layering broken:\n{}", offenders.join("\n"));
}

#[test]
fn the_core_map_names_only_core_modules_and_has_no_cycle() {
    let map: BTreeMap<&str, &[&str]> = CORE.iter().copied().collect();
    for (m, may) in CORE {
        for u in *may {
            assert!(map.contains_key(u), "{m} may use {u}, which is not a core module");
            assert_ne!(m, u, "{m} lists itself");
        }
    }
    let edges: BTreeMap<String, BTreeSet<String>> =
        CORE.iter().map(|(m, may)| ((*m).to_owned(), may.iter().map(|u| (*u).to_owned()).collect())).collect();
    assert_eq!(find_cycle(&edges), None, "the map allows a cycle");
    // Siblings: neither may use the other.
    assert!(!map["clean"].contains(&"score") && !map["score"].contains(&"clean"), "clean and score are siblings");
}

/// A cycle of `edges` (its nodes in order, the first again at the end), if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut done, &mut Vec::new()))
}

// ---------------------------------------------------------------------------------------------
// Inside the UI: the app imports the panels, panels share only through leaves, no cycle.

/// The app's root, by module under `src/ui/` (`""` is `ui/mod.rs`, the entry): it holds the
/// panels and may import any module of the UI; no other module imports it.
const UI_APP: &[&str] = &["", "app", "screenshot"];

/// The leaves the panels share: the command enum with the plain data it carries, the small
/// helpers, colours, the loaded sample and its workers, widgets several panels draw. They import
/// only each other. Every other module is a panel (or a part only the app uses): it imports the
/// leaves and nothing else of the UI, so a new panel is a file of its own plus the app's lines.
const UI_SHARED: &[&str] =
    &["shared", "theme", "commands", "background", "loaded", "workers", "image_view", "diff", "media"];

/// Files of the UI are split before they grow past this (files of ~150-400 lines, split before
/// ~600-700).
const UI_MAX_LINES: usize = 700;

/// An import between two modules of the UI, with one place that makes it.
type UiEdges = BTreeMap<(String, String), String>;

/// The modules directly under `src/ui/` (files and folders), each one node of the graph.
fn ui_modules() -> BTreeSet<String> {
    child_modules(&src().join("ui").join("mod.rs"))
}

/// The module of the UI a path from the crate's root lands in (`""`: the root itself, or an item
/// it re-exports).
fn ui_module(path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    if path.first().map(String::as_str) != Some("ui") {
        return None;
    }
    Some(path.get(1).filter(|m| modules.contains(*m)).cloned().unwrap_or_default())
}

fn ui_edges() -> UiEdges {
    let modules = ui_modules();
    let mut edges = UiEdges::new();
    for s in sources() {
        let Some(from) = ui_module(&s.module, &modules) else { continue };
        for (written, to) in &s.uses {
            if let Some(to) = ui_module(to, &modules).filter(|to| *to != from) {
                edges.entry((from.clone(), to)).or_insert_with(|| format!("{} names {written}", s.rel.display()));
            }
        }
    }
    edges
}

fn shown(module: &str) -> &str {
    if module.is_empty() { "ui (mod.rs)" } else { module }
}

/// What breaks the rules: a module that imports the app without being it, and a panel or leaf
/// that imports a module that is not a leaf.
fn ui_offenses(edges: &UiEdges) -> Vec<String> {
    let mut out = Vec::new();
    for ((from, to), place) in edges {
        if UI_APP.contains(&from.as_str()) {
            continue;
        }
        let (from_shown, to_shown) = (shown(from), shown(to));
        let what = if UI_SHARED.contains(&from.as_str()) { "the leaf" } else { "the panel" };
        if UI_APP.contains(&to.as_str()) {
            out.push(format!("{what} {from_shown} imports {to_shown}, the app's ({place}): only the app imports it"));
        } else if !UI_SHARED.contains(&to.as_str()) {
            out.push(format!(
                "{what} {from_shown} imports {to_shown}, which is no leaf ({place}): move what they share into a leaf (UI_SHARED), or send a Command"
            ));
        }
    }
    out
}

#[test]
fn the_ui_has_no_import_cycle_and_panels_share_only_through_leaves() {
    let modules = ui_modules();
    for m in UI_APP.iter().chain(UI_SHARED).filter(|m| !m.is_empty()) {
        assert!(modules.contains(*m), "{m} is listed but src/ui/ has no module of that name");
    }
    let edges = ui_edges();
    assert!(edges.len() > 20, "the graph was read: {edges:?}");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from.clone()).or_default().insert(to.clone());
    }
    if let Some(cycle) = find_cycle(&graph) {
        let steps: Vec<String> =
            cycle.windows(2).map(|w| format!("  {}", edges[&(w[0].clone(), w[1].clone())])).collect();
        let names: Vec<&str> = cycle.iter().map(|m| shown(m)).collect();
        panic!("import cycle in the UI: {}\n{}", names.join(" -> "), steps.join("\n"));
    }
    let offenses = ui_offenses(&edges);
    assert!(offenses.is_empty(), "the UI's layering broken:\n{}", offenses.join("\n"));
}

#[test]
fn no_ui_file_is_over_700_lines() {
    let mut files = Vec::new();
    rust_files(&src().join("ui"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).expect("reads").lines().count();
            (n > UI_MAX_LINES).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these before they pass {UI_MAX_LINES} lines:\n{}", long.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The checker's own tests: what it reads and what it leaves.

fn paths_of(text: &str) -> Vec<String> {
    named_paths(text).into_iter().map(|n| n.path.join("::")).collect()
}

#[test]
fn the_reader_expands_wrapped_and_nested_use_groups() {
    let text = "use crate::{\n    store::{Store,\n        StoreError},\n    model::C,\n    query,\n};\nfn f() {}";
    assert_eq!(paths_of(text), ["crate::store::Store", "crate::store::StoreError", "crate::model::C", "crate::query"]);
    assert_eq!(
        paths_of("pub(crate) use super::commands::{self, Command as C, keys::*};"),
        ["super::commands", "super::commands::Command", "super::commands::keys"]
    );
    assert_eq!(
        paths_of("use crate::{store::{A, B}, model::C};"),
        ["crate::store::A", "crate::store::B", "crate::model::C"]
    );
    assert_eq!(paths_of("use ::std::path::Path;"), ["std::path::Path"]);
}

#[test]
fn the_reader_finds_paths_in_code_and_leaves_comments_strings_and_visibilities() {
    let text = r##"
        // use crate::cli; crate::ui is only named here
        /* a block comment: crate::cli::run /* nested: crate::cli */ still comment crate::cli */
        /// Doc: [`crate::cli::Cli`]
        pub(in crate::ui) fn f<'a>(x: &'a str) -> impl Iterator<Item = char> + use<'a> {
            let s = "crate::cli::x \" crate::cli";
            let r = r#"crate::cli "quoted" "#;
            let c = '"';
            let e = '\'';
            let v = Vec::<crate::model::Id>::new();
            let run = crate::export::run(&o).map(super::app::Thing::new);
            $crate::cli::x!();
            x.chars()
        }
    "##;
    assert_eq!(paths_of(text), ["Vec", "crate::model::Id", "crate::export::run", "super::app::Thing::new"]);
}

#[test]
fn the_reader_knows_inline_modules_and_resolves_self_super_and_bare_children() {
    let text = "use super::theme;\nmod tests {\n    use super::*;\n    fn t() { crate::ui::x::y(); }\n}\nfn g() { dialogs::Dialog::None; }";
    let named = named_paths(text);
    let module: Vec<String> = ["ui", "commands"].map(String::from).to_vec();
    let children: BTreeSet<String> = ["dialogs".to_owned()].into();
    let resolved: Vec<String> =
        named.iter().filter_map(|n| resolve(&module, &children, n)).map(|p| p.join("::")).collect();
    // `super::*` in `mod tests` is the file's own module, not its parent.
    assert_eq!(resolved, ["ui::theme", "ui::commands", "ui::x::y", "ui::commands::dialogs::Dialog::None"]);
    assert_eq!(module_of(Path::new("ui/app/mod.rs")), ["ui", "app"]);
    assert_eq!(module_of(Path::new("ui/app/dialogs.rs")), ["ui", "app", "dialogs"]);
    assert!(module_of(Path::new("lib.rs")).is_empty());
}

#[test]
fn the_ui_rules_name_a_panel_importing_a_panel_or_the_app() {
    let edge = |a: &str, b: &str| ((a.to_owned(), b.to_owned()), format!("src/ui/{a}.rs names super::{b}::X"));
    let edges: UiEdges = [
        edge("app", "list"),           // the app imports panels
        edge("list", "commands"),      // a panel imports a leaf
        edge("bulk", "jobs_panel"),    // a panel imports a panel
        edge("bulk", "app"),           // a panel imports the app
        edge("commands", "bulk"),      // a leaf imports a panel
        edge("screenshot", ""),        // the app's parts import each other
        edge("stats_panel", "shared"), // a leaf
    ]
    .into_iter()
    .collect();
    let offenses = ui_offenses(&edges);
    assert_eq!(offenses.len(), 3, "{offenses:#?}");
    assert!(offenses[0].starts_with("the panel bulk imports app, the app's (src/ui/bulk.rs names super::app::X)"));
    assert!(offenses[1].starts_with("the panel bulk imports jobs_panel, which is no leaf"));
    assert!(offenses[2].starts_with("the leaf commands imports bulk, which is no leaf"));
}

#[test]
fn a_cycle_is_found_and_named_in_order() {
    let edges: BTreeMap<String, BTreeSet<String>> = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a", "d"]), ("d", &[])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    assert_eq!(find_cycle(&edges), Some(["a", "b", "c", "a"].map(String::from).to_vec()));
    let mut acyclic = edges.clone();
    acyclic.get_mut("c").expect("c").remove("a");
    assert_eq!(find_cycle(&acyclic), None);
}
