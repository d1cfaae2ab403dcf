//! A unit's own application, connected to kotapintar with nothing but its client token.
//!
//! It shows the whole integration in one small program:
//! 1. it starts a webhook receiver and subscribes it (`POST /api/v1/webhooks`);
//! 2. it pulls its unit's events (`GET /api/v1/events`, long-polling) and, for each request
//!    dispatched to the unit, starts work on it and resolves it
//!    (`POST /api/v1/requests/{code}/steps`);
//! 3. it verifies the signature of each webhook it receives (Standard Webhooks, HMAC-SHA256)
//!    and prints what it got.
//!
//! Run: `cargo run --example unit_app -- --base http://127.0.0.1:8080 --token kp_1_...`
//! With `--once` it stops after it has resolved one request and verified one webhook.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

struct Args {
    base: String,
    token: String,
    listen: String,
    once: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        base: String::new(),
        token: String::new(),
        listen: "127.0.0.1:0".into(),
        once: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--base" => a.base = it.next().ok_or("--base needs a URL")?,
            "--token" => a.token = it.next().ok_or("--token needs a token")?,
            "--listen" => a.listen = it.next().ok_or("--listen needs an address")?,
            "--once" => a.once = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.base.is_empty() || a.token.is_empty() {
        return Err("usage: unit_app --base URL --token TOKEN [--listen ADDR] [--once]".into());
    }
    Ok(a)
}

/// The receiver's state: the signing secret (known once subscribed) and where verified
/// deliveries are reported.
struct Receiver {
    secret: Mutex<Option<String>>,
    verified: mpsc::Sender<String>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (id, ts, sig) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    let Some(secret) = r.secret.lock().await.clone() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let Ok(ts) = ts.parse::<i64>() else {
        return StatusCode::BAD_REQUEST;
    };
    // Reject old messages, so a captured delivery cannot be replayed later.
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return StatusCode::BAD_REQUEST;
    }
    let expected = kotapintar_domain::webhook::sign(&secret, &id, ts, &body).unwrap_or_default();
    // The header may hold several signatures (during secret rotation); one must match.
    if !sig.split(' ').any(|s| s == expected) {
        eprintln!("unit_app: webhook {id} has a bad signature");
        return StatusCode::UNAUTHORIZED;
    }
    println!("webhook {id} verified: {body}");
    let _ = r.verified.send(id).await;
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let http = reqwest::Client::new();
    let (tx, mut verified) = mpsc::channel(16);
    let receiver = Arc::new(Receiver {
        secret: Mutex::new(None),
        verified: tx,
    });
    let listener = tokio::net::TcpListener::bind(&a.listen).await?;
    let hook_url = format!("http://{}/webhook", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/webhook", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // 1. subscribe the receiver
    let sub: serde_json::Value = http
        .post(format!("{}/api/v1/webhooks", a.base))
        .bearer_auth(&a.token)
        .json(&serde_json::json!({ "url": hook_url, "event_types": ["request.resolve"] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    *receiver.secret.lock().await = sub["secret"].as_str().map(str::to_string);
    println!("subscribed {hook_url} as webhook {}", sub["id"]);

    // 2. follow the unit's events
    let mut cursor = 0i64;
    let mut resolved = 0;
    loop {
        let page: serde_json::Value = http
            .get(format!("{}/api/v1/events?after={cursor}&wait=5", a.base))
            .bearer_auth(&a.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for e in page["events"].as_array().cloned().unwrap_or_default() {
            if e["kind"] != "request.dispatch" {
                continue;
            }
            let code = e["subject_id"].as_str().unwrap_or_default();
            for step in [
                serde_json::json!({ "action": "start", "note": "Diterima oleh aplikasi unit." }),
                serde_json::json!({ "action": "resolve", "response": "Sudah ditangani oleh tim lapangan unit." }),
            ] {
                let r = http
                    .post(format!("{}/api/v1/requests/{code}/steps", a.base))
                    .bearer_auth(&a.token)
                    // the same key on a retry: the step is not applied twice
                    .header(
                        "Idempotency-Key",
                        format!("{code}-{}", step["action"].as_str().unwrap_or("")),
                    )
                    .json(&step)
                    .send()
                    .await?;
                println!("{code}: {} -> {}", step["action"], r.status());
            }
            resolved += 1;
        }
        cursor = page["next_cursor"].as_i64().unwrap_or(cursor);
        if a.once && resolved > 0 {
            break;
        }
    }

    // 3. wait for the webhook about the resolution
    match tokio::time::timeout(Duration::from_secs(60), verified.recv()).await {
        Ok(Some(id)) => println!("done: resolved {resolved} request(s), verified webhook {id}"),
        _ => return Err("no verified webhook arrived".into()),
    }
    Ok(())
}
