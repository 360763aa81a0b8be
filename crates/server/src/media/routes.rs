//! The media routes, on the server's listener. Uploads are the sender's: each request carries
//! the user id and a valid UserSig in `X-Opentim-User` / `X-Opentim-Usersig`. Downloads need
//! only a signed URL. Every refusal is JSON `{"code", "desc"}` with a matching HTTP status.
//!
//! ```text
//! POST /media/uploads                 {"kind", "size", "name"} -> {"id", "chunk_bytes"}
//! GET  /media/uploads/{id}            -> {"id", "size", "received"}
//! PUT  /media/uploads/{id}?offset=N   a chunk (at most chunk_bytes) -> {"received"}
//! POST /media/uploads/{id}/finish     -> the file: id, sha256, variants with sizes and URLs
//! GET  /media/files/{id}/{variant}?expires=T&sig=S   the bytes (Range: bytes=a-b resumes)
//! ```

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use opentim_model::codes;
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use super::{MediaKind, Refusal, Signed};
use crate::gateway::Gateway;

/// The routes, over the gateway's shared state.
pub fn routes(chunk_bytes: usize) -> Router<Arc<Gateway>> {
    Router::new()
        .route("/media/uploads", post(begin))
        .route(
            "/media/uploads/{id}",
            get(status)
                .put(append)
                .layer(DefaultBodyLimit::max(chunk_bytes)),
        )
        .route("/media/uploads/{id}/finish", post(finish))
        .route("/media/files/{id}/{variant}", get(download))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({"code": self.code, "desc": self.desc})),
        )
            .into_response()
    }
}

/// The uploading user, from the request's headers.
async fn sender(gw: &Gateway, headers: &HeaderMap) -> Result<String, Refusal> {
    let who = authenticated(gw, headers).await;
    gw.services.media.counted(who)
}

async fn authenticated(gw: &Gateway, headers: &HeaderMap) -> Result<String, Refusal> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    gw.services
        .account
        .authenticate_current(get("x-opentim-user"), get("x-opentim-usersig"))
        .await
        .map(|(user, _)| user.as_str().to_owned())
        .map_err(|e| {
            let r = e.to_refusal();
            Refusal {
                status: StatusCode::UNAUTHORIZED,
                code: codes::ERR_FILE_TRANS_AUTH_FAILED,
                desc: format!(
                    "send X-Opentim-User and X-Opentim-Usersig with a valid UserSig ({}: {})",
                    r.code, r.desc
                ),
            }
        })
}

#[derive(Deserialize)]
struct BeginBody {
    kind: String,
    size: u64,
    #[serde(default)]
    name: String,
}

async fn begin(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let user = sender(&gw, &headers).await?;
    let b: BeginBody = serde_json::from_slice(&body).map_err(|e| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::ERR_INVALID_PARAMETERS,
        desc: format!("the body must be JSON {{\"kind\", \"size\", \"name\"}}: {e}"),
    })?;
    let kind = MediaKind::parse(&b.kind).ok_or_else(|| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::ERR_INVALID_PARAMETERS,
        desc: format!("kind {:?} is none of image, sound, file, video", b.kind),
    })?;
    let media = &gw.services.media;
    let u = media.counted(media.begin(&user, kind, b.size, &b.name).await)?;
    let answer = serde_json::json!({"id": u.id, "chunk_bytes": media.chunk_bytes()});
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn status(
    State(gw): State<Arc<Gateway>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let user = sender(&gw, &headers).await?;
    let media = &gw.services.media;
    let (u, received) = media.counted(media.status(&user, &id).await)?;
    let answer = serde_json::json!({"id": u.id, "size": u.size, "received": received});
    Ok(Json(answer).into_response())
}

#[derive(Deserialize)]
struct Offset {
    offset: u64,
}

async fn append(
    State(gw): State<Arc<Gateway>>,
    Path(id): Path<String>,
    Query(q): Query<Offset>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let user = sender(&gw, &headers).await?;
    let received = gw
        .services
        .media
        .append(&user, &id, q.offset, &body)
        .await?;
    Ok(Json(serde_json::json!({"received": received})).into_response())
}

async fn finish(
    State(gw): State<Arc<Gateway>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let user = sender(&gw, &headers).await?;
    let media = &gw.services.media;
    let done = media.counted(media.finish(&user, &id).await)?;
    Ok(Json(done).into_response())
}

#[derive(Deserialize)]
struct SignedQuery {
    #[serde(default)]
    expires: u64,
    #[serde(default)]
    sig: String,
}

/// `bytes=a-b` / `bytes=a-` of a `Range` header, within `size`: (first, last) inclusive.
/// `Err(())`: a range this file cannot satisfy.
fn range_of(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let spec = v.trim().strip_prefix("bytes=").ok_or(())?;
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (first, last) = match (a.trim(), b.trim()) {
        // The last n bytes.
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (size.saturating_sub(n), size.checked_sub(1).ok_or(())?)
        }
        (a, "") => (a.parse().map_err(|_| ())?, size.checked_sub(1).ok_or(())?),
        (a, b) => {
            let last: u64 = b.parse().map_err(|_| ())?;
            (a.parse().map_err(|_| ())?, last.min(size.saturating_sub(1)))
        }
    };
    if first > last || first >= size {
        return Err(());
    }
    Ok(Some((first, last)))
}

/// `attachment` with the file's name, in plain ASCII and percent-encoded UTF-8.
fn disposition(name: &str, variant: &str) -> HeaderValue {
    let name = if name.is_empty() { variant } else { name };
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

async fn download(
    State(gw): State<Arc<Gateway>>,
    Path((id, variant)): Path<(String, String)>,
    Query(q): Query<SignedQuery>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let media = &gw.services.media;
    let signed = Signed {
        expires: q.expires,
        sig: q.sig,
    };
    let (info, v) = media.counted(media.authorize(&id, &variant, &signed).await)?;
    let range = range_of(&headers, v.size).map_err(|()| Refusal {
        status: StatusCode::RANGE_NOT_SATISFIABLE,
        code: codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
        desc: format!("the file has {} bytes; ask a range within them", v.size),
    })?;
    let (first, len) = match range {
        Some((a, b)) => (a, b - a + 1),
        None => (0, v.size),
    };
    let reader = media.read(&id, v.variant, first, Some(len)).await?;
    let mut response = Response::new(Body::from_stream(ReaderStream::new(reader)));
    let h = response.headers_mut();
    let content_type = HeaderValue::from_str(&v.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition(&info.name, v.variant.name()),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", info.sha256)) {
        if v.variant == super::Variant::Orig {
            h.insert(header::ETAG, etag);
        }
    }
    if let Some((a, b)) = range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(cr) = HeaderValue::from_str(&format!("bytes {a}-{b}/{}", v.size)) {
            response.headers_mut().insert(header::CONTENT_RANGE, cr);
        }
    }
    Ok(response)
}
