//! `verdict check` end to end, on datasets written here with a planted case for every check and
//! controls that must stay clean: opposite labels across rows and datasets, chosen equal to
//! rejected, empty and cut-off responses, placeholder counts, ratings against the label, the
//! images cleanvision reports, and media that does not decode in full (a 40000x40000 PNG header,
//! a truncated JPEG, a frame folder with a cut frame, a video whose data is garbage, a cut WAV):
//! marked failed, found by `media:failed`, left out of exports like missing files, all in bounded
//! memory.

mod common;

use common::{Workspace, import, stderr, stdout, verdict};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Every check kind, as `verdict check` lists them.
const KINDS: [&str; 10] = [
    "opposite_labels",
    "chosen_equals_rejected",
    "empty_response",
    "truncated_response",
    "placeholder_count",
    "ratings_contradict",
    "blank_image",
    "tiny_image",
    "extreme_aspect",
    "bad_media",
];

/// An image of pseudo-random pixels (high entropy: no image rule fires on it unless its size does).
fn noise(w: u32, h: u32, seed: u32) -> image::RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    image::RgbImage::from_fn(w, h, |_, _| {
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8
        };
        image::Rgb([next(), next(), next()])
    })
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A real PNG whose IHDR claims 40000x40000 pixels (its CRC made right): 6.4 GB as RGBA.
fn png_bomb() -> Vec<u8> {
    let mut png = encode(&noise(4, 4, 9), image::ImageFormat::Png);
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&40_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&40_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A JPEG cut at two thirds of its bytes (the image crate's decoder pads it with grey and says ok).
fn cut_jpeg(seed: u32) -> Vec<u8> {
    let full = encode(&noise(300, 200, seed), image::ImageFormat::Jpeg);
    full[..full.len() * 2 / 3].to_vec()
}

/// A 16-bit mono PCM WAV whose header declares one second at 8 kHz; `keep` of its samples written.
fn wav(keep: f64) -> Vec<u8> {
    let samples: Vec<i16> =
        (0..8000).map(|t| ((f64::from(t) * 440.0 * std::f64::consts::TAU / 8000.0).sin() * 9000.0) as i16).collect();
    common::pcm16_wav(8000, 1, &samples[..(8000.0 * keep) as usize], Some(8000))
}

/// The committed test video with the payload of its `mdat` box overwritten: its container still
/// opens, no frame decodes.
fn garbage_video() -> Vec<u8> {
    let mut b =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4"))
            .expect("the committed video fixture");
    let mut i = 0;
    while i + 8 <= b.len() {
        let size = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        if &b[i + 4..i + 8] == b"mdat" {
            for (k, byte) in b[i + 8..i + size].iter_mut().enumerate() {
                *byte = (k * 37 % 251) as u8;
            }
        }
        i += size.max(8);
    }
    b
}

fn jsonl(rows: &[Value]) -> String {
    rows.iter().map(|r| r.to_string() + "\n").collect()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf8")
}

/// `verdict check P --json`: the findings and the closing counts object (asserting the shape).
fn check_json(project: &Path) -> (Vec<Value>, Value) {
    let o = verdict(&["check", p(project), "--json"]);
    assert!(o.status.success(), "check: {}", stderr(&o));
    let mut lines: Vec<Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("each line is one JSON object")).collect();
    let counts = lines.pop().expect("the counts object comes last");
    assert_eq!(counts["counts"].as_object().map(serde_json::Map::len), Some(KINDS.len()), "{counts}");
    for f in &lines {
        assert!(KINDS.contains(&f["kind"].as_str().unwrap_or_default()), "{f}");
        assert!(f["sample"].as_i64().is_some() && f["detail"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
        assert!(f["position"].as_str().is_some_and(|p| p.starts_with("line ")), "{f}");
        assert!(f["dataset"].is_string() && f["key"].is_string(), "{f}");
        if ["bad_media", "blank_image", "tiny_image", "extreme_aspect"]
            .contains(&f["kind"].as_str().unwrap_or_default())
        {
            assert!(f["media"]["id"].is_i64() && f["media"]["field"].is_string(), "{f}");
        }
    }
    (lines, counts)
}

/// The kinds found for each source key, sorted.
fn kinds_by_key(findings: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in findings {
        let key = f["key"].as_str().unwrap_or_default().to_owned();
        out.entry(key).or_default().push(f["kind"].as_str().unwrap_or_default().to_owned());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn finding<'a>(findings: &'a [Value], key: &str, kind: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["key"] == key && f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding for {key}: {findings:#?}"))
}

const SENTENCE: &str = "The photo shows a quiet harbour at dawn with small fishing boats tied to a wooden pier.";

/// Three datasets with a planted case for every text, label and image rule, and controls.
fn planted(ws: &Workspace) -> Vec<std::path::PathBuf> {
    let jpg = image::ImageFormat::Jpeg;
    let png = image::ImageFormat::Png;
    for (name, bytes) in [
        ("img/control.jpg", encode(&noise(64, 48, 1), jpg)),
        ("img/opp.jpg", encode(&noise(64, 48, 2), jpg)),
        ("other/opp_copy.jpg", encode(&noise(64, 48, 2), jpg)),
        ("img/blank.png", encode(&image::RgbImage::from_pixel(64, 64, image::Rgb([200, 200, 200])), png)),
        ("img/tiny.png", encode(&noise(20, 20, 3), png)),
        ("img/wide.png", encode(&noise(400, 40, 4), png)),
        ("img/cut.jpg", cut_jpeg(5)),
        ("img/bomb.png", png_bomb()),
    ] {
        ws.write(name, bytes);
    }
    let mut rows = Vec::new();
    let mut row = |key: &str, prompt: &str, chosen: &str, rejected: &str, image: &str| {
        let path = format!("img/{key}.jpg");
        let image = if image.is_empty() {
            ws.write(&path, encode(&noise(64, 48, 100 + rows.len() as u32), jpg));
            path
        } else {
            image.to_owned()
        };
        rows.push(json!({"id": key, "prompt": prompt, "chosen": chosen, "rejected": rejected, "image": image}));
    };
    let words: Vec<String> = (0..60).map(|i| format!("token{i}")).collect();
    let long = format!("{}.", words.join(" "));
    let longer = format!("{} indeed.", words.join(" "));
    let run_on = format!(
        "{SENTENCE} A man in a yellow coat is carrying a crate of fish along the pier while gulls circle above \
         the water and the first"
    );
    row("control", "<image>\nDescribe the scene.", SENTENCE, "A busy city street at night.", "img/control.jpg");
    row("opp", "<image>\nWhat animal is this?", "A cat.", "A dog.", "img/opp.jpg");
    row("same", "<image>\nWhat is shown here?", "The Same answer.", "the  same   ANSWER.", "");
    row("near", "<image>\nList the tokens.", &long, &longer, "");
    row("empty", "<image>\nWhat colour is it?", "Blue.", "   ", "");
    row("midcut", "<image>\nDescribe the harbour.", SENTENCE, &run_on, "");
    row("tokens", "<image>\n<image>\nHow many boats?", "Two.", "Five.", "");
    row("notoken", "How many gulls?", "Three.", "None.", "");
    row("blank", "<image>\nWhat is drawn?", "Nothing at all.", "A horse.", "img/blank.png");
    row("tiny", "<image>\nWhat is drawn?", "Dots.", "A horse.", "img/tiny.png");
    row("wide", "<image>\nWhat is drawn?", "A strip.", "A horse.", "img/wide.png");
    row("cut", "<image>\nWhat is drawn?", "Noise.", "A horse.", "img/cut.jpg");
    row("bomb", "<image>\nWhat is drawn?", "Noise.", "A horse.", "img/bomb.png");
    let pairs = ws.write("pairs.jsonl", jsonl(&rows));

    // The other dataset: the opposite of `opp` (its image a copy under another name) and the same
    // label as `control` on its question (agreement is no finding).
    let other = ws.write(
        "other.jsonl",
        jsonl(&[
            json!({"id": "opp2", "prompt": "<image>\nWhat  animal is THIS?", "chosen": "A dog.", "rejected": "A cat.", "image": "other/opp_copy.jpg"}),
            json!({"id": "agree", "prompt": "<image>\nDescribe the scene.", "chosen": SENTENCE, "rejected": "A busy city street at night.", "image": "img/control.jpg"}),
        ]),
    );

    // Text only: five rejected answers clipped at exactly 200 characters (the dataset's longest),
    // five shorter ones; every chosen answer a short sentence.
    let capped: Vec<Value> = (0..10)
        .map(|i| {
            let rejected = if i < 5 {
                let text = format!("Answer {i} describes harbours, fishermen, lighthouses, seabirds, weatherboards, tidewaters, marketplaces ")
                    .repeat(4);
                text.chars().take(200).collect::<String>()
            } else {
                format!("Answer {i} is short and complete.")
            };
            json!({"id": format!("capped{i}"), "prompt": format!("Capped question {i}?"), "chosen": format!("Chosen {i}."), "rejected": rejected})
        })
        .collect();
    let capped = ws.write("capped.jsonl", jsonl(&capped));

    // Align-Anything: an overall winner beside per-aspect rates; `contra` rates its rejected
    // response higher, `rated_ok` agrees.
    let rated = ws.write(
        "rated.jsonl",
        jsonl(&[
            json!({"id": "contra", "question": "Rated question one?", "response_1": "The first answer.", "response_2": "The second answer.",
                   "overall_response": 1, "prompt_following_rate_1": 1, "prompt_following_rate_2": 3, "clarity_rate_1": 2, "clarity_rate_2": 3}),
            json!({"id": "rated_ok", "question": "Rated question two?", "response_1": "The first answer.", "response_2": "The second answer.",
                   "overall_response": 1, "prompt_following_rate_1": 3, "prompt_following_rate_2": 1, "clarity_rate_1": 3, "clarity_rate_2": 2}),
        ]),
    );
    vec![pairs, other, capped, rated]
}

#[test]
fn every_check_finds_its_planted_case_and_leaves_the_controls_alone() {
    let ws = Workspace::new();
    let project = ws.project();
    for file in planted(&ws) {
        import(&project, &file);
    }
    let (findings, counts) = check_json(&project);
    let found = kinds_by_key(&findings);
    let want = |kinds: &[&str]| kinds.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, kinds) in [
        ("opp", want(&["opposite_labels"])),
        ("opp2", want(&["opposite_labels"])),
        ("same", want(&["chosen_equals_rejected"])),
        ("near", want(&["chosen_equals_rejected"])),
        ("empty", want(&["empty_response"])),
        ("midcut", want(&["truncated_response"])),
        ("tokens", want(&["placeholder_count"])),
        ("notoken", want(&["placeholder_count"])),
        ("blank", want(&["blank_image"])),
        ("tiny", want(&["tiny_image"])),
        ("wide", want(&["extreme_aspect"])),
        ("cut", want(&["bad_media"])),
        ("bomb", want(&["bad_media"])),
        ("contra", want(&["ratings_contradict"])),
    ] {
        expected.insert(key.to_owned(), kinds);
    }
    for i in 0..5 {
        expected.insert(format!("capped{i}"), want(&["truncated_response"]));
    }
    // The controls (control, agree, capped5-9, rated_ok) have no finding at all.
    assert_eq!(found, expected, "{findings:#?}");

    let per_kind: BTreeMap<&str, i64> =
        KINDS.iter().map(|k| (*k, counts["counts"][k].as_i64().unwrap_or(-1))).collect();
    let planted_per_kind: BTreeMap<&str, i64> =
        KINDS.iter().map(|k| (*k, expected.values().filter(|v| v.iter().any(|x| x == k)).count() as i64)).collect();
    assert_eq!(per_kind, planted_per_kind);
    assert_eq!(counts["findings"], json!(findings.len()));
    // The query field finds each kind's samples, the way the filter bar and `label --where` do.
    for kind in KINDS {
        let o = verdict(&["search", p(&project), &format!("check:{kind}"), "--count"]);
        assert!(o.status.success(), "search check:{kind}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim(), planted_per_kind[kind].to_string(), "check:{kind}");
    }
    let o = verdict(&["search", p(&project), "check:bad-media", "--count"]);
    assert_eq!(stdout(&o).trim(), "2", "a hyphen or an underscore alike");
    let o = verdict(&["search", p(&project), "check:nonsense", "--count"]);
    assert!(!o.status.success() && stderr(&o).contains("opposite_labels"), "an unknown kind names the known ones");

    // What each finding says.
    let opp = finding(&findings, "opp", "opposite_labels");
    let opp2 = finding(&findings, "opp2", "opposite_labels");
    assert_eq!(opp["other"], opp2["sample"], "each names the other");
    assert_eq!(opp2["dataset"], "other");
    assert!(opp["detail"].as_str().unwrap_or_default().contains("other line 1"), "{opp}");
    assert!(
        finding(&findings, "same", "chosen_equals_rejected")["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("same text")
    );
    assert!(
        finding(&findings, "near", "chosen_equals_rejected")["detail"].as_str().unwrap_or_default().contains("nearly")
    );
    assert_eq!(finding(&findings, "empty", "empty_response")["response"], "B");
    let midcut = finding(&findings, "midcut", "truncated_response");
    assert!(midcut["detail"].as_str().unwrap_or_default().contains("mid-sentence"), "{midcut}");
    let capped = finding(&findings, "capped0", "truncated_response");
    assert!(capped["detail"].as_str().unwrap_or_default().contains("200 characters"), "{capped}");
    assert!(capped["detail"].as_str().unwrap_or_default().contains("5 of its 20 responses"), "{capped}");
    let tokens = finding(&findings, "tokens", "placeholder_count")["detail"].as_str().unwrap_or_default().to_owned();
    assert!(tokens.contains("2 <image> placeholders") && tokens.contains("1 image"), "{tokens}");
    let contra = finding(&findings, "contra", "ratings_contradict");
    assert_eq!(contra["response"], "B");
    assert!(contra["detail"].as_str().unwrap_or_default().contains("3 against 1.50"), "{contra}");
    let bomb = finding(&findings, "bomb", "bad_media");
    assert!(bomb["detail"].as_str().unwrap_or_default().contains("40000x40000"), "{bomb}");
    assert_eq!(bomb["media"]["field"], "image");
    let cut = finding(&findings, "cut", "bad_media");
    assert!(cut["detail"].as_str().unwrap_or_default().contains("truncated JPEG"), "{cut}");
    let blank = finding(&findings, "blank", "blank_image");
    assert!(blank["detail"].as_str().unwrap_or_default().contains("1.58 bits"), "{blank}");

    // The label in force decides: a curator's pick of the higher-rated answer ends the
    // contradiction, a swap of `opp2` agrees with `opp`; the next run replaces the findings.
    for (key, action) in [("contra", &["--pick", "B"][..]), ("opp2", &["--swap"][..])] {
        let query = format!("key:{key}");
        let mut args = vec!["label", p(&project), "--where", query.as_str(), "--curator", "tester"];
        args.extend_from_slice(action);
        let o = verdict(&args);
        assert!(o.status.success(), "label {key}: {}", stderr(&o));
    }
    let (after, counts) = check_json(&project);
    let found = kinds_by_key(&after);
    for key in ["contra", "opp", "opp2"] {
        assert!(!found.contains_key(key), "{key}: {after:#?}");
    }
    assert_eq!(counts["counts"]["ratings_contradict"], 0);
    assert_eq!(counts["counts"]["opposite_labels"], 0);
    assert_eq!(counts["counts"]["bad_media"], 2, "the rest stays");
}

#[test]
fn the_text_listing_names_sample_dataset_and_position_with_the_counts_last_and_exits_0() {
    let ws = Workspace::new();
    let project = ws.project();
    let data = ws.write(
        "d.jsonl",
        jsonl(&[
            json!({"id": "k1", "prompt": "First question?", "chosen": "Yes.", "rejected": "No."}),
            json!({"id": "k2", "prompt": "Second question?", "chosen": "Same.", "rejected": "same."}),
        ]),
    );
    import(&project, &data);
    let o = verdict(&["check", p(&project)]);
    assert!(o.status.success(), "findings are no failure: {}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "sample 2 (d line 2, key k2): chosen_equals_rejected: chosen A and rejected B are the same text (after \
         Unicode, case and space folding)"
    );
    let counts: Vec<String> =
        KINDS.iter().map(|k| format!("{k}: {}", u8::from(*k == "chosen_equals_rejected"))).collect();
    assert_eq!(lines[1..], counts.iter().map(String::as_str).collect::<Vec<_>>()[..], "{out}");
    assert!(stderr(&o).contains("checked 2 samples"), "{}", stderr(&o));

    let o = verdict(&["check", p(&project), "--kind", "bad_media"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("opposite_labels: 0\n"), "only the counts: {}", stdout(&o));
    let o = verdict(&["check", p(&project), "--near-equal", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--near-equal 0"), "{}", stderr(&o));
}

fn media_failed(project: &Path) -> Vec<i64> {
    let o = verdict(&["search", p(project), "media:failed", "--json"]);
    assert!(o.status.success(), "search: {}", stderr(&o));
    let mut ids: Vec<i64> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids
}

fn sample_id(project: &Path, key: &str) -> i64 {
    common::count(project, &format!("SELECT id FROM samples WHERE source_key = '{key}'"))
}

#[test]
fn media_that_does_not_decode_in_full_is_marked_failed_and_left_out_of_exports_in_bounded_memory() {
    let ws = Workspace::new();
    let project = ws.project();
    let jpg = image::ImageFormat::Jpeg;
    ws.write("img/good.jpg", encode(&noise(64, 48, 1), jpg));
    ws.write("img/cut.jpg", cut_jpeg(2));
    ws.write("img/bomb.png", png_bomb());
    for i in 0..3u32 {
        ws.write(&format!("frames/whole/{i:04}.jpg"), encode(&noise(48, 32, 10 + i), jpg));
        let frame = if i == 1 { cut_jpeg(20 + i) } else { encode(&noise(48, 32, 20 + i), jpg) };
        ws.write(&format!("frames/cut/{i:04}.jpg"), frame);
    }
    ws.write(
        "clip.mp4",
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4"))
            .expect("fixture"),
    );
    ws.write("garbage.mp4", garbage_video());
    ws.write("whole.wav", wav(1.0));
    ws.write("cut.wav", wav(0.3));
    let image_row = |key: &str, image: &str| json!({"id": key, "prompt": format!("<image>\nWhat is in {key}?"), "chosen": "Noise.", "rejected": "A horse.", "image": image});
    let video_row = |key: &str, video: &str| json!({"id": key, "prompt": format!("<video>\nWhat moves in {key}?"), "chosen": "Bars.", "rejected": "A horse.", "video": video});
    let audio_row = |key: &str, audio: &str| json!({"id": key, "question": format!("What sounds in {key}?"), "response_1": "A tone.", "response_2": "A horse.", "overall_response": 1, "audio_path": audio});
    let files = [
        ws.write(
            "images.jsonl",
            jsonl(&[
                image_row("good", "img/good.jpg"),
                image_row("cut", "img/cut.jpg"),
                image_row("bomb", "img/bomb.png"),
            ]),
        ),
        ws.write(
            "videos.jsonl",
            jsonl(&[
                video_row("frames_whole", "frames/whole"),
                video_row("frames_cut", "frames/cut"),
                video_row("clip", "clip.mp4"),
                video_row("garbage", "garbage.mp4"),
            ]),
        ),
        ws.write("audio.jsonl", jsonl(&[audio_row("whole_wav", "whole.wav"), audio_row("cut_wav", "cut.wav")])),
    ];
    for f in &files {
        import(&project, f);
    }
    // Import reads headers only: the cut JPEG, the bomb, the cut frame and the cut WAV pass.
    let at_import = media_failed(&project);
    for key in ["cut", "bomb", "frames_cut", "cut_wav"] {
        assert!(!at_import.contains(&sample_id(&project, key)), "{key} failed at import already: {at_import:?}");
    }

    // The check runs in 1 GiB of address space: the bomb (6.4 GB as RGBA) is refused from its
    // header, never allocated.
    let o = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 1048576 && exec \"$0\" check \"$1\" --json"])
        .arg(env!("CARGO_BIN_EXE_verdict"))
        .arg(&project)
        .output()
        .expect("runs");
    assert!(o.status.success(), "check in 1 GiB: {}", stderr(&o));
    let findings: Vec<Value> = stdout(&o).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let bad: BTreeMap<String, String> = findings
        .iter()
        .filter(|f| f["kind"] == "bad_media")
        .map(|f| {
            (f["key"].as_str().unwrap_or_default().to_owned(), f["detail"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let keys: Vec<&str> = bad.keys().map(String::as_str).collect();
    assert_eq!(keys, ["bomb", "cut", "cut_wav", "frames_cut", "garbage"], "{findings:#?}");
    assert!(bad["bomb"].contains("40000x40000"), "{}", bad["bomb"]);
    assert!(bad["cut"].contains("truncated JPEG"), "{}", bad["cut"]);
    assert!(
        bad["frames_cut"].contains("frame 0001.jpg") && bad["frames_cut"].contains("truncated JPEG"),
        "{}",
        bad["frames_cut"]
    );
    assert!(bad["garbage"].contains("no video frame decodes"), "{}", bad["garbage"]);
    assert!(bad["cut_wav"].contains("only 0.3 s of the 1.0 s"), "{}", bad["cut_wav"]);

    // Marked failed: `media:failed` finds them, and the reason is stored.
    let mut want: Vec<i64> =
        ["bomb", "cut", "cut_wav", "frames_cut", "garbage"].iter().map(|k| sample_id(&project, k)).collect();
    want.sort_unstable();
    assert_eq!(media_failed(&project), want);
    let reason: String = rusqlite::Connection::open(&project)
        .expect("opens")
        .query_row(
            "SELECT probe_error FROM media m JOIN samples s ON s.id = m.sample_id WHERE s.source_key = 'bomb'",
            [],
            |r| r.get(0),
        )
        .expect("a reason");
    assert!(reason.starts_with("does not decode: ") && reason.contains("40000x40000"), "{reason}");

    // The export leaves them out like missing files, and keeps the rest.
    let out = ws.path("out");
    let report = common::export(&project, &out, &["--format", "llamafactory"]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("json");
    let left: BTreeMap<i64, (String, String)> = manifest["left_out"]
        .as_array()
        .expect("left_out")
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
            (l["sample"].as_i64().unwrap_or_default(), (s("reason"), s("detail")))
        })
        .collect();
    assert_eq!(left.keys().copied().collect::<Vec<_>>(), want, "{manifest:#}");
    for (reason, detail) in left.values() {
        assert_eq!(reason, "missing_media");
        assert!(detail.contains("does not decode"), "{detail}");
    }
    assert_eq!(report["counts"]["samples_written"], 4, "good, frames_whole, clip, whole_wav: {report:#}");

    // Mended, the cut JPEG decodes: the next run lifts its mark.
    ws.write("img/cut.jpg", encode(&noise(300, 200, 2), jpg));
    let o = verdict(&["check", p(&project)]);
    assert!(o.status.success(), "{}", stderr(&o));
    want.retain(|id| *id != sample_id(&project, "cut"));
    assert_eq!(media_failed(&project), want);
}

#[test]
fn a_cancelled_run_keeps_the_findings_of_the_run_before() {
    use verdict::clean::{CleanError, checks};
    let ws = Workspace::new();
    let project = ws.project();
    let data =
        ws.write("d.jsonl", jsonl(&[json!({"id": "k", "prompt": "Q?", "chosen": "Same.", "rejected": "same."})]));
    import(&project, &data);
    let (before, _) = check_json(&project);
    assert_eq!(before.len(), 1);

    let mut store = verdict::store::Store::open(&project).expect("opens");
    let cancel = verdict::jobs::CancelToken::new();
    cancel.cancel();
    let mut progress = verdict::jobs::Progress::new(std::sync::Arc::new(verdict::jobs::NoProgress), cancel);
    let err = checks::run(&mut store, &checks::CheckOptions::default(), &mut progress).expect_err("cancelled");
    assert!(matches!(err, CleanError::Cancelled), "{err}");
    let kept = store.check_findings(None).expect("reads");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].kind, "chosen_equals_rejected");
}
