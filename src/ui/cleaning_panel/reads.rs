//! What the Cleaning panel reads, each on a thread of its own with its own connection: the counts
//! of the three queues, a page of one queue, an open group's members (a page of them) and a
//! contamination hit's two samples as cards, and the samples a queue decision would change. Only
//! what one screen shows is read: a project with 100,000 groups is read a page at a time.

use crate::clean::decide::{Decision, Targets};
use crate::clean::keep::KeepPolicy;
use crate::model::{CHECK_KINDS, DatasetId, MediaKind, MediaRole, SampleId};
use crate::query::DUP_KINDS;
use crate::store::{
    CleanRun, ContaminationHit, DupGroupRow, DupKindCount, PageFrom, SamplePlace, Store, StoredFinding,
};
use crate::ui::diff::{Marked, word_runs};
use crate::ui::loaded::image_source;
use crate::ui::workers::ImageSource;
use std::path::Path;

/// Rows of a queue page.
pub const PAGE: usize = 50;
/// Members of an open group shown at once (side by side, further rows below).
pub const CARDS: usize = 6;

/// Why a read failed, in words.
pub type ReadResult<T> = Result<T, String>;

/// The counts of the three queues, the passes' last runs and the datasets (for the reference
/// picker).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Groups per kind, in [`DUP_KINDS`] order (kinds no pass stored left out).
    pub kinds: Vec<DupKindCount>,
    /// Hits, the distinct samples they name, those of them still in the cleaned set.
    pub contamination: (u64, u64, u64),
    /// Findings and samples per check kind, in [`CHECK_KINDS`] order (kinds with findings).
    pub findings: Vec<(String, u64, u64)>,
    /// The passes' last runs.
    pub runs: Vec<CleanRun>,
    /// The datasets: id, name, samples, marked as a reference set.
    pub datasets: Vec<(DatasetId, String, u64, bool)>,
}

impl Counts {
    /// Open groups over every kind.
    pub fn open_groups(&self) -> u64 {
        self.kinds.iter().map(|k| k.open).sum()
    }

    /// Findings over every kind.
    pub fn findings_total(&self) -> u64 {
        self.findings.iter().map(|f| f.1).sum()
    }
}

/// Reads the counts.
pub fn counts(path: &Path) -> ReadResult<Counts> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let mut kinds = store.dup_kind_counts().map_err(|e| e.to_string())?;
    kinds.sort_by_key(|k| DUP_KINDS.iter().position(|d| *d == k.kind).unwrap_or(usize::MAX));
    let mut findings = store.check_kind_counts().map_err(|e| e.to_string())?;
    findings.sort_by_key(|f| CHECK_KINDS.iter().position(|k| *k == f.0).unwrap_or(usize::MAX));
    let datasets = store
        .datasets()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| (d.id, d.name, d.sample_count, d.reference))
        .collect();
    Ok(Counts {
        kinds,
        contamination: store.contamination_counts().map_err(|e| e.to_string())?,
        findings,
        runs: store.clean_runs().map_err(|e| e.to_string())?,
        datasets,
    })
}

/// A page of duplicate groups of one kind.
#[derive(Debug, Clone, Default)]
pub struct GroupPage {
    /// The kind.
    pub kind: String,
    /// Only the open groups.
    pub open_only: bool,
    /// The groups, in id order.
    pub rows: Vec<DupGroupRow>,
    /// How many groups of the queue come before the first row.
    pub first: u64,
    /// Whether groups follow the last row.
    pub more: bool,
}

/// Reads the page of `kind` from `from`; a page that comes back empty from a point inside the
/// queue (its groups were decided meanwhile) is read again from the queue's start.
pub fn group_page(path: &Path, kind: &str, open_only: bool, from: PageFrom) -> ReadResult<GroupPage> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let page = |from| store.dup_group_page(kind, open_only, from, PAGE + 1).map_err(|e| e.to_string());
    let mut rows = page(from)?;
    if rows.is_empty() && from != PageFrom::Start {
        rows = page(PageFrom::Start)?;
    }
    let mut more = rows.len() > PAGE;
    if let PageFrom::Before(_) = from {
        // Read backwards: the extra row is the one before the page; what follows is where it came from.
        if more {
            rows.remove(0);
        }
        more = true;
    } else {
        rows.truncate(PAGE);
    }
    if let Some(last) = rows.last() {
        more = more
            && !store
                .dup_group_page(kind, open_only, PageFrom::After(last.id), 1)
                .map_err(|e| e.to_string())?
                .is_empty();
    }
    let first = match rows.first() {
        Some(r) => store.dup_groups_before(kind, open_only, r.id).map_err(|e| e.to_string())?,
        None => 0,
    };
    Ok(GroupPage { kind: kind.to_owned(), open_only, rows, first, more })
}

/// One sample as a card: where it is from, its first image or its media in words, its prompt (or
/// the duplicated response) marked against the keeper's, its closest link, its curation marks.
#[derive(Debug, Clone)]
pub struct Card {
    /// The sample.
    pub sample: SampleId,
    /// Which response the group is about (`response` groups).
    pub response: Option<u32>,
    /// Its closest link: bits apart (images) or a similarity.
    pub score: Option<f64>,
    /// Its dataset, position and key; `None`: the sample is gone.
    pub place: Option<SamplePlace>,
    /// Whose text: `Prompt`, `Response B`.
    pub text_title: String,
    /// The text, with the words the keeper's lacks marked.
    pub text: Marked,
    /// Its first input image.
    pub image: Option<ImageSource>,
    /// Its input images.
    pub images: usize,
    /// Its video and audio in words (`video 1 · 12.4 s · 640x360 · 30 fps`).
    pub media: Vec<String>,
    /// Why its first image cannot be shown (not found, not fetched).
    pub media_problem: Option<String>,
    /// The exclusion's reason.
    pub excluded: Option<String>,
    /// The flag's reason.
    pub flag: Option<String>,
}

/// The card of `sample`, its text marked against `anchor` (none: shown unmarked).
pub fn card(
    store: &Store,
    sample: SampleId,
    response: Option<u32>,
    score: Option<f64>,
    anchor: Option<&str>,
) -> ReadResult<Card> {
    let mut card = Card {
        sample,
        response,
        score,
        place: None,
        text_title: String::new(),
        text: Marked::default(),
        image: None,
        images: 0,
        media: Vec::new(),
        media_problem: None,
        excluded: None,
        flag: None,
    };
    let Ok(view) = store.sample(sample) else {
        card.text_title = "gone".into();
        card.text = Marked { text: format!("sample {sample} is no longer in the project"), marks: Vec::new() };
        return Ok(card);
    };
    card.place = store.sample_places(&[sample]).map_err(|e| e.to_string())?.remove(&sample);
    let text = match response {
        Some(r) => {
            card.text_title = format!("Response {}", crate::ui::shared::letter(r));
            view.responses.iter().find(|x| x.position == r).and_then(|x| x.text.clone()).unwrap_or_default()
        }
        None => {
            card.text_title = "Prompt".into();
            view.prompt.clone()
        }
    };
    card.text = match anchor {
        Some(a) => word_runs(a, &text).1,
        None => Marked { text, marks: Vec::new() },
    };
    let inputs = view.media.iter().filter(|m| m.role != MediaRole::Candidate);
    for m in inputs {
        match m.kind {
            MediaKind::Image => {
                card.images += 1;
                if card.images == 1 {
                    card.image = image_source(m);
                    if card.image.is_none() {
                        card.media_problem = Some(
                            m.probe_error
                                .clone()
                                .or_else(|| m.url.clone())
                                .map_or_else(|| "no image data".to_owned(), |e| format!("{}: {e}", m.field)),
                        );
                    }
                }
            }
            MediaKind::Video | MediaKind::Frames | MediaKind::Audio => card.media.push(media_line(m)),
        }
    }
    let state = store.curation_state(sample).map_err(|e| e.to_string())?;
    card.excluded = state.excluded;
    card.flag = state.flag;
    Ok(card)
}

/// A video or audio item in words.
fn media_line(m: &crate::store::MediaView) -> String {
    let mut parts = vec![format!("{} {}", m.kind.as_str(), m.position + 1)];
    let f = &m.facts;
    if let Some(d) = f.duration_s {
        parts.push(format!("{d:.1} s"));
    }
    if let (Some(w), Some(h)) = (f.width, f.height) {
        parts.push(format!("{w}x{h}"));
    }
    if let Some(fps) = f.fps {
        parts.push(format!("{fps:.0} fps"));
    }
    if let Some(rate) = f.sample_rate {
        parts.push(format!("{rate} Hz"));
    }
    if let Some(c) = &f.codec {
        parts.push(c.clone());
    }
    if let Some(e) = &m.probe_error {
        parts.push(e.clone());
    }
    parts.join(" · ")
}

/// An open duplicate group: its row, its samples in rank order, the keeper by the policy, and the
/// cards of one page of its samples.
#[derive(Debug, Clone)]
pub struct GroupDetail {
    /// The group as the queue lists it.
    pub row: DupGroupRow,
    /// Its distinct samples, keeper by import order first.
    pub members: Vec<SampleId>,
    /// The keeper by `policy`.
    pub keeper: SampleId,
    /// The policy it was read under.
    pub policy: KeepPolicy,
    /// The index of the first card in `members`.
    pub offset: usize,
    /// The cards of `members[offset..]`, at most [`CARDS`].
    pub cards: Vec<Card>,
}

/// Reads group `id` under `policy`, its cards from the one at `offset` (`None`: the group is gone).
pub fn group(path: &Path, id: i64, policy: KeepPolicy, offset: usize) -> ReadResult<Option<GroupDetail>> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let (Some(g), Some(row)) =
        (store.dup_group(id).map_err(|e| e.to_string())?, store.dup_group_row(id).map_err(|e| e.to_string())?)
    else {
        return Ok(None);
    };
    // One entry per sample (a response group may name two responses of one sample).
    let mut entries: Vec<&crate::store::DupMember> = Vec::new();
    for m in &g.members {
        if !entries.iter().any(|e| e.sample == m.sample) {
            entries.push(m);
        }
    }
    let members: Vec<SampleId> = entries.iter().map(|m| m.sample).collect();
    let facts = policy.facts(&store, &members).map_err(|e| e.to_string())?;
    let keeper = policy.keeper(&members, &facts);
    let keeper_entry = entries.iter().find(|m| m.sample == keeper);
    let anchor = match keeper_entry {
        Some(k) => store.text_at(k.sample, k.response).map_err(|e| e.to_string())?,
        None => None,
    };
    let offset = offset.min(members.len().saturating_sub(1)) / CARDS * CARDS;
    let mut cards = Vec::new();
    for m in entries.iter().skip(offset).take(CARDS) {
        let against = if m.sample == keeper { None } else { anchor.as_deref() };
        cards.push(card(&store, m.sample, m.response, m.score, against)?);
    }
    Ok(Some(GroupDetail { row, members, keeper, policy, offset, cards }))
}

/// A contamination hit with where its two samples are from and whether the contaminated one is
/// still in the cleaned set.
#[derive(Debug, Clone)]
pub struct HitRow {
    /// The hit.
    pub hit: ContaminationHit,
    /// The contaminated sample's place.
    pub sample: Option<SamplePlace>,
    /// The reference member's place.
    pub reference: Option<SamplePlace>,
    /// The contaminated sample's exclusion.
    pub excluded: Option<String>,
}

/// A page of contamination hits.
#[derive(Debug, Clone, Default)]
pub struct HitPage {
    /// Hits before the first row.
    pub offset: u64,
    /// The hits.
    pub rows: Vec<HitRow>,
}

/// Reads the hits from the `offset`-th.
pub fn hit_page(path: &Path, offset: u64) -> ReadResult<HitPage> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let hits = store.contamination_page(offset, PAGE).map_err(|e| e.to_string())?;
    let ids: Vec<SampleId> = hits.iter().flat_map(|h| [h.sample, h.reference]).collect();
    let places = store.sample_places(&ids).map_err(|e| e.to_string())?;
    let marks = store.curation_marks(&ids).map_err(|e| e.to_string())?;
    let rows = hits
        .into_iter()
        .map(|hit| HitRow {
            sample: places.get(&hit.sample).cloned(),
            reference: places.get(&hit.reference).cloned(),
            excluded: marks.get(&hit.sample).and_then(|m| m.excluded.clone()),
            hit,
        })
        .collect();
    Ok(HitPage { offset, rows })
}

/// A hit's two cards: the contaminated sample (marked against the reference member) and the
/// reference member.
pub fn hit_cards(path: &Path, hit: &ContaminationHit) -> ReadResult<[Card; 2]> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let anchor = store.text_at(hit.reference, None).map_err(|e| e.to_string())?;
    // The distance is the hit's, said above the cards (by both: the smaller of bits and 1 - similarity).
    let sample = card(&store, hit.sample, None, None, anchor.as_deref())?;
    let reference = card(&store, hit.reference, None, None, None)?;
    Ok([sample, reference])
}

/// A finding with its sample's place and marks.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// The finding.
    pub finding: StoredFinding,
    /// Its sample's place.
    pub place: Option<SamplePlace>,
    /// Its sample's flag.
    pub flag: Option<String>,
    /// Its sample's exclusion.
    pub excluded: Option<String>,
}

/// A page of the findings of one kind.
#[derive(Debug, Clone, Default)]
pub struct FindingPage {
    /// The kind.
    pub kind: String,
    /// Findings before the first row.
    pub offset: u64,
    /// The findings.
    pub rows: Vec<FindingRow>,
}

/// Reads the findings of `kind` from the `offset`-th.
pub fn finding_page(path: &Path, kind: &str, offset: u64) -> ReadResult<FindingPage> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let findings = store.check_findings_page(kind, offset, PAGE).map_err(|e| e.to_string())?;
    let ids: Vec<SampleId> = findings.iter().map(|f| f.sample).collect();
    let places = store.sample_places(&ids).map_err(|e| e.to_string())?;
    let marks = store.curation_marks(&ids).map_err(|e| e.to_string())?;
    let rows = findings
        .into_iter()
        .map(|finding| {
            let m = marks.get(&finding.sample).cloned().unwrap_or_default();
            FindingRow { place: places.get(&finding.sample).cloned(), flag: m.flag, excluded: m.excluded, finding }
        })
        .collect();
    Ok(FindingPage { kind: kind.to_owned(), offset, rows })
}

/// What a queue decision would change, counted before it is confirmed.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The decision.
    pub decision: Decision,
    /// Its samples.
    pub targets: Targets,
}

/// Counts what `decision` would change.
pub fn preview(path: &Path, decision: Decision) -> ReadResult<Preview> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let targets = decision.targets(&store).map_err(|e| e.to_string())?;
    Ok(Preview { decision, targets })
}
