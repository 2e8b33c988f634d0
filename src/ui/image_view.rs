//! Images in the sample view: a texture cache fed by the background decoder, and an image widget
//! that fits the image to its space, zooms with the wheel around the pointer, pans by dragging and
//! goes back to fit on double-click.

use super::workers::{DecodedImage, ImageLoader, ImageSource};
use egui::{Color32, Pos2, Rect, Sense, TextureHandle, TextureOptions, Vec2, pos2, vec2};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many textures stay uploaded.
const MAX_TEXTURES: usize = 48;

/// Where an image stands.
#[derive(Clone)]
pub enum ImageEntry {
    /// Being decoded.
    Pending,
    /// On the GPU.
    Ready {
        /// The texture (possibly downscaled).
        texture: TextureHandle,
        /// The original pixel size.
        original: [u32; 2],
        /// A quick preview: every pixel can be asked for with [`TextureCache::want_full`].
        preview: bool,
    },
    /// Could not be decoded.
    Failed(String),
}

/// Decoded images as textures, by source.
pub struct TextureCache {
    loader: ImageLoader,
    entries: HashMap<ImageSource, ImageEntry>,
    order: VecDeque<ImageSource>,
    requested_at: HashMap<ImageSource, Instant>,
    full_requested: std::collections::HashSet<ImageSource>,
    /// Request-to-upload time of the most recent image (for the benchmark and the status bar).
    pub last_latency: Option<Duration>,
    /// Read-and-decode time of the most recent image, on the decoder thread.
    pub last_decode: Option<Duration>,
}

impl TextureCache {
    /// A cache over a running loader.
    pub fn new(loader: ImageLoader) -> Self {
        Self {
            loader,
            entries: HashMap::new(),
            order: VecDeque::new(),
            requested_at: HashMap::new(),
            full_requested: std::collections::HashSet::new(),
            last_latency: None,
            last_decode: None,
        }
    }

    /// The entry for `source`, asking the loader for it the first time.
    pub fn get(&mut self, source: &ImageSource) -> ImageEntry {
        self.want(source);
        self.entries.get(source).cloned().unwrap_or(ImageEntry::Pending)
    }

    /// Starts decoding `source` ahead of everything queued, unless it is decoded or already
    /// asked for. A queued prefetch is asked for again, first (it may have been dropped).
    pub fn want(&mut self, source: &ImageSource) {
        match self.entries.get(source) {
            Some(ImageEntry::Pending) if !self.requested_at.contains_key(source) => {}
            Some(_) => return,
            None => {}
        }
        self.entries.insert(source.clone(), ImageEntry::Pending);
        self.requested_at.insert(source.clone(), Instant::now());
        self.loader.request(source.clone());
    }

    /// Asks for every pixel of an image shown from a preview (once).
    pub fn want_full(&mut self, source: &ImageSource) {
        if matches!(self.entries.get(source), Some(ImageEntry::Ready { preview: true, .. }))
            && self.full_requested.insert(source.clone())
        {
            self.loader.request_full(source.clone());
        }
    }

    /// Queues `source` behind what the curator waits for (the next sample's images).
    pub fn prefetch(&mut self, source: &ImageSource) {
        if self.entries.contains_key(source) {
            return;
        }
        self.entries.insert(source.clone(), ImageEntry::Pending);
        self.loader.prefetch(source.clone());
    }

    /// Whether `source` is decoded (or failed: nothing more will come).
    pub fn is_settled(&self, source: &ImageSource) -> bool {
        self.entries.get(source).is_some_and(|e| !matches!(e, ImageEntry::Pending))
    }

    /// Whether any requested image is still being decoded.
    pub fn has_pending(&self) -> bool {
        self.entries.values().any(|e| matches!(e, ImageEntry::Pending))
    }

    /// Uploads what the loader finished; returns how many arrived.
    pub fn poll(&mut self, ctx: &egui::Context) -> usize {
        let arrived = self.loader.drain();
        let n = arrived.len();
        for DecodedImage { source, image, original_size, preview, elapsed } in arrived {
            self.last_decode = Some(elapsed);
            let entry = match image {
                Ok(img) => {
                    let name = match &source {
                        ImageSource::Blob(h) => format!("blob:{h}"),
                        ImageSource::File(p) => format!("file:{}", p.display()),
                    };
                    ImageEntry::Ready {
                        texture: ctx.load_texture(name, img, TextureOptions::LINEAR),
                        original: original_size,
                        preview,
                    }
                }
                Err(e) => ImageEntry::Failed(e),
            };
            if let Some(t) = self.requested_at.remove(&source) {
                self.last_latency = Some(t.elapsed());
            }
            if !preview {
                self.full_requested.remove(&source);
            }
            self.order.retain(|s| s != &source);
            self.order.push_back(source.clone());
            self.entries.insert(source, entry);
        }
        while self.order.len() > MAX_TEXTURES {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        n
    }
}

/// Zoom and pan of one image view, kept in egui's memory by widget id.
#[derive(Clone, Copy, Debug)]
struct ZoomState {
    /// 1 = fit.
    zoom: f32,
    /// Center of the visible part, in texture coordinates (0..1).
    center: Pos2,
}

impl Default for ZoomState {
    fn default() -> Self {
        Self { zoom: 1.0, center: pos2(0.5, 0.5) }
    }
}

/// Draws an image fitted into `max` (aspect kept), with wheel zoom, drag pan and double-click
/// reset. Returns the widget's response, and whether the image is shown larger than the
/// texture's pixels (a preview should then be replaced by the full image).
pub fn image_ui(
    ui: &mut egui::Ui,
    id: egui::Id,
    texture: &TextureHandle,
    original: [u32; 2],
    max: Vec2,
) -> (egui::Response, bool) {
    let tex_size = texture.size_vec2();
    let fit = (max.x / tex_size.x).min(max.y / tex_size.y).max(0.01);
    let (rect, response) = ui.allocate_exact_size(tex_size * fit, Sense::click_and_drag());
    let mut st = ui.data(|d| d.get_temp::<ZoomState>(id)).unwrap_or_default();
    let uv_size = 1.0 / st.zoom;
    let uv_min = st.center - vec2(uv_size, uv_size) * 0.5;
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0
            && let Some(p) = response.hover_pos()
        {
            let rel = (p - rect.min) / rect.size();
            let at = uv_min + rel * uv_size;
            let zoom = (st.zoom * (scroll / 200.0).exp()).clamp(1.0, 64.0);
            let new_size = 1.0 / zoom;
            st.zoom = zoom;
            st.center = at - rel * new_size + vec2(new_size, new_size) * 0.5;
        }
    }
    if response.dragged() {
        st.center -= response.drag_delta() / rect.size() / st.zoom;
    }
    if response.double_clicked() {
        st = ZoomState::default();
    }
    let half = 0.5 / st.zoom;
    st.center = pos2(st.center.x.clamp(half, 1.0 - half), st.center.y.clamp(half, 1.0 - half));
    let uv = Rect::from_center_size(st.center, vec2(2.0 * half, 2.0 * half));
    ui.painter_at(rect).image(texture.id(), rect, uv, Color32::WHITE);
    if st.zoom > 1.001 {
        // Shown size relative to the original pixels.
        let text = format!("{:.0}%", st.zoom * fit * tex_size.x / original[0].max(1) as f32 * 100.0);
        ui.painter().text(
            rect.right_top() + vec2(-6.0, 6.0),
            egui::Align2::RIGHT_TOP,
            text,
            egui::FontId::monospace(11.0),
            Color32::WHITE,
        );
    }
    ui.data_mut(|d| d.insert_temp(id, st));
    let magnified = st.zoom * fit > 1.0 && original[0] as f32 > tex_size.x;
    let text = format!("{} x {} px · wheel: zoom · drag: pan · double-click: fit", original[0], original[1]);
    if response.hovered() {
        hint_ui(ui, rect, &text);
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &text));
    (response, magnified)
}

/// What the image is and how to zoom it, written across its bottom edge while the pointer is
/// over it. A tooltip went below the image, over the first candidate's header, just when the
/// curator reads down to the answers.
fn hint_ui(ui: &egui::Ui, rect: Rect, text: &str) {
    let font = egui::FontId::proportional(11.0);
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, Color32::WHITE);
    job.wrap = egui::text::TextWrapping::truncate_at_width(rect.width() - 8.0);
    let galley = ui.fonts_mut(|f| f.layout_job(job));
    let strip = Rect::from_min_max(pos2(rect.left(), rect.bottom() - galley.size().y - 6.0), rect.right_bottom());
    let painter = ui.painter_at(rect);
    painter.rect_filled(strip, 0.0, Color32::from_black_alpha(170));
    painter.galley(strip.left_center() + vec2(4.0, -galley.size().y / 2.0), galley, Color32::WHITE);
}
