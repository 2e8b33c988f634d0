//! An open project as the UI holds it: the store connection for small reads and curation writes,
//! the query worker and image loader (each with its own connection), the list, the selected sample,
//! and what Undo and Redo would do next.

use super::kept_filter::KeptFilter;
use crate::model::SampleId;
use crate::query::QueryError;
use crate::store::{Changes, OpRow, SortKey, Store};
use crate::ui::cleaning_panel::CleaningPanel;
use crate::ui::datasets_panel::DatasetsPanel;
use crate::ui::image_view::TextureCache;
use crate::ui::list::SampleList;
use crate::ui::loaded::LoadedSample;
use crate::ui::stats_panel::StatsPanel;
use crate::ui::suspects_panel::SuspectsPanel;
use crate::ui::workers::{ImageLoader, QueryReply, QueryRequest, QueryWorker, SampleLoader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The query bar's state.
#[derive(Default)]
pub struct QueryState {
    /// The text in the bar.
    pub text: String,
    /// Why it does not compile.
    pub error: Option<QueryError>,
    /// Matches of the latest request, once counted.
    pub count: Option<u64>,
    /// The newest request sent.
    pub generation: u64,
    /// The generation whose complete list the list shows.
    pub shown_generation: u64,
    /// The generation whose list (maybe only its first page) the list shows.
    pub listed_generation: u64,
    /// While only the first page is listed: its length.
    pub partial: Option<usize>,
    /// A failure running it.
    pub failure: Option<String>,
    /// Time the latest list took.
    pub last_elapsed: Option<Duration>,
    /// The filter listed while the text does not compile.
    pub kept: KeptFilter,
}

/// An open project.
pub struct Project {
    /// Its file.
    pub path: PathBuf,
    /// The UI's connection.
    pub store: Store,
    /// The list.
    pub list: SampleList,
    /// The selected sample, loaded.
    pub sample: Option<LoadedSample>,
    /// Why the selected sample could not be loaded.
    pub sample_error: Option<String>,
    /// Decoded images.
    pub textures: TextureCache,
    /// The query bar.
    pub query: QueryState,
    /// Sort column.
    pub sort: SortKey,
    /// Sort direction.
    pub descending: bool,
    /// The edit Undo would undo and the one Redo would redo (the project file keeps the stacks).
    pub undo_redo: (Option<OpRow>, Option<OpRow>),
    /// The newest operation this window has seen, and the connection's data version then: a
    /// change by another connection (another window, the CLI) moves them.
    seen: (crate::model::OpId, i64),
    /// When [`Project::poll_external`] last looked.
    polled_at: Instant,
    /// Notices other connections' commits on a thread of its own (none where it could not
    /// start: then the window wakes every [`EXTERNAL_POLL`] to look).
    pub watch: Option<crate::store::CommitWatch>,
    /// The statistics panel.
    pub stats: StatsPanel,
    /// The Datasets panel.
    pub datasets: DatasetsPanel,
    /// The Cleaning panel.
    pub cleaning: CleaningPanel,
    /// The Suspects panel.
    pub suspects: SuspectsPanel,
    worker: QueryWorker,
    loader: SampleLoader<LoadedSample>,
    /// The next sample, loaded ahead on the loader thread.
    prefetched: Option<LoadedSample>,
    /// Whether the prefetched sample's images are queued for decoding.
    prefetch_queued: bool,
    /// When the selected sample's images were all shown.
    images_shown_at: Option<Instant>,
    /// The sample to select once the first list arrives.
    pending_select: Option<SampleId>,
}

/// How often a window looks for changes another connection made.
pub const EXTERNAL_POLL: Duration = Duration::from_millis(500);

/// How long a write on the UI's connection waits for another connection's write transaction.
pub const UI_BUSY_WAIT: Duration = Duration::from_millis(30);

/// How long the selected sample's images are shown before the next sample's are decoded ahead.
const PREFETCH_AFTER: Duration = Duration::from_millis(250);

impl Project {
    /// Opens (or creates) the project at `path` and starts its workers; `wake` repaints the UI.
    pub fn open(path: &Path, wake: impl Fn() + Clone + Send + 'static) -> anyhow::Result<Self> {
        let store = Store::open(path)?;
        // The UI thread never waits long for a job's write transaction: a write that finds the
        // lock taken is tried again later (`VerdictApp`'s deferred actions).
        store.set_busy_timeout(UI_BUSY_WAIT)?;
        let path = store.path().to_owned();
        let worker = QueryWorker::start(&path, wake.clone())?;
        let loader = SampleLoader::start(&path, |store, id| LoadedSample::load(store, id).map_err(|e| e.to_string()))?;
        let textures = TextureCache::new(ImageLoader::start(&path, wake.clone())?);
        let cleaning = CleaningPanel::new(path.clone());
        let suspects = SuspectsPanel::new(path.clone());
        let watch = match crate::store::CommitWatch::start(&path, EXTERNAL_POLL, wake) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!("warning: {e}; looking for other windows' changes twice a second instead");
                None
            }
        };
        let mut project = Self {
            path,
            store,
            list: SampleList::default(),
            sample: None,
            sample_error: None,
            textures,
            query: QueryState::default(),
            sort: SortKey::Id,
            descending: false,
            undo_redo: (None, None),
            seen: (crate::model::OpId(0), 0),
            polled_at: Instant::now(),
            watch,
            stats: StatsPanel::default(),
            datasets: DatasetsPanel::default(),
            cleaning,
            suspects,
            worker,
            loader,
            prefetched: None,
            prefetch_queued: false,
            images_shown_at: None,
            pending_select: None,
        };
        project.mark_seen();
        Ok(project)
    }

    /// Selects `id` when the list arrives (restoring the last session).
    pub fn select_when_listed(&mut self, id: Option<SampleId>) {
        self.pending_select = id;
    }

    /// Compiles the query text; when it compiles, asks the worker for a new list. When it does
    /// not, the list keeps the last filter the curator had ([`super::kept_filter`]).
    pub fn run_query(&mut self) {
        match crate::query::compile(&self.query.text) {
            Err(e) => {
                self.query.error = Some(e);
                self.query.count = None;
                match self.query.kept.instead_of(&self.query.text, self.sort, self.descending) {
                    Some(kept) => self.submit_query(kept),
                    None if self.query.shown_generation < self.query.generation => {
                        // The kept list is shown: what is in flight was typed on the way here.
                        self.query.generation += 1;
                        self.query.listed_generation = self.query.generation;
                        self.query.shown_generation = self.query.generation;
                    }
                    None => {}
                }
            }
            Ok(_) => {
                self.query.error = None;
                self.query.kept.clear_instead();
                self.submit_query(self.query.text.clone());
            }
        }
    }

    fn submit_query(&mut self, query: String) {
        self.query.failure = None;
        self.query.count = None;
        self.query.partial = None;
        self.query.generation += 1;
        self.query.kept.sent(self.query.generation, &query, self.sort, self.descending);
        self.worker.submit(QueryRequest {
            generation: self.query.generation,
            query,
            sort: self.sort,
            descending: self.descending,
        });
    }

    /// Whether the list shows (at least the first rows of) the newest request's matches.
    pub fn is_listed(&self) -> bool {
        self.query.listed_generation == self.query.generation
    }

    /// Whether the list is behind the newest request.
    pub fn is_querying(&self) -> bool {
        self.query.shown_generation < self.query.generation && self.query.failure.is_none()
    }

    /// Applies what the query worker sent; returns true when the list changed.
    pub fn poll_query(&mut self) -> bool {
        let mut changed = false;
        for reply in self.worker.drain() {
            match reply {
                QueryReply::FirstPage { generation, ids } if generation == self.query.generation => {
                    // Shown at once. When the selected sample is further down, nothing is
                    // selected until the full list (which follows) finds it: the sample stays.
                    let keep = self.pending_select.or_else(|| self.sample.as_ref().map(|s| s.view.id));
                    self.query.partial = Some(ids.len());
                    self.query.listed_generation = generation;
                    self.query.kept.first_page(generation);
                    self.list.set_first_page(ids, keep);
                    changed = true;
                }
                QueryReply::Ids { generation, ids, elapsed } if generation == self.query.generation => {
                    self.query.count = Some(ids.len() as u64);
                    self.query.partial = None;
                    self.query.listed_generation = generation;
                    self.query.shown_generation = generation;
                    self.query.last_elapsed = Some(elapsed);
                    self.query.kept.listed(generation);
                    let keep = self.pending_select.take().or_else(|| self.sample.as_ref().map(|s| s.view.id));
                    self.list.set_ids(ids, keep);
                    changed = true;
                }
                QueryReply::Failed { generation, message }
                    if generation == self.query.generation || generation == 0 =>
                {
                    self.query.failure = Some(message);
                }
                _ => {}
            }
        }
        changed
    }

    /// Loads the list's selected sample if it is not the one shown: from the prefetched one when
    /// it is that sample, else from the store. Then asks the loader for the next one, and queues
    /// the next one's images behind the current ones. Returns when to call again for a prefetch
    /// that is waiting for its time.
    pub fn sync_selection(&mut self) -> Option<Duration> {
        for (id, loaded) in self.loader.drain() {
            if let Ok(s) = loaded
                && self.next_id() == Some(id)
            {
                self.prefetched = Some(s);
                self.prefetch_queued = false;
            }
        }
        let want = self.list.selected_id();
        if want.is_none() && self.query.partial.is_some() {
            return None;
        }
        if want == self.sample.as_ref().map(|s| s.view.id) {
            // Decode the next sample's images once this one's have been shown a moment: on two
            // cores, decoding both at once would slow down the one the curator is waiting for,
            // and a curator jumping around would pay for prefetches they never use.
            if self.prefetch_queued || !self.sample_images_shown() {
                return None;
            }
            let shown = *self.images_shown_at.get_or_insert_with(Instant::now);
            let wait = PREFETCH_AFTER.saturating_sub(shown.elapsed());
            if !wait.is_zero() {
                return Some(wait);
            }
            if let Some(next) = &self.prefetched {
                for src in next.image_sources() {
                    self.textures.prefetch(&src);
                }
                self.prefetch_queued = true;
            }
            return None;
        }
        self.sample = None;
        self.sample_error = None;
        self.images_shown_at = None;
        let id = want?;
        let loaded = match self.prefetched.take() {
            Some(s) if s.view.id == id => Ok(s),
            _ => LoadedSample::load(&self.store, id),
        };
        match loaded {
            Ok(s) => {
                for src in s.image_sources() {
                    self.textures.want(&src);
                }
                self.sample = Some(s);
            }
            Err(e) => self.sample_error = Some(e.to_string()),
        }
        if let Some(next) = self.next_id() {
            self.loader.request(next);
        }
        None
    }

    fn next_id(&self) -> Option<SampleId> {
        self.list.selected.map(|i| i + 1).and_then(|i| self.list.ids.get(i).copied())
    }

    /// Forgets a prefetched sample that changed (relabeled: its curation state is stale).
    pub fn forget_prefetched(&mut self, id: SampleId) {
        if self.prefetched.as_ref().is_some_and(|s| s.view.id == id) {
            self.prefetched = None;
        }
    }

    /// Whether every image of the selected sample is decoded and uploaded (or failed).
    pub fn sample_images_shown(&self) -> bool {
        self.sample.as_ref().is_some_and(|s| s.image_sources().iter().all(|src| self.textures.is_settled(src)))
    }

    /// The list as shared ids (for tests and benchmarks).
    pub fn ids(&self) -> Arc<Vec<SampleId>> {
        self.list.ids.clone()
    }

    /// Refreshes what `changes` touched: the list rows (or the whole list when many changed or
    /// datasets did), the open sample, and the undo and redo targets.
    pub fn apply_changes(&mut self, changes: &Changes, curator: Option<&str>) {
        const FEW: usize = 200;
        if changes.kinds.contains(crate::store::ChangeKinds::DATASETS) || changes.samples.len() > FEW {
            self.list.invalidate_all();
            self.prefetched = None;
            self.query.kept.forget_shown();
            self.run_query();
        } else {
            for id in &changes.samples {
                self.list.invalidate(*id);
                self.forget_prefetched(*id);
            }
            // A filter on curation (is:flagged, current:b) may now match other samples.
            if !changes.samples.is_empty() && query_reads_curation(&self.query.text) {
                self.run_query();
            }
        }
        let open = self.sample.as_ref().map(|s| s.view.id);
        let all = changes.kinds.contains(crate::store::ChangeKinds::DATASETS) || changes.samples.len() > FEW;
        if let Some(id) = open
            && (all || changes.samples.contains(&id))
            && self.store.has_sample(id).unwrap_or(false)
            && let Some(s) = &mut self.sample
            && let Err(e) = s.refresh_curation(&self.store)
        {
            self.sample_error = Some(e.to_string());
        }
        // The cleaning queues count exclusions and flags; a pass or an import (another
        // connection's write) changes them all.
        let kinds = changes.kinds;
        if kinds.contains(crate::store::ChangeKinds::EXCLUSION)
            || kinds.contains(crate::store::ChangeKinds::FLAG)
            || kinds.contains(crate::store::ChangeKinds::DATASETS)
        {
            self.cleaning.invalidate();
        }
        // The suspects queue follows the label in force and the scores: a relabel of this
        // window's moves its pair at once; another connection's (a scoring job) after a moment.
        if !changes.samples.is_empty() || !changes.kinds.is_empty() {
            self.suspects.invalidate(changes.op.is_some());
        }
        if changes.op.is_some() {
            // An edit since "keep all": Undo takes back the edit, not the mark.
            self.cleaning.last_kept_whole = None;
        }
        self.refresh_undo_redo(curator);
        self.mark_seen();
    }

    /// Re-reads what Undo and Redo would do next for `curator`.
    pub fn refresh_undo_redo(&mut self, curator: Option<&str>) {
        self.undo_redo = curator.and_then(|c| self.store.undo_redo_targets(c).ok()).unwrap_or((None, None));
    }

    fn mark_seen(&mut self) {
        if let (Ok(op), Ok(v)) = (self.store.latest_op(), self.store.data_version()) {
            self.seen = (op, v);
        }
    }

    /// Notices a change another connection committed (another window, the CLI, a job) and
    /// refreshes the list and the open sample from it. Cheap: one pragma when nothing changed.
    /// Returns the kinds of change it saw (none: nothing changed, or it is not time to look).
    pub fn poll_external(&mut self, curator: Option<&str>) -> crate::store::ChangeKinds {
        let nothing = crate::store::ChangeKinds::default();
        let due = match &self.watch {
            Some(watch) => watch.take(),
            None => self.polled_at.elapsed() >= EXTERNAL_POLL,
        };
        if !due {
            return nothing;
        }
        self.polled_at = Instant::now();
        let Ok(version) = self.store.data_version() else { return nothing };
        if version == self.seen.1 {
            return nothing;
        }
        let changes = match self.store.changed_since(self.seen.0, 200).ok().flatten() {
            Some(samples) if !samples.is_empty() => {
                Changes { op: None, samples, kinds: crate::store::ChangeKinds::LABEL }
            }
            // Many samples, or rows that are not curation (an import, a removed dataset): all of it.
            _ => Changes { op: None, samples: Vec::new(), kinds: crate::store::ChangeKinds::DATASETS },
        };
        self.apply_changes(&changes, curator);
        changes.kinds
    }
}

/// Whether a query's result can change when curation does.
fn query_reads_curation(q: &str) -> bool {
    ["is:", "flag:", "current:", "excluded:", "judgment:", "len_chosen", "len_rejected", "longer:"]
        .iter()
        .any(|f| q.contains(f))
}
