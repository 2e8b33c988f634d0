//! Presets: one per public dataset layout (and per export target, so exported files import back).
//!
//! A preset is a detection rule over the source's columns plus a mapping from one [`Row`] to
//! samples. Detection runs the list in order and takes the first match, so more specific layouts
//! come before the general ones they overlap with (RLAIF-V before MMPR before TRL). Verdict's own
//! export comes first: its integer `verdict` column says what it is.

pub mod row;

mod align_anything;
mod conversations;
mod pairs;
mod targets;
mod verdict;
mod vlfeedback;

use crate::model::SampleDraft;
use crate::model::value::Map;
use row::{FieldResult, Row};
use std::collections::BTreeSet;

/// What detection sees: the column names and the first parsed row.
pub struct Columns {
    names: BTreeSet<String>,
    first: Map,
}

impl Columns {
    /// Columns from a schema and/or sample rows.
    pub fn new(names: impl IntoIterator<Item = String>, first: Map) -> Self {
        Self { names: names.into_iter().collect(), first }
    }

    /// Whether the column exists.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Whether all the columns exist.
    pub fn all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    /// Whether any of the columns exists.
    pub fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.has(n))
    }

    /// The value of a column in the first row.
    pub fn first(&self, name: &str) -> Option<&crate::model::Value> {
        self.first.get(name)
    }

    /// The column names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

/// A dataset layout Verdict knows.
pub struct Preset {
    /// Its name for `--preset`.
    pub name: &'static str,
    /// The dataset(s) it reads.
    pub dataset: &'static str,
    /// The columns it expects, for `verdict presets`.
    pub expects: &'static str,
    detect: fn(&Columns) -> bool,
    map: fn(&mut Row<'_>) -> FieldResult<Vec<SampleDraft>>,
}

impl Preset {
    /// Whether this preset recognizes the columns.
    pub fn detects(&self, columns: &Columns) -> bool {
        (self.detect)(columns)
    }

    /// Maps one row to samples (usually one; HA-DPO desc rows give several).
    pub fn map(&self, row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
        (self.map)(row)
    }
}

/// Every preset, in detection order.
pub fn all() -> &'static [Preset] {
    PRESETS
}

/// The preset called `name`.
pub fn by_name(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The first preset that recognizes the columns.
pub fn detect(columns: &Columns) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.detects(columns))
}

macro_rules! preset {
    ($name:literal, $dataset:literal, $expects:literal, $detect:expr, $map:path) => {
        Preset { name: $name, dataset: $dataset, expects: $expects, detect: $detect, map: $map }
    };
}

static PRESETS: &[Preset] = &[
    preset!(
        "verdict",
        "Verdict's own lossless export (verdict export --format verdict)",
        "verdict (format version 1), key, prompt, context, responses, media (files under media/ by content hash), blobs, judgments (source, author, created_at, ratings), curation, extras",
        verdict::detects,
        verdict::verdict
    ),
    preset!(
        "rlhf-v",
        "RLHF-V (openbmb/RLHF-V-Dataset)",
        "image (HF Image), text = JSON string {question, chosen, rejected}; ds_name, origin_dataset, origin_split, idx, image_path",
        |c| c.all(&["text", "image"]) && c.any(&["ds_name", "origin_dataset", "idx"]),
        pairs::rlhf_v
    ),
    preset!(
        "rlaif-v",
        "RLAIF-V (openbmb/RLAIF-V-Dataset)",
        "image (HF Image), question, chosen, rejected, ds_name, origin_dataset, origin_split (JSON string), idx, image_path; optional logps",
        |c| c.all(&["question", "chosen", "rejected", "image"])
            && c.any(&["ds_name", "origin_dataset", "origin_split"]),
        pairs::rlaif_v
    ),
    preset!(
        "spa-vl",
        "SPA-VL (sqrti/SPA-VL), train, validation and the training JSON",
        "image (HF Image or relative path), question, chosen, rejected; image_name (train), class1..3 (validation), id (training JSON)",
        |c| c.all(&["question", "chosen", "rejected", "image"]) && c.any(&["image_name", "class1", "id"]),
        pairs::spa_vl
    ),
    preset!(
        "mmpr",
        "MMPR (OpenGVLab/MMPR, InternVL)",
        "image (HF Image or path), question, chosen, rejected",
        |c| c.all(&["question", "chosen", "rejected", "image"]),
        pairs::mmpr
    ),
    preset!(
        "vlfeedback",
        "VLFeedback / Silkie (MMInstruction/VLFeedback)",
        "id, prompt, models, img_path, completions: list of {model, response, annotations{aspect: {Rating, Rationale}}} or struct of lists",
        |c| c.all(&["completions", "prompt"]),
        vlfeedback::vlfeedback
    ),
    preset!(
        "povid",
        "POVID",
        "id, image (relative path), conversations (LLaVA turns), rejected_conversations",
        |c| c.all(&["conversations", "rejected_conversations"]),
        conversations::povid
    ),
    preset!(
        "llava-rlhf",
        "LLaVA-RLHF human preference",
        "image, conversations (LLaVA turns), output_1, output_2 ({from, value}), preference (1 or 2)",
        |c| c.all(&["conversations", "output_1", "output_2", "preference"]),
        conversations::llava_rlhf
    ),
    preset!(
        "llava-rejected",
        "LLaVA conversations with a rejected answer (RLHF-V and others converted to LLaVA's layout)",
        "image, conversations (ending on the chosen gpt turn), rejected (string); optional idx, origin_dataset, origin_split",
        |c| c.all(&["conversations", "rejected"]) && !c.has("chosen"),
        conversations::llava_rejected
    ),
    preset!(
        "ha-dpo-pope",
        "HA-DPO pope_data.json",
        "image_id, question, answer, chosen, reject, correct; image path from --id-pattern (default {id}.jpg)",
        |c| c.all(&["image_id", "chosen", "reject"]),
        pairs::ha_dpo_pope
    ),
    preset!(
        "ha-dpo-desc",
        "HA-DPO description data",
        "object keyed by image_id of {chosen: [..], rejected: [..]}, or list of {image_id, chosen: [..], rejected: [..]}; several pairs per image",
        |c| c.all(&["chosen", "rejected"])
            && (c.has("image_id") || c.has("$key"))
            && c.first("chosen").is_some_and(|v| v.as_list().is_some()),
        pairs::ha_dpo_desc
    ),
    preset!(
        "mia-dpo",
        "MIA-DPO (multi-image)",
        "id, image (list of paths), prompt (Image1:<image>\\n...), chosen, rejected, gt",
        |c| c.all(&["prompt", "chosen", "rejected", "image", "gt"]),
        pairs::mia_dpo
    ),
    preset!(
        "llava-dpo",
        "\"LLaVA DPO\" research format (LLaVA-NeXT, OmniAlign-V)",
        "id, prompt, answer, image or video, chosen, rejected, chosen_score, rejected_score",
        |c| c.all(&["prompt", "answer", "chosen", "rejected"]),
        pairs::llava_dpo
    ),
    preset!(
        "llava-hound",
        "LLaVA-Hound DPO (ShareGPTVideo)",
        "id, prompt, chosen, rejected, video (relative frame directory), chosen_score, rejected_score",
        |c| c.all(&["prompt", "chosen", "rejected", "video"]) && c.any(&["chosen_score", "rejected_score"]),
        pairs::llava_hound
    ),
    preset!(
        "mm-rlhf",
        "MM-RLHF dpo_pairs.jsonl",
        "prompt, chosen, rejected, image (path or list) or video (frame directory); optional chosen_reason, rejected_reason, is_tie, ls_factor, mixed_up_image",
        |c| c.all(&["prompt", "chosen", "rejected"])
            && (c.any(&["chosen_reason", "rejected_reason", "is_tie", "ls_factor", "mixed_up_image"])
                || (c.any(&["image", "video"]) && !c.has("images"))),
        pairs::mm_rlhf
    ),
    preset!(
        "mdpo",
        "mDPO sample data",
        "img_path, prompt (chat template and <image> baked in), chosen, rejected",
        |c| c.all(&["img_path", "prompt", "chosen", "rejected"]),
        pairs::mdpo
    ),
    preset!(
        "opa-dpo",
        "OPA-DPO",
        "queries, image_bytes, standard_response, AI_pseudo_response, original_generate_response, AI_json_report (JSON string)",
        |c| c.all(&["AI_pseudo_response", "original_generate_response"]),
        pairs::opa_dpo
    ),
    preset!(
        "align-anything-t2t",
        "Align-Anything text-to-text (PKU-SafeRLHF style)",
        "prompt, response_0, response_1, better_response_id, safer_response_id (0-based), is_response_0_safe, is_response_1_safe",
        |c| c.all(&["response_0", "response_1"]) && c.any(&["better_response_id", "safer_response_id"]),
        align_anything::text_to_text
    ),
    preset!(
        "align-anything-t2i",
        "Align-Anything text-to-image (and Janus better_image/worse_image)",
        "prompt, image_1, image_2 (HF Image), image_1_model, image_2_model, aspect block, overall_image; or prompt, better_image, worse_image",
        |c| c.has("prompt") && (c.all(&["image_1", "image_2"]) || c.all(&["better_image", "worse_image"])),
        align_anything::text_to_image
    ),
    preset!(
        "align-anything-t2a",
        "Align-Anything text-to-audio",
        "prompt, response_1, response_2 (HF Audio), aspect rates and rationales, overall_audio",
        |c| c.all(&["prompt", "response_1", "response_2"]) && c.any(&["overall_audio"]),
        align_anything::text_to_audio
    ),
    preset!(
        "align-anything-llf",
        "Align-Anything language feedback",
        "prompt or question, response (worse), refinement (better), image (base64 or HF Image)",
        |c| c.all(&["response", "refinement"]),
        align_anything::language_feedback
    ),
    preset!(
        "align-anything",
        "Align-Anything ti2t, tv2t, ta2t (and Janus better_response/worse_response)",
        "question or prompt, image / video_path / audio_path, response_1, response_2, res_1_from/res_2_from or model_1/model_2, aspect block, overall_response",
        |c| (c.all(&["response_1", "response_2"]) && c.any(&["question", "prompt"]))
            || c.all(&["better_response", "worse_response"]),
        align_anything::pair
    ),
    preset!(
        "llamafactory-v1",
        "LLaMA-Factory v1 pair format (export target)",
        "chosen_messages, rejected_messages (typed content, image_url parts)",
        |c| c.all(&["chosen_messages", "rejected_messages"]),
        targets::llamafactory_v1
    ),
    preset!(
        "ms-swift",
        "ms-swift DPO/RM rows (export target)",
        "messages (with <image>/<video>/<audio> tags), rejected_response or rejected_messages, images/videos/audios, optional margin",
        |c| c.has("messages") && c.any(&["rejected_response", "rejected_messages", "rejected_images"]),
        targets::ms_swift
    ),
    preset!(
        "llamafactory-sharegpt",
        "LLaMA-Factory sharegpt ranking (export target)",
        "conversations (ending on a human turn), chosen {from, value}, rejected {from, value}, images/videos/audios",
        |c| c.all(&["conversations", "chosen", "rejected"]) || c.all(&["messages", "chosen", "rejected"]),
        targets::llamafactory_sharegpt
    ),
    preset!(
        "llamafactory-alpaca",
        "LLaMA-Factory alpaca ranking (export target)",
        "instruction, input, chosen, rejected, images/videos/audios",
        |c| c.all(&["instruction", "chosen", "rejected"]),
        targets::llamafactory_alpaca
    ),
    preset!(
        "trl",
        "TRL DPOTrainer (export target; also OpenRLHF)",
        "prompt, chosen, rejected as strings or conversational lists of {role, content}; optional images",
        |c| c.all(&["prompt", "chosen", "rejected"]),
        targets::trl
    ),
];
