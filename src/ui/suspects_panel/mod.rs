//! The Suspects panel (`V`): the pairs a scorer disagrees with most confidently, read a page at a
//! time on a thread (`reads.rs`), each with its sample, dataset, position, the label in force, the
//! margin score(chosen) - score(rejected) and the probability that the label is right; the scorer
//! picked from a combo when the project has several, with how often it agrees with the labels.
//! A row, or `,` and `.`, shows its sample in the sample view, where the model's score stands
//! beside each candidate and the usual keys relabel it; the queue is read again at once after a
//! change, so a relabelled pair moves. Score… opens the form of a scoring job (`form.rs`), which
//! the app runs as a job with progress and Cancel; what went wrong is said here in words.

mod agreement;
mod form;
pub mod reads;
mod row;

use super::background::Background;
use super::commands::{Command, ScoreRequest};
use crate::model::SampleId;
use crate::model::words::plural;
use reads::{PAGE, SuspectPage};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The least time between two reads that changes elsewhere start (a scoring job writes every second).
const REREAD_AFTER: Duration = Duration::from_secs(1);

/// A line the panel says (a job's end, a form that cannot start), and whether it is an error.
pub type Note = Option<(String, bool)>;

/// The panel's state (held by the open project).
pub struct SuspectsPanel {
    path: PathBuf,
    page: Background<SuspectPage>,
    /// The scorer picked (`None`: the one used last).
    scorer: Option<String>,
    offset: u64,
    stale: bool,
    /// A change of our own: read again without waiting.
    urgent: bool,
    read_at: Option<Instant>,
    /// The suspect shown and its index in the queue when it was shown.
    current: Option<(SampleId, u64)>,
    /// Once the page arrives, show the suspect at this index of the queue.
    show_when_read: Option<u64>,
    /// The Score form, while it is open.
    pub form: Option<ScoreRequest>,
    /// The form as last started: it opens again with this model, name, device, batch and
    /// precision (a wrong path is corrected, not typed again).
    last_request: Option<ScoreRequest>,
    /// What the panel says; a scoring job writes its outcome here from its thread.
    note: Arc<Mutex<Note>>,
    /// The scorer's agreement per dataset, source model and curator.
    agreement: agreement::AgreementSection,
    /// The models the Hugging Face caches hold, read when the form opens.
    cached: Background<Vec<String>>,
    /// The caches to list (default: `score::folder::hub_caches`).
    pub caches: Option<Vec<PathBuf>>,
}

impl SuspectsPanel {
    /// The panel of the project at `path`; nothing is read until it opens.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            page: Background::default(),
            scorer: None,
            offset: 0,
            stale: false,
            urgent: false,
            read_at: None,
            current: None,
            show_when_read: None,
            form: None,
            last_request: None,
            note: Arc::default(),
            agreement: agreement::AgreementSection::default(),
            cached: Background::default(),
            caches: None,
        }
    }

    /// Reads the page shown again.
    pub fn refresh(&mut self, ctx: &egui::Context) {
        self.stale = false;
        self.urgent = false;
        self.read_at = Some(Instant::now());
        let (scorer, offset) = (self.scorer.clone(), self.offset);
        let ctx = ctx.clone();
        self.page.start(
            "suspects-page",
            &self.path,
            move |p| reads::page(p, scorer.as_deref(), offset),
            move || ctx.request_repaint(),
        );
    }

    /// Labels or scores changed: read again when next polled while open (`ours`: at once, a
    /// relabel of the curator's; else after a moment, as a job writes every second).
    pub fn invalidate(&mut self, ours: bool) {
        self.stale = true;
        self.urgent |= ours;
        self.agreement.invalidate();
    }

    /// Where a scoring job and the form say what happened.
    pub fn note_handle(&self) -> Arc<Mutex<Note>> {
        self.note.clone()
    }

    /// Says `text` in the panel (an error in the error colour).
    pub fn say(&self, text: &str, error: bool) {
        if let Ok(mut n) = self.note.lock() {
            *n = Some((text.to_owned(), error));
        }
    }

    /// The model folder picked in the system's dialog.
    pub fn set_model(&mut self, dir: &std::path::Path) {
        if let Some(f) = &mut self.form {
            f.model = dir.display().to_string();
        }
    }

    /// The queue's samples on the page read, in order (for tests).
    pub fn rows(&self) -> Vec<SampleId> {
        match self.page.value() {
            Some(Ok(p)) => p.rows.iter().map(|r| r.pair.sample).collect(),
            _ => Vec::new(),
        }
    }

    /// The suspect shown last from the panel.
    pub fn current(&self) -> Option<SampleId> {
        self.current.map(|c| c.0)
    }

    /// Whether a read is under way.
    pub fn is_loading(&self) -> bool {
        self.page.is_loading()
    }

    /// Picks up a finished read (showing the suspect a step asked for); reads again what changed
    /// while the panel is `open`.
    pub fn poll(&mut self, ctx: &egui::Context, open: bool) -> Vec<Command> {
        let had = self.page.is_loading();
        self.page.poll();
        let mut out = Vec::new();
        if had
            && !self.page.is_loading()
            && let Some(index) = self.show_when_read.take()
        {
            out.extend(self.show(index));
        }
        if open
            && let Some(Ok(page)) = self.page.value()
            && let Some(scorer) = &page.scorer
        {
            self.agreement.poll(ctx, &self.path, &scorer.name);
        }
        let due = self.urgent || self.read_at.is_none_or(|t| t.elapsed() >= REREAD_AFTER);
        if open && self.stale && !self.page.is_loading() && due {
            self.refresh(ctx);
        } else if open && self.stale {
            ctx.request_repaint_after(REREAD_AFTER);
        }
        out
    }

    /// The next (`forward`) or previous suspect: the one after the suspect shown, or, when a
    /// relabel moved that one away, the one now in its place.
    pub fn step(&mut self, ctx: &egui::Context, forward: bool) -> Vec<Command> {
        let Some(Ok(page)) = self.page.value() else { return Vec::new() };
        let index = match self.current {
            None => page.offset,
            Some((id, i)) => {
                let still = page.at(i).is_some_and(|r| r.pair.sample == id);
                match (forward, still) {
                    (true, true) => i + 1,
                    (true, false) => i,
                    (false, _) => i.saturating_sub(1),
                }
            }
        };
        if index >= page.total() {
            self.say("That was the last suspect.", false);
            return Vec::new();
        }
        if page.at(index).is_some() {
            return self.show(index);
        }
        // On another page: read it, then show the suspect.
        self.offset = index / PAGE as u64 * PAGE as u64;
        self.show_when_read = Some(index);
        self.refresh(ctx);
        Vec::new()
    }

    fn show(&mut self, index: u64) -> Vec<Command> {
        let Some(Ok(page)) = self.page.value() else { return Vec::new() };
        let Some(row) = page.at(index) else { return Vec::new() };
        let id = row.pair.sample;
        self.current = Some((id, index));
        vec![Command::ShowSample(id, vec![id])]
    }

    /// Draws the panel; `filter` is the query bar's text (the Score form's default query).
    pub fn ui(&mut self, ui: &mut egui::Ui, filter: &str) -> Vec<Command> {
        let mut cmds = Vec::new();
        ui.horizontal(|ui| {
            ui.heading("Suspects");
            if self.page.is_loading() {
                ui.spinner();
            }
            if self.form.is_none() && ui.button("Score…").on_hover_text("Score the candidates with a model").clicked()
            {
                let last = self.last_request.clone().unwrap_or_default();
                self.form = Some(ScoreRequest { query: filter.to_owned(), ..last });
                let caches = self.caches.clone().unwrap_or_else(crate::score::folder::hub_caches);
                let wake = ui.ctx().clone();
                self.cached.start(
                    "hf-cache-models",
                    &self.path,
                    move |_| Ok::<_, String>(crate::score::folder::cached_models(&caches)),
                    move || wake.request_repaint(),
                );
            }
        });
        if let Some(form) = &mut self.form {
            self.cached.poll();
            let cached = match self.cached.value() {
                Some(Ok(models)) => models.as_slice(),
                _ => &[],
            };
            match form::form_ui(ui, form, cached) {
                form::Action::None => {}
                form::Action::Browse => cmds.push(Command::BrowseScoreModel),
                form::Action::Start => {
                    self.last_request = Some(form.clone());
                    cmds.push(Command::StartScore(Box::new(form.clone())));
                }
                form::Action::Close => self.form = None,
            }
            ui.separator();
        }
        let note = self.note.lock().ok().and_then(|n| n.clone());
        if let Some((text, error)) = note {
            ui.horizontal_wrapped(|ui| {
                if error {
                    ui.colored_label(ui.visuals().error_fg_color, text);
                } else {
                    ui.label(text);
                }
                if ui.small_button("Dismiss").clicked()
                    && let Ok(mut n) = self.note.lock()
                {
                    *n = None;
                }
            });
        }
        let Some(Ok(page)) = self.page.value() else {
            match self.page.value() {
                Some(Err(e)) => ui.colored_label(ui.visuals().error_fg_color, e),
                _ => ui.weak("Reading…"),
            };
            return cmds;
        };
        let Some(scorer) = page.scorer.clone() else {
            ui.weak("No scorer has scored this project yet: Score… runs a model over the candidates.");
            return cmds;
        };
        let mut picked = scorer.name.clone();
        if page.scorers.len() > 1 {
            egui::ComboBox::from_label("Scorer").selected_text(&picked).show_ui(ui, |ui| {
                for s in &page.scorers {
                    ui.selectable_value(&mut picked, s.name.clone(), &s.name);
                }
            });
        } else {
            ui.label(format!("Scorer: {}", scorer.name));
        }
        ui.weak(agreement_text(&scorer, page.temperature.map(|t| t.value)));
        if scorer.pairs > 0 {
            self.agreement.ui(ui, &scorer.name);
        }
        ui.separator();
        let (offset, total, current) = (page.offset, page.total(), self.current);
        let mut show = None;
        row::header_ui(ui);
        egui::ScrollArea::vertical()
            .id_salt("suspects")
            .auto_shrink([false, true])
            .max_height((ui.available_height() - 56.0).max(80.0))
            .show(ui, |ui| {
                for (i, r) in page.rows.iter().enumerate() {
                    let selected = current.is_some_and(|c| c.0 == r.pair.sample);
                    if row::row_ui(ui, r, selected).clicked() {
                        show = Some(offset + i as u64);
                    }
                }
            });
        ui.horizontal(|ui| {
            let last = (offset + page.rows.len() as u64).min(total);
            if ui
                .add_enabled(offset > 0, egui::Button::new("Previous"))
                .on_hover_text("The previous page of pairs")
                .clicked()
            {
                self.offset = offset.saturating_sub(PAGE as u64);
                self.stale = true;
                self.urgent = true;
            }
            ui.label(format!("{}-{last} of {}", (offset + 1).min(last), plural(total, "pair")));
            if ui.add_enabled(last < total, egui::Button::new("Next")).on_hover_text("The next page of pairs").clicked()
            {
                self.offset = offset + PAGE as u64;
                self.stale = true;
                self.urgent = true;
            }
        });
        ui.weak(", / . previous / next suspect; A, B, S, T, X relabel the sample shown.");
        if picked != scorer.name {
            self.scorer = Some(picked);
            self.offset = 0;
            self.current = None;
            self.stale = true;
            self.urgent = true;
        }
        if let Some(index) = show {
            cmds.extend(self.show(index));
        }
        cmds
    }
}

/// "Agrees with 85% of 120 pairs (100 agree, 18 disagree, 2 even) · T 0.031".
fn agreement_text(s: &crate::store::ScorerRow, temperature: Option<f64>) -> String {
    if s.pairs == 0 {
        return format!("{} judged; no pair under a label to compare yet", plural(s.judged, "sample"));
    }
    let rate = 100.0 * s.agree as f64 / s.pairs as f64;
    let even = s.pairs - s.agree - s.disagree;
    let t = match temperature {
        Some(t) if t.is_finite() => format!(" · T {t:.3}"),
        Some(_) => " · its margins do not follow the labels".into(),
        None => String::new(),
    };
    format!(
        "Agrees with {rate:.0}% of {} ({} agree, {} disagree, {even} even){t}",
        plural(s.pairs, "pair"),
        s.agree,
        s.disagree
    )
}
