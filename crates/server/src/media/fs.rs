//! The filesystem media store (the default): everything under one directory.
//!
//! ```text
//! uploads/<id>.json      the Upload, while in progress
//! uploads/<id>.part      the bytes received so far
//! files/<id>/orig        a finished file's original (the .part, renamed)
//! files/<id>/large|thumb the variants the server made of an image
//! files/<id>/info.json   its FileInfo, written last: a file exists once this does
//! files/<id>/referenced  present once a message named the file
//! ```
//!
//! Ids are checked by the media service (hex only), so they are safe path components.

use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::store::Swept;
use super::store::{FileInfo, MediaError, MediaResult, MediaStore, Reader, Upload, Variant};

pub struct FsMediaStore {
    root: PathBuf,
    /// One lock per upload being appended to, so two appends of one upload do not interleave.
    appending: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl FsMediaStore {
    /// A store under `root` (created when missing).
    pub fn open(root: &Path) -> MediaResult<Self> {
        std::fs::create_dir_all(root.join("uploads"))?;
        std::fs::create_dir_all(root.join("files"))?;
        Ok(FsMediaStore {
            root: root.to_owned(),
            appending: Mutex::new(HashMap::new()),
        })
    }

    fn meta(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(format!("{id}.json"))
    }

    fn part(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(format!("{id}.part"))
    }

    fn dir(&self, id: &str) -> PathBuf {
        self.root.join("files").join(id)
    }

    fn lock_of(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.appending.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, l| Arc::strong_count(l) > 1);
        map.entry(id.to_owned()).or_default().clone()
    }
}

/// Write `bytes` to `path` atomically (a temporary name, synced, then renamed).
async fn write_atomic(path: &Path, bytes: &[u8]) -> MediaResult<()> {
    let tmp = path.with_extension("tmp");
    let mut f = tokio::fs::File::create(&tmp).await?;
    f.write_all(bytes).await?;
    f.sync_all().await?;
    tokio::fs::rename(&tmp, path).await?;
    Ok(())
}

fn not_found(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

#[async_trait]
impl MediaStore for FsMediaStore {
    async fn begin(&self, upload: &Upload) -> MediaResult<()> {
        tokio::fs::File::create(self.part(&upload.id)).await?;
        let json = serde_json::to_vec(upload).map_err(|e| MediaError::Io(e.to_string()))?;
        write_atomic(&self.meta(&upload.id), &json).await
    }

    async fn upload(&self, id: &str) -> MediaResult<Option<(Upload, u64)>> {
        let json = match tokio::fs::read(self.meta(id)).await {
            Ok(j) => j,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let upload: Upload =
            serde_json::from_slice(&json).map_err(|e| MediaError::Io(e.to_string()))?;
        let received = match tokio::fs::metadata(self.part(id)).await {
            Ok(m) => m.len(),
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some((upload, received)))
    }

    async fn append(&self, id: &str, offset: u64, data: &[u8]) -> MediaResult<u64> {
        let lock = self.lock_of(id);
        let _held = lock.lock().await;
        let (upload, received) = self.upload(id).await?.ok_or(MediaError::NoUpload)?;
        if offset != received {
            return Err(MediaError::WrongOffset { offset, received });
        }
        let after = received + data.len() as u64;
        if after > upload.size {
            return Err(MediaError::TooLong { size: upload.size });
        }
        let mut f = tokio::fs::OpenOptions::new()
            .append(true)
            .open(self.part(id))
            .await?;
        f.write_all(data).await?;
        // Acknowledged bytes survive a crash: a resumed upload starts after them.
        f.sync_data().await?;
        Ok(after)
    }

    async fn read_upload(&self, id: &str) -> MediaResult<Reader> {
        match tokio::fs::File::open(self.part(id)).await {
            Ok(f) => Ok(Box::pin(f)),
            Err(e) if not_found(&e) => Err(MediaError::NoUpload),
            Err(e) => Err(e.into()),
        }
    }

    async fn finish(&self, info: &FileInfo, variants: Vec<(Variant, Vec<u8>)>) -> MediaResult<()> {
        let dir = self.dir(&info.id);
        tokio::fs::create_dir_all(&dir).await?;
        for (v, bytes) in variants {
            write_atomic(&dir.join(v.name()), &bytes).await?;
        }
        tokio::fs::rename(self.part(&info.id), dir.join(Variant::Orig.name())).await?;
        let json = serde_json::to_vec(info).map_err(|e| MediaError::Io(e.to_string()))?;
        write_atomic(&dir.join("info.json"), &json).await?;
        match tokio::fs::remove_file(self.meta(&info.id)).await {
            Err(e) if !not_found(&e) => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn file(&self, id: &str) -> MediaResult<Option<FileInfo>> {
        match tokio::fs::read(self.dir(id).join("info.json")).await {
            Ok(j) => serde_json::from_slice(&j)
                .map(Some)
                .map_err(|e| MediaError::Io(e.to_string())),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read(
        &self,
        id: &str,
        variant: Variant,
        offset: u64,
        len: Option<u64>,
    ) -> MediaResult<Option<Reader>> {
        let mut f = match tokio::fs::File::open(self.dir(id).join(variant.name())).await {
            Ok(f) => f,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        f.seek(SeekFrom::Start(offset)).await?;
        Ok(Some(match len {
            Some(n) => Box::pin(f.take(n)),
            None => Box::pin(f),
        }))
    }

    async fn mark_referenced(&self, id: &str) -> MediaResult<()> {
        let marker = self.dir(id).join("referenced");
        if tokio::fs::try_exists(&marker).await? {
            return Ok(());
        }
        tokio::fs::File::create(marker).await?;
        Ok(())
    }

    async fn sweep(
        &self,
        uploads_before: u64,
        files_before: u64,
        unreferenced_before: u64,
    ) -> MediaResult<Swept> {
        let mut swept = Swept::default();
        let mut dir = tokio::fs::read_dir(self.root.join("uploads")).await?;
        while let Some(e) = dir.next_entry().await? {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            let Some((u, _)) = self.upload(id).await? else {
                continue;
            };
            if u.created < uploads_before {
                let _ = tokio::fs::remove_file(self.part(id)).await;
                tokio::fs::remove_file(self.meta(id)).await?;
                swept.uploads.push(id.to_owned());
            }
        }
        let mut dir = tokio::fs::read_dir(self.root.join("files")).await?;
        while let Some(e) = dir.next_entry().await? {
            let id = e.file_name().to_string_lossy().into_owned();
            let Some(info) = self.file(&id).await? else {
                continue;
            };
            let named = tokio::fs::try_exists(self.dir(&id).join("referenced")).await?;
            if info.created < files_before || (!named && info.created < unreferenced_before) {
                // The info goes first: a file half removed is a file no longer there.
                tokio::fs::remove_file(self.dir(&id).join("info.json")).await?;
                tokio::fs::remove_dir_all(self.dir(&id)).await?;
                swept.files.push(id);
            }
        }
        Ok(swept)
    }
}
