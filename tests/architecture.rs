//! Holds the layering line: nothing outside `src/ui/` names egui or eframe, and the CLI never
//! reaches into the UI.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_ui_layer_depends_on_egui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found the sources");
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("inside src");
        let text = std::fs::read_to_string(f).expect("reads");
        let in_ui = rel.starts_with("ui");
        let uses_egui = text.lines().any(|l| {
            let l = l.trim_start();
            !l.starts_with("//") && (l.contains("egui") || l.contains("eframe"))
        });
        if uses_egui && !in_ui && rel != Path::new("main.rs") {
            offenders.push(format!("{} names egui/eframe", rel.display()));
        }
        if rel.starts_with("cli") && text.contains("crate::ui") {
            offenders.push(format!("{} reaches into ui/", rel.display()));
        }
    }
    assert!(offenders.is_empty(), "layering broken:\n{}", offenders.join("\n"));
}
