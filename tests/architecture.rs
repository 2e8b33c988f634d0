//! Holds the layering `ARCHITECTURE.md` states: each core module uses only the modules below it
//! (model, jobs, query, store, media, ingest, export, bottom up); the front ends (`cli/`, `ui/`)
//! use the core and never each other; nothing outside `src/ui/` names egui or eframe.

use std::path::{Path, PathBuf};

/// Bottom up. A module may use the ones before it in this list.
const CORE: &[&str] = &["model", "jobs", "query", "store", "media", "ingest", "export"];
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

/// The code lines of a file (comments and doc comments left out).
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim_start).filter(|l| !l.starts_with("//"))
}

/// The top-level modules a file names through `crate::NAME` (also inside `use crate::{a, b}`).
fn crate_uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name: String =
                        part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    out.push(name);
                }
            } else {
                out.push(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
            }
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn layer(module: &str) -> Option<usize> {
    CORE.iter().position(|m| *m == module).or_else(|| FRONT_ENDS.contains(&module).then_some(CORE.len()))
}

#[test]
fn each_module_uses_only_the_layers_below_it_and_only_the_ui_names_egui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found the sources");
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("inside src");
        let text = std::fs::read_to_string(f).expect("reads");
        let module = rel.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
        let module = module.strip_suffix(".rs").unwrap_or(module);
        let uses_egui = code_lines(&text).any(|l| l.contains("egui") || l.contains("eframe"));
        if uses_egui && module != "ui" && rel != Path::new("main.rs") {
            offenders.push(format!("{} names egui/eframe", rel.display()));
        }
        let Some(own) = layer(module) else { continue };
        for used in crate_uses(&text) {
            if used == module || used == "ui" && module == "ui" {
                continue;
            }
            let Some(theirs) = layer(&used) else { continue };
            let front_to_front = FRONT_ENDS.contains(&module) && FRONT_ENDS.contains(&used.as_str());
            if theirs >= own && (front_to_front || own < CORE.len()) {
                offenders.push(format!("{} ({module}) uses crate::{used}, which is not below it", rel.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "layering broken:\n{}", offenders.join("\n"));
}

#[test]
fn the_checker_sees_uses_in_groups_and_ignores_comments() {
    let text = "use crate::{store::Store, query};\n// crate::ui is only named here\nlet x = crate::export::run;";
    assert_eq!(crate_uses(text), ["store", "query", "export"]);
}
