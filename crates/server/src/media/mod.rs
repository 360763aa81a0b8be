//! Media: images, voice, files and video, uploaded in chunks over HTTP on the server's
//! listener and downloaded through signed URLs (the routes are in [`routes`]).
//!
//! An upload is begun by its sender (who is authenticated by their UserSig, as at login) with
//! its kind, size and name; it is filled chunk by chunk at the offset the store has reached,
//! so a cut upload resumes where it stopped; and it is finished once all its bytes are there.
//! Finishing checks that the bytes are what the kind says (an image must decode; voice and
//! video must start as a known container does), hashes them, and for an image makes the large
//! and thumbnail variants (settings `image_large_px`, `image_thumb_px`; re-encoded, so they
//! carry none of the original's metadata; the original is kept byte for byte).
//!
//! A download URL names the file, the variant and an expiry, and carries an HMAC of the three
//! under a key derived from the app's secret key: ids are 128 random bits and URLs cannot be
//! made without the key, so only who was handed a URL (with a message) can fetch the file, and
//! only until it expires (`media_url_ttl_secs`). Files are served as attachments with their
//! stored type and `nosniff`, never rendered inline.

pub mod fs;
mod postgres;
pub mod routes;
pub mod store;

use std::io::Cursor;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use opentim_model::codes;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::clock::now_secs;
use crate::config::Config;
use crate::http::metrics::Metrics;
use store::MediaError;
pub use store::{FileInfo, MediaKind, MediaStore, Reader, Upload, Variant, VariantInfo};

type HmacSha256 = Hmac<Sha256>;

/// Most pixels of an image the server decodes (a bigger one is refused as not an image it
/// can take): bounds the memory one image costs.
const MAX_IMAGE_PIXELS: u64 = 64 << 20;

/// A refusal: the HTTP status, the documented code and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: i32,
    pub desc: String,
}

impl Refusal {
    fn new(status: StatusCode, code: i32, desc: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            desc: desc.into(),
        }
    }

    fn internal(e: MediaError) -> Self {
        tracing::error!(error = %e, "media storage failed");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::ERR_FILE_TRANS_UPLOAD_FAILED,
            format!("the server could not store the file ({e}); try again"),
        )
    }
}

pub type MediaOutcome<T> = std::result::Result<T, Refusal>;

/// A download URL's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub expires: u64,
    pub sig: String,
}

/// What a finished upload answers: the file and a signed URL of each variant.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finished {
    pub id: String,
    pub kind: MediaKind,
    pub name: String,
    pub sha256: String,
    pub variants: Vec<FinishedVariant>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct FinishedVariant {
    pub variant: Variant,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
    pub url: String,
}

pub struct MediaService {
    config: Arc<Config>,
    store: Arc<dyn MediaStore>,
    metrics: Arc<Metrics>,
    key: [u8; 32],
}

/// Whether `id` is one this server makes (32 lowercase hex digits).
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn no_upload() -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        codes::ERR_FILE_TRANS_UPLOAD_FAILED,
        "no such upload: begin it with POST /media/uploads",
    )
}

/// The `Content-Type` of a voice file, from its first bytes; `None`: not a voice format the
/// server knows.
fn sound_type(head: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| head.starts_with(p);
    if starts(b"ID3") || (head.len() > 1 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if starts(b"OggS") {
        Some("audio/ogg")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
        Some("audio/wav")
    } else if head.get(4..8) == Some(b"ftyp") {
        Some("audio/mp4")
    } else if starts(b"#!AMR") {
        Some("audio/amr")
    } else if starts(b"#!SILK") || starts(b"\x02#!SILK") {
        Some("audio/silk")
    } else if starts(b"fLaC") {
        Some("audio/flac")
    } else {
        None
    }
}

/// The `Content-Type` of a video file, from its first bytes; `None`: not a video container
/// the server knows.
fn video_type(head: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| head.starts_with(p);
    if head.get(4..8) == Some(b"ftyp") {
        Some("video/mp4")
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        Some("video/x-msvideo")
    } else if starts(b"FLV") {
        Some("video/x-flv")
    } else if starts(&[0x00, 0x00, 0x01, 0xBA]) || head.first() == Some(&0x47) {
        Some("video/mp2t")
    } else {
        None
    }
}

impl MediaService {
    pub fn new(config: Arc<Config>, store: Arc<dyn MediaStore>, metrics: Arc<Metrics>) -> Self {
        // The URL key is the app's secret key, hashed with a purpose of its own, so it is
        // never the same as what signs UserSigs.
        let mut h = Sha256::new();
        h.update(b"opentim media url\n");
        h.update(config.secret_key.as_bytes());
        MediaService {
            key: h.finalize().into(),
            config,
            store,
            metrics,
        }
    }

    /// Count a refusal in `/metrics` on its way out.
    pub fn counted<T>(&self, r: MediaOutcome<T>) -> MediaOutcome<T> {
        if r.is_err() {
            self.metrics.media_refused.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    /// Remove the uploads never finished within `media_upload_ttl_secs` and the files older
    /// than `media_retention_secs`; what was removed is logged and counted.
    pub async fn sweep(&self) {
        let now = now_secs();
        let c = &self.config;
        let swept = self
            .store
            .sweep(
                now.saturating_sub(c.media_upload_ttl_secs),
                now.saturating_sub(c.media_retention_secs),
                now.saturating_sub(c.media_unreferenced_secs),
            )
            .await;
        match swept {
            Ok(s) => {
                let m = &self.metrics;
                m.media_removed_uploads
                    .fetch_add(s.uploads.len() as u64, Ordering::Relaxed);
                m.media_removed_files
                    .fetch_add(s.files.len() as u64, Ordering::Relaxed);
                if !(s.uploads.is_empty() && s.files.is_empty()) {
                    tracing::info!(uploads = ?s.uploads, files = ?s.files, "media removed (media_upload_ttl_secs, media_retention_secs, media_unreferenced_secs)");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the media sweep failed; it runs again later"),
        }
    }

    fn max_bytes(&self, kind: MediaKind) -> (u64, &'static str) {
        let c = &self.config;
        match kind {
            MediaKind::Image => (c.max_image_bytes, "max_image_bytes"),
            MediaKind::Sound => (c.max_sound_bytes, "max_sound_bytes"),
            MediaKind::File => (c.max_file_bytes, "max_file_bytes"),
            MediaKind::Video => (c.max_video_bytes, "max_video_bytes"),
        }
    }

    /// Largest chunk one append may carry.
    pub fn chunk_bytes(&self) -> usize {
        self.config.media_chunk_bytes
    }

    /// `owner` begins an upload of `size` bytes.
    pub async fn begin(
        &self,
        owner: &str,
        kind: MediaKind,
        size: u64,
        name: &str,
    ) -> MediaOutcome<Upload> {
        let (max, setting) = self.max_bytes(kind);
        if size == 0 {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                codes::ERR_SDK_COMM_FILE_SIZE_EMPTY,
                "the file is empty",
            ));
        }
        if size > max {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::ERR_SDK_COMM_FILE_TOO_LARGE,
                format!("{size} bytes; this server takes at most {max} for this kind ({setting})"),
            ));
        }
        if name.len() > 255 || name.chars().any(char::is_control) {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                codes::ERR_INVALID_PARAMETERS,
                "the file name must be at most 255 bytes, without control characters",
            ));
        }
        let upload = Upload {
            id: hex(&rand::random::<[u8; 16]>()),
            owner: owner.to_owned(),
            kind,
            size,
            name: name.to_owned(),
            created: now_secs(),
        };
        self.store.begin(&upload).await.map_err(Refusal::internal)?;
        tracing::debug!(id = %upload.id, owner, ?kind, size, "upload begun");
        Ok(upload)
    }

    /// `owner`'s upload `id` and the bytes it has received.
    pub async fn status(&self, owner: &str, id: &str) -> MediaOutcome<(Upload, u64)> {
        if !valid_id(id) {
            return Err(no_upload());
        }
        match self.store.upload(id).await.map_err(Refusal::internal)? {
            Some((u, received)) if u.owner == owner => Ok((u, received)),
            _ => Err(no_upload()),
        }
    }

    /// Append a chunk at `offset`; the bytes received after.
    pub async fn append(
        &self,
        owner: &str,
        id: &str,
        offset: u64,
        data: &[u8],
    ) -> MediaOutcome<u64> {
        self.status(owner, id).await?;
        match self.store.append(id, offset, data).await {
            Ok(n) => Ok(n),
            Err(MediaError::WrongOffset { offset, received }) => Err(Refusal::new(
                StatusCode::CONFLICT,
                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                format!("the upload has {received} bytes; send the chunk at offset {received}, not {offset}"),
            )),
            Err(MediaError::TooLong { size }) => Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::ERR_SDK_COMM_FILE_TOO_LARGE,
                format!("the upload was begun for {size} bytes; this chunk goes past that"),
            )),
            Err(MediaError::NoUpload) => Err(no_upload()),
            Err(e) => Err(Refusal::internal(e)),
        }
    }

    /// Finish `owner`'s upload `id`: check, hash, make the variants, keep the file.
    pub async fn finish(&self, owner: &str, id: &str) -> MediaOutcome<Finished> {
        let (upload, received) = self.status(owner, id).await?;
        if received != upload.size {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                format!(
                    "the upload has {received} of its {} bytes; send the rest first",
                    upload.size
                ),
            ));
        }
        let mut reader = self
            .store
            .read_upload(id)
            .await
            .map_err(Refusal::internal)?;
        let mut hash = Sha256::new();
        let mut head = Vec::new();
        // An image is decoded whole; other kinds are only hashed, a buffer at a time.
        let mut whole = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| Refusal::internal(e.into()))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            if head.len() < 16 {
                head.extend_from_slice(&buf[..n.min(16 - head.len())]);
            }
            if upload.kind == MediaKind::Image {
                whole.extend_from_slice(&buf[..n]);
            }
        }
        drop(reader);
        let not_kind = |code: i32, what: &str| {
            Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code,
                format!("the file is not {what}; send it as a file element instead"),
            )
        };
        let (orig, extra) = match upload.kind {
            MediaKind::Image => {
                let c = self.config.clone();
                tokio::task::spawn_blocking(move || image_variants(&whole, &c))
                    .await
                    .map_err(|e| Refusal::internal(MediaError::Io(e.to_string())))?
                    .ok_or_else(|| {
                        not_kind(
                            codes::ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE,
                            "an image this server can read",
                        )
                    })?
            }
            MediaKind::Sound => {
                let t = sound_type(&head)
                    .ok_or_else(|| not_kind(codes::ERR_INVALID_MSG_ELEM, "a voice recording"))?;
                (plain(t, upload.size), vec![])
            }
            MediaKind::Video => {
                let t = video_type(&head)
                    .ok_or_else(|| not_kind(codes::ERR_INVALID_MSG_ELEM, "a video"))?;
                (plain(t, upload.size), vec![])
            }
            MediaKind::File => (plain("application/octet-stream", upload.size), vec![]),
        };
        let mut variants = vec![orig];
        variants.extend(extra.iter().map(|(info, _)| info.clone()));
        let info = FileInfo {
            id: upload.id.clone(),
            owner: upload.owner.clone(),
            kind: upload.kind,
            name: upload.name.clone(),
            sha256: hex(&hash.finalize()),
            created: now_secs(),
            variants,
        };
        let bytes = extra.into_iter().map(|(i, b)| (i.variant, b)).collect();
        self.store
            .finish(&info, bytes)
            .await
            .map_err(Refusal::internal)?;
        tracing::info!(id = %info.id, owner, kind = ?info.kind, size = upload.size, "upload finished");
        self.metrics.media_uploads.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .media_upload_bytes
            .fetch_add(upload.size, Ordering::Relaxed);
        Ok(self.finished(&info))
    }

    fn finished(&self, info: &FileInfo) -> Finished {
        let expires = now_secs() + self.config.media_url_ttl_secs;
        Finished {
            id: info.id.clone(),
            kind: info.kind,
            name: info.name.clone(),
            sha256: info.sha256.clone(),
            variants: info
                .variants
                .iter()
                .map(|v| FinishedVariant {
                    variant: v.variant,
                    size: v.size,
                    width: v.width,
                    height: v.height,
                    content_type: v.content_type.clone(),
                    url: self.url(&info.id, v.variant, expires),
                })
                .collect(),
        }
    }

    fn mac(&self, id: &str, variant: Variant, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("{id}/{}/{expires}", variant.name()).as_bytes());
        mac
    }

    /// The signed download URL of a variant, valid until `expires` (relative to the server
    /// unless `media_public_url` is set).
    pub fn url(&self, id: &str, variant: Variant, expires: u64) -> String {
        let sig = hex(&self.mac(id, variant, expires).finalize().into_bytes());
        let base = self.config.media_public_url.as_deref().unwrap_or("");
        format!(
            "{}/media/files/{id}/{}?expires={expires}&sig={sig}",
            base.trim_end_matches('/'),
            variant.name()
        )
    }

    /// Check a download URL's signature and expiry; the file and the variant asked.
    pub async fn authorize(
        &self,
        id: &str,
        variant: &str,
        signed: &Signed,
    ) -> MediaOutcome<(FileInfo, VariantInfo)> {
        let refused = || {
            Refusal::new(
                StatusCode::FORBIDDEN,
                codes::ERR_FILE_TRANS_AUTH_FAILED,
                "this URL was not handed out by this server, or it was changed",
            )
        };
        let variant = Variant::parse(variant).ok_or_else(refused)?;
        if !valid_id(id) {
            return Err(refused());
        }
        let sig: Vec<u8> = (0..signed.sig.len() / 2)
            .filter_map(|i| u8::from_str_radix(signed.sig.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        if sig.len() != 32 || signed.sig.len() != 64 {
            return Err(refused());
        }
        self.mac(id, variant, signed.expires)
            .verify_slice(&sig)
            .map_err(|_| refused())?;
        if signed.expires < now_secs() {
            return Err(Refusal::new(
                StatusCode::GONE,
                codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
                "this URL has expired; get the message again for a fresh one",
            ));
        }
        let gone = || {
            Refusal::new(
                StatusCode::NOT_FOUND,
                codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
                "the file is no longer kept on this server",
            )
        };
        let info = self
            .store
            .file(id)
            .await
            .map_err(Refusal::internal)?
            .ok_or_else(gone)?;
        let v = info.variant(variant).cloned().ok_or_else(gone)?;
        self.metrics.media_downloads.fetch_add(1, Ordering::Relaxed);
        Ok((info, v))
    }

    /// Bytes of a variant, from `offset`, `len` of them (all the rest when `None`).
    pub async fn read(
        &self,
        id: &str,
        variant: Variant,
        offset: u64,
        len: Option<u64>,
    ) -> MediaOutcome<Reader> {
        self.store
            .read(id, variant, offset, len)
            .await
            .map_err(Refusal::internal)?
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::NOT_FOUND,
                    codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
                    "the file is no longer kept on this server",
                )
            })
    }
}

fn plain(content_type: &str, size: u64) -> VariantInfo {
    VariantInfo {
        variant: Variant::Orig,
        size,
        width: 0,
        height: 0,
        content_type: content_type.to_owned(),
    }
}

/// The original's description and the large and thumbnail variants of an image; `None` when
/// the bytes are not an image the server can decode.
/// A variant the server made, and its bytes.
type Made = (VariantInfo, Vec<u8>);

fn image_variants(bytes: &[u8], c: &Config) -> Option<(VariantInfo, Vec<Made>)> {
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let format = reader.format()?;
    let (w, h) = reader.into_dimensions().ok()?;
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return None;
    }
    let img = image::load_from_memory_with_format(bytes, format).ok()?;
    let orig = VariantInfo {
        variant: Variant::Orig,
        size: bytes.len() as u64,
        width: w,
        height: h,
        content_type: format.to_mime_type().to_owned(),
    };
    let mut out = Vec::new();
    for (variant, side) in [
        (Variant::Large, c.image_large_px),
        (Variant::Thumb, c.image_thumb_px),
    ] {
        let scaled = match w.max(h) > side && side > 0 {
            true => img.thumbnail(side, side),
            false => img.clone(),
        };
        // Re-encoded: no metadata of the original survives. PNG keeps transparency.
        let (fmt, mime) = match scaled.color().has_alpha() {
            true => (image::ImageFormat::Png, "image/png"),
            false => (image::ImageFormat::Jpeg, "image/jpeg"),
        };
        let scaled = match fmt {
            image::ImageFormat::Jpeg => image::DynamicImage::ImageRgb8(scaled.to_rgb8()),
            _ => scaled,
        };
        let mut buf = Cursor::new(Vec::new());
        scaled.write_to(&mut buf, fmt).ok()?;
        let buf = buf.into_inner();
        out.push((
            VariantInfo {
                variant,
                size: buf.len() as u64,
                width: scaled.width(),
                height: scaled.height(),
                content_type: mime.to_owned(),
            },
            buf,
        ));
    }
    Some((orig, out))
}
