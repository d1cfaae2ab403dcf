//! Signing webhook deliveries as the Standard Webhooks specification describes, so receivers
//! can use any of its libraries to verify them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 24 random bytes in base64. The caller supplies the bytes.
pub fn secret_from_bytes(bytes: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header value for one delivery: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the secret's decoded bytes.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A URL a webhook may be sent to: http or https, with a host.
pub fn check_url(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or("invalid_webhook_url")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || t.len() > 1000 || t.chars().any(char::is_whitespace) {
        return Err("invalid_webhook_url");
    }
    Ok(t.to_string())
}

/// Whether a webhook may be sent to this address. A webhook's URL is chosen by whoever holds
/// an API token, so without this rule it could make the server post to itself, to the
/// database or cache next to it, to the regency's intranet, or to a cloud's metadata service
/// (which hands out credentials). Only public unicast addresses are allowed, unless the
/// deployment explicitly allows private targets (`KOTAPINTAR_WEBHOOK_ALLOW_PRIVATE`, for a
/// receiver on the regency's own network); even then, addresses that are never a receiver
/// (unspecified, multicast, broadcast) and the cloud metadata services stay refused.
///
/// The caller checks every address a host name resolves to, and then connects to a checked
/// address, so a name that resolves differently the second time (DNS rebinding) gains nothing.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    let ip = ip.to_canonical();
    if never_a_receiver(ip) {
        return false;
    }
    allow_private || is_public(ip)
}

/// Host names that always mean this machine (RFC 6761), whatever a resolver says.
pub fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

fn never_a_receiver(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 0
                || v4 == Ipv4Addr::new(169, 254, 169, 254)
                || v4 == Ipv4Addr::new(100, 100, 100, 200)
        }
        IpAddr::V6(v6) => {
            v6.is_unspecified()
                || v6.is_multicast()
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_documentation()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_unspecified()
        || a == 0
        // shared address space (carrier-grade NAT), 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24, and the old 6to4 relay, 192.88.99.0/24
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 88 && c == 99)
        // benchmarking, 198.18.0.0/15
        || (a == 198 && (b == 18 || b == 19))
        // reserved, 240.0.0.0/4
        || a >= 240)
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    // 6to4 (2002::/16) carries an IPv4 address; it is as public as that address
    if s[0] == 0x2002 {
        let embedded = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(embedded);
    }
    // only global unicast, 2000::/3, is public; within it, not documentation (2001:db8::/32)
    // nor the IETF protocol block 2001::/23 (Teredo and others tunnel to anywhere)
    (s[0] & 0xe000) == 0x2000 && !(s[0] == 0x2001 && (s[1] == 0x0db8 || s[1] < 0x0200))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(ip: &str, allow_private: bool) -> bool {
        address_allowed(ip.parse().unwrap(), allow_private)
    }

    #[test]
    fn only_public_addresses_unless_private_ones_are_allowed() {
        for public in [
            "8.8.8.8",
            "93.184.216.34",
            "203.130.193.1",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "2400:cb00::1",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(allowed(public, false), "{public}");
            assert!(allowed(public, true), "{public}");
        }
        for private in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "fd00::1",
            "fc12:3456::1",
            "fe80::1",
            "fec0::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "64:ff9b::7f00:1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "100::1",
        ] {
            assert!(!allowed(private, false), "{private}");
        }
        // allowed on request: the regency's own network
        for ok in [
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(allowed(ok, true), "{ok}");
        }
        // never, whatever the setting
        for never in [
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "169.254.169.254",
            "100.100.100.200",
            "::",
            "ff02::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(!allowed(never, true), "{never}");
            assert!(!allowed(never, false), "{never}");
        }
    }

    #[test]
    fn localhost_names() {
        for local in ["localhost", "LOCALHOST.", "api.localhost", "x.Localhost"] {
            assert!(is_local_name(local), "{local}");
        }
        for other in ["localhost.example", "mylocalhost", "badungkab.go.id"] {
            assert!(!is_local_name(other), "{other}");
        }
    }

    #[test]
    fn matches_the_specifications_example() {
        // The example in the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn urls() {
        assert!(check_url("https://simjalan.badungkab.go.id/hooks").is_ok());
        assert!(check_url("http://10.0.0.5:8080/x").is_ok());
        for bad in [
            "ftp://x/y",
            "https://",
            "javascript:alert(1)",
            "https://a b",
        ] {
            assert_eq!(check_url(bad), Err("invalid_webhook_url"), "{bad}");
        }
    }
}
