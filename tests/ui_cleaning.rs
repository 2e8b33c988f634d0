//! The Cleaning panel (kittest): the duplicate passes run from its button as a job and its queue
//! counts the planted groups; a group opens its samples side by side, O keeps the selected one
//! (the others excluded as duplicates, one operation) and U takes it back, L keeps a group whole
//! (nothing excluded) and the queue moves on, the bulk decision excludes the extras of every group
//! of a kind as one operation after a confirmation that counts them; contamination hits and check
//! findings are listed and decided; a pass can be cancelled; the queues are read a page at a time.

mod ui_common;
use common::clean_fixtures as fx;
use egui::Key;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use ui_common::*;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::store::{PageFrom, Store};

mod common;

/// A textured picture (`seed`), changed the way `how` says, as JPEG bytes.
fn picture(seed: u64, how: Option<&str>) -> Vec<u8> {
    let img = fx::picture(seed, 160, 120);
    let img = how.map_or_else(|| img.clone(), |h| fx::variant(&img, h));
    fx::jpeg_bytes(&img, 90)
}

const KITE: &str = "What is the red kite doing above the crowded beach in this picture today?";
const TRAIN: &str = "Which station is the blue train leaving from in the evening photograph here?";

/// Seven image pairs in `name.parquet`: samples 1-3 the same question on the same picture
/// (re-encoded, resized), 4-5 another (brightened), 6 and 7 on their own. Each answer is its own.
fn write_pairs(dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(format!("{name}.parquet"));
    let rows: Vec<(&str, &str, &str, Option<Vec<u8>>)> = vec![
        (KITE, "It glides over the sand near the dunes.", "It sleeps.", Some(picture(1, None))),
        (KITE, "Hovering in a strong sea breeze.", "A dog barks loudly.", Some(picture(1, Some("reencoded")))),
        (KITE, "Soaring while children watch it.", "Nothing happens at all.", Some(picture(1, Some("resized")))),
        (TRAIN, "Platform four of the central station.", "A bus depot.", Some(picture(2, None))),
        (TRAIN, "The old terminus by the river.", "An airport gate.", Some(picture(2, Some("brightened")))),
        (
            "How many sheep are grazing on the green hillside behind the farmhouse?",
            "Eleven sheep.",
            "Two cows.",
            Some(picture(3, None)),
        ),
        (
            "What colour is the umbrella the woman holds while crossing the busy street?",
            "Yellow.",
            "Green.",
            Some(picture(4, None)),
        ),
    ];
    common::write_rlaif_parquet(&file, &rows, 64);
    file
}

fn project_with(dir: &Path, files: &[PathBuf]) -> PathBuf {
    let path = dir.join("p.verdict");
    let mut store = Store::open(&path).expect("project");
    for f in files {
        import_file(&mut store, f, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    }
    path
}

fn excluded(ui: &Ui<'_>, id: i64) -> Option<String> {
    ui.store().curation_state(SampleId(id)).expect("state").excluded
}

fn count(ui: &Ui<'_>, sql: &str) -> i64 {
    ui.store().conn().query_row(sql, [], |r| r.get(0)).expect("count")
}

/// The sample groups as sorted member lists, with their ids.
fn sample_groups(ui: &Ui<'_>) -> Vec<(i64, Vec<i64>)> {
    ui.store()
        .dup_groups(Some("sample"))
        .expect("groups")
        .into_iter()
        .map(|g| {
            let mut m: Vec<i64> = g.members.iter().map(|m| m.sample.0).collect();
            m.sort_unstable();
            (g.id, m)
        })
        .collect()
}

fn notes(ui: &Ui<'_>) -> Vec<String> {
    ui.harness.state().jobs.notifications.iter().map(|n| n.text.clone()).collect()
}

fn wait_for_jobs(ui: &mut Ui<'_>) {
    ui.wait_for("the job to end", |app| app.jobs.running.is_empty());
}

/// Opens the panel and runs the duplicate passes from its button.
fn find_duplicates(ui: &mut Ui<'_>) {
    ui.key(Key::C);
    ui.wait_for_label("No duplicate groups");
    ui.harness.get_by_label("Find duplicates").click();
    ui.harness.step();
    assert_eq!(ui.harness.state().jobs.running.len(), 1, "the pass runs as a job");
    wait_for_jobs(ui);
    assert!(
        notes(ui).iter().any(|n| n.starts_with("Find duplicates: ") && n.contains("2 sample groups (3 extra samples)")),
        "{:?}",
        notes(ui)
    );
}

#[test]
fn duplicates_are_found_from_the_panel_and_decided_group_by_group_and_in_bulk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_pairs(dir.path(), "pairs");
    let project = project_with(dir.path(), &[file]);
    let mut ui = Ui::open(&project, Some("ana"));
    find_duplicates(&mut ui);
    ui.wait_for_label("sample: 2 open of 2");
    let groups = sample_groups(&ui);
    assert_eq!(groups.iter().map(|g| g.1.clone()).collect::<Vec<_>>(), vec![vec![1, 2, 3], vec![4, 5]]);
    let (kite, train) = (groups[0].0, groups[1].0);
    // The image groups count the same picture under another prompt too: none here, but the kinds
    // the passes found are listed with their counts.
    ui.wait_for_label("image: 2 open of 2");

    // A group opens its samples side by side; the list is filtered to none of them: a click on a
    // sample shows it, the list filtered to its group.
    ui.harness.state_mut().project.as_mut().expect("project").query.text = "id:7".into();
    ui.harness.state_mut().project.as_mut().expect("project").run_query();
    ui.wait_for("the filtered list", |app| app.project.as_ref().is_some_and(|p| p.list.ids.len() == 1));
    ui.harness.get_by_label_contains(&format!("Group {kite} · 3 samples")).click();
    ui.wait_for_label("#3 · pairs");
    ui.harness.get_by_label_contains("#3 · pairs").click_accesskit();
    ui.harness.step();
    ui.wait_for("sample 3 shown", |app| {
        app.project.as_ref().is_some_and(|p| p.sample.as_ref().is_some_and(|s| s.view.id == SampleId(3)))
    });
    assert_eq!(ui.list_len(), 3, "the list shows the group");
    assert_eq!(ui.harness.state().project.as_ref().expect("project").query.text, "id:1 or id:2 or id:3");

    // Q selects the member before it (#2, shown in the sample view); O keeps it, the others are
    // excluded as duplicates in one operation.
    ui.key(Key::Q);
    assert_eq!(ui.selected(), SampleId(2));
    ui.key(Key::O);
    assert_eq!(
        (excluded(&ui, 1), excluded(&ui, 2), excluded(&ui, 3)),
        (Some("duplicate".into()), None, Some("duplicate".into()))
    );
    assert_eq!(count(&ui, "SELECT count(*) FROM ops WHERE action = 'exclude' AND samples = 2"), 1, "one operation");
    // The queue moves on to the other open group.
    ui.wait_for_label("#5 · pairs");
    ui.wait_for_label("sample: 1 open of 2");

    // L keeps that group whole: nothing excluded, the queue has nothing left open.
    ui.key(Key::L);
    assert_eq!((excluded(&ui, 4), excluded(&ui, 5)), (None, None));
    assert_eq!(count(&ui, "SELECT count(*) FROM dup_reviews"), 1);
    ui.wait_for_label("Every sample group is decided");
    assert!(notes(&ui).iter().any(|n| n == &format!("Group {train}: kept whole, nothing excluded (U takes it back)")));

    // U takes back the keep-all, then the exclusion.
    ui.key(Key::U);
    assert_eq!(count(&ui, "SELECT count(*) FROM dup_reviews"), 0, "the group is open again");
    ui.key(Key::U);
    assert_eq!((excluded(&ui, 1), excluded(&ui, 3)), (None, None), "U undid the exclusion");
    ui.wait_for_label("sample: 2 open of 2");

    // The bulk decision: the extras of every sample group, keeping the first, counted first.
    ui.harness.get_by_label("Exclude the extras of every sample group…").click();
    ui.harness.step();
    ui.wait_for_label("Exclude 3 samples");
    ui.key(Key::Enter);
    let all: Vec<Option<String>> = (1..=7).map(|i| excluded(&ui, i)).collect();
    let dup = Some("duplicate".to_owned());
    assert_eq!(all, vec![None, dup.clone(), dup.clone(), None, dup, None, None]);
    assert_eq!(count(&ui, "SELECT count(*) FROM ops WHERE action = 'exclude' AND samples = 3"), 1, "one operation");
    ui.wait_for_label("Every sample group is decided");
    ui.key(Key::U);
    assert!((1..=7).all(|i| excluded(&ui, i).is_none()), "one undo takes the whole decision back");
}

#[test]
fn contamination_hits_and_check_findings_are_listed_and_decided() {
    let dir = tempfile::tempdir().expect("tempdir");
    let train = write_pairs(dir.path(), "train");
    // The benchmark: the kite question on its picture, and an unrelated one.
    let bench = dir.path().join("bench.parquet");
    common::write_rlaif_parquet(
        &bench,
        &[
            (KITE, "A kite.", "A bird.", Some(picture(1, Some("reencoded")))),
            (
                "Which planet in this diagram is the largest of all those shown?",
                "Jupiter.",
                "Mars.",
                Some(picture(9, None)),
            ),
        ],
        64,
    );
    // A tiny image and an empty answer for the checks.
    let odd = dir.path().join("odd.parquet");
    common::write_rlaif_parquet(
        &odd,
        &[(
            "Is this small icon a cat or a dog, judging by its ears?",
            "",
            "A dog.",
            Some(fx::jpeg_bytes(&fx::picture(5, 16, 16), 90)),
        )],
        64,
    );
    let project = project_with(dir.path(), &[train, bench, odd]);
    let mut ui = Ui::open(&project, Some("ana"));
    ui.key(Key::C);
    ui.wait_for_label("No duplicate groups");

    // Contamination… names the datasets; the comparison is confirmed, then runs as a job.
    ui.harness.get_by_label("Contamination…").click();
    ui.harness.step();
    ui.wait_for_label("bench (2 samples)");
    ui.harness.get_by_label_contains("bench (2 samples)").click();
    ui.harness.step();
    ui.wait_for_label("Compare with bench");
    ui.key(Key::Enter);
    ui.harness.step();
    wait_for_jobs(&mut ui);
    assert!(notes(&ui).iter().any(|n| n.contains("3 samples of other datasets match bench")), "{:?}", notes(&ui));
    ui.wait_for_label("Contamination 3");
    ui.harness.get_by_label("Contamination 3").click();
    ui.harness.step();
    ui.wait_for_label("3 hits on 3 samples, 3 still in the cleaned set");
    // A hit opens the sample beside the reference member it matches.
    ui.wait_for_label("#1 (train row 0)");
    ui.harness.get_by_label_contains("#1 (train row 0)").click_accesskit();
    ui.wait_for_label("#8 · bench");
    ui.harness.get_by_label("contaminated");
    ui.harness.get_by_label("reference");
    ui.harness.get_by_label("Back to the hits").click();
    ui.harness.step();
    ui.harness.get_by_label("Exclude every contaminated sample…").click();
    ui.harness.step();
    ui.wait_for_label("Exclude 3 samples");
    ui.key(Key::Enter);
    let contaminated: Vec<Option<String>> = (1..=3).map(|i| excluded(&ui, i)).collect();
    assert_eq!(contaminated, vec![Some("contamination".to_owned()); 3]);
    assert_eq!(excluded(&ui, 4), None);
    ui.wait_for_label("3 hits on 3 samples, 0 still in the cleaned set");

    // Check: the findings by kind; a click shows the sample; the kind is flagged in words.
    ui.harness.get_by_label("Check").click();
    ui.harness.step();
    wait_for_jobs(&mut ui);
    ui.harness.get_by_label_contains("Findings ").click();
    ui.harness.step();
    ui.wait_for_label("tiny image: 1");
    ui.harness.get_by_label("tiny image: 1").click();
    ui.harness.step();
    ui.wait_for_label("#10 · odd");
    // The findings page may be read again on its thread right after it first shows (the check
    // job's last writes reaching the panel): a click on the row it replaces is lost, as a person's
    // would be, so the row is clicked again while the sample is not shown.
    let shown = |app: &verdict::ui::VerdictApp| {
        app.project.as_ref().is_some_and(|p| p.sample.as_ref().is_some_and(|s| s.view.id == SampleId(10)))
    };
    for _ in 0..20 {
        ui.harness.get_by_label_contains("#10 · odd").click_accesskit();
        for _ in 0..20 {
            ui.harness.step();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if shown(ui.harness.state()) {
            break;
        }
    }
    ui.wait_for("sample 10 shown", shown);
    ui.harness.get_by_label("Flag every sample with this finding (\"tiny image\")…").click();
    ui.harness.step();
    ui.wait_for_label("Flag 1 sample");
    ui.key(Key::Enter);
    assert_eq!(ui.store().curation_state(SampleId(10)).expect("state").flag.as_deref(), Some("tiny image"));
    ui.harness.get_by_label_contains("empty response: 1").click();
    ui.harness.step();
    ui.wait_for_label("#10 · odd");
}

#[test]
fn a_pass_job_can_be_cancelled_and_keeps_the_groups_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_pairs(dir.path(), "pairs");
    let project = project_with(dir.path(), &[file]);
    let mut ui = Ui::open(&project, Some("ana"));
    find_duplicates(&mut ui);
    let before = sample_groups(&ui);
    // Another connection holds the write lock: the pass waits at its first write, is cancelled
    // meanwhile, and stops at its first step once the lock is free.
    let blocker = Store::open(&project).expect("blocker");
    blocker.conn().execute_batch("BEGIN IMMEDIATE").expect("lock");
    ui.harness.get_by_label("Find duplicates").click();
    ui.harness.step();
    ui.wait_for("the job", |app| !app.jobs.running.is_empty());
    // (Through accessibility: a notification may lie over the status bar's button.)
    ui.harness.get_by_label("Cancel").click_accesskit();
    ui.harness.step();
    blocker.conn().execute_batch("ROLLBACK").expect("unlock");
    wait_for_jobs(&mut ui);
    assert!(
        notes(&ui).iter().any(|n| n.starts_with("Find duplicates: cancelled. The fingerprints made so far are kept")),
        "{:?}",
        notes(&ui)
    );
    assert!(!ui.harness.state().jobs.notifications.iter().any(|n| n.is_error), "cancel is not an error");
    assert_eq!(sample_groups(&ui), before, "the groups of the last complete pass stay");
}

#[test]
fn the_queues_are_read_a_page_at_a_time_and_count_what_is_left_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("texts.jsonl");
    // 60 questions, each asked twice: 60 prompt groups.
    let line = |i: usize, copy: usize| {
        serde_json::json!({
            "prompt": fx::prompt(i as u64 + 1000, 12).join(" "),
            "chosen": format!("a good answer {i}-{copy} with words {}", i * 13 + copy),
            "rejected": format!("a poor reply {i}-{copy} {}", i * 31 + copy),
        })
        .to_string()
    };
    let text: Vec<String> = (0..60).flat_map(|i| [line(i, 0), line(i, 1)]).collect();
    std::fs::write(&file, text.join("\n")).expect("write");
    let path = project_with(dir.path(), &[file]);
    let mut store = Store::open(&path).expect("open");
    let options = verdict::clean::dedup::DedupOptions {
        images: false,
        video: false,
        audio: false,
        responses: false,
        ..Default::default()
    };
    verdict::clean::dedup::run(&mut store, &options, &mut Progress::silent()).expect("dedup");
    let first = store.dup_group_page("prompt", true, PageFrom::Start, 50).expect("page");
    assert_eq!(first.len(), 50);
    let rest = store.dup_group_page("prompt", true, PageFrom::After(first[49].id), 50).expect("page");
    assert_eq!(rest.len(), 10);
    assert_eq!(store.dup_groups_before("prompt", true, rest[0].id).expect("before"), 50);
    let back = store.dup_group_page("prompt", true, PageFrom::Before(rest[0].id), 50).expect("page");
    assert_eq!(back.iter().map(|r| r.id).collect::<Vec<_>>(), first.iter().map(|r| r.id).collect::<Vec<_>>());
    let open =
        |s: &Store| s.dup_kind_counts().expect("counts").into_iter().find(|k| k.kind == "prompt").expect("prompt");
    assert_eq!((open(&store).groups, open(&store).open), (60, 60));
    // One member excluded: its group is decided.
    let g = store.dup_group(first[0].id).expect("group").expect("exists");
    let actor = verdict::store::Actor::new("ana", "cli");
    let exclude = verdict::store::CurationAction::Exclude("duplicate".into());
    store.curate(&actor, &[g.members[1].sample], &exclude, None, &mut Progress::silent()).expect("curate");
    assert_eq!(open(&store).open, 59);
    assert_eq!(store.dup_group_page("prompt", true, PageFrom::Start, 1).expect("page")[0].id, first[1].id);
    // Kept whole: decided too; the mark outlives a new pass that finds the same group.
    assert!(store.review_dup_group(first[1].id, "ana").expect("review"));
    assert_eq!(open(&store).open, 58);
    verdict::clean::dedup::run(&mut store, &options, &mut Progress::silent()).expect("dedup again");
    assert_eq!(open(&store).open, 58, "the same groups, found again, keep their marks");
    let regrouped = store.dup_group_page("prompt", false, PageFrom::Start, 60).expect("page");
    let kept = regrouped.iter().find(|r| r.reviewed).expect("a group kept whole");
    assert!(store.reopen_dup_group(kept.id).expect("reopen"));
    assert_eq!(open(&store).open, 59);
}
