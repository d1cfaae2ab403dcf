//! A real SMTP server for the tests, on 127.0.0.1 and a free port: it accepts every message
//! and keeps it, so a test can read what the application sent. It speaks the part of SMTP
//! that lettre uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and answers 502 to the
//! rest, so no outside program is needed.

// Each test uses the parts it needs; the ones no test uses yet are kept for the next.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A message is refused past this size; a runaway client should fail its test, not fill the
/// memory of the machine running the suite.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
const MAX_LINE_BYTES: usize = 64 * 1024;

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    accept_task: JoinHandle<()>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without the angle brackets.
    pub to: Vec<String>,
    /// The message as the client formatted it: what came after DATA, dot-unstuffed, up to the
    /// terminating `\r\n.\r\n`; CRLF line ends.
    pub data: String,
}

impl SmtpSink {
    /// Listens on 127.0.0.1 on a free port until the sink is dropped.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("SMTP sink: bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("SMTP sink: local address")
            .port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        let accept_task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors and the like: try again shortly rather than
                    // stop listening, so the test sees the real failure at its assertion.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    // A client that hangs up mid-session is the client's business; the
                    // messages it completed are already stored.
                    let _ = serve(stream, store).await;
                });
            }
        });
        SmtpSink {
            port,
            received,
            accept_task,
        }
    }

    /// The messages that arrived so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Waits until at least `n` messages arrived and returns them all; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() >= deadline {
                let subjects: Vec<_> = messages.iter().map(ReceivedMail::subject).collect();
                panic!(
                    "SMTP sink on port {}: expected at least {n} message(s) within {timeout:?}, \
                     got {}; subjects: {subjects:?}. Were the jobs run (app.run_jobs()) and does \
                     the SMTP configuration point at this port?",
                    self.port,
                    messages.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// One SMTP session, until QUIT or the client hangs up.
async fn serve(stream: TcpStream, store: Arc<Mutex<Vec<ReceivedMail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 localhost kotapintar test SMTP sink\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut read).await? else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let reply: &[u8] = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                from = None;
                to.clear();
                // lettre refuses non-ASCII bodies without 8BITMIME and non-ASCII addresses
                // without SMTPUTF8; offering both lets either reach the test.
                b"250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => {
                from = None;
                to.clear();
                b"250 localhost\r\n"
            }
            "MAIL" => match path_argument(arg, "FROM:") {
                Some(sender) => {
                    from = Some(sender);
                    to.clear();
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&from, path_argument(arg, "TO:")) {
                (None, _) => b"503 5.5.1 MAIL first\r\n",
                (Some(_), Some(recipient)) if !recipient.is_empty() => {
                    to.push(recipient);
                    b"250 2.1.5 OK\r\n"
                }
                (Some(_), _) => b"501 5.5.4 Syntax: RCPT TO:<address>\r\n",
            },
            "DATA" => match (&from, to.is_empty()) {
                (None, _) => b"503 5.5.1 MAIL first\r\n",
                (Some(_), true) => b"503 5.5.1 RCPT first\r\n",
                (Some(sender), false) => {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let Some(data) = read_data(&mut read).await? else {
                        return Ok(());
                    };
                    match data {
                        Data::TooLarge => b"552 5.3.4 Message too big\r\n",
                        Data::Complete(data) => {
                            let mail = ReceivedMail {
                                from: sender.clone(),
                                to: std::mem::take(&mut to),
                                data,
                            };
                            from = None;
                            store
                                .lock()
                                .unwrap_or_else(|poisoned| poisoned.into_inner())
                                .push(mail);
                            b"250 2.0.0 OK queued\r\n"
                        }
                    }
                }
            },
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// `FROM:<a@b> BODY=8BITMIME` → `a@b`; the parameters lettre adds are accepted and ignored.
fn path_argument(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

/// One line with its line end, `None` at the end of the stream.
async fn read_line(read: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let n = read
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
        .await?;
    Ok((n > 0).then_some(line))
}

enum Data {
    Complete(String),
    TooLarge,
}

/// The message after DATA, up to the line holding only a dot; `None` if the client hung up.
async fn read_data(read: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Option<Data>> {
    let mut data = Vec::new();
    let mut too_large = false;
    loop {
        let Some(line) = read_line(read).await? else {
            return Ok(None);
        };
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        // Dot-stuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + line.len() > MAX_MESSAGE_BYTES {
            too_large = true;
        } else {
            data.extend_from_slice(line);
        }
    }
    // The line end before the dot opens the terminator `\r\n.\r\n`; the client added it,
    // it is not part of the message it formatted.
    if data.ends_with(b"\r\n") {
        data.truncate(data.len() - 2);
    } else if data.ends_with(b"\n") {
        data.truncate(data.len() - 1);
    }
    Ok(Some(if too_large {
        Data::TooLarge
    } else {
        Data::Complete(String::from_utf8_lossy(&data).into_owned())
    }))
}

impl ReceivedMail {
    /// The value of the first header `name` (case-insensitive), unfolded, not decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.split();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(value) = found.as_mut() {
                if line.starts_with([' ', '\t']) {
                    value.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((field, value)) = line.split_once(':') {
                if field.trim().eq_ignore_ascii_case(name) {
                    found = Some(value.trim_start().to_owned());
                }
            }
        }
        found.map(|v| v.trim_end().to_owned())
    }

    /// The subject, with RFC 2047 encoded words (`=?utf-8?b?...?=`) decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject").map(|s| decode_encoded_words(&s))
    }

    /// The text body, with its transfer encoding (quoted-printable or base64) undone, read
    /// as UTF-8, and with `\n` line ends so it compares with the text that was sent.
    pub fn body(&self) -> String {
        let (_, body) = self.split();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.trim() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => decode_base64(body),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }

    fn split(&self) -> (&str, &str) {
        self.data
            .split_once("\r\n\r\n")
            .unwrap_or((self.data.as_str(), ""))
    }
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let rest = &bytes[i + 1..];
        if rest.starts_with(b"\r\n") {
            i += 3; // soft line break
        } else if rest.starts_with(b"\n") {
            i += 2;
        } else if let Some(byte) = rest.get(..2).and_then(hex_byte) {
            out.push(byte);
            i += 3;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    // Whitespace, line ends and `=` padding carry no bits.
    for v in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 2047: `=?charset?B|Q?text?=` words; the blanks between two encoded words are dropped.
/// The charset is taken as UTF-8, which is what lettre writes.
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut blank = String::new();
    let mut previous_was_encoded = false;
    for token in value.split_inclusive([' ', '\t']) {
        let word = token.trim_end_matches([' ', '\t']);
        if !word.is_empty() {
            match decode_encoded_word(word) {
                Some(decoded) => {
                    if !previous_was_encoded {
                        out.push_str(&blank);
                    }
                    out.push_str(&decoded);
                    previous_was_encoded = true;
                }
                None => {
                    out.push_str(&blank);
                    out.push_str(word);
                    previous_was_encoded = false;
                }
            }
            blank.clear();
        }
        blank.push_str(&token[word.len()..]);
    }
    out
}

fn decode_encoded_word(word: &str) -> Option<String> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = match encoding {
        "B" | "b" => decode_base64(text),
        "Q" | "q" => decode_quoted_printable(&text.replace('_', " ")),
        _ => return None,
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
