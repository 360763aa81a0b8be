//! The PostgreSQL media store, for clusters: every node serves every file. An upload's bytes
//! are rows of at most one chunk each (`media_chunk_bytes`), at their offsets; reading streams
//! them a row at a time, so memory follows the chunk size, never the file's.

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::stream;
use tokio_util::io::StreamReader;

use super::store::Swept;
use super::store::{FileInfo, MediaError, MediaResult, MediaStore, Reader, Upload, Variant};
use crate::store::PgStore;

/// The variant name of an upload's bytes while it is in progress.
const PART: &str = "part";

fn io(e: impl std::fmt::Display) -> MediaError {
    MediaError::Io(e.to_string())
}

/// `len` bytes of `variant` of `id` from `offset` (all the rest when `None`), a row at a time.
fn chunks(store: &PgStore, id: &str, variant: &str, offset: u64, len: Option<u64>) -> Reader {
    let pool = store.pool().clone();
    let end = len.map(|n| offset.saturating_add(n));
    let state = (pool, id.to_owned(), variant.to_owned(), offset);
    let s = stream::unfold(Some(state), move |state| async move {
        let (pool, id, variant, pos) = state?;
        if end.is_some_and(|e| pos >= e) {
            return None;
        }
        let row = async {
            let client = pool.get().await.map_err(io)?;
            client
                .query_opt(
                    "SELECT \"offset\", data FROM media_chunks
                     WHERE id = $1 AND variant = $2 AND \"offset\" <= $3
                     ORDER BY \"offset\" DESC LIMIT 1",
                    &[&id, &variant, &(pos as i64)],
                )
                .await
                .map_err(io)
        }
        .await;
        let row = match row {
            Ok(Some(r)) => r,
            Ok(None) => return None,
            Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
        };
        let start: i64 = row.get(0);
        let data: Vec<u8> = row.get(1);
        let skip = (pos - start as u64) as usize;
        if skip >= data.len() {
            return None;
        }
        let mut piece = &data[skip..];
        if let Some(e) = end {
            piece = &piece[..piece.len().min((e - pos) as usize)];
        }
        let next = pos + piece.len() as u64;
        let bytes = Bytes::copy_from_slice(piece);
        Some((Ok(bytes), Some((pool, id, variant, next))))
    });
    Box::pin(StreamReader::new(Box::pin(s)))
}

#[async_trait]
impl MediaStore for PgStore {
    async fn begin(&self, upload: &Upload) -> MediaResult<()> {
        let json = serde_json::to_string(upload).map_err(io)?;
        let client = self.pool().get().await.map_err(io)?;
        client
            .execute(
                "INSERT INTO media_uploads (id, owner, upload) VALUES ($1, $2, $3)",
                &[&upload.id, &upload.owner, &json],
            )
            .await
            .map_err(io)?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> MediaResult<Option<(Upload, u64)>> {
        let client = self.pool().get().await.map_err(io)?;
        let row = client
            .query_opt(
                "SELECT upload, received FROM media_uploads WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(io)?;
        row.map(|r| {
            let upload: Upload = serde_json::from_str(&r.get::<_, String>(0)).map_err(io)?;
            Ok((upload, r.get::<_, i64>(1) as u64))
        })
        .transpose()
    }

    async fn append(&self, id: &str, offset: u64, data: &[u8]) -> MediaResult<u64> {
        let mut client = self.pool().get().await.map_err(io)?;
        let tx = client.transaction().await.map_err(io)?;
        // The upload's row is the lock: two appends of one upload take turns.
        let row = tx
            .query_opt(
                "SELECT upload, received FROM media_uploads WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await
            .map_err(io)?
            .ok_or(MediaError::NoUpload)?;
        let upload: Upload = serde_json::from_str(&row.get::<_, String>(0)).map_err(io)?;
        let received = row.get::<_, i64>(1) as u64;
        if offset != received {
            return Err(MediaError::WrongOffset { offset, received });
        }
        let after = received + data.len() as u64;
        if after > upload.size {
            return Err(MediaError::TooLong { size: upload.size });
        }
        if !data.is_empty() {
            tx.execute(
                "INSERT INTO media_chunks (id, variant, \"offset\", data) VALUES ($1, $2, $3, $4)",
                &[&id, &PART, &(offset as i64), &data.to_vec()],
            )
            .await
            .map_err(io)?;
        }
        tx.execute(
            "UPDATE media_uploads SET received = $2 WHERE id = $1",
            &[&id, &(after as i64)],
        )
        .await
        .map_err(io)?;
        tx.commit().await.map_err(io)?;
        Ok(after)
    }

    async fn read_upload(&self, id: &str) -> MediaResult<Reader> {
        if self.upload(id).await?.is_none() {
            return Err(MediaError::NoUpload);
        }
        Ok(chunks(self, id, PART, 0, None))
    }

    async fn finish(&self, info: &FileInfo, variants: Vec<(Variant, Vec<u8>)>) -> MediaResult<()> {
        let json = serde_json::to_string(info).map_err(io)?;
        let mut client = self.pool().get().await.map_err(io)?;
        let tx = client.transaction().await.map_err(io)?;
        tx.execute(
            "UPDATE media_chunks SET variant = $2 WHERE id = $1 AND variant = $3",
            &[&info.id, &Variant::Orig.name(), &PART],
        )
        .await
        .map_err(io)?;
        for (v, bytes) in &variants {
            tx.execute(
                "INSERT INTO media_chunks (id, variant, \"offset\", data) VALUES ($1, $2, 0, $3)",
                &[&info.id, &v.name(), bytes],
            )
            .await
            .map_err(io)?;
        }
        tx.execute(
            "INSERT INTO media_files (id, info, created) VALUES ($1, $2, $3)",
            &[&info.id, &json, &(info.created as i64)],
        )
        .await
        .map_err(io)?;
        tx.execute("DELETE FROM media_uploads WHERE id = $1", &[&info.id])
            .await
            .map_err(io)?;
        tx.commit().await.map_err(io)
    }

    async fn file(&self, id: &str) -> MediaResult<Option<FileInfo>> {
        let client = self.pool().get().await.map_err(io)?;
        let row = client
            .query_opt("SELECT info FROM media_files WHERE id = $1", &[&id])
            .await
            .map_err(io)?;
        row.map(|r| serde_json::from_str(&r.get::<_, String>(0)).map_err(io))
            .transpose()
    }

    async fn read(
        &self,
        id: &str,
        variant: Variant,
        offset: u64,
        len: Option<u64>,
    ) -> MediaResult<Option<Reader>> {
        if self.file(id).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(chunks(self, id, variant.name(), offset, len)))
    }

    async fn mark_referenced(&self, id: &str) -> MediaResult<()> {
        let client = self.pool().get().await.map_err(io)?;
        client
            .execute(
                "UPDATE media_files SET referenced = TRUE WHERE id = $1 AND NOT referenced",
                &[&id],
            )
            .await
            .map_err(io)?;
        Ok(())
    }

    async fn sweep(
        &self,
        uploads_before: u64,
        files_before: u64,
        unreferenced_before: u64,
    ) -> MediaResult<Swept> {
        let mut client = self.pool().get().await.map_err(io)?;
        let tx = client.transaction().await.map_err(io)?;
        let ids = |rows: Vec<tokio_postgres::Row>| -> Vec<String> {
            rows.iter().map(|r| r.get(0)).collect()
        };
        let uploads = ids(tx
            .query(
                "DELETE FROM media_uploads WHERE (upload::json->>'created')::bigint < $1 RETURNING id",
                &[&(uploads_before as i64)],
            )
            .await
            .map_err(io)?);
        let files = ids(tx
            .query(
                "DELETE FROM media_files
                 WHERE created < $1 OR (NOT referenced AND created < $2) RETURNING id",
                &[&(files_before as i64), &(unreferenced_before as i64)],
            )
            .await
            .map_err(io)?);
        let gone: Vec<&String> = uploads.iter().chain(&files).collect();
        tx.execute("DELETE FROM media_chunks WHERE id = ANY($1)", &[&gone])
            .await
            .map_err(io)?;
        tx.commit().await.map_err(io)?;
        Ok(Swept { uploads, files })
    }
}
