//! Media over real HTTP: chunked, resumable uploads by an authenticated sender, the checks at
//! finish (size, kind), image variants, and downloads through signed URLs (ranges, headers,
//! tampering, expiry).

use std::io::Cursor;
use std::time::Duration;

use std::sync::Arc;

use opentim_server::media::fs::FsMediaStore;
use opentim_server::media::store::{FileInfo, MediaKind, MediaStore, Upload, Variant, VariantInfo};
use opentim_server::{Config, RunningServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

const KEY: &str = "media-test-key";

fn config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        secret_key: KEY.into(),
        media_chunk_bytes: 64 << 10,
        ..Config::default()
    }
}

struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    fn of(s: &RunningServer) -> Http {
        Http {
            base: format!("http://{}", s.addr),
            client: reqwest::Client::new(),
        }
    }

    fn as_user(&self, b: reqwest::RequestBuilder, user: &str) -> reqwest::RequestBuilder {
        let sig = opentim_server::auth::mint(
            KEY,
            1_400_000_000,
            user,
            opentim_server::clock::now_secs(),
            600,
        );
        b.header("X-Opentim-User", user)
            .header("X-Opentim-Usersig", sig)
    }

    /// (status, JSON body) of a request made as `user`.
    async fn call(&self, user: &str, b: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = self.as_user(b, user).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn begin(&self, user: &str, kind: &str, size: usize, name: &str) -> (StatusCode, Value) {
        let body = json!({"kind": kind, "size": size, "name": name}).to_string();
        let b = self
            .client
            .post(format!("{}/media/uploads", self.base))
            .body(body);
        self.call(user, b).await
    }

    async fn put(&self, user: &str, id: &str, offset: usize, chunk: &[u8]) -> (StatusCode, Value) {
        let b = self
            .client
            .put(format!("{}/media/uploads/{id}?offset={offset}", self.base))
            .body(chunk.to_vec());
        self.call(user, b).await
    }

    async fn finish(&self, user: &str, id: &str) -> (StatusCode, Value) {
        let b = self
            .client
            .post(format!("{}/media/uploads/{id}/finish", self.base));
        self.call(user, b).await
    }

    /// Upload `bytes` in chunks of 64 KiB; the finish answer.
    async fn upload(
        &self,
        user: &str,
        kind: &str,
        bytes: &[u8],
        name: &str,
    ) -> (StatusCode, Value) {
        let (status, begun) = self.begin(user, kind, bytes.len(), name).await;
        assert_eq!(status, StatusCode::CREATED, "{begun}");
        let id = begun["id"].as_str().unwrap().to_owned();
        let chunk = begun["chunk_bytes"].as_u64().unwrap() as usize;
        for (i, c) in bytes.chunks(chunk).enumerate() {
            let (status, r) = self.put(user, &id, i * chunk, c).await;
            assert_eq!(status, StatusCode::OK, "{r}");
        }
        self.finish(user, &id).await
    }

    async fn get(&self, url: &str, range: Option<&str>) -> reqwest::Response {
        let mut b = self.client.get(format!("{}{url}", self.base));
        if let Some(r) = range {
            b = b.header("Range", r);
        }
        b.send().await.unwrap()
    }
}

/// A PNG of `w` x `h` with a gradient, and a tEXt chunk (metadata the variants must not keep).
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 77])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let mut bytes = out.into_inner();
    // A tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
    let text = b"Comment\0secret location";
    let mut chunk = (text.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(text);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    bytes.splice(33..33, chunk);
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn variant<'a>(done: &'a Value, name: &str) -> &'a Value {
    done["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant"] == name)
        .unwrap_or_else(|| panic!("no {name} variant in {done}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_is_kept_byte_for_byte_beside_its_variants() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let http = Http::of(&s);
    let original = png(1600, 900);
    assert!(original.windows(15).any(|w| w == b"secret location"));
    let (status, done) = http.upload("alice", "image", &original, "photo.png").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["kind"], "image");
    let orig = variant(&done, "orig");
    assert_eq!(
        (orig["width"].as_u64(), orig["height"].as_u64()),
        (Some(1600), Some(900))
    );
    assert_eq!(orig["size"].as_u64(), Some(original.len() as u64));
    assert_eq!(orig["content_type"], "image/png");
    let large = variant(&done, "large");
    assert_eq!(
        (large["width"].as_u64(), large["height"].as_u64()),
        (Some(720), Some(405))
    );
    let thumb = variant(&done, "thumb");
    assert_eq!(
        (thumb["width"].as_u64(), thumb["height"].as_u64()),
        (Some(198), Some(111))
    );

    let r = http.get(orig["url"].as_str().unwrap(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "{h:?}"
    );
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        original.as_slice(),
        "the original, byte for byte"
    );
    for v in [large, thumb] {
        let r = http.get(v["url"].as_str().unwrap(), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, v["size"].as_u64().unwrap());
        assert!(
            !bytes.windows(15).any(|w| w == b"secret location"),
            "metadata stripped"
        );
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!(u64::from(img.width()), v["width"].as_u64().unwrap());
    }
    // A range: the bytes asked, 206.
    let r = http
        .get(orig["url"].as_str().unwrap(), Some("bytes=100-199"))
        .await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 100-199/{}", original.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &original[100..200]);
    let r = http
        .get(orig["url"].as_str().unwrap(), Some("bytes=999999999-"))
        .await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_upload_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let http = Http::of(&s);
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (_, begun) = http.begin("bob", "file", bytes.len(), "report.pdf").await;
    let id = begun["id"].as_str().unwrap().to_owned();
    let (status, r) = http.put("bob", &id, 0, &bytes[..65536]).await;
    assert_eq!(
        (status, r["received"].as_u64()),
        (StatusCode::OK, Some(65536))
    );
    // A chunk at the wrong offset is refused and changes nothing.
    let (status, r) = http.put("bob", &id, 100, &bytes[100..200]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{r}");
    // Nobody else sees or fills the upload.
    let (status, _) = http.put("mallory", &id, 65536, &bytes[65536..131072]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, r) = http.finish("bob", &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "not all bytes yet: {r}");
    s.stop().await.unwrap();

    let s = opentim_server::start(config(dir.path())).await.unwrap();
    let http = Http::of(&s);
    let url = format!("{}/media/uploads/{id}", http.base);
    let (status, st) = http.call("bob", http.client.get(url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(st["received"].as_u64(), Some(65536), "{st}");
    let mut at = 65536;
    for c in bytes[at..].chunks(65536) {
        let (status, r) = http.put("bob", &id, at, c).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        at += c.len();
    }
    let (status, done) = http.finish("bob", &id).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let orig = variant(&done, "orig");
    assert_eq!(orig["content_type"], "application/octet-stream");
    assert_eq!(done["variants"].as_array().unwrap().len(), 1);
    let r = http.get(orig["url"].as_str().unwrap(), None).await;
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.contains("report.pdf"), "{cd}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(Config {
        max_image_bytes: 1000,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let http = Http::of(&s);
    // No UserSig.
    let r = http
        .client
        .post(format!("{}/media/uploads", http.base))
        .body(json!({"kind": "file", "size": 1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 6006);
    // Over the limit of its kind, empty, unknown kind.
    let (status, r) = http.begin("carol", "image", 1001, "big.png").await;
    assert_eq!(
        (status, r["code"].as_i64()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(7005)),
        "{r}"
    );
    assert!(
        r["desc"].as_str().unwrap().contains("max_image_bytes"),
        "{r}"
    );
    let (status, r) = http.begin("carol", "file", 0, "empty").await;
    assert_eq!(
        (status, r["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(7006)),
        "{r}"
    );
    let (status, _) = http.begin("carol", "hologram", 10, "x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A chunk over media_chunk_bytes.
    let (_, begun) = http.begin("carol", "file", 200_000, "f").await;
    let id = begun["id"].as_str().unwrap();
    let r = http
        .as_user(
            http.client
                .put(format!("{}/media/uploads/{id}?offset=0", http.base))
                .body(vec![0u8; 100_000]),
            "carol",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Text sent as an image, as voice, as video.
    let text = b"<html><script>alert(1)</script></html>".to_vec();
    let (status, r) = http.upload("carol", "image", &text, "x.png").await;
    assert_eq!(
        (status, r["code"].as_i64()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(6031)),
        "{r}"
    );
    for kind in ["sound", "video"] {
        let (status, r) = http.upload("carol", kind, &text, "x").await;
        assert_eq!(
            (status, r["code"].as_i64()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(6016)),
            "{kind}: {r}"
        );
    }
    // The same text as a file is fine, and served as an attachment that is not HTML.
    let (status, done) = http.upload("carol", "file", &text, "page.html").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let r = http
        .get(variant(&done, "orig")["url"].as_str().unwrap(), None)
        .await;
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_not_handed_out_or_expired_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(Config {
        media_url_ttl_secs: 1,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let http = Http::of(&s);
    let (_, done) = http.upload("dave", "file", b"hello media", "a.txt").await;
    let url = variant(&done, "orig")["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/media/files/"), "{url}");
    assert_eq!(http.get(&url, None).await.status(), StatusCode::OK);
    // Another variant, another id, another expiry or a changed signature: refused.
    let (id, query) = url["/media/files/".len()..].split_once("/orig?").unwrap();
    let expires: u64 = query.split('&').next().unwrap()["expires=".len()..]
        .parse()
        .unwrap();
    let sig = query.split_once("sig=").unwrap().1;
    let mut other_sig = sig.to_owned().into_bytes();
    other_sig[0] = if other_sig[0] == b'0' { b'1' } else { b'0' };
    let other_sig = String::from_utf8(other_sig).unwrap();
    let forged = [
        format!("/media/files/{id}/thumb?expires={expires}&sig={sig}"),
        format!(
            "/media/files/{}/orig?expires={expires}&sig={sig}",
            "0".repeat(32)
        ),
        format!(
            "/media/files/{id}/orig?expires={}&sig={sig}",
            expires + 3600
        ),
        format!("/media/files/{id}/orig?expires={expires}&sig={other_sig}"),
        format!("/media/files/{id}/orig?expires={expires}"),
        format!("/media/files/../../etc/orig?expires={expires}&sig={sig}"),
    ];
    for f in &forged {
        let r = http.get(f, None).await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{f}: {}",
            r.status()
        );
        if r.status() == StatusCode::FORBIDDEN {
            assert_eq!(r.json::<Value>().await.unwrap()["code"], 6006, "{f}");
        }
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = http.get(&url, None).await;
    assert_eq!(r.status(), StatusCode::GONE, "expired");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 6009);
    s.stop().await.unwrap();
}

// ---- the media store conformance suite, on the filesystem and on PostgreSQL ----------------

fn pg_schema() -> (String, String) {
    let url = std::env::var("OPENTIM_TEST_POSTGRES_URL")
        .expect("set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run the PostgreSQL tests");
    use std::hash::{BuildHasher, RandomState};
    let r = RandomState::new().hash_one(std::time::SystemTime::now()) as u32;
    (url, format!("m_{}_{r:08x}", std::process::id()))
}

async fn read_all(
    store: &dyn MediaStore,
    id: &str,
    v: Variant,
    at: u64,
    len: Option<u64>,
) -> Vec<u8> {
    let mut out = Vec::new();
    store
        .read(id, v, at, len)
        .await
        .unwrap()
        .expect("the file exists")
        .read_to_end(&mut out)
        .await
        .unwrap();
    out
}

async fn uploads_fill_at_their_offset_and_finish_once(store: Arc<dyn MediaStore>) {
    let id = "00112233445566778899aabbccddeeff";
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 199) as u8).collect();
    let upload = Upload {
        id: id.into(),
        owner: "alice".into(),
        kind: MediaKind::File,
        size: bytes.len() as u64,
        name: "f.bin".into(),
        created: 1,
    };
    store.begin(&upload).await.unwrap();
    assert_eq!(store.upload(id).await.unwrap(), Some((upload.clone(), 0)));
    assert_eq!(store.append(id, 0, &bytes[..3000]).await.unwrap(), 3000);
    assert!(matches!(
        store.append(id, 0, &bytes[..10]).await,
        Err(opentim_server::media::store::MediaError::WrongOffset {
            offset: 0,
            received: 3000
        })
    ));
    assert_eq!(
        store.append(id, 3000, &bytes[3000..7000]).await.unwrap(),
        7000
    );
    assert!(matches!(
        store.append(id, 7000, &vec![0u8; 3001]).await,
        Err(opentim_server::media::store::MediaError::TooLong { size: 10_000 })
    ));
    assert_eq!(
        store.append(id, 7000, &bytes[7000..]).await.unwrap(),
        10_000
    );
    let mut got = Vec::new();
    store
        .read_upload(id)
        .await
        .unwrap()
        .read_to_end(&mut got)
        .await
        .unwrap();
    assert_eq!(got, bytes);
    assert!(
        store.file(id).await.unwrap().is_none(),
        "not a file before its finish"
    );
    let info = FileInfo {
        id: id.into(),
        owner: "alice".into(),
        kind: MediaKind::Image,
        name: "f.bin".into(),
        sha256: "ab".repeat(32),
        created: 2,
        variants: vec![
            VariantInfo {
                variant: Variant::Orig,
                size: 10_000,
                width: 4,
                height: 3,
                content_type: "image/png".into(),
            },
            VariantInfo {
                variant: Variant::Thumb,
                size: 5,
                width: 2,
                height: 1,
                content_type: "image/jpeg".into(),
            },
        ],
    };
    store
        .finish(&info, vec![(Variant::Thumb, b"thumb".to_vec())])
        .await
        .unwrap();
    assert_eq!(store.file(id).await.unwrap(), Some(info));
    assert!(
        store.upload(id).await.unwrap().is_none(),
        "the upload is gone"
    );
    assert_eq!(
        read_all(store.as_ref(), id, Variant::Orig, 0, None).await,
        bytes
    );
    // Ranges across the chunk boundaries the appends made.
    assert_eq!(
        read_all(store.as_ref(), id, Variant::Orig, 2990, Some(20)).await,
        &bytes[2990..3010]
    );
    assert_eq!(
        read_all(store.as_ref(), id, Variant::Orig, 6999, None).await,
        &bytes[6999..]
    );
    assert_eq!(
        read_all(store.as_ref(), id, Variant::Thumb, 0, None).await,
        b"thumb"
    );
    assert!(
        store
            .read(id, Variant::Large, 0, None)
            .await
            .unwrap()
            .is_none()
            || read_all(store.as_ref(), id, Variant::Large, 0, None)
                .await
                .is_empty()
    );
    assert!(store
        .read("ffffffffffffffffffffffffffffffff", Variant::Orig, 0, None)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .upload("ffffffffffffffffffffffffffffffff")
        .await
        .unwrap()
        .is_none());
    // The sweep: an old unfinished upload goes, a newer one stays; then the old file.
    let old = Upload {
        id: "a0".repeat(16),
        created: 10,
        ..upload.clone()
    };
    let new = Upload {
        id: "b0".repeat(16),
        created: 1000,
        ..upload
    };
    store.begin(&old).await.unwrap();
    store.begin(&new).await.unwrap();
    store.append(&old.id, 0, b"abc").await.unwrap();
    let swept = store.sweep(100, 0, 0).await.unwrap();
    assert_eq!(
        (swept.uploads, swept.files.len()),
        (vec![old.id.clone()], 0)
    );
    assert!(store.upload(&old.id).await.unwrap().is_none());
    assert!(store.upload(&new.id).await.unwrap().is_some());
    // A file a message named outlives media_unreferenced_secs; retention still ends it.
    store.mark_referenced(id).await.unwrap();
    store.mark_referenced(id).await.unwrap();
    let swept = store.sweep(0, 0, 3).await.unwrap();
    assert_eq!(swept, Default::default(), "named by a message");
    let swept = store.sweep(0, 3, 0).await.unwrap();
    assert_eq!((swept.uploads.len(), swept.files), (0, vec![id.to_owned()]));
    assert!(store.file(id).await.unwrap().is_none());
    assert!(store
        .read(id, Variant::Orig, 0, None)
        .await
        .unwrap()
        .is_none());
    // A finished file no message named goes after media_unreferenced_secs.
    let lone = Upload {
        id: "c0".repeat(16),
        created: 1,
        size: 3,
        ..new.clone()
    };
    store.begin(&lone).await.unwrap();
    store.append(&lone.id, 0, b"xyz").await.unwrap();
    let info = FileInfo {
        id: lone.id.clone(),
        owner: "alice".into(),
        kind: MediaKind::File,
        name: "x".into(),
        sha256: "cd".repeat(32),
        created: 5,
        variants: vec![VariantInfo {
            variant: Variant::Orig,
            size: 3,
            width: 0,
            height: 0,
            content_type: "application/octet-stream".into(),
        }],
    };
    store.finish(&info, vec![]).await.unwrap();
    let swept = store.sweep(0, 0, 5).await.unwrap();
    assert!(swept.files.is_empty(), "not older than the cut-off yet");
    let swept = store.sweep(0, 0, 6).await.unwrap();
    assert_eq!(swept.files, vec![lone.id.clone()]);
    assert!(store.file(&lone.id).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_files_are_removed_logged_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(Config {
        media_retention_secs: 0,
        media_sweep_secs: 1,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let http = Http::of(&s);
    let (_, done) = http.upload("fay", "file", b"short-lived", "a").await;
    let url = variant(&done, "orig")["url"].as_str().unwrap().to_owned();
    let mut gone = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if http.get(&url, None).await.status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
    }
    assert!(gone, "removed within media_sweep_secs");
    let metrics = http.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("opentim_media_removed_files_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("opentim_media_uploads_total 1"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_store_conformance_on_the_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FsMediaStore::open(dir.path()).unwrap());
    uploads_fill_at_their_offset_and_finish_once(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)"
)]
async fn media_store_conformance_on_postgres() {
    let (url, schema) = pg_schema();
    let store = opentim_server::store::PgStore::connect(&url, Some(&schema), 4)
        .await
        .unwrap();
    uploads_fill_at_their_offset_and_finish_once(Arc::new(store)).await;
}

/// Two nodes on one PostgreSQL: a file uploaded through one is served by the other, and an
/// upload cut on one resumes on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test (.ci/run does)"
)]
async fn a_node_serves_a_file_uploaded_through_another() {
    let (url, schema) = pg_schema();
    let node = |dir: &std::path::Path| Config {
        database_url: Some(url.clone()),
        database_schema: Some(schema.clone()),
        ..config(dir)
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = opentim_server::start(node(da.path())).await.unwrap();
    let b = opentim_server::start(node(db.path())).await.unwrap();
    let (ha, hb) = (Http::of(&a), Http::of(&b));
    let image = png(800, 600);
    let (status, done) = ha.upload("erin", "image", &image, "p.png").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    for name in ["orig", "large", "thumb"] {
        let v = variant(&done, name);
        let r = hb.get(v["url"].as_str().unwrap(), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        let bytes = r.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, v["size"].as_u64().unwrap(), "{name}");
        if name == "orig" {
            assert_eq!(bytes.as_ref(), image.as_slice());
        }
    }
    let half = image.len() / 2;
    let range = format!("bytes={half}-");
    let r = hb
        .get(
            variant(&done, "orig")["url"].as_str().unwrap(),
            Some(&range),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &image[half..]);
    // Begun on a, continued and finished on b.
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 97) as u8).collect();
    let (_, begun) = ha.begin("erin", "file", bytes.len(), "x").await;
    let id = begun["id"].as_str().unwrap().to_owned();
    ha.put("erin", &id, 0, &bytes[..65536]).await;
    let mut at = 65536;
    for c in bytes[at..].chunks(65536) {
        let (status, r) = hb.put("erin", &id, at, c).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        at += c.len();
    }
    let (status, done) = hb.finish("erin", &id).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let r = ha
        .get(variant(&done, "orig")["url"].as_str().unwrap(), None)
        .await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
