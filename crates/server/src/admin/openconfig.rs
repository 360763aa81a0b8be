//! `openconfigsvr`: an account's global mutes; and the hosted service's usage and archive
//! endpoints, which this server does not keep.

use opentim_model::codes;
use serde_json::{json, Value};

use super::{fields, refusal, Call, Handled};
use crate::clock::now_secs;
use crate::error::Refusal;

/// `C2CmsgNospeakingTime` / `GroupmsgNospeakingTime` value that mutes for ever.
const FOREVER: u64 = u32::MAX as u64;

/// The stored Unix second of a mute for ever (what both stores keep exactly).
const NEVER_ENDS: u64 = i64::MAX as u64;

/// Seconds from now as the stored Unix second: 0 lifts a mute, [`FOREVER`] never ends.
fn until(secs: u64, now: u64) -> u64 {
    match secs {
        0 => 0,
        FOREVER => NEVER_ENDS,
        s => now.saturating_add(s),
    }
}

/// The stored Unix second as seconds left: 0 when not muted, [`FOREVER`] for ever.
fn left(until: u64, now: u64) -> u64 {
    match until {
        t if t >= NEVER_ENDS => FOREVER,
        t if t <= now => 0,
        t => (t - now).min(FOREVER - 1),
    }
}

fn secs(call: &Call<'_>, key: &str) -> Result<Option<u64>, Refusal> {
    match call.body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|s| *s <= FOREVER)
            .map(Some)
            .ok_or_else(|| {
                Refusal::new(
                    codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS,
                    format!("{key} is seconds, 0 to {FOREVER} (0: not muted, {FOREVER}: for ever)"),
                )
            }),
    }
}

/// `setnospeaking`: mute `Set_Account`'s C2C and/or group messages for the seconds given.
pub async fn set_mutes(call: &Call<'_>) -> Handled {
    let id = call
        .body
        .get("Set_Account")
        .and_then(Value::as_str)
        .unwrap_or("");
    let user = call.user(id, codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "Set_Account")?;
    let now = now_secs();
    let c2c = secs(call, "C2CmsgNospeakingTime")?.map(|s| until(s, now));
    let group = secs(call, "GroupmsgNospeakingTime")?.map(|s| until(s, now));
    if c2c.is_none() && group.is_none() {
        return Err(Refusal::new(
            codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS,
            "give C2CmsgNospeakingTime and/or GroupmsgNospeakingTime",
        ));
    }
    let services = &call.gw().services;
    let known = services
        .account
        .set_mutes(&user, c2c, group)
        .await
        .map_err(refusal)?;
    if !known {
        return Err(Refusal::new(
            codes::ERR_SVR_ACCOUNT_NOT_FOUND,
            format!("{user} is not an account"),
        ));
    }
    services.message.mutes_changed(&user);
    Ok(fields([]))
}

/// `getnospeaking`: the seconds left of `Get_Account`'s mutes.
pub async fn mutes(call: &Call<'_>) -> Handled {
    let id = call
        .body
        .get("Get_Account")
        .and_then(Value::as_str)
        .unwrap_or("");
    let user = call.user(id, codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "Get_Account")?;
    let (c2c, group) = call
        .gw()
        .services
        .account
        .mutes(&user)
        .await
        .map_err(refusal)?
        .ok_or_else(|| {
            Refusal::new(
                codes::ERR_SVR_ACCOUNT_NOT_FOUND,
                format!("{user} is not an account"),
            )
        })?;
    let now = now_secs();
    Ok(fields([
        ("C2CmsgNospeakingTime", json!(left(c2c, now))),
        ("GroupmsgNospeakingTime", json!(left(group, now))),
    ]))
}

/// `getappinfo` and `open_msg_svc/get_history`: the hosted service's daily usage figures and
/// hourly message archives, which this server does not produce (its figures are at
/// `/metrics`; its messages are read with `admin_getroammsg` and `group_msg_get_simple`).
pub fn not_kept(what: &str) -> Handled {
    Err(Refusal::new(
        codes::ERR_SVR_COMM_INVALID_SERVICE,
        format!("{what} is not kept by this server: read /metrics for its figures, admin_getroammsg and group_msg_get_simple for messages"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mute_times_round_trip() {
        assert_eq!(until(0, 100), 0);
        assert_eq!(until(60, 100), 160);
        assert_eq!(left(until(60, 100), 130), 30);
        assert_eq!(left(until(FOREVER, 100), 1_000_000), FOREVER);
        assert_eq!(left(0, 100), 0);
        assert_eq!(left(90, 100), 0);
    }
}
