//! The address guard: which IP addresses a policy allows. Link-local and cloud metadata
//! addresses are refused under every policy; `public-only` also refuses every range that is not
//! globally routable (IANA special-purpose registries, RFC 6890). An IPv6 address that embeds
//! an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged by the IPv4 address.

use super::NetworkPolicy;
use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Link-local or a cloud metadata service: refused whatever the policy.
    Metadata,
    /// Not globally routable: refused under `public-only`. The text names the range.
    NonPublic(&'static str),
}

/// A refused address, with the reason and the policy in force.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Refused {
    pub addr: IpAddr,
    pub refusal: Refusal,
    pub policy: NetworkPolicy,
}

impl Refused {
    fn describe(&self) -> String {
        match self.refusal {
            Refusal::Metadata => format!(
                "refusing {} (link-local or cloud metadata address): never allowed, whatever --network says",
                self.addr
            ),
            Refusal::NonPublic(what) => format!(
                "refusing {} ({what}) under --network {} (--network any allows it)",
                self.addr,
                self.policy.flag()
            ),
        }
    }
}

/// Cloud metadata services outside the link-local ranges (AWS IPv6, Alibaba Cloud).
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254)];
const METADATA_V4: [Ipv4Addr; 1] = [Ipv4Addr::new(100, 100, 100, 200)];

/// Non-global IPv4 ranges (IANA IPv4 special-purpose registry), most specific first.
const NON_PUBLIC_V4: &[(&str, &str)] = &[
    ("0.0.0.0/8", "unspecified address"),
    ("10.0.0.0/8", "private address"),
    ("100.64.0.0/10", "shared CGNAT address"),
    ("127.0.0.0/8", "loopback address"),
    ("172.16.0.0/12", "private address"),
    ("192.0.0.0/24", "IETF protocol address"),
    ("192.0.2.0/24", "documentation address"),
    ("192.88.99.0/24", "6to4 relay address"),
    ("192.168.0.0/16", "private address"),
    ("198.18.0.0/15", "benchmarking address"),
    ("198.51.100.0/24", "documentation address"),
    ("203.0.113.0/24", "documentation address"),
    ("224.0.0.0/4", "multicast address"),
    ("240.0.0.0/4", "reserved address"),
];

/// Non-global IPv6 ranges (IANA IPv6 special-purpose registry).
const NON_PUBLIC_V6: &[(&str, &str)] = &[
    ("::/128", "unspecified address"),
    ("::1/128", "loopback address"),
    ("100::/64", "discard address"),
    ("2001::/23", "IETF protocol address"),
    ("2001:db8::/32", "documentation address"),
    ("3fff::/20", "documentation address"),
    ("fc00::/7", "private address"),
    ("fec0::/10", "site-local address"),
    ("ff00::/8", "multicast address"),
];

fn v4_in(addr: Ipv4Addr, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table.iter().find_map(|(net, what)| {
        let net: Ipv4Net = net.parse().expect("valid range");
        net.contains(&addr).then_some(*what)
    })
}

fn v6_in(addr: Ipv6Addr, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table.iter().find_map(|(net, what)| {
        let net: Ipv6Net = net.parse().expect("valid range");
        net.contains(&addr).then_some(*what)
    })
}

/// The IPv4 address an IPv6 one stands for: `::ffff:a.b.c.d`, `::a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = addr.to_ipv4() {
        // `to_ipv4` also maps `::` and `::1`: those are IPv6's own.
        return (!matches!(u32::from(v4), 0 | 1)).then_some(v4);
    }
    let s = addr.segments();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::from(((s[1] as u32) << 16) | s[2] as u32));
    }
    None
}

/// Why `addr` is not an ordinary global address, if it is not.
pub fn classify(addr: IpAddr) -> Option<Refusal> {
    match addr {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None if v6_in(v6, &[("fe80::/10", "")]).is_some() || METADATA_V6.contains(&v6) => {
                Some(Refusal::Metadata)
            }
            None => v6_in(v6, NON_PUBLIC_V6).map(Refusal::NonPublic),
        },
    }
}

fn classify_v4(addr: Ipv4Addr) -> Option<Refusal> {
    if addr.is_link_local() || METADATA_V4.contains(&addr) {
        return Some(Refusal::Metadata);
    }
    if addr.is_broadcast() {
        return Some(Refusal::NonPublic("broadcast address"));
    }
    v4_in(addr, NON_PUBLIC_V4).map(Refusal::NonPublic)
}

/// Whether `policy` allows connecting to `addr`.
pub fn check(addr: IpAddr, policy: NetworkPolicy) -> Result<(), Refused> {
    let refused = |refusal| Refused {
        addr,
        refusal,
        policy,
    };
    match (classify(addr), policy) {
        (Some(Refusal::Metadata), _) => Err(refused(Refusal::Metadata)),
        (Some(r @ Refusal::NonPublic(_)), NetworkPolicy::PublicOnly | NetworkPolicy::Offline) => {
            Err(refused(r))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(addr: &str, policy: NetworkPolicy) -> Result<(), String> {
        check(addr.parse().unwrap(), policy).map_err(|e| e.to_string())
    }

    #[test]
    fn metadata_and_link_local_are_refused_under_any_policy() {
        for addr in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "100.100.100.200",
        ] {
            let err = verdict(addr, NetworkPolicy::Any).unwrap_err();
            assert!(err.contains("never allowed"), "{addr}: {err}");
        }
    }

    #[test]
    fn public_only_refuses_non_global_ranges() {
        for (addr, what) in [
            ("10.0.0.5", "private address"),
            ("172.31.255.1", "private address"),
            ("192.168.1.1", "private address"),
            ("127.0.0.1", "loopback address"),
            ("::1", "loopback address"),
            ("::ffff:127.0.0.1", "loopback address"),
            ("100.64.0.1", "shared CGNAT address"),
            ("0.0.0.0", "unspecified address"),
            ("::", "unspecified address"),
            ("fc00::1", "private address"),
            ("fd12:3456::1", "private address"),
            ("255.255.255.255", "broadcast address"),
            ("224.0.0.1", "multicast address"),
            ("2001:db8::1", "documentation address"),
        ] {
            assert!(verdict(addr, NetworkPolicy::Any).is_ok(), "{addr}");
            let err = verdict(addr, NetworkPolicy::PublicOnly).unwrap_err();
            assert!(err.contains(&format!("({what})")), "{addr}: {err}");
        }
        assert_eq!(
            verdict("10.0.0.5", NetworkPolicy::PublicOnly).unwrap_err(),
            "refusing 10.0.0.5 (private address) under --network public-only (--network any allows it)"
        );
    }

    #[test]
    fn global_addresses_pass_public_only() {
        for addr in [
            "140.82.112.3",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(verdict(addr, NetworkPolicy::PublicOnly).is_ok(), "{addr}");
        }
    }
}
