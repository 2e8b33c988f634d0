//! Datasets and import from the app (kittest): the Datasets panel lists each dataset with its
//! counts and import report and removes one after a confirmation (a job through the write path);
//! the import confirmation takes a media folder; a dropped Hugging Face `save_to_disk` folder
//! imports its Arrow files.

mod ui_common;
use egui::Key;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use ui_common::*;
use verdict::store::Store;

mod common;

/// A file or folder dropped on the window, as eframe hands it to the app.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_on_window(ui: &mut Ui<'_>, path: &std::path::Path) {
    ui.harness.input_mut().dropped_files.push(Arc::new(Dropped(path.to_owned())));
}

fn datasets(ui: &Ui<'_>) -> usize {
    ui.store().datasets().expect("datasets").len()
}

#[test]
fn the_datasets_panel_shows_counts_and_reports_and_removes_a_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("ana"));
    assert_eq!(ui.list_len(), 19);
    ui.key(Key::D);
    ui.wait_for_label("rlaif_v (dataset 1)");
    ui.harness.get_by_label("12 samples · rlaif-v · parquet");
    assert_eq!(ui.harness.query_all_by_label_contains("Import report:").count(), 3, "one report per dataset");

    // Remove… asks first; Esc keeps everything.
    ui.harness.get_all_by_label("Remove…").next().expect("a Remove button").click();
    ui.wait_for_label("Remove dataset 1 (rlaif_v) with its 12 samples");
    ui.key(Key::Escape);
    assert!(ui.harness.query_by_label_contains("Remove dataset 1").is_none());
    assert_eq!(datasets(&ui), 3);

    // Asked again and confirmed with Enter: a job removes it; the list and the panel follow.
    ui.harness.get_all_by_label("Remove…").next().expect("a Remove button").click();
    ui.wait_for_label("Remove dataset 1 (rlaif_v) with its 12 samples");
    ui.key(Key::Enter);
    ui.wait_for("the list without rlaif_v", |app| app.project.as_ref().is_some_and(|p| p.list.ids.len() == 7));
    assert_eq!(datasets(&ui), 2);
    ui.wait_for_label("llava_dpo_video (dataset 2)");
    let start = std::time::Instant::now();
    while ui.harness.query_by_label_contains("rlaif_v (dataset 1)").is_some() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "the panel still lists the removed dataset");
        ui.harness.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let store = ui.store();
    let final_ops: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM ops WHERE action = 'remove_dataset' AND state = 'final'", [], |r| r.get(0))
        .expect("ops");
    assert_eq!(final_ops, 1, "one final operation, in the history");
}

#[test]
fn the_import_confirmation_takes_a_media_folder_and_a_dropped_save_to_disk_folder_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.verdict");
    drop(Store::open(&path).expect("project"));
    // Pairs whose images live in another folder than the data file.
    std::fs::create_dir_all(dir.path().join("pictures")).expect("mkdir");
    std::fs::write(dir.path().join("pictures/kite.jpg"), common::jpeg(12, 8, 3)).expect("image");
    std::fs::create_dir_all(dir.path().join("data")).expect("mkdir");
    let data = dir.path().join("data/pairs.jsonl");
    std::fs::write(
        &data,
        "{\"prompt\": \"<image> What flies?\", \"chosen\": \"A kite\", \"rejected\": \"A bird\", \"image\": \"kite.jpg\", \"is_tie\": false}\n",
    )
    .expect("data");
    let mut ui = Ui::open_empty(&path);

    drop_on_window(&mut ui, &data);
    ui.harness.step();
    ui.wait_for_label("Detected layout:");
    ui.harness.get_by_label_contains("Media folder").click();
    ui.harness.step();
    ui.type_text(&dir.path().join("pictures").display().to_string());
    ui.key(Key::Enter);
    ui.wait_for("the pair imported", |app| app.project.as_ref().is_some_and(|p| p.list.ids.len() == 1));
    let store = ui.store();
    let view = store.sample(verdict::model::SampleId(1)).expect("sample");
    assert_eq!(view.media[0].probe_status, verdict::model::ProbeStatus::Ok, "found in the media folder given");

    // A save_to_disk folder dropped on the window imports its Arrow files.
    let folder = dir.path().join("saved");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("prompt", arrow_schema::DataType::Utf8, false),
        arrow_schema::Field::new("chosen", arrow_schema::DataType::Utf8, false),
        arrow_schema::Field::new("rejected", arrow_schema::DataType::Utf8, false),
    ]));
    for (i, name) in ["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"].iter().enumerate() {
        let batch = arrow_array::RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(arrow_array::StringArray::from(vec![format!("saved {i}a"), format!("saved {i}b")])),
                Arc::new(arrow_array::StringArray::from(vec!["good", "good"])),
                Arc::new(arrow_array::StringArray::from(vec!["bad", "bad"])),
            ],
        )
        .expect("batch");
        common::write_arrow_stream(&folder.join(name), &batch);
    }
    std::fs::write(
        folder.join("state.json"),
        r#"{"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}]}"#,
    )
    .expect("state");
    drop_on_window(&mut ui, &folder);
    ui.harness.step();
    ui.wait_for_label("Detected layout: trl");
    ui.key(Key::Enter);
    ui.wait_for("the folder's four rows", |app| app.project.as_ref().is_some_and(|p| p.list.ids.len() == 5));
    assert_eq!(ui.store().datasets().expect("datasets").len(), 3, "the pairs, then one dataset per Arrow file");
}
