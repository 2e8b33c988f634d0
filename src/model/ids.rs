//! Typed row ids.

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

define_id!(
    /// A dataset: one imported source file.
    DatasetId
);
define_id!(
    /// One preference sample (a prompt with its candidates and judgments).
    SampleId
);
define_id!(
    /// One candidate response of a sample.
    ResponseId
);
define_id!(
    /// One media item attached to a sample.
    MediaId
);
define_id!(
    /// One operation: a user action as one undo step (`ops` table).
    OpId
);
define_id!(
    /// One judgment (original, curator's or model's).
    JudgmentId
);
