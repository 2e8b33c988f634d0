//! The Cleaning panel (`C`): the cleaning passes started as jobs from its toolbar (Find
//! duplicates with its settings, Check, Contamination against a reference dataset), and three
//! queues with their counts: duplicate groups by kind, contamination hits, check findings by kind.
//! Everything is read on threads with connections of their own, a page at a time (`reads.rs`); a
//! group opens its samples side by side with their first image and their prompt marked against the
//! keeper's (`cards.rs`, `group_view.rs`), and the keys of an open group keep one, keep the policy's keeper or keep
//! all, then move on to the next open group. Every decision is sent to the app as a [`Command`]:
//! exclusions and flags through the store's write path (one operation, one undo step), a group kept
//! whole as a mark of its own (not curation: nothing is excluded).

mod cards;
mod group_view;
mod queues;
pub mod reads;
mod toolbar;

use super::background::Background;
use super::commands::{CleanKey, Command, Confirmation, DedupRequest, GroupDecision, Keep, QueueDecision};
use super::image_view::TextureCache;
use super::shared::thousands;
use crate::clean::decide::Decision;
use crate::clean::keep::KeepPolicy;
use crate::model::SampleId;
use crate::store::{ContaminationHit, PageFrom};
use reads::{Card, Counts, FindingPage, GroupDetail, GroupPage, HitPage, Preview};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The least time between two reads that changes elsewhere start (a pass writes every moment).
const REREAD_AFTER: Duration = Duration::from_secs(1);

/// The queue the panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Queue {
    /// Duplicate groups.
    #[default]
    Duplicates,
    /// Contamination hits.
    Contamination,
    /// Check findings.
    Findings,
}

/// A group opened in the panel.
struct OpenGroup {
    id: i64,
    detail: Background<Option<GroupDetail>>,
    /// The selected member, an index into the group's samples.
    selected: usize,
    /// Its first sample is to be shown in the sample view once read (when the list lists it).
    show_first: bool,
}

/// An opened contamination hit.
struct OpenHit {
    hit: ContaminationHit,
    cards: Background<[Card; 2]>,
}

/// The panel's state (held by the open project).
pub struct CleaningPanel {
    path: PathBuf,
    queue: Queue,
    counts: Background<Counts>,
    /// The counts and the pages shown need reading again.
    stale: bool,
    read_at: Option<Instant>,
    /// The duplicates queue: its kind, whether only open groups are listed, the keep policy.
    kind: Option<String>,
    open_only: bool,
    policy: KeepPolicy,
    from: PageFrom,
    page: Background<GroupPage>,
    group: Option<OpenGroup>,
    /// After a decision on this group, the next one listed after it opens once the page is read
    /// again (when the page shown had no next one).
    after_decision: Option<i64>,
    /// Groups decided since the page shown was read (its rows still list them as open), and when
    /// the last was; when the page read shown started.
    decided: Vec<i64>,
    decided_at: Option<Instant>,
    page_started: Option<Instant>,
    /// Once the page arrives, open its first (`Some(true)`) or last group.
    open_when_listed: Option<bool>,
    hits_offset: u64,
    hits: Background<HitPage>,
    hit: Option<OpenHit>,
    finding_kind: Option<String>,
    findings_offset: u64,
    findings: Background<FindingPage>,
    /// A queue decision being counted; its confirmation is asked for once it arrives.
    preview: Background<Preview>,
    confirm_pending: bool,
    /// The last count found nothing to change: said under the button.
    note: Option<String>,
    /// The duplicate finder's settings.
    pub dedup: DedupRequest,
    /// The group the curator last kept whole: Undo takes the mark back while nothing was
    /// written since.
    pub last_kept_whole: Option<i64>,
}

impl CleaningPanel {
    /// The panel of the project at `path`; nothing is read until it opens.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            queue: Queue::default(),
            counts: Background::default(),
            stale: false,
            read_at: None,
            kind: None,
            open_only: true,
            policy: KeepPolicy::First,
            from: PageFrom::Start,
            page: Background::default(),
            group: None,
            after_decision: None,
            decided: Vec::new(),
            decided_at: None,
            page_started: None,
            open_when_listed: None,
            hits_offset: 0,
            hits: Background::default(),
            hit: None,
            finding_kind: None,
            findings_offset: 0,
            findings: Background::default(),
            preview: Background::default(),
            confirm_pending: false,
            note: None,
            dedup: DedupRequest::default(),
            last_kept_whole: None,
        }
    }

    /// Reads the counts and what the panel shows again.
    pub fn refresh(&mut self, ctx: &egui::Context) {
        self.stale = false;
        self.read_at = Some(Instant::now());
        self.counts.start("cleaning-counts", &self.path, reads::counts, waker(ctx));
        self.read_queue(ctx);
        if let Some(g) = &self.group {
            let (id, offset) = (g.id, g.selected);
            self.read_group(ctx, id, offset);
        }
    }

    /// Something the queues show changed (an exclusion, a flag, a pass, another connection's
    /// write): read again when the panel is next polled while open.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// A group was kept whole: Undo takes it back; the queue moves on.
    pub fn kept_whole(&mut self, id: i64) {
        self.last_kept_whole = Some(id);
        self.stale = true;
    }

    /// A decision on a group was not written (a job held the project): the group stays open.
    pub fn decision_failed(&mut self) {
        self.after_decision = None;
    }

    /// Whether a read is under way.
    pub fn is_loading(&self) -> bool {
        self.counts.is_loading()
            || self.page.is_loading()
            || self.hits.is_loading()
            || self.findings.is_loading()
            || self.preview.is_loading()
            || self.group.as_ref().is_some_and(|g| g.detail.is_loading())
            || self.hit.as_ref().is_some_and(|h| h.cards.is_loading())
    }

    /// Picks up finished reads; reads again what changed, when the panel is `open` and the last
    /// read is a moment old.
    pub fn poll(&mut self, ctx: &egui::Context, open: bool) {
        self.counts.poll();
        let had_page = self.page.is_loading();
        self.page.poll();
        self.hits.poll();
        self.findings.poll();
        self.preview.poll();
        if let Some(g) = &mut self.group {
            g.detail.poll();
        }
        if let Some(h) = &mut self.hit {
            h.cards.poll();
        }
        if had_page && !self.page.is_loading() {
            self.page_arrived(ctx);
        }
        // A kind the last passes no longer stored (or no check finds) is picked again.
        if let Some(Ok(c)) = self.counts.value() {
            if self.kind.as_ref().is_some_and(|k| !c.kinds.iter().any(|x| &x.kind == k)) {
                self.kind = None;
                self.group = None;
            }
            if self.finding_kind.as_ref().is_some_and(|k| !c.findings.iter().any(|x| &x.0 == k)) {
                self.finding_kind = None;
            }
        }
        if self.kind.is_none()
            && let Some(Ok(c)) = self.counts.value()
        {
            // The first kind with open groups (the sample kind first: it is what is excluded by default).
            let pick = c
                .kinds
                .iter()
                .find(|k| k.kind == "sample" && k.open > 0)
                .or_else(|| c.kinds.iter().find(|k| k.open > 0))
                .or(c.kinds.first());
            if let Some(k) = pick {
                self.kind = Some(k.kind.clone());
                self.read_queue(ctx);
            }
        }
        if self.finding_kind.is_none()
            && let Some(Ok(c)) = self.counts.value()
            && let Some(f) = c.findings.first()
        {
            self.finding_kind = Some(f.0.clone());
            if self.queue == Queue::Findings {
                self.read_queue(ctx);
            }
        }
        if open && self.stale && !self.is_loading() && self.read_at.is_none_or(|t| t.elapsed() >= REREAD_AFTER) {
            self.refresh(ctx);
        }
        if open && self.stale {
            ctx.request_repaint_after(REREAD_AFTER);
        }
    }

    /// A page of groups arrived: open the group a key or a decision asked for.
    fn page_arrived(&mut self, ctx: &egui::Context) {
        if self.page_started.zip(self.decided_at).is_none_or(|(read, decided)| read > decided) {
            // Read after the last decision: its rows know every decision.
            self.decided.clear();
        }
        let Some(Ok(page)) = self.page.value() else { return };
        let rows: Vec<i64> = page.rows.iter().map(|r| r.id).filter(|id| !self.decided.contains(id)).collect();
        let more = page.more;
        if let Some(decided) = self.after_decision {
            match rows.iter().find(|id| **id > decided) {
                Some(next) => {
                    self.after_decision = None;
                    self.open_group(ctx, *next);
                }
                None if more && self.from != PageFrom::After(decided) => {
                    self.from = PageFrom::After(decided);
                    self.read_queue(ctx);
                }
                None => {
                    // Past the queue's end: its first group left open (one passed over), if any.
                    self.after_decision = None;
                    match rows.iter().find(|id| **id != decided) {
                        Some(first) => self.open_group(ctx, *first),
                        None => self.group = None,
                    }
                }
            }
            return;
        }
        if let Some(first) = self.open_when_listed.take() {
            let pick = if first { rows.first() } else { rows.last() };
            if let Some(id) = pick {
                self.open_group(ctx, *id);
            }
        }
    }

    fn read_queue(&mut self, ctx: &egui::Context) {
        match self.queue {
            Queue::Duplicates => {
                let Some(kind) = self.kind.clone() else { return };
                let (open_only, from) = (self.open_only, self.from);
                self.page_started = Some(Instant::now());
                self.page.start(
                    "cleaning-groups",
                    &self.path,
                    move |p| reads::group_page(p, &kind, open_only, from),
                    waker(ctx),
                );
            }
            Queue::Contamination => {
                let offset = self.hits_offset;
                self.hits.start("cleaning-hits", &self.path, move |p| reads::hit_page(p, offset), waker(ctx));
            }
            Queue::Findings => {
                let Some(kind) = self.finding_kind.clone() else { return };
                let offset = self.findings_offset;
                self.findings.start(
                    "cleaning-findings",
                    &self.path,
                    move |p| reads::finding_page(p, &kind, offset),
                    waker(ctx),
                );
            }
        }
    }

    fn read_group(&mut self, ctx: &egui::Context, id: i64, offset: usize) {
        let policy = self.policy.clone();
        if let Some(g) = self.group.as_mut().filter(|g| g.id == id) {
            g.detail.start("cleaning-group", &self.path, move |p| reads::group(p, id, policy, offset), waker(ctx));
        }
    }

    /// Opens group `id` (its first sample selected).
    fn open_group(&mut self, ctx: &egui::Context, id: i64) {
        self.group = Some(OpenGroup { id, detail: Background::default(), selected: 0, show_first: true });
        self.read_group(ctx, id, 0);
    }

    fn open_hit(&mut self, ctx: &egui::Context, hit: ContaminationHit) {
        let mut cards = Background::default();
        let h = hit.clone();
        cards.start("cleaning-hit", &self.path, move |p| reads::hit_cards(p, &h), waker(ctx));
        self.hit = Some(OpenHit { hit, cards });
    }

    /// Counts what `decision` would change; its confirmation is asked for when the count arrives.
    fn ask(&mut self, ctx: &egui::Context, decision: Decision) {
        self.note = None;
        self.confirm_pending = true;
        self.preview.start("cleaning-count", &self.path, move |p| reads::preview(p, decision), waker(ctx));
    }

    /// The confirmation of a counted decision, once (`None`: nothing counted yet, or nothing to do:
    /// then the panel says so).
    fn confirmation(&mut self) -> Option<Command> {
        if !self.confirm_pending || self.preview.is_loading() {
            return None;
        }
        self.confirm_pending = false;
        let p = match self.preview.value()? {
            Ok(p) => p,
            Err(e) => {
                self.note = Some(e.clone());
                return None;
            }
        };
        let n = p.targets.change.len();
        let verb = match p.decision.action() {
            crate::store::CurationAction::Flag(_) => "Flag",
            _ => "Exclude",
        };
        if n == 0 {
            self.note = Some(format!(
                "Nothing to change: {} so already.",
                crate::model::words::count_as(
                    p.targets.already as u64,
                    &thousands(p.targets.already as u64),
                    "sample is",
                    "samples are"
                )
            ));
            return None;
        }
        let what = super::shared::samples(n);
        let mut lines = vec![capitalized(&p.decision.describe()) + "."];
        if p.targets.already > 0 {
            lines.push(format!(
                "{} so already {} left as they are.",
                thousands(p.targets.already as u64),
                if p.targets.already == 1 { "is" } else { "are" }
            ));
        }
        lines.push("One operation: one step of Undo (U). Nothing is deleted: `is:excluded` still finds them.".into());
        Some(Command::Confirm(Box::new(Confirmation {
            title: format!("{verb} {what}"),
            lines,
            yes: verb.to_owned(),
            then: Command::DecideQueue(Box::new(QueueDecision { decision: p.decision.clone(), samples: n })),
        })))
    }

    /// What a key of the open group asks for (nothing while no group is open).
    pub fn key(&mut self, ctx: &egui::Context, key: CleanKey) -> Vec<Command> {
        let mut out = Vec::new();
        match key {
            CleanKey::NextGroup | CleanKey::PrevGroup => self.step_group(ctx, key == CleanKey::NextGroup),
            CleanKey::NextMember | CleanKey::PrevMember => {
                out.extend(self.step_member(ctx, key == CleanKey::NextMember));
            }
            CleanKey::KeepSelected | CleanKey::KeepByPolicy | CleanKey::KeepAll => {
                out.extend(self.decide(ctx, key));
            }
        }
        out
    }

    /// Whether `key` applies now: a decision or a member key to an open group, a group key
    /// whenever the duplicate groups are shown (from none open, `.` opens the first).
    pub fn takes(&self, key: CleanKey) -> bool {
        self.queue == Queue::Duplicates
            && (self.group.is_some() || matches!(key, CleanKey::NextGroup | CleanKey::PrevGroup))
    }

    /// The decision `key` asks for on the open group; the next open group of the page opens at
    /// once (the page is read again once the decision is written).
    fn decide(&mut self, ctx: &egui::Context, key: CleanKey) -> Option<Command> {
        let g = self.group.as_ref()?;
        let Some(Ok(Some(d))) = g.detail.value() else { return None };
        if d.row.id != g.id {
            return None;
        }
        let keep = match key {
            CleanKey::KeepSelected => Keep::One(*d.members.get(g.selected)?),
            // The keeper of the policy shown (a policy picked since is read again first).
            CleanKey::KeepByPolicy if d.policy == self.policy && !g.detail.is_loading() => Keep::One(d.keeper),
            CleanKey::KeepAll => Keep::All,
            _ => return None,
        };
        let command = Command::DecideGroup(Box::new(GroupDecision { group: g.id, kind: d.row.kind.clone(), keep }));
        let id = g.id;
        self.decided.push(id);
        self.decided_at = Some(Instant::now());
        match self.next_open_after(id) {
            Some(next) => self.open_group(ctx, next),
            None => self.after_decision = Some(id),
        }
        Some(command)
    }

    /// The open group the page shown lists after `id` (else, when nothing follows the page, the
    /// first before it: one passed over), leaving out the groups decided meanwhile.
    fn next_open_after(&self, id: i64) -> Option<i64> {
        let Some(Ok(page)) = self.page.value() else { return None };
        let open = |r: &&crate::store::DupGroupRow| r.is_open() && r.id != id && !self.decided.contains(&r.id);
        let at = page.rows.iter().position(|r| r.id == id)?;
        if let Some(next) = page.rows[at + 1..].iter().find(open) {
            return Some(next.id);
        }
        if page.more {
            return None;
        }
        page.rows[..at].iter().find(open).map(|r| r.id)
    }

    fn step_group(&mut self, ctx: &egui::Context, forward: bool) {
        if self.queue != Queue::Duplicates {
            return;
        }
        let Some(Ok(page)) = self.page.value() else { return };
        let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
        let at = self.group.as_ref().and_then(|g| ids.iter().position(|id| *id == g.id));
        let next = match (at, forward) {
            (None, true) => ids.first().copied(),
            (None, false) => ids.last().copied(),
            (Some(i), true) => ids.get(i + 1).copied(),
            (Some(i), false) => i.checked_sub(1).and_then(|j| ids.get(j).copied()),
        };
        match next {
            Some(id) => self.open_group(ctx, id),
            None if forward && page.more => {
                if let Some(last) = ids.last() {
                    self.from = PageFrom::After(*last);
                    self.open_when_listed = Some(true);
                    self.read_queue(ctx);
                }
            }
            None if !forward && page.first > 0 => {
                if let Some(first) = ids.first() {
                    self.from = PageFrom::Before(*first);
                    self.open_when_listed = Some(false);
                    self.read_queue(ctx);
                }
            }
            None => {}
        }
    }

    fn step_member(&mut self, ctx: &egui::Context, forward: bool) -> Option<Command> {
        let g = self.group.as_mut()?;
        let Some(Ok(Some(d))) = g.detail.value() else { return None };
        let n = d.members.len();
        let to = if forward { (g.selected + 1).min(n.saturating_sub(1)) } else { g.selected.saturating_sub(1) };
        let members = d.members.clone();
        let loaded = d.offset..d.offset + d.cards.len();
        g.selected = to;
        let id = g.id;
        if !loaded.contains(&to) {
            self.read_group(ctx, id, to);
        }
        Some(show(members[to], &members))
    }

    /// Draws the panel; returns what its buttons and rows ask for.
    pub fn ui(&mut self, ui: &mut egui::Ui, textures: &mut TextureCache) -> Vec<Command> {
        let mut cmds = Vec::new();
        let ctx = ui.ctx().clone();
        ui.horizontal(|ui| {
            ui.heading("Cleaning");
            if self.is_loading() {
                ui.spinner();
            } else if ui.small_button("Refresh").clicked() {
                self.refresh(&ctx);
            }
        });
        toolbar::toolbar_ui(ui, self, &mut cmds);
        ui.separator();
        let counts = self.counts.value().and_then(|c| c.as_ref().ok()).cloned().unwrap_or_default();
        if let Some(Err(e)) = self.counts.value() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.horizontal_wrapped(|ui| {
            for (queue, text) in [
                (Queue::Duplicates, format!("Duplicates {}", thousands(counts.open_groups()))),
                (Queue::Contamination, format!("Contamination {}", thousands(counts.contamination.0))),
                (Queue::Findings, format!("Findings {}", thousands(counts.findings_total()))),
            ] {
                if ui.selectable_label(self.queue == queue, text).clicked() && self.queue != queue {
                    self.queue = queue;
                    self.note = None;
                    self.read_queue(&ctx);
                }
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("cleaning").auto_shrink([false, false]).show(ui, |ui| match self.queue {
            Queue::Duplicates => queues::duplicates_ui(ui, self, &counts, textures, &mut cmds),
            Queue::Contamination => queues::contamination_ui(ui, self, &counts, textures, &mut cmds),
            Queue::Findings => queues::findings_ui(ui, self, &counts, &mut cmds),
        });
        cmds.extend(self.confirmation());
        // A group that opened shows its first sample in the sample view, where the list has it
        // (the filter is not changed for it: a click on a sample does that).
        if let Some(g) = self.group.as_mut().filter(|g| g.show_first && !g.detail.is_loading())
            && let Some(Ok(Some(d))) = g.detail.value()
        {
            g.show_first = false;
            if let Some(first) = d.members.get(g.selected) {
                cmds.push(Command::ShowSample(*first, Vec::new()));
            }
        }
        cmds
    }
}

/// Repaints the window when a read arrives.
fn waker(ctx: &egui::Context) -> impl Fn() + Send + 'static {
    let ctx = ctx.clone();
    move || ctx.request_repaint()
}

/// Shows `id` in the sample view (the list filtered to `among` when it does not list it).
fn show(id: SampleId, among: &[SampleId]) -> Command {
    // A filter of a few hundred ids at most: a huge group lists its first samples.
    Command::ShowSample(id, among.iter().take(200).copied().collect())
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
