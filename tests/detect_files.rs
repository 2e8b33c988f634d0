//! Whole files (real rows where published, hand-written from FORMATS.md otherwise) are detected as
//! the right preset and import every row, through the same path `verdict import` takes.

use std::path::Path;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::store::Store;

#[test]
fn each_layout_is_detected_from_its_file_and_every_row_imports() {
    let cases = [
        ("presets/aa_janus_t2i_real.json", "align-anything-t2i", 2),
        ("presets/aa_janus_ti2t_real.json", "align-anything", 2),
        ("presets/aa_llf_handwritten.json", "align-anything-llf", 1),
        ("presets/aa_t2t_real.json", "align-anything-t2t", 2),
        ("presets/aa_ti2t_handwritten.json", "align-anything", 1),
        ("presets/llamafactory_alpaca_handwritten.json", "llamafactory-alpaca", 2),
        ("presets/llamafactory_sharegpt_real.json", "llamafactory-sharegpt", 2),
        ("presets/llamafactory_v1_multimodal_pair_derived.jsonl", "llamafactory-v1", 1),
        ("presets/llamafactory_v1_real.jsonl", "llamafactory-v1", 2),
        ("presets/ms_swift_doc_examples.jsonl", "ms-swift", 5),
        ("presets/trl_conversational_images_handwritten.jsonl", "trl", 1),
        ("presets/trl_string_handwritten.jsonl", "trl", 2),
        ("presets/vlfeedback_list_handwritten.json", "vlfeedback", 1),
        ("presets/vlfeedback_struct_of_lists_handwritten.json", "vlfeedback", 1),
        ("samples/povid.json", "povid", 1),
        ("samples/spa-vl_rlhf_training_format.json", "spa-vl", 1),
        ("samples/mdpo_sample_data_vlfeedback-derived.json", "mdpo", 2),
    ];
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut store = Store::open_in_memory().expect("store");
    for (file, preset, samples) in cases {
        let s = import_file(&mut store, &fixtures.join(file), &ImportOptions::default(), &mut Progress::silent())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((s.preset.as_str(), s.samples_added, s.errors), (preset, samples, 0), "{file}");
    }
}
