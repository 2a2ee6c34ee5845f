//! Fetching the page behind a link the reader gives, for its article. A server that fetches
//! what it is told is a way into the network it sits on (server-side request forgery), so:
//! - only `http` and `https`;
//! - every host is resolved here and each address checked before anything is sent: loopback,
//!   private, link-local, shared and other non-public addresses are refused unless the server
//!   was started with `--allow-private-urls`;
//! - redirects are followed by hand, at most [`MAX_REDIRECTS`], each one checked the same way;
//! - the connection uses exactly the addresses that were checked (no second lookup that could
//!   answer differently), and no proxy;
//! - time and size are bounded.

use futures_util::StreamExt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub const MAX_REDIRECTS: usize = 5;

/// What links may reach.
#[derive(Debug, Clone)]
pub struct LinkRules {
    /// Loopback, private and link-local addresses too (`--allow-private-urls`).
    pub allow_private: bool,
    /// Addresses reachable whatever `allow_private` says: one known host, such as a test's
    /// local server, without opening the whole private network.
    pub allowed: Vec<SocketAddr>,
    /// For the whole fetch, redirects included.
    pub timeout: Duration,
    /// The largest page read, in bytes.
    pub max_bytes: usize,
}

impl Default for LinkRules {
    fn default() -> Self {
        Self {
            allow_private: false,
            allowed: Vec::new(),
            timeout: Duration::from_secs(20),
            max_bytes: crate::intake::DOCUMENT_LIMIT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("\"{0}\" is not a web address. Give a link that starts with http:// or https://.")]
    NotAnAddress(String),
    #[error("Only http:// and https:// links can be opened, not {0}:.")]
    Scheme(String),
    #[error("{} is a private or local address, which Passerelle does not open from a link. Save the page and open the file instead, or start the server with --allow-private-urls.", named(host, ip))]
    Private { host: String, ip: IpAddr },
    #[error("Could not look up {host}: this machine seems to have no network connection, or the address is misspelled. Save the page in your browser and open the file instead.")]
    NoNetwork { host: String },
    #[error("Could not reach {host}: {detail}. Check the link, or save the page in your browser and open the file instead.")]
    Unreachable { host: String, detail: String },
    #[error("The page took longer than {0} s to arrive. Try again, or save it in your browser and open the file instead.")]
    Timeout(u64),
    #[error("The link redirected more than {MAX_REDIRECTS} times. Open it in a browser and give the address it ends at.")]
    TooManyRedirects,
    #[error("The site answered {0} for this link. Check that it opens in a browser.")]
    Status(String),
    #[error("The page is larger than {0} MB. Save it and open the file instead.")]
    TooLarge(usize),
}

/// "localhost (127.0.0.1)", or the address alone when the link gave it.
fn named(host: &str, ip: &IpAddr) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        bare.to_string()
    } else {
        format!("{host} ({ip})")
    }
}

/// The bytes of the page at `url`, after at most [`MAX_REDIRECTS`] redirects, each checked.
pub async fn fetch(url: &str, rules: &LinkRules) -> Result<Vec<u8>, LinkError> {
    let seconds = rules.timeout.as_secs();
    tokio::time::timeout(rules.timeout, follow(url, rules))
        .await
        .map_err(|_| LinkError::Timeout(seconds))?
}

async fn follow(url: &str, rules: &LinkRules) -> Result<Vec<u8>, LinkError> {
    let mut url = parse(url)?;
    for _ in 0..=MAX_REDIRECTS {
        let host = url.host_str().unwrap_or_default().to_string();
        let addrs = checked_addresses(&url, rules).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .resolve_to_addrs(host.trim_start_matches('[').trim_end_matches(']'), &addrs)
            .user_agent(concat!("Passerelle/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| LinkError::Unreachable {
                host: host.clone(),
                detail: err.to_string(),
            })?;
        let response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "text/html, */*;q=0.5")
            .send()
            .await
            .map_err(|err| LinkError::Unreachable {
                host: host.clone(),
                detail: reason(&err),
            })?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| LinkError::Status(format!("{status} without a new address")))?;
            url = url
                .join(location)
                .map_err(|_| LinkError::NotAnAddress(location.to_string()))?;
            check_scheme(&url)?;
            continue;
        }
        if !status.is_success() {
            return Err(LinkError::Status(status.to_string()));
        }
        return body(response, rules.max_bytes, &host).await;
    }
    Err(LinkError::TooManyRedirects)
}

fn parse(url: &str) -> Result<reqwest::Url, LinkError> {
    let trimmed = url.trim();
    let parsed =
        reqwest::Url::parse(trimmed).map_err(|_| LinkError::NotAnAddress(trimmed.to_string()))?;
    check_scheme(&parsed)?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(LinkError::NotAnAddress(trimmed.to_string()));
    }
    Ok(parsed)
}

fn check_scheme(url: &reqwest::Url) -> Result<(), LinkError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(LinkError::Scheme(other.to_string())),
    }
}

/// The host's addresses, resolved here, once each is known to be allowed.
async fn checked_addresses(
    url: &reqwest::Url,
    rules: &LinkRules,
) -> Result<Vec<SocketAddr>, LinkError> {
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        // A machine without a network may wait on its resolver for long: that is told as
        // "no network", not as a slow page.
        Err(_) => tokio::time::timeout(
            rules.timeout / 2,
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| LinkError::NoNetwork { host: host.clone() })?
        .collect(),
    };
    if addrs.is_empty() {
        return Err(LinkError::NoNetwork { host });
    }
    // Every address must be allowed: a host that answers with one public and one private
    // address is refused, since the connection could use either.
    for addr in &addrs {
        if !allowed(addr, rules) {
            return Err(LinkError::Private {
                host,
                ip: addr.ip(),
            });
        }
    }
    Ok(addrs)
}

fn allowed(addr: &SocketAddr, rules: &LinkRules) -> bool {
    rules.allow_private || rules.allowed.contains(addr) || is_public(addr.ip())
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (carrier
/// NAT), multicast, documentation or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // 64:ff9b::/96, NAT64: the IPv4 address inside decides.
        || (first == 0x64 && ip.segments()[1] == 0xff9b
            && !is_public_v4(Ipv4Addr::from_bits(ip.to_bits() as u32)))
        // 2001:db8::/32, documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// The body, read up to `max_bytes`.
async fn body(
    response: reqwest::Response,
    max_bytes: usize,
    host: &str,
) -> Result<Vec<u8>, LinkError> {
    let too_large = LinkError::TooLarge(max_bytes / (1024 * 1024));
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(too_large);
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| LinkError::Unreachable {
            host: host.to_string(),
            detail: reason(&err),
        })?;
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The innermost cause: reqwest's own message is only "error sending request".
fn reason(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            let ip: IpAddr = private.parse().expect("an address literal");
            assert!(!is_public(ip), "{private} passed as public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().expect("an address literal");
            assert!(is_public(ip), "{public} refused");
        }
    }

    #[tokio::test]
    async fn bad_addresses_are_refused_before_anything_is_sent() {
        let rules = LinkRules::default();
        assert!(matches!(
            fetch("file:///etc/passwd", &rules).await,
            Err(LinkError::Scheme(s)) if s == "file"
        ));
        assert!(matches!(
            fetch("lemonde.fr/article", &rules).await,
            Err(LinkError::NotAnAddress(_))
        ));
        assert!(matches!(
            fetch("http://169.254.169.254/latest/meta-data", &rules).await,
            Err(LinkError::Private { .. })
        ));
        // The loopback address however it is written.
        for disguised in [
            "http://[::1]:9/",
            "http://0x7f000001:9/",
            "http://2130706433:9/",
            "http://127.1:9/",
            "http://[::ffff:127.0.0.1]:9/",
        ] {
            assert!(
                matches!(
                    fetch(disguised, &rules).await,
                    Err(LinkError::Private { .. })
                ),
                "{disguised}"
            );
        }
        // https goes through TLS (rustls); nothing listens on the discard port.
        let open = LinkRules {
            allow_private: true,
            timeout: Duration::from_secs(5),
            ..LinkRules::default()
        };
        assert!(matches!(
            fetch("https://127.0.0.1:9/", &open).await,
            Err(LinkError::Unreachable { .. })
        ));
        // The message names the address once, and the name too when the link gave one.
        let refused = fetch("http://127.0.0.1:9/", &rules)
            .await
            .expect_err("refused");
        assert!(
            refused.to_string().starts_with("127.0.0.1 is a private"),
            "{refused}"
        );
        // A name is checked after it is looked up.
        let named = fetch("http://localhost:9/", &rules)
            .await
            .expect_err("refused");
        assert!(matches!(named, LinkError::Private { .. }));
        assert!(named.to_string().starts_with("localhost ("), "{named}");
    }
}
