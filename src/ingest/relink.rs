//! Media that moved: a dataset's media given as paths are resolved again inside a new folder
//! (with the same rules as an import: nothing outside the folder), probed, and the project points
//! at them, without importing the file again. One operation through the store's write path.

use super::IngestError;
use super::media_ref::MediaRoot;
use crate::jobs::Progress;
use crate::media;
use crate::model::{DatasetId, ProbeStatus};
use crate::store::{Actor, Relinked, Store, StoreError};
use std::path::Path;

/// What a relink found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelinkSummary {
    /// Media items given as paths.
    pub media: usize,
    /// Found and readable in the new folder.
    pub found: usize,
    /// Found but unreadable.
    pub failed: usize,
    /// Not in the new folder.
    pub missing: usize,
}

/// Points `dataset`'s media at `folder`. Nothing is written when cancelled.
pub fn relink_media(
    store: &mut Store,
    actor: &Actor,
    dataset: DatasetId,
    folder: &Path,
    progress: &mut Progress,
) -> Result<RelinkSummary, IngestError> {
    let root = MediaRoot::new(folder).map_err(|e| IngestError::File {
        path: folder.to_owned(),
        message: format!("is not a usable media folder: {e}"),
    })?;
    let items = store.dataset_media_paths(dataset)?;
    let mut summary = RelinkSummary { media: items.len(), ..RelinkSummary::default() };
    progress.phase("finding media", "media", Some(items.len() as u64), 0);
    let mut found = Vec::with_capacity(items.len());
    for (k, (media_id, path, kind)) in items.into_iter().enumerate() {
        let relinked = match root.resolve(&path, kind) {
            Ok((abs, kind)) => {
                let resolved_path = Some(abs.to_string_lossy().into_owned());
                match media::probe_path(kind, &abs) {
                    Ok(_) => {
                        summary.found += 1;
                        Relinked { media_id, resolved_path, status: ProbeStatus::Ok, error: None }
                    }
                    Err(e) => {
                        summary.failed += 1;
                        Relinked { media_id, resolved_path, status: ProbeStatus::Failed, error: Some(e.to_string()) }
                    }
                }
            }
            Err(why) => {
                summary.missing += 1;
                Relinked { media_id, resolved_path: None, status: ProbeStatus::Unresolved, error: Some(why) }
            }
        };
        found.push(relinked);
        progress.tick(k as u64 + 1)?;
    }
    progress.finish(summary.media as u64);
    let root_text = root.path().to_string_lossy().into_owned();
    match store.relink_media(actor, dataset, &root_text, &found) {
        Ok(_) => Ok(summary),
        Err(StoreError::Cancelled) => Err(IngestError::Cancelled),
        Err(e) => Err(e.into()),
    }
}
