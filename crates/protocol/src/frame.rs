//! The envelope of every frame, and encoding and decoding of it.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::op::Op;

/// A frame that could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("bad frame: {0}")]
pub struct FrameError(#[from] serde_json::Error);

/// A client request as the server first reads it: the body stays raw until the op is known.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    pub op: &'a str,
    #[serde(default)]
    pub id: u64,
    #[serde(borrow, default)]
    pub body: Option<&'a RawValue>,
}

impl<'a> Request<'a> {
    pub fn decode(text: &'a str) -> Result<Self, FrameError> {
        Ok(serde_json::from_str(text)?)
    }

    /// The body as the request type of `O`.
    pub fn body<O: Op>(&self) -> Result<O::Request, FrameError> {
        decode_body(self.body)
    }
}

/// A server frame as the client first reads it: a reply (`reply` set) or an event (`event`
/// set), the body raw until the client knows what it answers.
#[derive(Debug, Deserialize)]
pub struct ServerFrame<'a> {
    #[serde(default)]
    pub reply: Option<u64>,
    #[serde(default)]
    pub code: i32,
    #[serde(default)]
    pub desc: String,
    #[serde(default)]
    pub event: Option<&'a str>,
    #[serde(borrow, default)]
    pub body: Option<&'a RawValue>,
}

impl<'a> ServerFrame<'a> {
    pub fn decode(text: &'a str) -> Result<Self, FrameError> {
        Ok(serde_json::from_str(text)?)
    }
}

/// Decode a raw body; an absent body reads as `{}`.
pub fn decode_body<T: DeserializeOwned>(body: Option<&RawValue>) -> Result<T, FrameError> {
    Ok(serde_json::from_str(body.map_or("{}", RawValue::get))?)
}

#[derive(Serialize)]
struct RequestOut<'a, T: ?Sized> {
    op: &'static str,
    id: u64,
    body: &'a T,
}

#[derive(Serialize)]
struct ReplyOut<'a, T> {
    reply: u64,
    code: i32,
    desc: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a T>,
}

/// Version 1 clients read a reply as `{"frame": "reply", "id": n, ...}`; a refusal carries those
/// keys too, so such a client can show why it was refused.
#[derive(Serialize)]
struct RefusalOut<'a> {
    reply: u64,
    frame: &'static str,
    id: u64,
    code: i32,
    desc: &'a str,
}

fn to_text<T: Serialize>(value: &T) -> String {
    // These types always serialise: every map key is a string.
    serde_json::to_string(value).expect("frames always serialise")
}

/// Encode request `id` of operation `O`.
pub fn encode_request<O: Op>(id: u64, body: &O::Request) -> String {
    to_text(&RequestOut {
        op: O::NAME,
        id,
        body,
    })
}

/// Encode request `id` of the operation named `op` whose body is already JSON (the SDK's
/// generic call path encodes the typed body where the caller knows its type).
pub fn encode_request_raw(op: &'static str, id: u64, body: &RawValue) -> String {
    to_text(&RequestOut { op, id, body })
}

/// Encode the successful reply to request `id` of operation `O`.
pub fn encode_reply<O: Op>(id: u64, body: &O::Response) -> String {
    to_text(&ReplyOut {
        reply: id,
        code: 0,
        desc: "",
        body: Some(body),
    })
}

/// Encode a refusal of request `id`.
pub fn encode_reply_error(id: u64, code: i32, desc: &str) -> String {
    to_text(&RefusalOut {
        reply: id,
        frame: "reply",
        id,
        code,
        desc,
    })
}
