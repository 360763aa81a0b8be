//! UserSig tickets (the TLS-Sig-API v2 format), minted and verified with the app's secret key.
//!
//! A ticket is a zlib-compressed JSON document carrying the user id, app id, issue time, lifetime
//! and an HMAC-SHA256 over those four values, encoded with Tencent's base64 variant (`+` `/` `=`
//! become `*` `-` `_`). Tickets minted by Tencent's public signing libraries verify here unchanged:
//! the verifier accepts any zlib level and any member order, and re-prints numbers in decimal to
//! rebuild the signed text.

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use opentim_model::codes;
use serde_json::{Map, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Largest decompressed ticket accepted; real tickets are a few hundred bytes.
const MAX_TICKET_JSON: u64 = 16 * 1024;

/// Why a ticket was refused. Each maps to the TIM server error code the SDK reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigError {
    #[error("UserSig is malformed: {0}")]
    Malformed(&'static str),
    #[error("UserSig was issued for another SDKAppID ({0})")]
    WrongAppId(u64),
    #[error("UserSig was issued for another user id")]
    WrongUser,
    #[error("UserSig signature does not verify with this app's secret key")]
    BadSignature,
    #[error("UserSig expired at {0} (Unix seconds); mint a new one and log in again")]
    Expired(u64),
}

impl SigError {
    /// The TIM error code for this failure.
    pub fn code(&self) -> i32 {
        match self {
            SigError::Malformed(_) => codes::ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED,
            SigError::WrongAppId(_) => codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID,
            SigError::WrongUser => codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID,
            SigError::BadSignature => codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY,
            SigError::Expired(_) => codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED,
        }
    }
}

/// What a verified ticket says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub identifier: String,
    pub sdkappid: u64,
    pub time: u64,
    pub expire: u64,
}

impl Ticket {
    /// Unix second after which the ticket is no longer valid.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

fn signed_text(identifier: &str, sdkappid: u64, time: u64, expire: u64) -> String {
    format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    )
}

fn hmac(key: &str, text: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    mac
}

/// Mint a ticket for `identifier`, valid `expire` seconds from `time`.
pub fn mint(key: &str, sdkappid: u64, identifier: &str, time: u64, expire: u64) -> String {
    let sig = STANDARD.encode(
        hmac(key, &signed_text(identifier, sdkappid, time, expire))
            .finalize()
            .into_bytes(),
    );
    let doc = serde_json::json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": time,
        "TLS.sig": sig,
    });
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(doc.to_string().as_bytes())
        .expect("writing to memory");
    let compressed = z.finish().expect("writing to memory");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn number(doc: &Map<String, Value>, key: &'static str) -> Result<u64, SigError> {
    match doc.get(key) {
        Some(Value::Number(n)) => n.as_u64().ok_or(SigError::Malformed(
            "a number field is not an unsigned integer",
        )),
        // Lenient: accept numbers written as strings.
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| SigError::Malformed("a number field is not a number")),
        _ => Err(SigError::Malformed("a required field is missing")),
    }
}

/// Decode and check a ticket presented by `user_id` at Unix time `now`.
pub fn verify(
    key: &str,
    sdkappid: u64,
    user_id: &str,
    sig: &str,
    now: u64,
) -> Result<Ticket, SigError> {
    let b64: String = sig
        .trim()
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let compressed = STANDARD
        .decode(b64)
        .map_err(|_| SigError::Malformed("not base64"))?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_TICKET_JSON)
        .read_to_end(&mut json)
        .map_err(|_| SigError::Malformed("not a zlib stream"))?;
    let doc: Map<String, Value> =
        serde_json::from_slice(&json).map_err(|_| SigError::Malformed("not a JSON object"))?;
    if let Some(ver) = doc.get("TLS.ver") {
        if ver.as_str() != Some("2.0") {
            return Err(SigError::Malformed(
                "only TLS.ver 2.0 tickets are supported",
            ));
        }
    }
    let identifier = doc
        .get("TLS.identifier")
        .and_then(Value::as_str)
        .ok_or(SigError::Malformed("TLS.identifier is missing"))?
        .to_owned();
    let ticket_app = number(&doc, "TLS.sdkappid")?;
    let time = number(&doc, "TLS.time")?;
    let expire = number(&doc, "TLS.expire")?;
    let claimed = doc
        .get("TLS.sig")
        .and_then(Value::as_str)
        .ok_or(SigError::Malformed("TLS.sig is missing"))?;
    let claimed = STANDARD
        .decode(claimed)
        .map_err(|_| SigError::Malformed("TLS.sig is not base64"))?;
    if ticket_app != sdkappid {
        return Err(SigError::WrongAppId(ticket_app));
    }
    if identifier != user_id {
        return Err(SigError::WrongUser);
    }
    let mut text = signed_text(&identifier, ticket_app, time, expire);
    if let Some(userbuf) = doc.get("TLS.userbuf").and_then(Value::as_str) {
        text.push_str(&format!("TLS.userbuf:{userbuf}\n"));
    }
    // verify_slice compares in constant time.
    hmac(key, &text)
        .verify_slice(&claimed)
        .map_err(|_| SigError::BadSignature)?;
    let ticket = Ticket {
        identifier,
        sdkappid: ticket_app,
        time,
        expire,
    };
    if now > ticket.expires_at() {
        return Err(SigError::Expired(ticket.expires_at()));
    }
    Ok(ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn signature_matches_the_spec_vector() {
        let text = signed_text("xiaojun", 1_400_000_000, 1_600_000_000, 86_400);
        let sig = STANDARD.encode(hmac(KEY, &text).finalize().into_bytes());
        assert_eq!(sig, "F7rhX8gUOlwhSaoxU1nT9fNB9LShQdL1ReCJfHY1Ffo=");
    }

    #[test]
    fn minted_tickets_verify_and_failures_are_typed() {
        let t = mint(KEY, 1_400_000_000, "xiaojun", 1_600_000_000, 86_400);
        let ok = verify(KEY, 1_400_000_000, "xiaojun", &t, 1_600_000_100).unwrap();
        assert_eq!(ok.expires_at(), 1_600_086_400);
        assert_eq!(
            verify(KEY, 1_400_000_001, "xiaojun", &t, 1_600_000_100),
            Err(SigError::WrongAppId(1_400_000_000))
        );
        assert_eq!(
            verify(KEY, 1_400_000_000, "other", &t, 1_600_000_100),
            Err(SigError::WrongUser)
        );
        assert_eq!(
            verify("k2", 1_400_000_000, "xiaojun", &t, 1_600_000_100),
            Err(SigError::BadSignature)
        );
        assert_eq!(
            verify(KEY, 1_400_000_000, "xiaojun", &t, 1_600_086_401),
            Err(SigError::Expired(1_600_086_400))
        );
        assert!(matches!(
            verify(KEY, 1_400_000_000, "xiaojun", "garbage!", 0),
            Err(SigError::Malformed(_))
        ));
        assert_eq!(SigError::Expired(0).code(), 70001);
        assert_eq!(SigError::WrongUser.code(), 70013);
        assert_eq!(SigError::WrongAppId(0).code(), 70014);
    }

    /// A ticket as Go's library writes it: stored (level 0) zlib blocks and another member order.
    #[test]
    fn accepts_uncompressed_zlib_and_any_member_order() {
        let text = signed_text("u1", 1400000000, 1700000000, 600);
        let sig = STANDARD.encode(hmac(KEY, &text).finalize().into_bytes());
        let doc = format!(
            r#"{{"TLS.sig":"{sig}","TLS.time":1700000000,"TLS.expire":600,"TLS.sdkappid":1400000000,"TLS.identifier":"u1","TLS.ver":"2.0"}}"#
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
        z.write_all(doc.as_bytes()).unwrap();
        let b64 = STANDARD
            .encode(z.finish().unwrap())
            .replace('+', "*")
            .replace('/', "-")
            .replace('=', "_");
        assert!(verify(KEY, 1400000000, "u1", &b64, 1700000001).is_ok());
    }
}
