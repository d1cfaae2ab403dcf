//! A webhook's address checked when it is subscribed (the API and the staff page), so that a
//! subscription to the server's own network is refused at once with a clear answer. This is
//! the early check only: the job worker checks the resolved address again on every delivery
//! and connects only to what it checked (`kotapintar_jobs`), since a name may resolve
//! differently later.

use kotapintar_domain::webhook::{address_allowed, is_local_name};
use kotapintar_storage::StorageError;
use std::net::IpAddr;
use std::time::Duration;

/// How long the check waits for the resolver: a subscription call must not hang on DNS.
const RESOLVE_WAIT: Duration = Duration::from_secs(2);

/// Refuses (field `url`) a webhook URL whose host is, or resolves to, an address a webhook
/// may not be sent to. A name that does not resolve now is left to the delivery-time check.
pub async fn check(url: &str, allow_private: bool) -> Result<(), StorageError> {
    let refused = || StorageError::field("url", "webhook_private_address");
    // a URL that does not parse is refused by the syntax check that follows
    let Ok(uri) = url.trim().parse::<axum::http::Uri>() else {
        return Ok(());
    };
    let Some(host) = uri.host() else {
        return Ok(());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if address_allowed(ip, allow_private) {
            Ok(())
        } else {
            Err(refused())
        };
    }
    if is_local_name(host) && !allow_private {
        return Err(refused());
    }
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let resolved = tokio::time::timeout(
        RESOLVE_WAIT,
        tokio::net::lookup_host((host.to_string(), port)),
    )
    .await;
    match resolved {
        Ok(Ok(mut addrs)) => {
            if addrs.any(|a| !address_allowed(a.ip(), allow_private)) {
                Err(refused())
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:a9fe:a9fe]/latest/meta-data",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/hook",
            "http://100.64.0.1/hook",
            "http://[fd00::1]/hook",
            "http://[fe80::1]/hook",
            "http://0.0.0.0:8080/hook",
            "http://localhost:8080/hook",
            "http://user@127.0.0.1/hook",
            "https://api.localhost/hook",
        ] {
            assert!(check(url, false).await.is_err(), "{url}");
        }
        assert!(check("http://127.0.0.1:8080/hook", true).await.is_ok());
        assert!(check("http://169.254.169.254/", true).await.is_err());
        assert!(check("https://93.184.216.34/hook", false).await.is_ok());
    }
}
