//! Background workers the UI talks to: the query worker (counts and sorted id lists over the
//! whole project) and the image loader (blob read, decode, downscale). Each owns its own store
//! connection on a named thread; the UI hands it the newest request (older unserved requests are
//! dropped: only the latest query matters) and drains replies without blocking.

use crate::media::image::{ImageLimits, decode_image, jpeg_preview, shrink};
use crate::model::SampleId;
use crate::store::{SortKey, Store};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A request slot: the newest request replaces an unserved one.
struct Slot<T> {
    queue: Mutex<(VecDeque<T>, bool)>,
    wake: Condvar,
}

impl<T> Slot<T> {
    fn new() -> Arc<Self> {
        Arc::new(Self { queue: Mutex::new((VecDeque::new(), false)), wake: Condvar::new() })
    }

    /// Queues `item` last, dropping the oldest items beyond `keep`.
    fn put(&self, item: T, keep: usize) {
        if let Ok(mut q) = self.queue.lock() {
            while q.0.len() >= keep {
                q.0.pop_front();
            }
            q.0.push_back(item);
            self.wake.notify_one();
        }
    }

    /// Queues `item` first (it is what the user waits for), dropping the last items beyond `keep`.
    fn put_first(&self, item: T, keep: usize) {
        if let Ok(mut q) = self.queue.lock() {
            while q.0.len() >= keep {
                q.0.pop_back();
            }
            q.0.push_front(item);
            self.wake.notify_one();
        }
    }

    /// Waits for the next item; `None` once stopped.
    fn take(&self) -> Option<T> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if q.1 {
                return None;
            }
            if let Some(item) = q.0.pop_front() {
                return Some(item);
            }
            q = self.wake.wait(q).ok()?;
        }
    }

    fn stop(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.1 = true;
            self.wake.notify_all();
        }
    }
}

/// The UI's end of a worker: its request slot and its reply channel. Dropping it stops the worker
/// (it finishes the request in hand, then exits; nothing waits for it).
struct Channels<Q, R> {
    slot: Arc<Slot<Q>>,
    replies: Receiver<R>,
}

impl<Q, R> Channels<Q, R> {
    /// Replies that arrived, oldest first; never blocks.
    fn drain(&self) -> Vec<R> {
        self.replies.try_iter().collect()
    }
}

impl<Q, R> Drop for Channels<Q, R> {
    fn drop(&mut self) {
        self.slot.stop();
    }
}

/// What the list should show.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    /// Increases with every request; replies carry it.
    pub generation: u64,
    /// The query text (already known to compile).
    pub query: String,
    /// Sort column.
    pub sort: SortKey,
    /// Descending.
    pub descending: bool,
}

/// An answer from the query worker.
#[derive(Debug, Clone)]
pub enum QueryReply {
    /// The first ids of a long list, while the rest is read.
    FirstPage {
        /// The request's generation.
        generation: u64,
        /// The first ids, in sort order.
        ids: Arc<Vec<SampleId>>,
    },
    /// The matching ids in sort order.
    Ids {
        /// The request's generation.
        generation: u64,
        /// The ids.
        ids: Arc<Vec<SampleId>>,
        /// Time spent counting and listing.
        elapsed: Duration,
    },
    /// The query failed to run.
    Failed {
        /// The request's generation.
        generation: u64,
        /// Why.
        message: String,
    },
}

/// Handle to the query worker thread.
pub struct QueryWorker(Channels<QueryRequest, QueryReply>);

impl QueryWorker {
    /// Starts the worker on its own connection to `project`; `wake` is called after each reply.
    pub fn start(project: &Path, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let slot = Slot::new();
        let (tx, replies) = sync_channel(64);
        let path = project.to_owned();
        let worker_slot = slot.clone();
        std::thread::Builder::new().name("query".into()).spawn(move || query_loop(&path, &worker_slot, &tx, &wake))?;
        Ok(Self(Channels { slot, replies }))
    }

    /// Asks for a new list; an unserved older request is dropped.
    pub fn submit(&self, request: QueryRequest) {
        self.0.slot.put(request, 1);
    }

    /// Replies that arrived, oldest first; never blocks.
    pub fn drain(&self) -> Vec<QueryReply> {
        self.0.drain()
    }
}

/// Ids sent ahead of a long list: a few screens of rows.
const FIRST_PAGE: usize = 2000;

/// Candidates tried for a sorted list's first page, at most: the whole project's order, a chunk
/// at a time, filtered (a rare filter gives up and waits for the full list).
const FIRST_PAGE_CANDIDATES: usize = 20_000;
const CANDIDATE_CHUNK: usize = 5_000;

/// The whole project's order for one sort key, from the last unfiltered list sorted by it.
struct SortedAll {
    sort: SortKey,
    descending: bool,
    /// `Store::order_stamp` when it was read.
    stamp: i64,
    ids: Arc<Vec<SampleId>>,
}

fn query_loop(path: &Path, slot: &Slot<QueryRequest>, tx: &SyncSender<QueryReply>, wake: &dyn Fn()) {
    let store = match Store::open(path) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(QueryReply::Failed { generation: 0, message: e.to_string() });
            wake();
            return;
        }
    };
    let mut sorted_all: Option<SortedAll> = None;
    while let Some(req) = slot.take() {
        let started = Instant::now();
        let generation = req.generation;
        let send_first = |ids: &[SampleId]| {
            if tx.send(QueryReply::FirstPage { generation, ids: Arc::new(ids.to_vec()) }).is_ok() {
                wake();
            }
        };
        let result = crate::query::compile(&req.query)
            .map_err(|e| e.to_string())
            .and_then(|q| list_ids(&store, &q, &req, sorted_all.as_ref(), &send_first).map_err(|e| e.to_string()));
        let reply = match result {
            Ok((ids, keep)) => {
                let ids = Arc::new(ids);
                if let Some(stamp) = keep {
                    sorted_all =
                        Some(SortedAll { sort: req.sort, descending: req.descending, stamp, ids: Arc::clone(&ids) });
                }
                QueryReply::Ids { generation, ids, elapsed: started.elapsed() }
            }
            Err(message) => QueryReply::Failed { generation, message },
        };
        if tx.send(reply).is_err() {
            return;
        }
        wake();
    }
}

/// The matching ids of a request in its order, handing a first page to `send_first` when one is
/// known early. Also returns, for an unfiltered list sorted by a value, the stamp under which the
/// worker keeps it as the project's order for that key.
fn list_ids(
    store: &Store,
    q: &crate::query::Compiled,
    req: &QueryRequest,
    sorted_all: Option<&SortedAll>,
    send_first: &dyn Fn(&[SampleId]),
) -> crate::store::Result<(Vec<SampleId>, Option<i64>)> {
    if req.sort == SortKey::Id {
        // In id order the first page comes off the scan itself.
        let ids = store.matching_ids_paged(q, req.sort, req.descending, FIRST_PAGE, &mut |first| send_first(first))?;
        return Ok((ids, None));
    }
    let stamp = store.order_stamp(req.sort)?;
    if let Some(all) =
        sorted_all.filter(|all| (all.sort, all.descending, all.stamp) == (req.sort, req.descending, stamp))
    {
        if let Some(first) = first_page_among(store, q, &all.ids) {
            send_first(&first);
        }
        // The matches in id order (a plain scan), then the kept order filtered by them: no key
        // to read for each match, no sort.
        let matches = store.matching_ids(q, SortKey::Id, false)?;
        return Ok((in_order_of(&all.ids, &matches), None));
    }
    // The id list is needed anyway and its length is the count: one scan, not two.
    let ids = store.matching_ids(q, req.sort, req.descending)?;
    Ok((ids, (q.condition == "1").then_some(stamp)))
}

/// `all`'s ids that are in `matches`.
fn in_order_of(all: &[SampleId], matches: &[SampleId]) -> Vec<SampleId> {
    let top = matches.iter().map(|m| m.0).max().unwrap_or(0).max(0) as usize;
    let mut member = vec![false; top + 1];
    for m in matches {
        if let Ok(i) = usize::try_from(m.0) {
            member[i] = true;
        }
    }
    all.iter()
        .copied()
        .filter(|id| usize::try_from(id.0).ok().and_then(|i| member.get(i)).copied().unwrap_or(false))
        .collect()
}

/// The first page of `q`'s matches in the order of `all` (the whole project, sorted), when the
/// first few chunks of it hold a page; `None` for a rare filter or a full-text query (whose
/// condition would have the index collect every match of its words for each chunk).
fn first_page_among(store: &Store, q: &crate::query::Compiled, all: &[SampleId]) -> Option<Vec<SampleId>> {
    if q.fts_driver.is_some() || q.condition.contains("sample_fts") {
        return None;
    }
    let mut page = Vec::new();
    for chunk in all.chunks(CANDIDATE_CHUNK).take(FIRST_PAGE_CANDIDATES / CANDIDATE_CHUNK) {
        page.extend(store.matching_among(q, chunk).ok()?);
        if page.len() >= FIRST_PAGE {
            page.truncate(FIRST_PAGE);
            return Some(page);
        }
    }
    None
}

/// Where an image's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageSource {
    /// Embedded bytes in the project, by content hash.
    Blob(String),
    /// A file on disk.
    File(PathBuf),
}

/// A decoded image, ready for a texture.
pub struct DecodedImage {
    /// Where it came from.
    pub source: ImageSource,
    /// A reduced-size preview (a full decode can follow on request).
    pub preview: bool,
    /// The pixels (downscaled to at most the texture size).
    pub image: Result<egui::ColorImage, String>,
    /// The size of the original image.
    pub original_size: [u32; 2],
    /// Decode time.
    pub elapsed: Duration,
}

/// Largest texture side the loader produces (the original size is kept for display).
pub const MAX_TEXTURE_SIDE: u32 = 4096;

/// Longer side of a quick JPEG preview: about what the sample view shows before zooming in.
pub const PREVIEW_SIDE: u32 = 1000;

/// What to decode: a quick preview where possible, or every pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImageRequest {
    source: ImageSource,
    full: bool,
}

/// Handle to the image decoding thread.
pub struct ImageLoader(Channels<ImageRequest, DecodedImage>);

impl ImageLoader {
    /// Starts the decoders, each on its own connection to `project`. Two threads: the image the
    /// curator waits for never queues behind a prefetch already being decoded.
    pub fn start(project: &Path, wake: impl Fn() + Clone + Send + 'static) -> std::io::Result<Self> {
        let slot = Slot::new();
        let (tx, replies) = sync_channel(16);
        for i in 0..2 {
            let path = project.to_owned();
            let worker_slot = slot.clone();
            let (tx, wake) = (tx.clone(), wake.clone());
            std::thread::Builder::new()
                .name(format!("image-decode-{i}"))
                .spawn(move || image_loop(&path, &worker_slot, &tx, &wake))?;
        }
        Ok(Self(Channels { slot, replies }))
    }

    /// Queues a decode the curator is waiting for: it goes before everything queued. At most 16
    /// requests are kept; the oldest prefetches go first.
    pub fn request(&self, source: ImageSource) {
        self.0.slot.put_first(ImageRequest { source, full: false }, 16);
    }

    /// Queues a decode for later (the next sample's images): after everything queued.
    pub fn prefetch(&self, source: ImageSource) {
        self.0.slot.put(ImageRequest { source, full: false }, 16);
    }

    /// Asks for every pixel of an image shown from a preview (the curator zoomed in).
    pub fn request_full(&self, source: ImageSource) {
        self.0.slot.put_first(ImageRequest { source, full: true }, 16);
    }

    /// Decoded images that arrived; never blocks.
    pub fn drain(&self) -> Vec<DecodedImage> {
        self.0.drain()
    }
}

fn image_loop(path: &Path, slot: &Slot<ImageRequest>, tx: &SyncSender<DecodedImage>, wake: &dyn Fn()) {
    let store = Store::open(path).ok();
    let limits = ImageLimits::default();
    while let Some(ImageRequest { source, full }) = slot.take() {
        let started = Instant::now();
        let bytes = match &source {
            ImageSource::Blob(hash) => match &store {
                Some(store) => store.blob(hash).map_err(|e| e.to_string()),
                None => Err("the project cannot be opened for reading".into()),
            },
            ImageSource::File(p) => std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())),
        };
        let preview = if full { None } else { bytes.as_ref().ok().and_then(|b| quick_preview(b, &limits)) };
        let (decoded, original_size, is_preview) = match preview {
            Some((img, original)) => (Ok(img), original, true),
            None => {
                let decoded = bytes.and_then(|b| decode_image(&b, &limits).map_err(|e| e.to_string()));
                let size = decoded.as_ref().map_or([0, 0], |i| [i.width(), i.height()]);
                (decoded, size, false)
            }
        };
        let image = decoded.map(|img| {
            let img = shrink(img, MAX_TEXTURE_SIDE);
            let size = [img.width() as usize, img.height() as usize];
            egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw())
        });
        let reply = DecodedImage { source, preview: is_preview, image, original_size, elapsed: started.elapsed() };
        if tx.send(reply).is_err() {
            return;
        }
        wake();
    }
}

/// A scaled-down decode of a large JPEG and the original size, when that is possible.
fn quick_preview(bytes: &[u8], limits: &ImageLimits) -> Option<(::image::RgbaImage, [u32; 2])> {
    let facts = crate::media::probe_bytes(crate::model::MediaKind::Image, bytes).ok()?;
    let original = [facts.width?, facts.height?];
    jpeg_preview(bytes, PREVIEW_SIDE, limits).ok().flatten().map(|img| (img, original))
}

/// Handle to the thread that loads the sample the curator will most likely look at next, so that
/// stepping to it costs the UI thread nothing.
/// What it loads is the caller's (`load`, on the loader's connection): this module knows no panel.
pub struct SampleLoader<T>(Channels<SampleId, (SampleId, Result<T, String>)>);

impl<T: Send + 'static> SampleLoader<T> {
    /// Starts the loader on its own connection to `project`; `load` reads one sample.
    pub fn start(
        project: &Path,
        load: impl Fn(&Store, SampleId) -> Result<T, String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let slot = Slot::new();
        let (tx, replies) = sync_channel(2);
        let path = project.to_owned();
        let worker_slot = slot.clone();
        std::thread::Builder::new().name("sample-load".into()).spawn(move || {
            let Ok(store) = Store::open(&path) else { return };
            while let Some(id) = worker_slot.take() {
                let loaded = load(&store, id);
                if tx.send((id, loaded)).is_err() {
                    return;
                }
            }
        })?;
        Ok(Self(Channels { slot, replies }))
    }

    /// Loads `id` in the background; an unserved older request is dropped.
    pub fn request(&self, id: SampleId) {
        self.0.slot.put(id, 1);
    }

    /// Loaded samples that arrived; never blocks.
    pub fn drain(&self) -> Vec<(SampleId, Result<T, String>)> {
        self.0.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_order_filtered_by_matches_keeps_its_order() {
        let ids = |v: &[i64]| v.iter().map(|&i| SampleId(i)).collect::<Vec<_>>();
        let all = ids(&[7, 3, 9, 1, 4, 8]);
        assert_eq!(in_order_of(&all, &ids(&[1, 3, 8])), ids(&[3, 1, 8]));
        assert_eq!(in_order_of(&all, &[]), Vec::<SampleId>::new());
        assert_eq!(in_order_of(&all, &ids(&[1, 3, 4, 7, 8, 9])), all);
    }
}
