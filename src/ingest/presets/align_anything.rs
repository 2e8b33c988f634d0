//! Align-Anything (temporary: being written).
use super::row::{FieldError, FieldResult, Row};
use crate::model::SampleDraft;
pub(super) fn text_to_text(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn text_to_image(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn text_to_audio(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn language_feedback(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn pair(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
