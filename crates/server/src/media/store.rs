//! Where uploaded media live: a trait with one backend per kind of storage (the filesystem
//! under `data_dir`; PostgreSQL for clusters), and one conformance suite for all of them.
//!
//! An upload is created with its declared size, filled by appending chunks at the offset the
//! store has reached (so a cut upload resumes where it stopped), and finished once: then its
//! bytes become the file's original, beside the variants the service made, and its
//! [`FileInfo`] is kept. A file exists only once it is finished.

use std::pin::Pin;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncRead;

/// What a media element holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Sound,
    File,
    Video,
}

impl MediaKind {
    pub fn parse(s: &str) -> Option<MediaKind> {
        match s {
            "image" => Some(MediaKind::Image),
            "sound" => Some(MediaKind::Sound),
            "file" => Some(MediaKind::File),
            "video" => Some(MediaKind::Video),
            _ => None,
        }
    }
}

/// One stored form of a file: the original bytes, or a variant the server made of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Orig,
    Large,
    Thumb,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Orig, Variant::Large, Variant::Thumb];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Orig => "orig",
            Variant::Large => "large",
            Variant::Thumb => "thumb",
        }
    }

    pub fn parse(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// An upload in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    /// Who uploads (only they may append to it or finish it).
    pub owner: String,
    pub kind: MediaKind,
    /// Declared size in bytes: the upload is complete at exactly this many.
    pub size: u64,
    /// The file name the sender gave (shown to the receiver of a file element).
    pub name: String,
    pub created: u64,
}

/// One variant of a finished file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantInfo {
    pub variant: Variant,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    /// `Content-Type` it is served with.
    pub content_type: String,
}

/// A finished file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: String,
    pub owner: String,
    pub kind: MediaKind,
    pub name: String,
    /// SHA-256 of the original, hex.
    pub sha256: String,
    pub created: u64,
    /// The original first.
    pub variants: Vec<VariantInfo>,
}

impl FileInfo {
    pub fn variant(&self, v: Variant) -> Option<&VariantInfo> {
        self.variants.iter().find(|i| i.variant == v)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// An append at another offset than the bytes received so far.
    #[error("the upload has {received} bytes, not {offset}")]
    WrongOffset { offset: u64, received: u64 },
    /// More bytes than the upload declared.
    #[error("the upload declared {size} bytes")]
    TooLong { size: u64 },
    #[error("no such upload")]
    NoUpload,
    #[error("media storage: {0}")]
    Io(String),
}

impl From<std::io::Error> for MediaError {
    fn from(e: std::io::Error) -> Self {
        MediaError::Io(e.to_string())
    }
}

pub type MediaResult<T> = std::result::Result<T, MediaError>;

/// Bytes being read from the store.
pub type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// What a sweep removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Unfinished uploads begun before the cut-off.
    pub uploads: Vec<String>,
    /// Files finished before the cut-off.
    pub files: Vec<String>,
}

#[async_trait]
pub trait MediaStore: Send + Sync + 'static {
    /// Start an upload (nothing received yet).
    async fn begin(&self, upload: &Upload) -> MediaResult<()>;
    /// An upload in progress and the bytes it has received.
    async fn upload(&self, id: &str) -> MediaResult<Option<(Upload, u64)>>;
    /// Append `data` at `offset`, which must be what the upload has received so far; the
    /// bytes received after. Never more than the declared size.
    async fn append(&self, id: &str, offset: u64, data: &[u8]) -> MediaResult<u64>;
    /// The bytes an upload received so far, from the start.
    async fn read_upload(&self, id: &str) -> MediaResult<Reader>;
    /// Finish an upload: its bytes become `info`'s original, stored with `variants` (the
    /// bytes of each other variant `info` lists). The upload is gone after.
    async fn finish(&self, info: &FileInfo, variants: Vec<(Variant, Vec<u8>)>) -> MediaResult<()>;
    /// A finished file.
    async fn file(&self, id: &str) -> MediaResult<Option<FileInfo>>;
    /// `len` bytes of a variant of a finished file from `offset` (all the rest when `None`).
    async fn read(
        &self,
        id: &str,
        variant: Variant,
        offset: u64,
        len: Option<u64>,
    ) -> MediaResult<Option<Reader>>;
    /// A message names file `id` (finished files start unnamed).
    async fn mark_referenced(&self, id: &str) -> MediaResult<()>;
    /// Remove uploads begun before `uploads_before` that were never finished, files finished
    /// before `files_before`, and files finished before `unreferenced_before` that no message
    /// named (Unix seconds).
    async fn sweep(
        &self,
        uploads_before: u64,
        files_before: u64,
        unreferenced_before: u64,
    ) -> MediaResult<Swept>;
}
