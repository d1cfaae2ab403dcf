//! The HTTP client that sends webhooks, and the check that keeps them off the server's own
//! network (SSRF). A subscription's URL is chosen by an API client; the address it names is
//! checked on every delivery, after resolving, and the connection goes to the very addresses
//! that were checked: the client's DNS resolver is this module's, which refuses a name if any
//! of its addresses is not allowed (`kotapintar_domain::webhook::address_allowed`). A name that
//! resolved to a public address at subscription time and to 127.0.0.1 now (DNS rebinding) is
//! therefore refused now. No proxy is used (it would resolve the name itself) and no redirect
//! is followed (it could point anywhere, and would drop the signature).

use kotapintar_domain::webhook::{address_allowed, is_local_name};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Resolves with the system resolver, then refuses the name unless every address is allowed.
struct CheckedResolver {
    allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("webhook refused: {host} is {why}")]
pub struct Refused {
    host: String,
    why: &'static str,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs = resolve_checked(&host, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

async fn resolve_checked(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if is_local_name(host) && !allow_private {
        return Err(refused(host, "this machine").into());
    }
    // the port is set by the client afterwards; 0 here
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if addrs.is_empty() {
        return Err(refused(host, "not resolvable").into());
    }
    if let Some(bad) = addrs
        .iter()
        .find(|a| !address_allowed(a.ip(), allow_private))
    {
        tracing::warn!(host, address = %bad.ip(), "webhook to a private address refused");
        return Err(refused(host, "a private, local or internal address").into());
    }
    Ok(addrs)
}

fn refused(host: &str, why: &'static str) -> Refused {
    Refused {
        host: host.to_string(),
        why,
    }
}

/// The client every webhook is sent with.
pub fn client(allow_private: bool) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        // A receiver that hangs must not hold the worker; redirects would drop the signature.
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { allow_private }))
        .build()
}

/// A URL whose host is an address literal never reaches the resolver: checked here, before
/// sending. Host names are checked by the resolver.
pub fn check_literal(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("webhook URL: {e}"))?;
    // the URL parser has already read `2130706433` or `127.1` as the address they mean
    let host = parsed
        .host_str()
        .ok_or_else(|| "webhook URL without a host".to_string())?;
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    match ip {
        Some(ip) if !address_allowed(ip, allow_private) => Err(format!(
            "webhook refused: {ip} is a private, local or internal address"
        )),
        _ => Ok(()),
    }
}

/// An error with its causes, which is where the resolver's refusal is.
pub fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_literals_are_checked_before_sending() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://2130706433/hook",
            "http://0x7f000001/hook",
            "http://127.1/hook",
            "http://10.0.0.1/hook",
        ] {
            assert!(check_literal(url, false).is_err(), "{url}");
        }
        assert!(check_literal("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_literal("https://93.184.216.34/hook", false).is_ok());
        assert!(check_literal("https://example.org/hook", false).is_ok());
    }

    #[tokio::test]
    async fn names_are_checked_after_resolving() {
        let e = resolve_checked("localhost", false).await.unwrap_err();
        assert!(e.to_string().contains("refused"), "{e}");
        // a numeric name the system resolver reads as an address
        assert!(resolve_checked("127.0.0.1", false).await.is_err());
        assert!(resolve_checked("127.0.0.1", true).await.is_ok());
    }

    #[tokio::test]
    async fn a_delivery_to_loopback_never_connects() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let c = client(false).unwrap();
        let e = c
            .post(format!("http://localhost:{port}/hook"))
            .send()
            .await
            .unwrap_err();
        assert!(describe(&e).contains("webhook refused"), "{}", describe(&e));
        // nothing connected
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection reached the listener");
    }
}
