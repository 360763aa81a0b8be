//! `MsgBody`, the REST form of a message's elements, to and from the SDK's elements; and
//! `MsgKey`, the REST name of a C2C message.
//!
//! Each REST element is `{"MsgType": "TIM...Elem", "MsgContent": {...}}`. Text, custom, face,
//! location, image, sound, file and video elements map both ways, field by field; merged
//! messages are written as `TIMRelayElem` (their summary); elements that only the server makes
//! (group tips, notices) have no REST form and are left out of what is written.

use opentim_model::codes;
use opentim_model::elem::{
    CustomElem, Elem, FaceElem, FileElem, ImageElem, LocationElem, SoundElem, TextElem, VideoElem,
};
use serde_json::{json, Map, Value};

use crate::error::Refusal;

/// `<seq>_<random>_<time>`: how REST, webhooks and the SDK's locator name a C2C message.
pub fn msg_key(seq: u64, rand: u64, time: u64) -> String {
    format!("{seq}_{rand}_{time}")
}

/// The seq, random and time a `MsgKey` names.
pub fn parse_msg_key(key: &str) -> Option<(u64, u64, u64)> {
    let mut parts = key.split('_');
    let seq = parts.next()?.parse().ok()?;
    let rand = parts.next()?.parse().ok()?;
    let time = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((seq, rand, time))
}

fn bad(desc: String) -> Refusal {
    Refusal::new(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, desc)
}

/// A string field; numbers are taken as their decimal text.
fn text(c: &Map<String, Value>, key: &str) -> Option<String> {
    match c.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer field; numeric strings are read too.
fn int(c: &Map<String, Value>, key: &str) -> Option<i64> {
    match c.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn float(c: &Map<String, Value>, key: &str) -> Option<f64> {
    match c.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn int32(c: &Map<String, Value>, key: &str) -> Option<i32> {
    int(c, key).and_then(|v| i32::try_from(v).ok())
}

fn uint32(c: &Map<String, Value>, key: &str) -> Option<u32> {
    int(c, key).and_then(|v| u32::try_from(v).ok())
}

/// The SDK's elements of a REST `MsgBody`.
pub fn to_elems(body: Option<&Value>) -> Result<Vec<Elem>, Refusal> {
    let Some(Value::Array(items)) = body else {
        return Err(Refusal::new(
            codes::ERR_SVR_MSG_BODY_NOT_ARRAY,
            "MsgBody must be an array of {\"MsgType\": ..., \"MsgContent\": {...}}",
        ));
    };
    if items.is_empty() {
        return Err(bad("MsgBody is empty".into()));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| elem(i, item))
        .collect()
}

fn elem(i: usize, item: &Value) -> Result<Elem, Refusal> {
    let kind = item.get("MsgType").and_then(Value::as_str).unwrap_or("");
    let Some(c) = item.get("MsgContent").and_then(Value::as_object) else {
        return Err(bad(format!("MsgBody[{i}] has no MsgContent object")));
    };
    Ok(match kind {
        "TIMTextElem" => Elem::Text(TextElem {
            content: Some(text(c, "Text").unwrap_or_default()),
        }),
        "TIMCustomElem" => Elem::Custom(CustomElem {
            data: text(c, "Data"),
            desc: text(c, "Desc"),
            ext: text(c, "Ext"),
            sound: text(c, "Sound"),
        }),
        "TIMFaceElem" => Elem::Face(FaceElem {
            index: int32(c, "Index"),
            buf: text(c, "Data"),
        }),
        "TIMLocationElem" => Elem::Location(LocationElem {
            desc: text(c, "Desc"),
            latitude: float(c, "Latitude"),
            longitude: float(c, "Longitude"),
        }),
        "TIMImageElem" => image(c),
        "TIMSoundElem" => Elem::Sound(SoundElem {
            url: text(c, "Url"),
            file_id: text(c, "UUID"),
            file_size: int32(c, "Size"),
            file_time: int32(c, "Second"),
            download_flag: int32(c, "Download_Flag"),
            ..Default::default()
        }),
        "TIMFileElem" => Elem::File(FileElem {
            url: text(c, "Url"),
            file_id: text(c, "UUID"),
            file_size: int32(c, "FileSize"),
            file_name: text(c, "FileName"),
            download_flag: int32(c, "Download_Flag"),
            ..Default::default()
        }),
        "TIMVideoFileElem" => Elem::Video(VideoElem {
            video_url: text(c, "VideoUrl"),
            video_id: text(c, "VideoUUID"),
            video_size: uint32(c, "VideoSize"),
            video_duration: uint32(c, "VideoSecond"),
            video_type: text(c, "VideoFormat"),
            video_download_flag: int32(c, "VideoDownloadFlag"),
            image_url: text(c, "ThumbUrl"),
            image_id: text(c, "ThumbUUID"),
            image_size: uint32(c, "ThumbSize"),
            image_width: uint32(c, "ThumbWidth"),
            image_height: uint32(c, "ThumbHeight"),
            image_type: text(c, "ThumbFormat"),
            image_download_flag: int32(c, "ThumbDownloadFlag"),
            ..Default::default()
        }),
        other => {
            return Err(bad(format!(
                "MsgBody[{i}] has MsgType {other:?}; TIMTextElem, TIMCustomElem, TIMFaceElem, \
                 TIMLocationElem, TIMImageElem, TIMSoundElem, TIMFileElem and \
                 TIMVideoFileElem can be sent"
            )))
        }
    })
}

/// An image: `UUID`, `ImageFormat` and `ImageInfoArray` entries of `Type` 1 (original),
/// 2 (large) and 3 (thumbnail).
fn image(c: &Map<String, Value>) -> Elem {
    let mut i = ImageElem {
        orig_id: text(c, "UUID"),
        format: int32(c, "ImageFormat"),
        ..Default::default()
    };
    let infos = c.get("ImageInfoArray").and_then(Value::as_array);
    for info in infos.into_iter().flatten().filter_map(Value::as_object) {
        let (size, width, height, url) = (
            int32(info, "Size"),
            int32(info, "Width"),
            int32(info, "Height"),
            text(info, "URL"),
        );
        match int(info, "Type") {
            Some(1) => {
                (i.orig_pic_size, i.orig_pic_width, i.orig_pic_height) = (size, width, height);
                i.orig_url = url;
            }
            Some(2) => {
                (i.large_pic_size, i.large_pic_width, i.large_pic_height) = (size, width, height);
                i.large_url = url;
            }
            Some(3) => {
                (i.thumb_pic_size, i.thumb_pic_width, i.thumb_pic_height) = (size, width, height);
                i.thumb_url = url;
            }
            _ => {}
        }
    }
    if let Some(id) = &i.orig_id {
        i.large_id = Some(format!("{id}_large"));
        i.thumb_id = Some(format!("{id}_thumb"));
    }
    Elem::Image(i)
}

fn s(v: &Option<String>) -> Value {
    Value::String(v.clone().unwrap_or_default())
}

fn n<T: Copy + Into<i64>>(v: &Option<T>) -> Value {
    json!(v.map(Into::into).unwrap_or(0))
}

/// The REST `MsgBody` of the SDK's elements.
pub fn from_elems(elems: &[Elem]) -> Vec<Value> {
    elems.iter().filter_map(rest_elem).collect()
}

fn rest_elem(e: &Elem) -> Option<Value> {
    let (kind, content) = match e {
        Elem::Text(t) => ("TIMTextElem", json!({ "Text": s(&t.content) })),
        Elem::Custom(c) => (
            "TIMCustomElem",
            json!({ "Data": s(&c.data), "Desc": s(&c.desc), "Ext": s(&c.ext), "Sound": s(&c.sound) }),
        ),
        Elem::Face(f) => (
            "TIMFaceElem",
            json!({ "Index": n(&f.index), "Data": s(&f.buf) }),
        ),
        Elem::Location(l) => (
            "TIMLocationElem",
            json!({
                "Desc": s(&l.desc),
                "Latitude": l.latitude.unwrap_or(0.0),
                "Longitude": l.longitude.unwrap_or(0.0),
            }),
        ),
        Elem::Image(i) => {
            let info = |t: i64,
                        size: &Option<i32>,
                        w: &Option<i32>,
                        h: &Option<i32>,
                        url: &Option<String>| {
                json!({ "Type": t, "Size": n(size), "Width": n(w), "Height": n(h), "URL": s(url) })
            };
            (
                "TIMImageElem",
                json!({
                    "UUID": s(&i.orig_id),
                    "ImageFormat": n(&i.format),
                    "ImageInfoArray": [
                        info(1, &i.orig_pic_size, &i.orig_pic_width, &i.orig_pic_height, &i.orig_url),
                        info(2, &i.large_pic_size, &i.large_pic_width, &i.large_pic_height, &i.large_url),
                        info(3, &i.thumb_pic_size, &i.thumb_pic_width, &i.thumb_pic_height, &i.thumb_url),
                    ],
                }),
            )
        }
        Elem::Sound(v) => (
            "TIMSoundElem",
            json!({
                "Url": s(&v.url), "UUID": s(&v.file_id), "Size": n(&v.file_size),
                "Second": n(&v.file_time), "Download_Flag": n(&v.download_flag),
            }),
        ),
        Elem::File(f) => (
            "TIMFileElem",
            json!({
                "Url": s(&f.url), "UUID": s(&f.file_id), "FileSize": n(&f.file_size),
                "FileName": s(&f.file_name), "Download_Flag": n(&f.download_flag),
            }),
        ),
        Elem::Video(v) => (
            "TIMVideoFileElem",
            json!({
                "VideoUrl": s(&v.video_url), "VideoUUID": s(&v.video_id),
                "VideoSize": n(&v.video_size), "VideoSecond": n(&v.video_duration),
                "VideoFormat": s(&v.video_type), "VideoDownloadFlag": n(&v.video_download_flag),
                "ThumbUrl": s(&v.image_url), "ThumbUUID": s(&v.image_id),
                "ThumbSize": n(&v.image_size), "ThumbWidth": n(&v.image_width),
                "ThumbHeight": n(&v.image_height), "ThumbFormat": s(&v.image_type),
                "ThumbDownloadFlag": n(&v.image_download_flag),
            }),
        ),
        Elem::Merger(m) => (
            "TIMRelayElem",
            json!({
                "Title": s(&m.title),
                "AbstractList": m.abstract_array.clone().unwrap_or_default(),
                "CompatibleText": s(&m.compatible_text),
            }),
        ),
        _ => return None,
    };
    Some(json!({ "MsgType": kind, "MsgContent": content }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sendable_type_maps_both_ways() {
        let body = json!([
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi \u{1F600}"}},
            {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "e", "Ext": "x", "Sound": "s"}},
            {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "f"}},
            {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here", "Latitude": 22.5, "Longitude": 113.9}},
            {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "m1", "ImageFormat": 1, "ImageInfoArray": [
                {"Type": 1, "Size": 10, "Width": 4, "Height": 3, "URL": "/media/files/m1/orig"},
                {"Type": 2, "Size": 5, "Width": 2, "Height": 1, "URL": "/media/files/m1/large"},
                {"Type": 3, "Size": 1, "Width": 1, "Height": 1, "URL": "/media/files/m1/thumb"}]}},
            {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "/media/files/m2/orig", "UUID": "m2", "Size": 7, "Second": 2, "Download_Flag": 2}},
            {"MsgType": "TIMFileElem", "MsgContent": {"Url": "/media/files/m3/orig", "UUID": "m3", "FileSize": 9, "FileName": "a.txt", "Download_Flag": 2}},
            {"MsgType": "TIMVideoFileElem", "MsgContent": {"VideoUrl": "/media/files/m4/orig", "VideoUUID": "m4",
                "VideoSize": 100, "VideoSecond": 5, "VideoFormat": "mp4", "VideoDownloadFlag": 2,
                "ThumbUrl": "/media/files/m5/orig", "ThumbUUID": "m5", "ThumbSize": 8, "ThumbWidth": 2,
                "ThumbHeight": 2, "ThumbFormat": "jpg", "ThumbDownloadFlag": 2}},
        ]);
        let elems = to_elems(Some(&body)).unwrap();
        assert_eq!(elems.len(), 8);
        match &elems[4] {
            Elem::Image(i) => {
                assert_eq!(i.orig_id.as_deref(), Some("m1"));
                assert_eq!(i.large_pic_width, Some(2));
                assert_eq!(i.thumb_url.as_deref(), Some("/media/files/m1/thumb"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(Value::Array(from_elems(&elems)), body);
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        assert_eq!(
            to_elems(None).unwrap_err().code,
            codes::ERR_SVR_MSG_BODY_NOT_ARRAY
        );
        let e = to_elems(Some(
            &json!([{"MsgType": "TIMGroupTipElem", "MsgContent": {}}]),
        ))
        .unwrap_err();
        assert_eq!(e.code, codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT);
        assert!(e.desc.contains("TIMGroupTipElem"));
        assert!(to_elems(Some(&json!([{"MsgType": "TIMTextElem"}]))).is_err());
    }

    #[test]
    fn msg_keys_round_trip() {
        assert_eq!(msg_key(7, 123, 1_700_000_000), "7_123_1700000000");
        assert_eq!(
            parse_msg_key("7_123_1700000000"),
            Some((7, 123, 1_700_000_000))
        );
        assert_eq!(parse_msg_key("7_123"), None);
        assert_eq!(parse_msg_key("7_x_1"), None);
        assert_eq!(parse_msg_key("1_2_3_4"), None);
    }
}
