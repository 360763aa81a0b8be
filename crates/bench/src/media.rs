//! The `media` scenario: files of 1 MB and `--media-mb` MB (default 50) sent as file elements
//! through the Rust SDK (upload, then the message) and downloaded by the receiver's SDK,
//! beside a plain HTTP copy of the same bytes over loopback (a PUT streamed to a file, a GET
//! streamed from it, by a server inside the bench) measured in the same run; then the server's
//! memory while 20 uploads run at once, for both sizes (uploads are streamed in chunks, so the
//! peak follows the chunk size, not the file size).

use std::path::Path;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::routing::put;
use axum::Router;
use futures_util::StreamExt;
use opentim_model::elem::{Elem, FileElem};
use opentim_model::enums::{ConvType, DownloadType};
use opentim_model::message::{Message, MsgDownloadElemParam};
use opentim_sdk::ClientOptions;
use tokio::io::AsyncWriteExt;

use super::opentim::Target;
use super::{fig, proc_usage, BenchArgs, Report, Scenario, ServerUnderTest};

/// Uploads run at once for the memory figure.
const CONCURRENT: usize = 20;

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / (1 << 20) as f64 / secs.max(1e-9)
}

fn make_file(path: &Path, bytes: u64) -> Result<(), String> {
    let mut data = vec![0u8; bytes as usize];
    for (i, b) in data.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    }
    std::fs::write(path, data).map_err(|e| e.to_string())
}

/// The plain copy's server: PUT /blob streams the body to a file, GET /blob streams it back.
async fn plain_server(dir: std::path::PathBuf) -> Result<String, String> {
    async fn store(State(dir): State<std::path::PathBuf>, body: Body) -> &'static str {
        let mut f = match tokio::fs::File::create(dir.join("blob")).await {
            Ok(f) => f,
            Err(_) => return "error",
        };
        let mut s = body.into_data_stream();
        while let Some(Ok(chunk)) = s.next().await {
            if f.write_all(&chunk).await.is_err() {
                return "error";
            }
        }
        let _ = f.sync_data().await;
        "ok"
    }
    async fn fetch(State(dir): State<std::path::PathBuf>) -> Body {
        match tokio::fs::File::open(dir.join("blob")).await {
            Ok(f) => Body::from_stream(tokio_util::io::ReaderStream::new(f)),
            Err(_) => Body::empty(),
        }
    }
    let app = Router::new()
        .route("/blob", put(store).get(fetch))
        .with_state(dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/blob"))
}

/// (upload s, download s) of one plain copy of `file`.
async fn plain_copy(url: &str, file: &Path, out: &Path) -> Result<(f64, f64), String> {
    let client = reqwest::Client::new();
    let t = Instant::now();
    let f = tokio::fs::File::open(file)
        .await
        .map_err(|e| e.to_string())?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(f));
    client
        .put(url)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let up = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    let mut o = tokio::fs::File::create(out)
        .await
        .map_err(|e| e.to_string())?;
    let mut s = r.bytes_stream();
    while let Some(chunk) = s.next().await {
        o.write_all(&chunk.map_err(|e| e.to_string())?)
            .await
            .map_err(|e| e.to_string())?;
    }
    o.sync_data().await.map_err(|e| e.to_string())?;
    Ok((up, t.elapsed().as_secs_f64()))
}

fn file_message(path: &Path) -> Message {
    let mut m = Message::text("", ConvType::C2C, "");
    m.elem_array = vec![Elem::File(FileElem {
        file_path: Some(path.display().to_string()),
        ..Default::default()
    })];
    m
}

/// Run the scenario; the report's baseline is the plain copy.
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let quiet = args.json;
    let big_mb = args.media_mb.max(2);
    let server = ServerUnderTest::spawn(args, &[], false).await?;
    let target = Target {
        url: server.url.clone(),
        sdkappid: server.sdkappid,
        secret_key: server.secret_key.clone(),
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let options =
        |name: &str| ClientOptions::new(target.sdkappid, target.url.clone(), dir.path().join(name));
    let (receiver, _rx_events) = target
        .sdk_login(options("receiver"), "media-receiver")
        .await?;
    let (sender, _tx_events) = target.sdk_login(options("sender"), "media-sender").await?;
    let plain = plain_server(dir.path().to_owned()).await?;
    let (mut figures, mut base) = (Vec::new(), Vec::new());
    for mb in [1u64, big_mb] {
        let bytes = mb << 20;
        let file = dir.path().join(format!("file-{mb}"));
        make_file(&file, bytes)?;
        let t = Instant::now();
        let sent = sender
            .send_message("media-receiver", ConvType::C2C, file_message(&file))
            .await
            .map_err(|e| e.to_string())?;
        let up = t.elapsed().as_secs_f64();
        let Some(Elem::File(f)) = sent.elem_array.first() else {
            return Err("the sent message has no file element".into());
        };
        let param = MsgDownloadElemParam {
            flag: f.download_flag.map(|d| d as u32),
            download_type: Some(DownloadType::FILE),
            id: f.file_id.clone(),
            business_id: Some(0),
            url: f.url.clone(),
        };
        let out = dir.path().join(format!("down-{mb}"));
        let t = Instant::now();
        receiver
            .download_elem(&param, &out, |_| {})
            .await
            .map_err(|e| e.to_string())?;
        let down = t.elapsed().as_secs_f64();
        if std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) != bytes {
            return Err(format!("the {mb} MB download is not {bytes} bytes"));
        }
        let (pup, pdown) =
            plain_copy(&plain, &file, &dir.path().join(format!("plain-{mb}"))).await?;
        figures.push(fig(&format!("upload {mb} MB"), mb_per_s(bytes, up), "MB/s"));
        figures.push(fig(
            &format!("download {mb} MB"),
            mb_per_s(bytes, down),
            "MB/s",
        ));
        base.push(fig(
            &format!("upload {mb} MB"),
            mb_per_s(bytes, pup),
            "MB/s",
        ));
        base.push(fig(
            &format!("download {mb} MB"),
            mb_per_s(bytes, pdown),
            "MB/s",
        ));
        if !quiet {
            eprintln!("  {mb} MB: SDK up {up:.2} s, down {down:.2} s; plain up {pup:.2} s, down {pdown:.2} s");
        }
    }
    // Memory while 20 uploads run at once, for each size.
    let pid = server.pid;
    for mb in [1u64, big_mb] {
        let file = dir.path().join(format!("file-{mb}"));
        let rss_before = pid.and_then(proc_usage).map_or(0, |u| u.1);
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            tokio::spawn(async move {
                let mut peak = 0u64;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(pid.and_then(proc_usage).map_or(0, |u| u.1));
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                peak
            })
        };
        let sends = (0..CONCURRENT)
            .map(|_| sender.send_message("media-receiver", ConvType::C2C, file_message(&file)));
        let results = futures_util::future::join_all(sends).await;
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.await.unwrap_or(0);
        if let Some(e) = results.into_iter().find_map(Result::err) {
            return Err(format!("a concurrent upload failed: {e}"));
        }
        figures.push(fig(
            &format!("server RSS growth, {CONCURRENT} x {mb} MB at once"),
            peak.saturating_sub(rss_before) as f64 / 1024.0,
            "MB",
        ));
    }
    server.stop().await;
    let params = serde_json::json!({"sizes_mb": [1, big_mb], "concurrent": CONCURRENT});
    Ok(Report {
        scenario: Scenario::Media,
        driver: "opentim-sdk".into(),
        params: params.clone(),
        figures,
        server: None,
        baseline: Some(Box::new(Report {
            scenario: Scenario::Media,
            driver: "plain HTTP".into(),
            params,
            figures: base,
            server: None,
            baseline: None,
        })),
    })
}
