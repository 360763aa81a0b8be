//! The XMPP adapter: plain client-to-server XMPP (RFC 6120 / RFC 6121) over TCP, without TLS,
//! logging in with SASL ANONYMOUS, so the same scenarios run against ejabberd or prosody.
//!
//! Login: open the stream, read the features, `<auth mechanism='ANONYMOUS'/>`, restart the
//! stream, bind a resource (the bench's user name) and read the bound full JID, establish the
//! session where the server still requires it (RFC 3921 style, not marked `<optional/>`), then
//! send the initial `<presence/>` and wait for the answer to a ping sent right after it: a
//! server handles one stream's stanzas in order, so once the ping is answered the resource is
//! available and chats to it are routed.
//!
//! Incoming bytes go through [`Scanner`], a small hand-written scanner that cuts the stream into
//! top-level elements (stanzas), whatever the read boundaries; a handful of pure functions then
//! pick out what the bench needs (the element name, an attribute, a child's text with XML
//! entities decoded). It is no general XML parser: it only has to understand what XMPP servers
//! send to a client.
//!
//! XMPP has no per-message acknowledgement (stream management aside), so for this adapter the
//! send window counts messages sent and not yet received by the receiver, and
//! [`Stats::acked`] is incremented when a message is delivered, not when the server takes it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use super::driver::{anyhow_like::Result, parse_payload, payload, Driver, Held, PairPlan};
use super::stats::{Clock, Pacer, Receipts, Stats};

const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
const NS_PING: &str = "urn:xmpp:ping";

/// How long `login_once` and `hold` wait for any one step (they get no [`PairPlan`]).
const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes asked of the socket per read (a buffer of this size lives as long as a connection).
const READ_CHUNK: usize = 8 * 1024;

/// Refuse a single element larger than this (a broken or hostile peer, not a chat message).
const MAX_ELEMENT: usize = 4 * 1024 * 1024;

pub struct XmppDriver {
    host: String,
    port: u16,
    domain: String,
    clock: Clock,
    /// How long `login_once` and `hold` wait for each step.
    io_timeout: Duration,
}

impl XmppDriver {
    /// A driver for the XMPP server at `host:port` serving the XMPP domain `domain` (the host
    /// part of the JIDs, e.g. `bench.local`).
    pub fn new(host: String, port: u16, domain: String, clock: Clock) -> Self {
        XmppDriver {
            host,
            port,
            domain,
            clock,
            io_timeout: DEFAULT_IO_TIMEOUT,
        }
    }

    fn stream_header(&self) -> String {
        format!(
            "<?xml version='1.0'?><stream:stream to='{}' xmlns='jabber:client' \
             xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            escape(&self.domain)
        )
    }

    /// Connect and log in as an anonymous user with resource `resource`; with `available`, also
    /// send the initial presence and wait until the server has processed it.
    async fn login(&self, resource: &str, available: bool, timeout: Duration) -> Result<Session> {
        let addr = format!("{}:{}", self.host, self.port);
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(&addr))
            .await
            .map_err(|_| format!("connect {addr}: timed out"))?
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (rd, wr) = tcp.into_split();
        let mut s = Session {
            reader: Reader::new(rd, timeout),
            writer: Writer { wr, timeout },
            jid: String::new(),
        };

        // Stream and SASL ANONYMOUS.
        s.writer.send(&self.stream_header()).await?;
        let features = s.reader.features().await?;
        if !offers_mechanism(&features, "ANONYMOUS") {
            return Err(
                if features.contains("<required") && features.contains("starttls") {
                    "server requires STARTTLS (the bench speaks plain XMPP only)".to_string()
                } else {
                    format!("server does not offer SASL ANONYMOUS: {features}")
                },
            );
        }
        s.writer
            .send(&format!("<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>"))
            .await?;
        let answer = s.reader.stanza().await?;
        match element_name(&answer) {
            "success" => {}
            "failure" => {
                return Err(format!(
                    "SASL ANONYMOUS refused: {}",
                    failure_condition(&answer)
                ))
            }
            other => return Err(format!("unexpected <{other}> during SASL")),
        }

        // Restarted stream, resource binding, legacy session.
        s.writer.send(&self.stream_header()).await?;
        let features = s.reader.features().await?;
        if !features.contains(NS_BIND) {
            return Err("server does not offer resource binding".into());
        }
        s.writer
            .send(&format!(
                "<iq type='set' id='bind1'><bind xmlns='{NS_BIND}'><resource>{}</resource></bind></iq>",
                escape(resource)
            ))
            .await?;
        let result = s.reader.iq_result("bind1").await?;
        s.jid = child_text(&result, "jid")
            .filter(|j| !j.is_empty())
            .ok_or("bind result without <jid>")?;
        if session_required(&features) {
            s.writer
                .send(&format!(
                    "<iq type='set' id='sess1'><session xmlns='{NS_SESSION}'/></iq>"
                ))
                .await?;
            s.reader.iq_result("sess1").await?;
        }

        if available {
            s.writer
                .send(&format!(
                    "<presence/><iq type='get' id='ping1' to='{}'><ping xmlns='{NS_PING}'/></iq>",
                    escape(&self.domain)
                ))
                .await?;
            // A result or an error (no ping support) both prove the presence went first.
            s.reader.iq_answer("ping1").await?;
        }
        Ok(s)
    }
}

/// One logged-in stream.
struct Session {
    reader: Reader,
    writer: Writer,
    /// The bound full JID (`user@domain/resource`).
    jid: String,
}

struct Writer {
    wr: OwnedWriteHalf,
    timeout: Duration,
}

impl Writer {
    async fn send(&mut self, xml: &str) -> Result<()> {
        match tokio::time::timeout(self.timeout, self.wr.write_all(xml.as_bytes())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write: {e}")),
            Err(_) => Err("write: timed out".into()),
        }
    }

    /// Close the stream politely and the socket's sending side.
    async fn close(mut self) {
        let _ = self.send("</stream:stream>").await;
        let _ = tokio::time::timeout(self.timeout, self.wr.shutdown()).await;
    }
}

/// The receiving half of a stream: socket, scanner, and the timeout of each wait.
struct Reader {
    rd: OwnedReadHalf,
    scan: Scanner,
    chunk: Box<[u8]>,
    timeout: Duration,
}

impl Reader {
    fn new(rd: OwnedReadHalf, timeout: Duration) -> Self {
        Reader {
            rd,
            scan: Scanner::default(),
            chunk: vec![0u8; READ_CHUNK].into_boxed_slice(),
            timeout,
        }
    }

    /// The next item, waiting at most until `deadline`. Cancel-safe: bytes already read are
    /// kept in the scanner.
    async fn next_until(&mut self, deadline: Instant) -> Result<Item> {
        loop {
            if let Some(item) = self.scan.next_item()? {
                return Ok(item);
            }
            let n = match tokio::time::timeout_at(deadline, self.rd.read(&mut self.chunk)).await {
                Ok(Ok(0)) => return Err("connection closed by the server".into()),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(format!("read: {e}")),
                Err(_) => return Err("read: timed out".into()),
            };
            self.scan.push(&self.chunk[..n]);
        }
    }

    /// The next top-level stanza (stream headers skipped), within the reader's timeout.
    async fn stanza(&mut self) -> Result<String> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.next_until(deadline).await? {
                Item::StreamOpen => continue,
                Item::StreamClose => return Err("stream closed by the server".into()),
                Item::Stanza(s) if element_name(&s) == "stream:error" => {
                    return Err(format!("stream error: {s}"))
                }
                Item::Stanza(s) => return Ok(s),
            }
        }
    }

    /// The stream features that follow a (re)opened stream.
    async fn features(&mut self) -> Result<String> {
        loop {
            let s = self.stanza().await?;
            if element_name(&s) == "stream:features" {
                return Ok(s);
            }
        }
    }

    /// Wait for the answer to the iq `id`, of either type.
    async fn iq_answer(&mut self, id: &str) -> Result<String> {
        loop {
            let s = self.stanza().await?;
            if element_name(&s) == "iq" && attr(&s, "id").as_deref() == Some(id) {
                return Ok(s);
            }
        }
    }

    /// Wait for the successful answer to the iq `id`.
    async fn iq_result(&mut self, id: &str) -> Result<String> {
        let s = self.iq_answer(id).await?;
        match attr(&s, "type").as_deref() {
            Some("result") => Ok(s),
            _ => Err(format!("iq {id} failed: {s}")),
        }
    }
}

/// An idle connection kept by `hold`: a task owns the stream, drains what the server sends and
/// answers its pings; dropping this ends the task, which closes the socket.
struct HeldStream {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HeldStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[async_trait]
impl Driver for XmppDriver {
    fn name(&self) -> String {
        "xmpp".into()
    }

    async fn run_pair(
        &self,
        sender: String,
        receiver: String,
        plan: PairPlan,
        ready: Arc<tokio::sync::Barrier>,
        stats: Arc<Stats>,
    ) -> Result<()> {
        let drain = plan.drain_timeout;
        let (tx_conn, rx_conn) = tokio::join!(
            self.login(&sender, true, drain),
            self.login(&receiver, true, drain)
        );
        // Wait even when a login failed, so the other pairs are not left at the barrier.
        ready.wait().await;
        let (tx_conn, rx_conn) = (tx_conn?, rx_conn?);
        let clock = self.clock;
        let n = plan.messages as usize;
        let to = escape(&rx_conn.jid);
        let window = Arc::new(Semaphore::new(plan.window.max(1)));
        // When the sender made its last send: the receiver waits for stragglers until `drain`
        // after it.
        let (done_tx, mut done_rx) = watch::channel(None::<Instant>);

        // Receiver: count deliveries by seq, give a window permit back per delivery.
        let rx_stats = stats.clone();
        let rx_window = window.clone();
        let Session {
            reader: mut rx,
            writer: rx_writer,
            ..
        } = rx_conn;
        let receiving = tokio::spawn(async move {
            let mut receipts = Receipts::new(n, rx_stats.clone(), clock);
            let mut done_at: Option<Instant> = None;
            let mut last_progress = Instant::now();
            while !receipts.complete() {
                if done_at.is_none() {
                    done_at = *done_rx.borrow();
                }
                // Before the last send: give up after `drain` without any delivery; after it:
                // `drain` after the last send.
                let deadline = done_at.unwrap_or(last_progress) + drain;
                let item = tokio::select! {
                    item = rx.next_until(deadline) => item,
                    changed = done_rx.changed(), if done_at.is_none() => {
                        if changed.is_err() {
                            done_at = Some(Instant::now());
                        }
                        continue;
                    }
                };
                let stanza = match item {
                    Ok(Item::Stanza(s)) => s,
                    Ok(Item::StreamOpen) => continue,
                    Ok(Item::StreamClose) | Err(_) => break,
                };
                let Some(text) = chat_body(&stanza) else {
                    continue;
                };
                let Some((seq, sent_ns)) = parse_payload(&text) else {
                    continue;
                };
                if receipts.arrived(seq, sent_ns) {
                    rx_stats.acked.fetch_add(1, Ordering::Relaxed);
                    rx_window.add_permits(1);
                    last_progress = Instant::now();
                }
            }
            receipts.finish();
            rx_writer.close().await;
        });

        // Sender: drain its own stream meanwhile (self-presence, bounces), counting bounced
        // messages as failures.
        let Session {
            reader: mut tx_reader,
            writer: mut tx_writer,
            ..
        } = tx_conn;
        let bounce_stats = stats.clone();
        let bounces = tokio::spawn(async move {
            let far = Instant::now() + Duration::from_secs(365 * 86_400);
            while let Ok(item) = tx_reader.next_until(far).await {
                if let Item::Stanza(s) = item {
                    if element_name(&s) == "message" && attr(&s, "type").as_deref() == Some("error")
                    {
                        bounce_stats.failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        let mut pacer = Pacer::new(plan.rate);
        for i in 0..plan.messages {
            pacer.wait().await;
            // Deliveries release the window; if none comes for `drain`, stop sending.
            match tokio::time::timeout(drain, window.acquire()).await {
                Ok(Ok(permit)) => permit.forget(),
                _ => {
                    stats.failures.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            let now = clock.now_ns();
            stats.on_send(now);
            let stanza = format!(
                "<message to='{to}' type='chat' id='{i}'><body>{}</body></message>",
                payload(i, now)
            );
            if tx_writer.send(&stanza).await.is_err() {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        let _ = done_tx.send(Some(Instant::now()));
        let _ = receiving.await;
        bounces.abort();
        tx_writer.close().await;
        Ok(())
    }

    async fn login_once(&self, user: String) -> Result<()> {
        let s = self.login(&user, false, self.io_timeout).await?;
        s.writer.close().await;
        Ok(())
    }

    async fn hold(&self, user: String) -> Result<Box<dyn Held>> {
        let Session {
            mut reader,
            mut writer,
            ..
        } = self.login(&user, true, self.io_timeout).await?;
        let task = tokio::spawn(async move {
            let far = Instant::now() + Duration::from_secs(365 * 86_400);
            while let Ok(item) = reader.next_until(far).await {
                let Item::Stanza(s) = item else { continue };
                if let Some(reply) = ping_reply(&s) {
                    if writer.send(&reply).await.is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Box::new(HeldStream { task }))
    }
}

// ---------------------------------------------------------------------------------------------
// The scanner and the stanza helpers: pure functions, unit-tested below.

/// What the scanner cuts out of the incoming stream.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    /// `<stream:stream ...>` (the server's stream header; also after a restart).
    StreamOpen,
    /// `</stream:stream>`.
    StreamClose,
    /// One complete top-level element, as received (`<message ...>...</message>`).
    Stanza(String),
}

/// Splits the bytes of an XMPP stream into [`Item`]s, however the reads cut them.
#[derive(Default)]
struct Scanner {
    buf: Vec<u8>,
    /// Start of the bytes not yet consumed.
    start: usize,
}

/// The kinds of markup the scanner tells apart.
#[derive(Debug, PartialEq, Eq)]
enum Tag<'a> {
    Open(&'a [u8]),
    Close(&'a [u8]),
    Empty,
    /// Processing instruction, comment, CDATA section or declaration: no effect on depth.
    Other,
}

impl Scanner {
    fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && (self.start == self.buf.len() || self.start > self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete item, or `None` until more bytes arrive.
    fn next_item(&mut self) -> Result<Option<Item>> {
        loop {
            let b = &self.buf[self.start..];
            // Text between top-level elements (whitespace keep-alives) is skipped.
            let Some(lt) = b.iter().position(|&c| c == b'<') else {
                self.start = self.buf.len();
                return Ok(None);
            };
            let Some(end) = tag_end(b, lt) else {
                self.start += lt;
                return self.too_big();
            };
            let item_end = match classify(&b[lt..end]) {
                Tag::Other => {
                    self.start += end;
                    continue;
                }
                Tag::Open(name) if local_name(name) == b"stream" => {
                    self.start += end;
                    return Ok(Some(Item::StreamOpen));
                }
                Tag::Close(name) if local_name(name) == b"stream" => {
                    self.start += end;
                    return Ok(Some(Item::StreamClose));
                }
                Tag::Close(name) => {
                    return Err(format!(
                        "unexpected closing tag </{}>",
                        String::from_utf8_lossy(name)
                    ));
                }
                Tag::Empty => end,
                Tag::Open(_) => match element_end(b, end) {
                    Some(e) => e,
                    None => {
                        self.start += lt;
                        return self.too_big();
                    }
                },
            };
            let text = String::from_utf8(b[lt..item_end].to_vec())
                .map_err(|_| "stanza is not UTF-8".to_string())?;
            self.start += item_end;
            return Ok(Some(Item::Stanza(text)));
        }
    }

    fn too_big(&self) -> Result<Option<Item>> {
        if self.buf.len() - self.start > MAX_ELEMENT {
            Err(format!("incoming element larger than {MAX_ELEMENT} bytes"))
        } else {
            Ok(None)
        }
    }
}

/// Index just past the markup that starts with `<` at `b[at]`, or `None` if it is incomplete.
/// Quoted attribute values may contain `>`.
fn tag_end(b: &[u8], at: usize) -> Option<usize> {
    let rest = &b[at..];
    let closer: Option<&[u8]> = if rest.starts_with(b"<!--") {
        Some(b"-->")
    } else if rest.starts_with(b"<![CDATA[") {
        Some(b"]]>")
    } else if rest.starts_with(b"<?") {
        Some(b"?>")
    } else if rest.len() < 9 && (b"<!--".starts_with(rest) || b"<![CDATA[".starts_with(rest)) {
        return None; // too short to tell which
    } else {
        None
    };
    if let Some(closer) = closer {
        return find(rest, closer, 2).map(|i| at + i + closer.len());
    }
    let mut quote = None;
    for (i, &c) in rest.iter().enumerate().skip(1) {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(at + i + 1),
            _ => {}
        }
    }
    None
}

/// What a complete piece of markup (`<...>`) is.
fn classify(tag: &[u8]) -> Tag<'_> {
    if tag.starts_with(b"<?") || tag.starts_with(b"<!") {
        return Tag::Other;
    }
    if let Some(rest) = tag.strip_prefix(b"</") {
        return Tag::Close(name_prefix(rest));
    }
    if tag.ends_with(b"/>") {
        return Tag::Empty;
    }
    Tag::Open(name_prefix(&tag[1..]))
}

/// The element name at the start of `b` (up to whitespace, `/` or `>`).
fn name_prefix(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
        .unwrap_or(b.len());
    &b[..end]
}

fn local_name(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&c| c == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Index just past the end tag matching an element whose start tag ends at `from`, or `None`
/// if the element is incomplete.
fn element_end(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    loop {
        let lt = i + b[i..].iter().position(|&c| c == b'<')?;
        let end = tag_end(b, lt)?;
        match classify(&b[lt..end]) {
            Tag::Open(_) => depth += 1,
            Tag::Close(_) => {
                depth -= 1;
                if depth == 0 {
                    return Some(end);
                }
            }
            Tag::Empty | Tag::Other => {}
        }
        i = end;
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// The name of a stanza's top element (`"message"`, `"stream:features"`, ...).
fn element_name(stanza: &str) -> &str {
    let rest = stanza.strip_prefix('<').unwrap_or(stanza);
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The value of attribute `key` on a stanza's top element, entities decoded.
fn attr(stanza: &str, key: &str) -> Option<String> {
    let head_end = tag_end(stanza.as_bytes(), 0).unwrap_or(stanza.len());
    let head = &stanza[..head_end];
    let mut rest = &head[1 + element_name(stanza).len()..];
    loop {
        rest = rest.trim_start();
        let eq = rest.find('=')?;
        let name = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let close = after[1..].find(quote)?;
        if name == key {
            return Some(unescape(&after[1..1 + close]));
        }
        rest = &after[close + 2..];
    }
}

/// The first element named `name` anywhere inside `xml` (start tag to end tag, or the empty
/// tag), as a slice of `xml`.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let b = xml.as_bytes();
    let open = format!("<{name}");
    let mut from = 0;
    let start = loop {
        let i = from + xml[from..].find(&open)?;
        match b.get(i + open.len()) {
            Some(c) if c.is_ascii_whitespace() || *c == b'>' || *c == b'/' => break i,
            _ => from = i + 1,
        }
    };
    let head_end = tag_end(b, start)?;
    if b[..head_end].ends_with(b"/>") {
        return Some(&xml[start..head_end]);
    }
    let end = element_end(b, head_end)?;
    Some(&xml[start..end])
}

/// The decoded text content of the first `name` element inside `xml` (`""` for an empty one).
fn child_text(xml: &str, name: &str) -> Option<String> {
    let el = element(xml, name)?;
    if el.ends_with("/>") && !el.contains("</") {
        return Some(String::new());
    }
    let inner_start = tag_end(el.as_bytes(), 0)?;
    let inner_end = el.rfind("</")?;
    Some(text_content(&el[inner_start..inner_end]))
}

/// Character data of a fragment: entities decoded, CDATA sections taken literally, child
/// markup dropped.
fn text_content(fragment: &str) -> String {
    let b = fragment.as_bytes();
    let mut out = String::with_capacity(fragment.len());
    let mut i = 0;
    while i < fragment.len() {
        let next = fragment[i..].find('<').map_or(fragment.len(), |p| i + p);
        out.push_str(&unescape(&fragment[i..next]));
        if next == fragment.len() {
            break;
        }
        let Some(end) = tag_end(b, next) else { break };
        if let Some(cdata) = fragment[next..end].strip_prefix("<![CDATA[") {
            out.push_str(cdata.strip_suffix("]]>").unwrap_or(cdata));
        }
        i = end;
    }
    out
}

/// Decode the predefined XML entities and character references; anything else stays as is.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 12).and_then(|semi| {
            let ch = match &rest[1..semi] {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "quot" => Some('"'),
                e => match e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                    None => e
                        .strip_prefix('#')
                        .and_then(|d| d.parse().ok())
                        .and_then(char::from_u32),
                },
            };
            ch.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escape text for element content or a single- or double-quoted attribute value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether the features offer SASL mechanism `mech`.
fn offers_mechanism(features: &str, mech: &str) -> bool {
    let Some(mut rest) = element(features, "mechanisms") else {
        return false;
    };
    while let Some(m) = element(rest, "mechanism") {
        if child_text(m, "mechanism").is_some_and(|t| t.trim() == mech) {
            return true;
        }
        let at = rest.find(m).unwrap_or(0) + m.len();
        rest = &rest[at..];
    }
    false
}

/// Whether the features still require the RFC 3921 session request (advertised and not
/// marked `<optional/>`).
fn session_required(features: &str) -> bool {
    match element(features, "session") {
        Some(s) if s.contains(NS_SESSION) => element(s, "optional").is_none(),
        _ => false,
    }
}

/// The defined condition of a SASL `<failure>` (the name of its first child element).
fn failure_condition(failure: &str) -> String {
    let inner_start = tag_end(failure.as_bytes(), 0).unwrap_or(failure.len());
    let inner = &failure[inner_start..];
    match inner.find('<') {
        Some(i) if !inner[i..].starts_with("</") => element_name(&inner[i..]).to_string(),
        _ => failure.to_string(),
    }
}

/// The body of a chat (or normal) message stanza; `None` for anything else, for error bounces
/// and for messages without a body (chat states, receipts).
fn chat_body(stanza: &str) -> Option<String> {
    if element_name(stanza) != "message" || attr(stanza, "type").as_deref() == Some("error") {
        return None;
    }
    child_text(stanza, "body")
}

/// The answer to a server's `<iq type='get'>` ping (XEP-0199), if `stanza` is one.
fn ping_reply(stanza: &str) -> Option<String> {
    if element_name(stanza) != "iq"
        || attr(stanza, "type").as_deref() != Some("get")
        || !stanza.contains(NS_PING)
    {
        return None;
    }
    let id = escape(&attr(stanza, "id").unwrap_or_default());
    Some(match attr(stanza, "from") {
        Some(from) => format!("<iq type='result' id='{id}' to='{}'/>", escape(&from)),
        None => format!("<iq type='result' id='{id}'/>"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(chunks: &[&[u8]]) -> Vec<Item> {
        let mut s = Scanner::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c);
            while let Some(item) = s.next_item().unwrap() {
                out.push(item);
            }
        }
        out
    }

    const SERVER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='bench.local' version='1.0' xml:lang='en'>\
        <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
        <mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>\n \
        <message from='a@bench.local/x' to='b@bench.local/y' type='chat' id='7'><body>7 123</body></message>\
        <presence/></stream:stream>";

    fn expected() -> Vec<Item> {
        vec![
            Item::StreamOpen,
            Item::Stanza(
                "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
                 <mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>"
                    .into(),
            ),
            Item::Stanza(
                "<message from='a@bench.local/x' to='b@bench.local/y' type='chat' id='7'><body>7 123</body></message>".into(),
            ),
            Item::Stanza("<presence/>".into()),
            Item::StreamClose,
        ]
    }

    #[test]
    fn scanner_reads_a_whole_stream() {
        assert_eq!(scan_all(&[SERVER.as_bytes()]), expected());
    }

    #[test]
    fn scanner_handles_every_split_point() {
        let b = SERVER.as_bytes();
        for cut in 0..=b.len() {
            assert_eq!(
                scan_all(&[&b[..cut], &b[cut..]]),
                expected(),
                "split at {cut}"
            );
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = b.chunks(1).collect();
        assert_eq!(scan_all(&bytes), expected());
    }

    #[test]
    fn scanner_splits_inside_multibyte_text() {
        let msg = "<message type='chat'><body>é€ 5 6</body></message>".as_bytes();
        let at = msg.iter().position(|&c| c >= 0x80).unwrap() + 1; // inside 'é'
        let items = scan_all(&[&msg[..at], &msg[at..]]);
        assert_eq!(items.len(), 1);
        let Item::Stanza(s) = &items[0] else { panic!() };
        assert_eq!(chat_body(s).as_deref(), Some("é€ 5 6"));
    }

    #[test]
    fn scanner_allows_gt_in_attributes_comments_and_cdata() {
        let s = "<message id='a>b' type=\"chat\"><!-- x </message> --><body><![CDATA[1 <2>]]></body></message><r/>";
        let items = scan_all(&[s.as_bytes()]);
        assert_eq!(items.len(), 2);
        let Item::Stanza(m) = &items[0] else { panic!() };
        assert_eq!(attr(m, "id").as_deref(), Some("a>b"));
        assert_eq!(attr(m, "type").as_deref(), Some("chat"));
        assert_eq!(chat_body(m).as_deref(), Some("1 <2>"));
        assert_eq!(items[1], Item::Stanza("<r/>".into()));
    }

    #[test]
    fn scanner_rejects_stray_close_and_oversized_elements() {
        let mut s = Scanner::default();
        s.push(b"</iq>");
        assert!(s.next_item().is_err());
        let mut s = Scanner::default();
        s.push(b"<message><body>");
        s.push(&vec![b'x'; MAX_ELEMENT + 1]);
        assert!(s.next_item().is_err());
    }

    #[test]
    fn entities_in_body_are_decoded() {
        let m = "<message type='chat'><body>a &lt;b&gt; &amp; &apos;c&apos; &quot;d&quot; &#65;&#x42; &bogus; &</body></message>";
        assert_eq!(
            chat_body(m).as_deref(),
            Some("a <b> & 'c' \"d\" AB &bogus; &")
        );
        assert_eq!(unescape(&escape("<a & 'b' \"c\">")), "<a & 'b' \"c\">");
        assert_eq!(escape("x'y"), "x&apos;y");
    }

    #[test]
    fn entities_split_across_reads() {
        let m = b"<message type='chat'><body>1 &amp; 2</body></message>";
        for cut in 0..m.len() {
            let items = scan_all(&[&m[..cut], &m[cut..]]);
            let Item::Stanza(s) = &items[0] else { panic!() };
            assert_eq!(chat_body(s).as_deref(), Some("1 & 2"));
        }
    }

    #[test]
    fn chat_body_ignores_errors_and_bodyless_messages() {
        assert_eq!(
            chat_body("<message type='error' id='1'><body>1 2</body><error/></message>"),
            None
        );
        assert_eq!(chat_body("<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"), None);
        assert_eq!(chat_body("<presence><body>1 2</body></presence>"), None);
        assert_eq!(
            chat_body("<message><bodyx>no</bodyx><body/></message>").as_deref(),
            Some("")
        );
        // A live message with extra children (MAM stanza-id) still has its body read.
        let m = "<message type='chat' to='b@bench.local/r'><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='b@bench.local'/>\
                 <body>3 99</body></message>";
        assert_eq!(
            chat_body(m).as_deref().and_then(parse_payload),
            Some((3, 99))
        );
    }

    #[test]
    fn bound_jid_is_extracted() {
        let r = "<iq type='result' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <jid>17xyz@bench.local/u&amp;1</jid></bind></iq>";
        assert_eq!(element_name(r), "iq");
        assert_eq!(attr(r, "id").as_deref(), Some("bind1"));
        assert_eq!(attr(r, "type").as_deref(), Some("result"));
        assert_eq!(attr(r, "missing"), None);
        assert_eq!(
            child_text(r, "jid").as_deref(),
            Some("17xyz@bench.local/u&1")
        );
        assert_eq!(
            child_text("<iq type=\"result\" id=\"bind1\"/>", "jid"),
            None
        );
        // Whitespace around '=' and double quotes are allowed.
        assert_eq!(
            attr("<iq id = \"x'y\" type='result'/>", "id").as_deref(),
            Some("x'y")
        );
    }

    #[test]
    fn features_are_understood() {
        let before = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
                      <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>\
                      <mechanism> ANONYMOUS </mechanism></mechanisms></stream:features>";
        assert!(offers_mechanism(before, "ANONYMOUS"));
        assert!(!offers_mechanism(before, "PLAIN"));
        assert!(!offers_mechanism("<stream:features/>", "ANONYMOUS"));
        let optional = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
                        <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features>";
        assert!(!session_required(optional));
        let required = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
                        <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>";
        assert!(session_required(required));
        assert!(!session_required(
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        ));
        assert_eq!(
            failure_condition(
                "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"
            ),
            "not-authorized"
        );
        assert_eq!(
            element_name("<stream:features>x</stream:features>"),
            "stream:features"
        );
    }

    #[test]
    fn pings_are_answered() {
        let ping = "<iq from='bench.local' to='a@bench.local/r' id='s2c1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>";
        assert_eq!(
            ping_reply(ping).as_deref(),
            Some("<iq type='result' id='s2c1' to='bench.local'/>")
        );
        assert_eq!(ping_reply("<iq type='result' id='x'/>"), None);
        assert_eq!(
            ping_reply("<message type='chat'><body>urn:xmpp:ping</body></message>"),
            None
        );
    }
}
