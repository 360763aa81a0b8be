//! Media elements: before a message with an image, voice, file or video element is sent, each
//! local file is uploaded to the server the connection is logged in to (over HTTP, in the
//! chunks the server asks for, resuming after a cut from what the server has), and the element
//! is filled in with what the server answered: its id, signed URLs, sizes and, for an image,
//! the large and thumbnail variants. Downloads write to a temporary name beside the target,
//! resume from what that holds, check the length (and the original's SHA-256 when the server
//! gives it) and rename.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use opentim_model::codes;
use opentim_model::elem::Elem;
use opentim_model::enums::DownloadType;
use opentim_model::message::{Message, MsgDownloadElemParam, MsgDownloadElemResult};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Client, SdkEvent};
use crate::error::{Result, SdkError};

/// Tries of one chunk (each after asking the server where the upload stands).
const CHUNK_TRIES: u32 = 5;
/// The `download_flag` of elements whose file this server keeps.
const DOWNLOAD_FLAG: i32 = 2;

#[derive(Deserialize)]
struct Begun {
    id: String,
    chunk_bytes: usize,
}

#[derive(Deserialize)]
struct Status {
    received: u64,
}

#[derive(Deserialize, Clone, Debug)]
struct Variant {
    variant: String,
    size: u64,
    width: u32,
    height: u32,
    url: String,
}

#[derive(Deserialize, Clone, Debug)]
struct Finished {
    id: String,
    variants: Vec<Variant>,
}

impl Finished {
    fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.variant == name)
    }
}

#[derive(Deserialize)]
struct Refusal {
    code: i32,
    desc: String,
}

fn upload_failed(e: impl std::fmt::Display) -> SdkError {
    SdkError::new(
        codes::ERR_FILE_TRANS_UPLOAD_FAILED,
        format!("upload failed: {e}"),
    )
}

fn download_failed(e: impl std::fmt::Display) -> SdkError {
    SdkError::new(
        codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
        format!("download failed: {e}"),
    )
}

/// The server's refusal in a response that is not a success.
async fn refusal(r: reqwest::Response, fallback: i32) -> SdkError {
    let status = r.status();
    match r.json::<Refusal>().await {
        Ok(x) => SdkError::new(x.code, x.desc),
        Err(_) => SdkError::new(fallback, format!("the server answered {status}")),
    }
}

/// The HTTP base (`http://host:port`) of a WebSocket URL.
fn http_base(ws: &str) -> String {
    let (scheme, rest) = ws.split_once("://").unwrap_or(("ws", ws));
    let host = rest.split('/').next().unwrap_or(rest);
    let scheme = if scheme == "wss" { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// What a local file of an element is uploaded as.
fn kind_of(e: &Elem) -> Option<&'static str> {
    match e {
        Elem::Image(_) => Some("image"),
        Elem::Sound(_) => Some("sound"),
        Elem::File(_) => Some("file"),
        Elem::Video(_) => Some("video"),
        _ => None,
    }
}

impl Client {
    fn http(&self) -> Result<reqwest::Client> {
        let tls = crate::tls::client_config(self.shared.options.tls_ca_file.as_deref())?;
        reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SdkError::new(codes::ERR_HTTP_REQ_FAILED, e.to_string()))
    }

    /// The HTTP base of the server logged in to (else the first configured).
    fn media_base(&self) -> String {
        let connected = self
            .shared
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let first = self
            .shared
            .options
            .servers
            .first()
            .cloned()
            .unwrap_or_default();
        let ws = connected.unwrap_or(first);
        match ws.contains("://") {
            true => http_base(&ws),
            false => format!("http://{ws}"),
        }
    }

    /// An absolute URL for one the server handed out (which may be a path).
    pub(crate) fn media_url(&self, url: &str) -> String {
        match url.starts_with('/') {
            true => format!("{}{url}", self.media_base()),
            false => url.to_owned(),
        }
    }

    /// Upload the local files of `message`'s media elements (those not uploaded yet) and fill
    /// the elements in; progress goes out as [`SdkEvent::UploadProgress`].
    pub(crate) async fn upload_media(&self, message: &mut Message) -> Result<()> {
        let pending: Vec<usize> = message
            .elem_array
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_media() && needs_upload(e))
            .map(|(i, _)| i)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let (user, sig) = self.slot(|s| (s.user.clone(), s.sig.clone()))?;
        let http = self.http()?;
        for index in pending {
            let snapshot = message.clone();
            let elem = &message.elem_array[index];
            let kind = kind_of(elem).unwrap_or("file");
            let (path, snap_path) = elem.local_paths();
            let path = PathBuf::from(path.unwrap_or_default());
            let snap_path = snap_path.map(PathBuf::from);
            let progress = |cur: u64, total: u64| {
                self.shared.emit(SdkEvent::UploadProgress {
                    message: Box::new(snapshot.clone()),
                    index: index as u32,
                    cur,
                    total,
                });
            };
            let done = self
                .upload_file(&http, &user, &sig, kind, &path, &progress)
                .await?;
            let snap = match (&message.elem_array[index], snap_path) {
                (Elem::Video(_), Some(p)) if !p.as_os_str().is_empty() => Some(
                    self.upload_file(&http, &user, &sig, "image", &p, &|_, _| {})
                        .await?,
                ),
                (Elem::Video(_), _) => {
                    return Err(SdkError::new(
                        codes::ERR_INVALID_MSG_ELEM,
                        "a video element needs its snapshot image (video_elem_image_path)",
                    ))
                }
                _ => None,
            };
            fill(&mut message.elem_array[index], &done, snap.as_ref(), &path);
        }
        Ok(())
    }

    /// Upload one local file; what the server answered at its finish.
    async fn upload_file(
        &self,
        http: &reqwest::Client,
        user: &str,
        sig: &str,
        kind: &str,
        path: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Finished> {
        let missing = |e: std::io::Error| {
            SdkError::new(
                codes::ERR_SDK_COMM_FILE_NOT_FOUND,
                format!("{}: {e}", path.display()),
            )
        };
        let mut file = tokio::fs::File::open(path).await.map_err(missing)?;
        let size = file.metadata().await.map_err(missing)?.len();
        if size == 0 {
            return Err(SdkError::new(
                codes::ERR_SDK_COMM_FILE_SIZE_EMPTY,
                format!("{} is empty", path.display()),
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = self.media_base();
        let auth = |b: reqwest::RequestBuilder| {
            b.header("X-Opentim-User", user)
                .header("X-Opentim-Usersig", sig)
        };
        let body = serde_json::json!({"kind": kind, "size": size, "name": name}).to_string();
        let r = auth(http.post(format!("{base}/media/uploads")).body(body))
            .send()
            .await
            .map_err(upload_failed)?;
        if !r.status().is_success() {
            return Err(refusal(r, codes::ERR_FILE_TRANS_UPLOAD_FAILED).await);
        }
        let begun: Begun = r.json().await.map_err(upload_failed)?;
        let chunk = begun.chunk_bytes.max(1);
        let url = format!("{base}/media/uploads/{}", begun.id);
        let mut at = 0u64;
        progress(0, size);
        let mut buf = vec![0u8; chunk];
        let mut tries = 0;
        while at < size {
            let want = chunk.min((size - at) as usize);
            file.seek_to(at).await?;
            file.read_exact(&mut buf[..want])
                .await
                .map_err(|e| SdkError::new(codes::ERR_SDK_COMM_FILE_OPEN_FAILED, e.to_string()))?;
            let sent = auth(
                http.put(format!("{url}?offset={at}"))
                    .body(buf[..want].to_vec()),
            )
            .send()
            .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    at += want as u64;
                    tries = 0;
                    progress(at, size);
                    continue;
                }
                // A refusal of the chunk itself (too large, not this user's) is final.
                Ok(r) if r.status().is_client_error() && r.status().as_u16() != 409 => {
                    return Err(refusal(r, codes::ERR_FILE_TRANS_UPLOAD_FAILED).await)
                }
                Ok(r) if tries + 1 >= CHUNK_TRIES => return Err(upload_failed(r.status())),
                Err(e) if tries + 1 >= CHUNK_TRIES => return Err(upload_failed(e)),
                _ => {}
            }
            // Cut, or the server holds another offset: ask where the upload stands, go on
            // from there.
            tries += 1;
            tokio::time::sleep(Duration::from_millis(100 << tries.min(5))).await;
            if let Some(received) = self.received(http, &url, user, sig).await {
                at = received;
            }
        }
        let r = auth(http.post(format!("{url}/finish")))
            .send()
            .await
            .map_err(upload_failed)?;
        if !r.status().is_success() {
            return Err(refusal(r, codes::ERR_FILE_TRANS_UPLOAD_FAILED).await);
        }
        r.json().await.map_err(upload_failed)
    }

    async fn received(
        &self,
        http: &reqwest::Client,
        url: &str,
        user: &str,
        sig: &str,
    ) -> Option<u64> {
        let r = http
            .get(url)
            .header("X-Opentim-User", user)
            .header("X-Opentim-Usersig", sig)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json::<Status>().await.ok().map(|s| s.received)
    }

    /// Download a received element's file to `path` (`TIMMsgDownloadElemToPath`), calling
    /// `progress` with the bytes on disk and in all as they arrive and once at the end. A cut
    /// download resumes from what the temporary file beside `path` holds.
    pub async fn download_elem(
        &self,
        param: &MsgDownloadElemParam,
        path: &Path,
        progress: impl Fn(MsgDownloadElemResult),
    ) -> Result<()> {
        let url = param.url.clone().unwrap_or_default();
        if url.is_empty() {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                "msg_download_elem_param_url is empty: copy it from the received element",
            ));
        }
        let url = self.media_url(&url);
        let http = self.http()?;
        let part = {
            let mut p = path.as_os_str().to_owned();
            p.push(".opentim-part");
            PathBuf::from(p)
        };
        let have = tokio::fs::metadata(&part)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        let mut req = http.get(&url);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let r = req.send().await.map_err(download_failed)?;
        let status = r.status().as_u16();
        if status == 416 && have > 0 {
            // The part holds everything already (a cut between the last byte and the rename).
            return self
                .complete_download(&part, path, None, have, &progress)
                .await
                .map(|()| self.remember_download(&url, param, path));
        }
        if !r.status().is_success() {
            return Err(refusal(r, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED).await);
        }
        let etag = r
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned());
        let resumed = status == 206;
        let total = match r
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
        {
            Some(cr) if resumed => cr.rsplit('/').next().and_then(|t| t.parse().ok()),
            _ => r.content_length(),
        }
        .ok_or_else(|| download_failed("the server did not say how long the file is"))?;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(resumed)
            .truncate(!resumed)
            .open(&part)
            .await
            .map_err(|e| {
                SdkError::new(
                    codes::ERR_IO_OPERATION_FAILED,
                    format!("{}: {e}", part.display()),
                )
            })?;
        let mut at = if resumed { have } else { 0 };
        // Progress at most every hundredth of the file (and 64 KiB); the last report, with
        // every byte, comes once the file is in place.
        let step = (total / 100).max(64 << 10);
        let mut reported = at;
        let mut body = r.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(download_failed)?;
            file.write_all(&chunk)
                .await
                .map_err(|e| SdkError::new(codes::ERR_IO_OPERATION_FAILED, e.to_string()))?;
            at += chunk.len() as u64;
            if at < total && at - reported >= step {
                reported = at;
                progress(MsgDownloadElemResult {
                    current_size: Some(at),
                    total_size: Some(total),
                });
            }
        }
        file.sync_all()
            .await
            .map_err(|e| SdkError::new(codes::ERR_IO_OPERATION_FAILED, e.to_string()))?;
        drop(file);
        if at != total {
            return Err(download_failed(format!(
                "{at} of {total} bytes arrived; call again to resume"
            )));
        }
        self.complete_download(&part, path, etag, total, &progress)
            .await?;
        self.remember_download(&url, param, path);
        Ok(())
    }

    /// The cached messages naming the file downloaded from `url` keep where it went (an
    /// original, or a video's snapshot; not an image's large or thumbnail variant).
    fn remember_download(&self, url: &str, param: &MsgDownloadElemParam, path: &Path) {
        let Some(rest) = url.split("/media/files/").nth(1) else {
            return;
        };
        let mut parts = rest.split(['/', '?']);
        let (Some(id), Some("orig")) = (parts.next(), parts.next()) else {
            return;
        };
        let snapshot = param.download_type == Some(DownloadType::VIDEO_THUMB);
        let Ok(store) = self.slot(|s| s.store.clone()) else {
            return;
        };
        match store.record_download(id, snapshot, &path.display().to_string()) {
            Ok(changed) if !changed.is_empty() => self.shared.emit(SdkEvent::Updated(changed)),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not note where a download went"),
        }
    }

    /// Check the finished temporary file (length, and SHA-256 when known) and rename it.
    async fn complete_download(
        &self,
        part: &Path,
        path: &Path,
        sha256: Option<String>,
        total: u64,
        progress: &impl Fn(MsgDownloadElemResult),
    ) -> Result<()> {
        if let Some(want) = sha256.filter(|s| s.len() == 64) {
            let mut f = tokio::fs::File::open(part)
                .await
                .map_err(|e| SdkError::new(codes::ERR_IO_OPERATION_FAILED, e.to_string()))?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = f
                    .read(&mut buf)
                    .await
                    .map_err(|e| SdkError::new(codes::ERR_IO_OPERATION_FAILED, e.to_string()))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            let got: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            if got != want {
                // What is on disk is wrong: start again next time.
                let _ = tokio::fs::remove_file(part).await;
                return Err(download_failed(
                    "the file's content does not match its hash",
                ));
            }
        }
        tokio::fs::rename(part, path).await.map_err(|e| {
            SdkError::new(
                codes::ERR_IO_OPERATION_FAILED,
                format!("{}: {e}", path.display()),
            )
        })?;
        progress(MsgDownloadElemResult {
            current_size: Some(total),
            total_size: Some(total),
        });
        Ok(())
    }
}

trait SeekTo {
    async fn seek_to(&mut self, at: u64) -> Result<()>;
}

impl SeekTo for tokio::fs::File {
    async fn seek_to(&mut self, at: u64) -> Result<()> {
        use tokio::io::AsyncSeekExt;
        self.seek(std::io::SeekFrom::Start(at))
            .await
            .map(|_| ())
            .map_err(|e| SdkError::new(codes::ERR_SDK_COMM_FILE_OPEN_FAILED, e.to_string()))
    }
}

/// Whether a media element still has only a local file (no id from the server).
fn needs_upload(e: &Elem) -> bool {
    e.media_ids().0.is_none_or(str::is_empty) && e.local_paths().0.is_some_and(|p| !p.is_empty())
}

/// Fill an element in from the server's answer (and its video snapshot's).
fn fill(e: &mut Elem, done: &Finished, snap: Option<&Finished>, path: &Path) {
    let orig = done.variant("orig");
    let size = orig.map_or(0, |v| v.size);
    let url = orig.map(|v| v.url.clone()).unwrap_or_default();
    match e {
        Elem::Image(i) => {
            let dims = |v: Option<&Variant>| {
                v.map_or((0, 0, 0), |v| {
                    (v.width as i32, v.height as i32, v.size as i32)
                })
            };
            let (ow, oh, os) = dims(orig);
            i.orig_id = Some(done.id.clone());
            i.orig_url = Some(url);
            (i.orig_pic_width, i.orig_pic_height, i.orig_pic_size) = (Some(ow), Some(oh), Some(os));
            let large = done.variant("large");
            let (lw, lh, ls) = dims(large);
            i.large_id = Some(format!("{}_large", done.id));
            i.large_url = large.map(|v| v.url.clone());
            (i.large_pic_width, i.large_pic_height, i.large_pic_size) =
                (Some(lw), Some(lh), Some(ls));
            let thumb = done.variant("thumb");
            let (tw, th, ts) = dims(thumb);
            i.thumb_id = Some(format!("{}_thumb", done.id));
            i.thumb_url = thumb.map(|v| v.url.clone());
            (i.thumb_pic_width, i.thumb_pic_height, i.thumb_pic_size) =
                (Some(tw), Some(th), Some(ts));
        }
        Elem::Sound(s) => {
            s.file_id = Some(done.id.clone());
            s.url = Some(url);
            s.file_size = Some(size as i32);
            s.download_flag = Some(DOWNLOAD_FLAG);
        }
        Elem::File(f) => {
            f.file_id = Some(done.id.clone());
            f.url = Some(url);
            f.file_size = Some(size as i32);
            f.download_flag = Some(DOWNLOAD_FLAG);
            if f.file_name.as_deref().is_none_or(str::is_empty) {
                f.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            }
        }
        Elem::Video(v) => {
            v.video_id = Some(done.id.clone());
            v.video_url = Some(url);
            v.video_size = Some(size as u32);
            v.video_download_flag = Some(DOWNLOAD_FLAG);
            if let Some(s) = snap.and_then(|s| s.variant("orig").map(|o| (s, o))) {
                v.image_id = Some(s.0.id.clone());
                v.image_url = Some(s.1.url.clone());
                v.image_size = Some(s.1.size as u32);
                v.image_width = Some(s.1.width);
                v.image_height = Some(s.1.height);
                v.image_download_flag = Some(DOWNLOAD_FLAG);
            }
        }
        _ => {}
    }
}
