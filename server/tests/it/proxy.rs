//! A loopback HTTP forward proxy that makes a bad connection on purpose: the CLI under test
//! reaches both the API and the object endpoint through it (`HTTP_PROXY`), so it also proves
//! that the proxy settings are honoured. One request per connection (`Connection: close` is
//! forced), so each request is seen whole:
//! - every request is recorded (method, path and query), with the body bytes that passed;
//! - `bandwidth`: bytes per second per connection for request bodies;
//! - `reset_every`: of the part `PUT`s, those whose sequence number `n` has `n % 10` in the
//!   set are cut with a TCP reset halfway through their body (`{2, 5, 8}` = 30%);
//! - `outage`: until then, every connection is reset at once;
//! - `refuse_puts`: that many part `PUT`s are answered 503 with `Retry-After: 1`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Body bytes that reached the upstream.
    pub body_bytes: u64,
    pub cut: bool,
    /// Answered `503` with `Retry-After: 1` by the proxy itself.
    pub refused: bool,
}

impl Seen {
    /// The `partNumber` of a part `PUT`.
    pub fn part(&self) -> Option<u32> {
        if self.method != "PUT" {
            return None;
        }
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("partNumber="))
            .and_then(|n| n.parse().ok())
    }
}

#[derive(Debug, Default)]
pub struct Faults {
    pub bandwidth: Mutex<Option<u64>>,
    pub reset_every: Mutex<HashSet<u64>>,
    pub outage_until: Mutex<Option<Instant>>,
    /// The next this many part `PUT`s are answered `503 Service Unavailable`, `Retry-After: 1`
    /// (after their whole body was read, so the client sees the answer).
    pub refuse_puts: Mutex<u32>,
}

#[derive(Debug)]
pub struct Proxy {
    pub url: String,
    pub faults: Arc<Faults>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes passed upstream since start (read while a transfer runs).
    pub body_bytes: Arc<AtomicU64>,
    puts: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let proxy = Proxy {
            url,
            faults: Arc::default(),
            seen: Arc::default(),
            body_bytes: Arc::default(),
            puts: Arc::default(),
        };
        let (faults, seen, bytes, puts) = (
            proxy.faults.clone(),
            proxy.seen.clone(),
            proxy.body_bytes.clone(),
            proxy.puts.clone(),
        );
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let conn = Connection {
                    faults: faults.clone(),
                    seen: seen.clone(),
                    bytes: bytes.clone(),
                    puts: puts.clone(),
                };
                tokio::spawn(async move { conn.serve(client).await });
            }
        });
        proxy
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("proxy state").clone()
    }

    pub fn clear(&self) {
        self.seen.lock().expect("proxy state").clear();
    }

    pub fn part_puts(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.part().is_some())
            .collect()
    }
}

struct Connection {
    faults: Arc<Faults>,
    seen: Arc<Mutex<Vec<Seen>>>,
    bytes: Arc<AtomicU64>,
    puts: Arc<AtomicU64>,
}

/// Closes with a TCP reset (RST) instead of a clean FIN.
fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

impl Connection {
    /// Answers 503 itself if a refusal is due: reads the body to its end first.
    async fn refuse(&self, client: &mut TcpStream, start: &[u8], length: u64) -> bool {
        {
            let mut due = self.faults.refuse_puts.lock().expect("proxy state");
            if *due == 0 {
                return false;
            }
            *due -= 1;
        }
        let mut read = start.len() as u64;
        let mut chunk = vec![0u8; 64 * 1024];
        while read < length {
            match client.read(&mut chunk).await {
                Ok(0) | Err(_) => return true,
                Ok(n) => read += n as u64,
            }
        }
        let answer = "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
                      content-length: 0\r\nconnection: close\r\n\r\n";
        let _ = client.write_all(answer.as_bytes()).await;
        let _ = client.shutdown().await;
        true
    }

    async fn serve(self, mut client: TcpStream) {
        let outage = *self.faults.outage_until.lock().expect("proxy state");
        if outage.is_some_and(|until| Instant::now() < until) {
            return reset(client);
        }
        let mut buffer = Vec::new();
        let head_end = loop {
            let mut chunk = [0u8; 8192];
            let Ok(n) = client.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            if buffer.len() > 64 * 1024 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let mut words = request_line.split(' ');
        let (method, target) = (
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
        );
        let Some(rest) = target.strip_prefix("http://") else {
            return reset(client);
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let mut length = 0u64;
        let mut out = format!("{method} {path} HTTP/1.1\r\n");
        for line in lines.filter(|l| !l.is_empty()) {
            let name = line
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "connection" | "proxy-connection" | "keep-alive"
            ) {
                continue;
            }
            if name == "content-length" {
                length = line[15..].trim().parse().unwrap_or(0);
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("connection: close\r\n\r\n");

        let mut record = Seen {
            method: method.to_string(),
            target: path.to_string(),
            body_bytes: 0,
            cut: false,
            refused: false,
        };
        if record.part().is_some() && self.refuse(&mut client, &buffer[head_end..], length).await {
            record.refused = true;
            self.seen.lock().expect("proxy state").push(record);
            return;
        }
        let cut_at = (record.part().is_some()).then(|| {
            let n = self.puts.fetch_add(1, Ordering::SeqCst);
            self.faults
                .reset_every
                .lock()
                .expect("proxy state")
                .contains(&(n % 10))
        });
        let cut_at = cut_at.unwrap_or(false).then_some(length / 2);
        let Ok(mut upstream) = TcpStream::connect(authority).await else {
            return reset(client);
        };
        if upstream.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        let bandwidth = *self.faults.bandwidth.lock().expect("proxy state");
        let mut pending = buffer[head_end..].to_vec();
        let started = Instant::now();
        let mut client_gone = false;
        while record.body_bytes < length {
            if pending.is_empty() {
                let mut chunk = vec![0u8; 64 * 1024];
                match client.read(&mut chunk).await {
                    Ok(0) | Err(_) => {
                        client_gone = true;
                        break;
                    }
                    Ok(n) => pending.extend_from_slice(&chunk[..n]),
                }
            }
            let mut take = pending.len().min((length - record.body_bytes) as usize);
            if let Some(cut) = cut_at {
                take = take.min((cut - record.body_bytes) as usize);
            }
            if upstream.write_all(&pending[..take]).await.is_err() {
                break;
            }
            pending.drain(..take);
            record.body_bytes += take as u64;
            self.bytes.fetch_add(take as u64, Ordering::SeqCst);
            if cut_at == Some(record.body_bytes) {
                record.cut = true;
                self.seen.lock().expect("proxy state").push(record);
                reset(upstream);
                return reset(client);
            }
            if let Some(rate) = bandwidth {
                let due = Duration::from_secs_f64(record.body_bytes as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            let outage = *self.faults.outage_until.lock().expect("proxy state");
            if outage.is_some_and(|until| Instant::now() < until) {
                record.cut = true;
                self.seen.lock().expect("proxy state").push(record);
                reset(upstream);
                return reset(client);
            }
        }
        if client_gone {
            // The client went away mid-body: the upstream must not wait for the rest.
            record.cut = true;
            self.seen.lock().expect("proxy state").push(record);
            return reset(upstream);
        }
        // Done, or the upstream answered early (e.g. a 403 before the body): relay its answer.
        self.seen.lock().expect("proxy state").push(record);
        let (mut from_upstream, _keep) = upstream.into_split();
        let _ = tokio::io::copy(&mut from_upstream, &mut client).await;
        let _ = client.shutdown().await;
    }
}
