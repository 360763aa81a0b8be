//! Placeholder until the XMPP adapter lands (helper-owned file).
use super::driver::{anyhow_like::Result, Driver, Held, PairPlan};
use super::stats::{Clock, Stats};
use std::sync::Arc;

pub struct XmppDriver;

impl XmppDriver {
    pub fn new(_host: String, _port: u16, _domain: String, _clock: Clock) -> Self {
        XmppDriver
    }
}

#[async_trait::async_trait]
impl Driver for XmppDriver {
    fn name(&self) -> String {
        "xmpp".into()
    }
    async fn run_pair(&self, _s: String, _r: String, _p: PairPlan, _b: Arc<tokio::sync::Barrier>, _st: Arc<Stats>) -> Result<()> {
        Err("the XMPP adapter is not built yet".into())
    }
    async fn login_once(&self, _u: String) -> Result<()> {
        Err("the XMPP adapter is not built yet".into())
    }
    async fn hold(&self, _u: String) -> Result<Box<dyn Held>> {
        Err("the XMPP adapter is not built yet".into())
    }
}
