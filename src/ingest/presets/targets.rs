//! Export targets read back (temporary: being written).
use super::row::{FieldError, FieldResult, Row};
use crate::model::SampleDraft;
pub(super) fn llamafactory_v1(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn ms_swift(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn llamafactory_sharegpt(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn llamafactory_alpaca(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
pub(super) fn trl(_: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> { Err(FieldError::new("", "WIP")) }
