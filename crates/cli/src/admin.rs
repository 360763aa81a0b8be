//! `opentim admin`: the REST API (`/v4`) from the command line, as the app administrator.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

#[derive(Args)]
pub struct AdminArgs {
    /// The server's base URL (what back-ends put before /v4).
    #[arg(long, env = "OPENTIM_URL", default_value = "http://127.0.0.1:9300")]
    url: String,
    /// The app's secret key, to mint the administrator's UserSig (or give --usersig).
    #[arg(long, env = "OPENTIM_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// A UserSig of the administrator, instead of --secret-key.
    #[arg(long, env = "OPENTIM_ADMIN_USERSIG", hide_env_values = true)]
    usersig: Option<String>,
    /// The app id (SDKAppID).
    #[arg(long, env = "OPENTIM_SDKAPPID", default_value_t = 1_400_000_000)]
    sdkappid: u64,
    /// The administrator's identifier (one of the server's admin_accounts).
    #[arg(long, env = "OPENTIM_ADMIN", default_value = "administrator")]
    admin: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Import accounts (im_open_login_svc/multiaccount_import; with --nick, account_import of
    /// one account with that nickname).
    Import {
        /// The user ids.
        #[arg(required = true)]
        users: Vec<String>,
        /// Nickname of the (single) account.
        #[arg(long)]
        nick: Option<String>,
    },
    /// Send a text message (openim/sendmsg), as --from or as the administrator.
    Send {
        /// The receiver.
        #[arg(long)]
        to: String,
        /// The sender (default: the administrator).
        #[arg(long)]
        from: Option<String>,
        /// The text.
        text: String,
    },
    /// Create a group (group_open_http_svc/create_group) and print its id.
    CreateGroup {
        #[arg(long)]
        name: String,
        /// Public, Private (Work), ChatRoom (Meeting) or AVChatRoom.
        #[arg(long, default_value = "Public")]
        r#type: String,
        /// The group id (default: the server makes one).
        #[arg(long)]
        id: Option<String>,
        /// The owner (default: the administrator).
        #[arg(long)]
        owner: Option<String>,
        /// Members to put in at once (repeat the flag).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Who is online, on which platforms (openim/query_online_status, on every node).
    Online {
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Recent webhook deliveries of the node asked (opentim/webhook_deliveries) and how many
    /// after-callbacks wait; with --follow, keep printing new ones.
    Webhooks {
        #[arg(long)]
        follow: bool,
    },
    /// Any endpoint: `service/command` and a JSON body (default `{}`; `-` reads stdin).
    Call {
        /// e.g. openim/admin_getroammsg
        endpoint: String,
        body: Option<String>,
    },
}

struct Api {
    base: String,
    query: String,
    http: reqwest::Client,
}

impl Api {
    fn new(a: &AdminArgs) -> Result<Self, String> {
        let sig = match (&a.usersig, &a.secret_key) {
            (Some(sig), _) => sig.clone(),
            (None, Some(key)) => opentim_server::auth::mint(key, a.sdkappid, &a.admin, crate::now(), 300),
            (None, None) => {
                return Err("the administrator's UserSig is needed: pass --secret-key (or OPENTIM_SECRET_KEY) or --usersig".into())
            }
        };
        let sig: String = sig
            .bytes()
            .map(|b| match b {
                b'*' => "%2A".to_owned(),
                b => (b as char).to_string(),
            })
            .collect();
        Ok(Api {
            base: a.url.trim_end_matches('/').to_owned(),
            query: format!(
                "sdkappid={}&identifier={}&usersig={sig}&random={}&contenttype=json",
                a.sdkappid,
                a.admin,
                rand::random::<u32>()
            ),
            http: reqwest::Client::new(),
        })
    }

    /// The answer of `endpoint`; a refusal is an error carrying its code and text.
    async fn call(&self, endpoint: &str, body: Value) -> Result<Value, String> {
        let url = format!("{}/v4/{endpoint}?{}", self.base, self.query);
        let answer: Value = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?
            .json()
            .await
            .map_err(|e| format!("{endpoint}: the answer is not JSON: {e}"))?;
        match answer["ErrorCode"].as_i64() {
            Some(0) => Ok(answer),
            code => Err(format!(
                "{endpoint} refused ({}): {}",
                code.unwrap_or(-1),
                answer["ErrorInfo"].as_str().unwrap_or("")
            )),
        }
    }
}

fn print(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

pub async fn run(a: AdminArgs) -> Result<(), String> {
    let api = Api::new(&a)?;
    match a.command {
        AdminCommand::Import { users, nick } => {
            let answer = match (nick, users.as_slice()) {
                (Some(nick), [one]) => {
                    api.call(
                        "im_open_login_svc/account_import",
                        json!({ "UserID": one, "Nick": nick }),
                    )
                    .await?
                }
                (Some(_), _) => {
                    return Err("--nick names one account: give exactly one user".into())
                }
                (None, _) => {
                    api.call(
                        "im_open_login_svc/multiaccount_import",
                        json!({ "Accounts": users }),
                    )
                    .await?
                }
            };
            let failed = answer["FailAccounts"].as_array().map_or(0, Vec::len);
            match failed {
                0 => println!("imported {} account(s)", users.len()),
                n => {
                    print(&answer["FailAccounts"]);
                    return Err(format!("{n} account(s) could not be imported"));
                }
            }
        }
        AdminCommand::Send { to, from, text } => {
            let mut body = json!({
                "To_Account": to,
                "MsgRandom": rand::random::<u32>(),
                "MsgBody": [{ "MsgType": "TIMTextElem", "MsgContent": { "Text": text } }],
            });
            if let Some(from) = from {
                body["From_Account"] = json!(from);
            }
            let answer = api.call("openim/sendmsg", body).await?;
            println!(
                "sent: MsgKey {} at {}",
                answer["MsgKey"].as_str().unwrap_or(""),
                answer["MsgTime"]
            );
        }
        AdminCommand::CreateGroup {
            name,
            r#type,
            id,
            owner,
            members,
        } => {
            let mut body = json!({
                "Name": name,
                "Type": r#type,
                "MemberList": members.iter().map(|m| json!({ "Member_Account": m })).collect::<Vec<_>>(),
            });
            if let Some(id) = id {
                body["GroupId"] = json!(id);
            }
            if let Some(owner) = owner {
                body["Owner_Account"] = json!(owner);
            }
            let answer = api.call("group_open_http_svc/create_group", body).await?;
            println!("{}", answer["GroupId"].as_str().unwrap_or(""));
        }
        AdminCommand::Online { users } => {
            let answer = api
                .call(
                    "openim/query_online_status",
                    json!({ "To_Account": users, "IsNeedDetail": 1 }),
                )
                .await?;
            for r in answer["QueryResult"].as_array().into_iter().flatten() {
                let platforms: Vec<&str> = r["Detail"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["Platform"].as_str())
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    r["To_Account"].as_str().unwrap_or(""),
                    r["Status"].as_str().unwrap_or(""),
                    platforms.join(",")
                );
            }
            for e in answer["ErrorList"].as_array().into_iter().flatten() {
                println!(
                    "{}\tunknown account ({})",
                    e["To_Account"].as_str().unwrap_or(""),
                    e["ErrorCode"]
                );
            }
        }
        AdminCommand::Webhooks { follow } => {
            let mut after = 0u64;
            loop {
                let answer = api
                    .call("opentim/webhook_deliveries", json!({ "After": after }))
                    .await?;
                for d in answer["Deliveries"].as_array().into_iter().flatten() {
                    after = after.max(d["Id"].as_u64().unwrap_or(0));
                    println!(
                        "{}\t{}\ttry {}\t{}\t{} ms",
                        d["Time"],
                        d["CallbackCommand"].as_str().unwrap_or(""),
                        d["Attempt"],
                        d["Outcome"].as_str().unwrap_or(""),
                        d["Milliseconds"]
                    );
                }
                if !follow {
                    println!("{} after-callback(s) waiting", answer["Waiting"]);
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        AdminCommand::Call { endpoint, body } => {
            let text = match body.as_deref() {
                None => "{}".to_owned(),
                Some("-") => std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("cannot read stdin: {e}"))?,
                Some(b) => b.to_owned(),
            };
            let body: Value =
                serde_json::from_str(&text).map_err(|e| format!("the body is not JSON: {e}"))?;
            print(&api.call(&endpoint, body).await?);
        }
    }
    Ok(())
}
