//! The `friends` scenario: a user with `--friends` friends (default 3,000, the server's cap)
//! beside one with a hundredth of them, on one server in the same run, through the Rust SDK:
//!
//! * the whole friend list on a new device (an empty cache: one full fetch);
//! * a device that was offline while one friend's remark changed logs in again: the time until
//!   its lists hold the change, and how many entries it fetched for it (one, at either size);
//! * a friend search by id on a device that holds its lists (the local index answers).
//!
//! The smaller user is the baseline: a cost that follows what changed or matched, not how many
//! friends there are, shows as a ratio near 1.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use opentim_model::enums::{FriendType, ProfileAddPermission};
use opentim_model::friend::{
    FriendSearchParam, FriendshipAddFriendParam, FriendshipModifyFriendProfileParam,
};
use opentim_model::profile::{FriendProfileItem, UserProfileItem};
use opentim_protocol::op::friend::AddFriend;
use opentim_protocol::op::profile::ModifyProfile;
use opentim_sdk::{Client, ClientOptions, SdkEvent};
use tokio::sync::mpsc::UnboundedReceiver;

use super::opentim::{request, OpentimDriver, Target};
use super::stats::{percentile, Clock};
use super::{fig, BenchArgs, Figure, Report, Scenario, ServerUnderTest};

/// New devices timed per size (each fetches the whole list once).
const NEW_DEVICES: usize = 5;
/// Offline changes timed per size.
const CHANGES: usize = 5;
/// Searches timed per size.
const SEARCHES: usize = 50;

type Events = UnboundedReceiver<SdkEvent>;

struct Fixture {
    target: Target,
    dir: tempfile::TempDir,
    quiet: bool,
}

impl Fixture {
    /// A device of `user` with its own cache `cache` (platform: devices of one user on
    /// different platforms are online together).
    async fn device(
        &self,
        user: &str,
        cache: &str,
        platform: i64,
    ) -> Result<(Client, Events), String> {
        let mut o = ClientOptions::new(
            self.target.sdkappid,
            self.target.url.clone(),
            self.dir.path().join(cache),
        );
        o.platform = platform;
        self.target.sdk_login(o, user).await
    }
}

fn ms(d: Duration) -> u64 {
    d.as_nanos() as u64
}

/// (p50, p99) in milliseconds of nanosecond samples.
fn p50_p99(mut ns: Vec<u64>) -> (f64, f64) {
    ns.sort_unstable();
    (
        percentile(&ns, 50.0) as f64 / 1e6,
        percentile(&ns, 99.0) as f64 / 1e6,
    )
}

/// The friend ids: `{tag}f0000` ... (the smaller user's are the first of them).
fn friend_id(tag: &str, i: u64) -> String {
    format!("{tag}f{i:04}")
}

/// Make `owner` and `friends` accounts, and each friend a two-way friend of `owner` (who lets
/// anyone add them), over raw connections.
async fn befriend(
    raw: &OpentimDriver,
    owner: &str,
    friends: &[String],
    in_flight: usize,
) -> Result<(), String> {
    let mut conn = raw.connect(owner).await?;
    let allow = UserProfileItem {
        add_permission: Some(ProfileAddPermission::ALLOW_ANY),
        ..Default::default()
    };
    request::<ModifyProfile>(&mut conn, 2, &allow).await?;
    stream::iter(friends.to_vec())
        .map(|f| async move {
            let mut c = raw.connect(&f).await?;
            let add = FriendshipAddFriendParam {
                identifier: Some(owner.to_owned()),
                friend_type: Some(FriendType::BOTH),
                ..Default::default()
            };
            request::<AddFriend>(&mut c, 2, &add).await
        })
        .buffer_unordered(in_flight.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// The figures of one user with `n` friends.
async fn measure(
    fx: &Fixture,
    tag: &str,
    owner: &str,
    n: u64,
) -> Result<Vec<(String, f64, String)>, String> {
    let mut out = Vec::new();
    // The whole list on new devices.
    let mut fetch = Vec::new();
    for k in 0..NEW_DEVICES {
        let (c, _events) = fx.device(owner, &format!("{owner}-new{k}"), 2).await?;
        let t = Instant::now();
        let list = c.friend_list().await.map_err(|e| e.to_string())?;
        fetch.push(ms(t.elapsed()));
        if list.len() as u64 != n {
            return Err(format!(
                "{owner}'s new device listed {} friends of {n}",
                list.len()
            ));
        }
        c.logout().await.map_err(|e| e.to_string())?;
    }
    let (p50, p99) = p50_p99(fetch);
    out.push(("friend list on a new device p50".into(), p50, "ms".into()));
    out.push(("friend list on a new device p99".into(), p99, "ms".into()));
    out.push((
        "entries fetched by a new device".into(),
        n as f64,
        "entries".into(),
    ));

    // One change while a device is offline; its next login fetches that change only.
    let (editor, _editor_events) = fx.device(owner, &format!("{owner}-editor"), 3).await?;
    editor.friend_list().await.map_err(|e| e.to_string())?;
    let cache = format!("{owner}-away");
    let (away, _) = fx.device(owner, &cache, 2).await?;
    away.friend_list().await.map_err(|e| e.to_string())?;
    away.logout().await.map_err(|e| e.to_string())?;
    drop(away);
    let (mut resync, mut fetched) = (Vec::new(), Vec::new());
    for k in 0..CHANGES {
        let friend = friend_id(tag, k as u64 % n);
        let remark = format!("remark {k}");
        let change = FriendshipModifyFriendProfileParam {
            identifier: Some(friend.clone()),
            item: Some(FriendProfileItem {
                remark: Some(remark.clone()),
                ..Default::default()
            }),
        };
        editor
            .modify_friend(&change)
            .await
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        let (away, mut events) = fx.device(owner, &cache, 2).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(SdkEvent::FriendChanges(_))) => break,
                Ok(Some(_)) => continue,
                _ => {
                    return Err(format!(
                        "{owner}'s device was not told of the change within 20 s"
                    ))
                }
            }
        }
        resync.push(ms(t.elapsed()));
        let list = away.friend_list().await.map_err(|e| e.to_string())?;
        let seen = list
            .iter()
            .find(|f| f.identifier.as_deref() == Some(friend.as_str()))
            .and_then(|f| f.remark.clone());
        if seen.as_deref() != Some(remark.as_str()) {
            return Err(format!(
                "{owner}'s device holds remark {seen:?}, not {remark:?}"
            ));
        }
        let stats = away.relation_stats().await.map_err(|e| e.to_string())?;
        fetched.push(stats.entries);
        away.logout().await.map_err(|e| e.to_string())?;
    }
    let (p50, p99) = p50_p99(resync);
    out.push(("login to the change applied p50".into(), p50, "ms".into()));
    out.push(("login to the change applied p99".into(), p99, "ms".into()));
    out.push((
        "entries fetched after one change".into(),
        fetched.iter().sum::<u64>() as f64 / fetched.len().max(1) as f64,
        "entries".into(),
    ));

    // Search by id: one friend matches at either size.
    let needle = friend_id(tag, n / 2);
    let param = FriendSearchParam {
        keyword_list: Some(vec![needle[tag.len()..].to_owned()]),
        search_field_list: Some(vec![]),
    };
    let mut searches = Vec::new();
    for _ in 0..SEARCHES {
        let t = Instant::now();
        let found = editor
            .search_friends(&param)
            .await
            .map_err(|e| e.to_string())?;
        searches.push(ms(t.elapsed()));
        if found.len() != 1 || found[0].identifier.as_deref() != Some(needle.as_str()) {
            return Err(format!(
                "searching {owner}'s friends found {} of 1",
                found.len()
            ));
        }
    }
    let (p50, p99) = p50_p99(searches);
    out.push(("search by id p50".into(), p50, "ms".into()));
    out.push(("search by id p99".into(), p99, "ms".into()));
    editor.logout().await.map_err(|e| e.to_string())?;
    if !fx.quiet {
        eprintln!("  {owner}: {n} friends measured");
    }
    Ok(out)
}

/// Run the scenario: the user with `--friends` friends and the one with a hundredth of them.
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let quiet = args.json;
    let large = args.friends.clamp(100, 3000);
    let small = large / 100;
    let server = ServerUnderTest::spawn(args, &[], false).await?;
    let target = Target {
        url: server.url.clone(),
        sdkappid: server.sdkappid,
        secret_key: server.secret_key.clone(),
    };
    let raw = OpentimDriver::new(target.clone(), Clock::new());
    let tag = format!("r{}", std::process::id());
    let (big_user, small_user) = (format!("{tag}big"), format!("{tag}small"));
    let friends: Vec<String> = (0..large).map(|i| friend_id(&tag, i)).collect();
    raw.premint(
        friends
            .iter()
            .cloned()
            .chain([big_user.clone(), small_user.clone()]),
    );
    let t = Instant::now();
    befriend(&raw, &big_user, &friends, args.in_flight).await?;
    befriend(
        &raw,
        &small_user,
        &friends[..small as usize],
        args.in_flight,
    )
    .await?;
    if !quiet {
        eprintln!(
            "  {large} + {small} friendships made in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let fx = Fixture {
        target,
        dir: tempfile::tempdir().map_err(|e| e.to_string())?,
        quiet,
    };
    let big = measure(&fx, &tag, &big_user, large).await?;
    let base = measure(&fx, &tag, &small_user, small).await?;
    server.stop().await;
    let to_figures = |rows: &[(String, f64, String)]| -> Vec<Figure> {
        rows.iter().map(|(n, v, u)| fig(n, *v, u)).collect()
    };
    let params = serde_json::json!({
        "friends": large,
        "baseline_friends": small,
        "new_devices": NEW_DEVICES,
        "changes": CHANGES,
        "searches": SEARCHES,
    });
    Ok(Report {
        scenario: Scenario::Friends,
        driver: "opentim-sdk".into(),
        params: params.clone(),
        figures: to_figures(&big),
        server: None,
        baseline: Some(Box::new(Report {
            scenario: Scenario::Friends,
            driver: "opentim-sdk".into(),
            params,
            figures: to_figures(&base),
            server: None,
            baseline: None,
        })),
    })
}
