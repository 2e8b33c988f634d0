//! What the Suspects panel asks of the app, as plain data: a scoring job's settings
//! ([`ScoreRequest`], the Score form's model without egui) and the step to the next or previous
//! suspect.

use crate::score::DeviceKind;
use crate::score::load::LoadOptions;
use crate::score::{ScoreOptions, ScorerIdentity};

/// The devices the form offers, `auto` first (a GPU this build and machine have, else the CPU).
pub const DEVICES: [&str; 4] = ["auto", "cpu", "cuda", "metal"];

/// A scoring job as the Score form asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRequest {
    /// A model folder, or `org/name` in the local Hugging Face cache.
    pub model: String,
    /// The scorer's name (empty: the model folder's).
    pub name: String,
    /// One of [`DEVICES`].
    pub device: String,
    /// Candidates per model call.
    pub batch: u32,
    /// The samples to score (the filter language; empty: all).
    pub query: String,
    /// The model's matrix products in int8 on the CPU (see [`LoadOptions::int8`]).
    pub int8: bool,
}

impl Default for ScoreRequest {
    fn default() -> Self {
        Self {
            model: String::new(),
            name: String::new(),
            device: "auto".into(),
            batch: 32,
            query: String::new(),
            int8: false,
        }
    }
}

impl ScoreRequest {
    /// What to load, or why the form cannot start (in words, for the panel).
    pub fn load_options(&self) -> Result<LoadOptions, String> {
        let typed = self.model.trim();
        let model = if typed.starts_with("~/") {
            crate::ui::shared::expand_home(typed).display().to_string()
        } else {
            typed.to_owned()
        };
        if model.is_empty() {
            return Err("Give a model: a folder with config.json, model.safetensors and tokenizer.json, \
                        or org/name from the local Hugging Face cache."
                .into());
        }
        let device = match self.device.as_str() {
            "auto" | "" => None,
            d => Some(DeviceKind::parse(d).ok_or_else(|| format!("device `{d}`: one of cpu, cuda, metal"))?),
        };
        if let Some(d) = device.filter(|d| !d.built()) {
            return Err(format!("This Verdict was built without {}: pick auto or cpu.", d.as_str()));
        }
        let name = Some(self.name.trim().to_owned()).filter(|n| !n.is_empty());
        Ok(LoadOptions { model, name, device, caches: None, int8: self.int8 })
    }

    /// The job's options.
    pub fn score_options(&self, model_path: Option<String>) -> ScoreOptions {
        ScoreOptions {
            query: self.query.trim().to_owned(),
            batch: self.batch.clamp(1, 4096) as usize,
            origin: "app",
            model_path,
            ..ScoreOptions::default()
        }
    }

    /// The job's title: "Score with NAME" (the name once known, else the model as given).
    pub fn title(&self, identity: Option<&ScorerIdentity>) -> String {
        let who = identity.map_or_else(|| self.model.trim().to_owned(), |i| i.name.clone());
        format!("Score with {who}")
    }
}

/// Whether a job with this title is a scoring job (one runs at a time).
pub fn is_score_job(title: &str) -> bool {
    title.starts_with("Score with ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_says_what_is_missing_and_maps_its_choices() {
        let empty = ScoreRequest::default();
        assert!(empty.load_options().expect_err("no model").contains("Give a model"));
        let r = ScoreRequest { model: "org/name".into(), name: " mini ".into(), device: "cpu".into(), ..empty };
        let o = r.load_options().expect("options");
        assert_eq!((o.model.as_str(), o.name.as_deref(), o.device), ("org/name", Some("mini"), Some(DeviceKind::Cpu)));
        assert!(!o.int8);
        assert!(ScoreRequest { int8: true, ..r.clone() }.load_options().expect("options").int8);
        let bad = ScoreRequest { device: "tpu".into(), ..r.clone() };
        assert!(bad.load_options().expect_err("no such device").contains("tpu"));
        let s = ScoreRequest { batch: 0, query: " is:flagged ".into(), ..r }.score_options(None);
        assert_eq!((s.batch, s.query.as_str(), s.origin), (1, "is:flagged", "app"));
    }
}
