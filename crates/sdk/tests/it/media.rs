//! Media end to end through the SDK: each element type sent from a local file (upload progress
//! monotonic, ending at the total), received with its ids and URLs, downloaded byte for byte
//! (progress ending at the total, a cut download resumed), and the refusals: a file over the
//! limit, a text file as an image, a URL changed.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use opentim_model::elem::{Elem, FileElem, ImageElem, SoundElem, VideoElem};
use opentim_model::enums::{ConvType, DownloadType, MsgStatus};
use opentim_model::message::{Message, MsgDownloadElemParam, MsgDownloadElemResult};
use opentim_sdk::SdkEvent;

use crate::support::*;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 9])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn message(elem: Elem) -> Message {
    let mut m = Message::text("bob", ConvType::C2C, "");
    m.elem_array = vec![elem];
    m
}

/// Upload progress reports of one send: (index, cur, total).
async fn progress_of(c: &mut TestClient) -> Vec<(u32, u64, u64)> {
    let mut out = Vec::new();
    while let Ok(Some(ev)) =
        tokio::time::timeout(std::time::Duration::from_millis(200), c.events.recv()).await
    {
        if let SdkEvent::UploadProgress {
            index, cur, total, ..
        } = ev
        {
            out.push((index, cur, total));
        }
    }
    out
}

fn assert_monotonic_to_total(reports: &[(u32, u64, u64)], index: u32, total: u64) {
    let mine: Vec<u64> = reports
        .iter()
        .filter(|r| r.0 == index)
        .map(|r| r.1)
        .collect();
    assert!(
        !mine.is_empty(),
        "no progress for element {index}: {reports:?}"
    );
    assert!(mine.windows(2).all(|w| w[0] <= w[1]), "monotonic: {mine:?}");
    assert_eq!(*mine.last().unwrap(), total, "ends at the total: {mine:?}");
    assert!(reports
        .iter()
        .filter(|r| r.0 == index)
        .all(|r| r.2 == total));
}

async fn download(
    c: &TestClient,
    param: MsgDownloadElemParam,
    to: &Path,
) -> Vec<MsgDownloadElemResult> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    c.client
        .download_elem(&param, to, move |r| s.lock().unwrap().push(r))
        .await
        .unwrap_or_else(|e| panic!("download to {}: {e}", to.display()));
    let v = seen.lock().unwrap().clone();
    v
}

fn param(t: DownloadType, id: &Option<String>, url: &Option<String>) -> MsgDownloadElemParam {
    MsgDownloadElemParam {
        flag: Some(2),
        download_type: Some(t),
        id: id.clone(),
        business_id: Some(0),
        url: url.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_media_element_is_sent_and_downloaded_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    accounts(&s, dir.path(), &["bob"]).await;
    let mut alice = login(&s, &dir.path().join("alice"), "alice").await;
    let mut bob = login(&s, &dir.path().join("bob"), "bob").await;
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();

    let image = png(1200, 800);
    let mut sound = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    sound.extend((0..200_000u32).map(|i| (i % 253) as u8));
    let file: Vec<u8> = (0..(5 << 20) as u32)
        .map(|i| (i * 31 % 255) as u8)
        .collect();
    let mut video = b"\x00\x00\x00\x18ftypmp42".to_vec();
    video.extend((0..300_000u32).map(|i| (i % 241) as u8));
    let snapshot = png(320, 180);

    let image_path = write(&files, "photo.png", &image);
    let sent = alice
        .client
        .send_message(
            "bob",
            ConvType::C2C,
            message(Elem::Image(ImageElem {
                orig_path: Some(image_path.clone()),
                ..Default::default()
            })),
        )
        .await
        .unwrap();
    assert_monotonic_to_total(&progress_of(&mut alice).await, 0, image.len() as u64);
    let Elem::Image(i) = &sent.elem_array[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        i.orig_path.as_deref(),
        Some(image_path.as_str()),
        "the sender keeps its path"
    );
    assert_eq!(
        (i.orig_pic_width, i.orig_pic_height),
        (Some(1200), Some(800))
    );
    assert_eq!(
        (i.large_pic_width, i.large_pic_height),
        (Some(720), Some(480))
    );
    assert_eq!(
        (i.thumb_pic_width, i.thumb_pic_height),
        (Some(198), Some(132))
    );
    // The sender's cache keeps the local path after the acknowledgement too.
    let kept = alice.client.history("bob", ConvType::C2C, 1).unwrap();
    let Elem::Image(k) = &kept[0].elem_array[0] else {
        panic!()
    };
    assert_eq!(k.orig_path.as_deref(), Some(image_path.as_str()));

    let sound_path = write(&files, "note.mp3", &sound);
    let file_path = write(&files, "big.bin", &file);
    let video_path = write(&files, "clip.mp4", &video);
    let snap_path = write(&files, "clip.png", &snapshot);
    let mut m = message(Elem::Sound(SoundElem {
        file_path: Some(sound_path),
        file_time: Some(3),
        ..Default::default()
    }));
    m.elem_array.push(Elem::File(FileElem {
        file_path: Some(file_path),
        ..Default::default()
    }));
    m.elem_array.push(Elem::Video(VideoElem {
        video_path: Some(video_path),
        video_type: Some("mp4".into()),
        video_duration: Some(2),
        image_path: Some(snap_path),
        image_type: Some("png".into()),
        ..Default::default()
    }));
    alice
        .client
        .send_message("bob", ConvType::C2C, m)
        .await
        .unwrap();
    let reports = progress_of(&mut alice).await;
    assert_monotonic_to_total(&reports, 0, sound.len() as u64);
    assert_monotonic_to_total(&reports, 1, file.len() as u64);
    assert_monotonic_to_total(&reports, 2, video.len() as u64);
    assert!(
        reports.iter().filter(|r| r.0 == 1).count() >= 3,
        "a 5 MB file in several chunks"
    );

    let got = bob.receive(2, 10).await;
    assert_eq!(got.len(), 2, "{got:?}");
    let out = dir.path().join("downloads");
    std::fs::create_dir_all(&out).unwrap();
    let Elem::Image(i) = &got[0].elem_array[0] else {
        panic!("{:?}", got[0])
    };
    assert!(
        i.orig_path.as_deref().is_none_or(str::is_empty),
        "the sender's path stays with them"
    );
    let r = download(
        &bob,
        param(DownloadType::FILE, &i.orig_id, &i.orig_url),
        &out.join("photo.png"),
    )
    .await;
    assert_eq!(r.last().unwrap().current_size, Some(image.len() as u64));
    assert_eq!(std::fs::read(out.join("photo.png")).unwrap(), image);
    download(
        &bob,
        param(DownloadType::FILE, &i.thumb_id, &i.thumb_url),
        &out.join("thumb"),
    )
    .await;
    let thumb = image::load_from_memory(&std::fs::read(out.join("thumb")).unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (198, 132));

    let e = &got[1].elem_array;
    let (Elem::Sound(sd), Elem::File(f), Elem::Video(v)) = (&e[0], &e[1], &e[2]) else {
        panic!("{e:?}")
    };
    assert_eq!(sd.file_size, Some(sound.len() as i32));
    assert_eq!(sd.file_time, Some(3));
    assert_eq!(f.file_name.as_deref(), Some("big.bin"));
    assert_eq!((v.image_width, v.image_height), (Some(320), Some(180)));
    download(
        &bob,
        param(DownloadType::SOUND, &sd.file_id, &sd.url),
        &out.join("note"),
    )
    .await;
    assert_eq!(std::fs::read(out.join("note")).unwrap(), sound);
    let r = download(
        &bob,
        param(DownloadType::FILE, &f.file_id, &f.url),
        &out.join("big"),
    )
    .await;
    let sizes: Vec<u64> = r.iter().map(|x| x.current_size.unwrap()).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]) && *sizes.last().unwrap() == file.len() as u64,
        "{sizes:?}"
    );
    assert!(r.iter().all(|x| x.total_size == Some(file.len() as u64)));
    assert_eq!(std::fs::read(out.join("big")).unwrap(), file);
    download(
        &bob,
        param(DownloadType::VIDEO, &v.video_id, &v.video_url),
        &out.join("clip"),
    )
    .await;
    assert_eq!(std::fs::read(out.join("clip")).unwrap(), video);
    download(
        &bob,
        param(DownloadType::VIDEO_THUMB, &v.image_id, &v.image_url),
        &out.join("snap"),
    )
    .await;
    assert_eq!(std::fs::read(out.join("snap")).unwrap(), snapshot);

    // Bob's cache keeps where each original went, so a restarted app has it.
    let kept = bob.client.history("alice", ConvType::C2C, 2).unwrap();
    let Elem::Image(ki) = &kept[0].elem_array[0] else {
        panic!("{kept:?}")
    };
    let at = |name: &str| out.join(name).display().to_string();
    assert_eq!(ki.orig_path.as_deref(), Some(at("photo.png").as_str()));
    let e = &kept[1].elem_array;
    assert_eq!(e[1].local_paths().0, Some(at("big").as_str()));
    assert_eq!(
        e[2].local_paths(),
        (Some(at("clip").as_str()), Some(at("snap").as_str()))
    );

    // A cut download: the part already holds the first 3 MB; the rest comes with a range.
    let partial: PathBuf = out.join("again.opentim-part");
    std::fs::write(&partial, &file[..3 << 20]).unwrap();
    let r = download(
        &bob,
        param(DownloadType::FILE, &f.file_id, &f.url),
        &out.join("again"),
    )
    .await;
    assert!(
        r.first().unwrap().current_size.unwrap() > 3 << 20,
        "resumed, not restarted: {r:?}"
    );
    assert_eq!(std::fs::read(out.join("again")).unwrap(), file);
    assert!(!partial.exists());
    // A part that does not match the file is caught by the hash, and the next try starts over.
    let bad_part = out.join("bad.opentim-part");
    std::fs::write(&bad_part, vec![0u8; 1 << 20]).unwrap();
    let e = bob
        .client
        .download_elem(
            &param(DownloadType::FILE, &f.file_id, &f.url),
            &out.join("bad"),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
        "{e}"
    );
    assert!(!out.join("bad").exists());
    assert!(!bad_part.exists(), "a part that failed its hash is dropped");
    download(
        &bob,
        param(DownloadType::FILE, &f.file_id, &f.url),
        &out.join("bad"),
    )
    .await;
    assert_eq!(std::fs::read(out.join("bad")).unwrap(), file);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_fail_the_message_and_changed_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = opentim_server::start(opentim_server::Config {
        max_file_bytes: 100_000,
        ..config(&dir.path().join("server"), "127.0.0.1:0")
    })
    .await
    .unwrap();
    accounts(&s, dir.path(), &["bob"]).await;
    let alice = login(&s, &dir.path().join("alice"), "alice").await;
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let send = |elem: Elem| {
        alice
            .client
            .send_message("bob", ConvType::C2C, message(elem))
    };

    let big = write(&files, "big.bin", &vec![1u8; 100_001]);
    let e = send(Elem::File(FileElem {
        file_path: Some(big),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_SDK_COMM_FILE_TOO_LARGE,
        "{e}"
    );
    let text = write(&files, "notes.png", b"just some text, not a picture");
    let e = send(Elem::Image(ImageElem {
        orig_path: Some(text),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE,
        "{e}"
    );
    let e = send(Elem::Sound(SoundElem {
        file_path: Some(dir.path().join("nowhere.mp3").display().to_string()),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_SDK_COMM_FILE_NOT_FOUND,
        "{e}"
    );
    // Each is kept on this device as failed, to be sent again.
    let kept = alice.client.history("bob", ConvType::C2C, 10).unwrap();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(
        kept.iter().all(|m| m.status == Some(MsgStatus::SEND_FAIL)),
        "{kept:?}"
    );

    // An element naming a link elsewhere is not a file of this server.
    let e = send(Elem::Image(ImageElem {
        orig_id: Some("0123456789abcdef0123456789abcdef".into()),
        orig_url: Some("https://evil.example/x.png".into()),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(e.code, opentim_model::codes::ERR_INVALID_MSG_ELEM, "{e}");

    // An id of the right shape that names no file kept here is refused too.
    let ghost = "fedcba9876543210fedcba9876543210";
    let e = send(Elem::File(FileElem {
        file_id: Some(ghost.into()),
        url: Some(format!(
            "/media/files/{ghost}/orig?expires=9999999999&sig=00"
        )),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(e.code, opentim_model::codes::ERR_INVALID_MSG_ELEM, "{e}");
    assert!(e.desc.contains("does not keep"), "{e}");

    // A URL that was changed is refused.
    let ok = write(&files, "a.txt", b"hello");
    let sent = send(Elem::File(FileElem {
        file_path: Some(ok),
        ..Default::default()
    }))
    .await
    .unwrap();
    let Elem::File(f) = &sent.elem_array[0] else {
        panic!()
    };
    let url = f.url.clone().unwrap().replace("/orig?", "/thumb?");
    let e = alice
        .client
        .download_elem(
            &param(DownloadType::FILE, &f.file_id, &Some(url)),
            &dir.path().join("x"),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        opentim_model::codes::ERR_FILE_TRANS_AUTH_FAILED,
        "{e}"
    );
    s.stop().await.unwrap();
}

/// A server on `addr` with small upload chunks (so an upload is many requests).
async fn small_chunks_at(dir: &Path, addr: &str) -> opentim_server::RunningServer {
    for _ in 0..50 {
        let c = opentim_server::Config {
            media_chunk_bytes: 256 << 10,
            ..config(dir, addr)
        };
        if let Ok(s) = opentim_server::start(c).await {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no server on {addr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_upload_cut_by_a_server_restart_completes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let s = small_chunks_at(&data, "127.0.0.1:0").await;
    let addr = s.addr.to_string();
    accounts(&s, dir.path(), &["bob"]).await;
    let mut alice = login(&s, &dir.path().join("alice"), "alice").await;
    let mut bob = login(&s, &dir.path().join("bob"), "bob").await;
    let bytes: Vec<u8> = (0..(50u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let path = write(dir.path(), "big.bin", &bytes);
    let client = alice.client.clone();
    let send = tokio::spawn(async move {
        client
            .send_message(
                "bob",
                ConvType::C2C,
                message(Elem::File(FileElem {
                    file_path: Some(path),
                    ..Default::default()
                })),
            )
            .await
    });
    // Cut the server once a fifth of the file is up, then bring it back where it was.
    let cut_at = alice
        .wait_for(30, |ev| match ev {
            SdkEvent::UploadProgress { cur, .. } if cur >= 10 << 20 => Some(cur),
            _ => None,
        })
        .await
        .expect("the upload got going");
    assert!(!send.is_finished(), "cut while the upload runs");
    s.kill();
    let s = small_chunks_at(&data, &addr).await;
    let sent = send
        .await
        .unwrap()
        .expect("the send completes after the restart");
    let reports = progress_of(&mut alice).await;
    assert_eq!(
        reports.last().map(|r| r.1),
        Some(50 << 20),
        "ends at the total"
    );
    assert!(cut_at < 50 << 20);
    let Elem::File(f) = &sent.elem_array[0] else {
        panic!()
    };
    assert_eq!(f.file_size, Some(50 << 20));
    let got = bob.receive(1, 20).await;
    let Elem::File(g) = &got[0].elem_array[0] else {
        panic!("{got:?}")
    };
    let out = dir.path().join("received.bin");
    download(&bob, param(DownloadType::FILE, &g.file_id, &g.url), &out).await;
    assert!(std::fs::read(&out).unwrap() == bytes, "byte for byte");
    s.stop().await.unwrap();
}

/// An image sent to a group reaches a member, who downloads it: on one node (files on disk),
/// and across two nodes on PostgreSQL + NATS (files in PostgreSQL, uploaded through one node
/// and downloaded through the other).
async fn an_image_reaches_a_group(
    s0: &opentim_server::RunningServer,
    s1: &opentim_server::RunningServer,
    dir: &Path,
) {
    use opentim_model::enums::GroupType;
    use opentim_model::group::{CreateGroupParam, GroupMemberInfo};
    let alice = device(s0, dir, "alice", "alice", 0).await;
    let mut bob = device(s1, dir, "bob", "bob", 0).await;
    alice
        .client
        .create_group(&CreateGroupParam {
            group_name: Some("photos".into()),
            group_id: Some("photos".into()),
            group_type: Some(GroupType::PUBLIC),
            group_member_array: Some(vec![GroupMemberInfo {
                identifier: Some("bob".into()),
                ..Default::default()
            }]),
            ..Default::default()
        })
        .await
        .unwrap();
    let image = png(640, 480);
    let path = write(dir, "group.png", &image);
    let mut m = message(Elem::Image(ImageElem {
        orig_path: Some(path),
        ..Default::default()
    }));
    m.conv_type = Some(ConvType::GROUP);
    alice
        .client
        .send_message("photos", ConvType::GROUP, m)
        .await
        .unwrap();
    let got = bob
        .wait_for(20, |ev| match ev {
            SdkEvent::NewMessages(ms) => ms
                .into_iter()
                .find(|m| matches!(m.elem_array.first(), Some(Elem::Image(_)))),
            _ => None,
        })
        .await
        .expect("the image reaches the member");
    assert_eq!(got.conv_type, Some(ConvType::GROUP));
    let Elem::Image(i) = &got.elem_array[0] else {
        panic!()
    };
    assert_eq!(
        (i.large_pic_width, i.large_pic_height),
        (Some(640), Some(480)),
        "no bigger than 720"
    );
    let out = dir.join("group-received.png");
    download(
        &bob,
        param(DownloadType::FILE, &i.orig_id, &i.orig_url),
        &out,
    )
    .await;
    assert_eq!(std::fs::read(&out).unwrap(), image);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_reaches_a_group_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir.path().join("server")).await;
    an_image_reaches_a_group(&s, &s, dir.path()).await;
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(pg_tests, nats_tests)),
    ignore = "needs PostgreSQL and NATS: set OPENTIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test and OPENTIM_TEST_NATS_URL=nats://127.0.0.1:4222 (.ci/run does)"
)]
async fn an_image_reaches_a_group_across_nodes() {
    let c = crate::cluster::Cluster::new();
    let (a, b) = (c.node("a").await, c.node("b").await);
    an_image_reaches_a_group(&a, &b, c.dir.path()).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
