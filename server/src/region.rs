//! `login_province` / `login_city` from the client's IPv4 address, with an ip2region `xdb` file (format 2:
//! a 256-byte header, a 256×256 vector index of 8-byte entries, 14-byte segments, then the region strings
//! `country|area|province|city|isp`, `0` meaning unknown). Loaded whole at start; a lookup is two reads and a
//! binary search. IPv6 and unknown addresses give empty fields.

use std::net::IpAddr;

const HEADER: usize = 256;
const VECTOR_ROWS: usize = 256;
const VECTOR_COLS: usize = 256;
const VECTOR_ENTRY: usize = 8;
const SEGMENT: usize = 14;

/// Where an address is, as the profile shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The province ("" when unknown).
    pub province: String,
    /// The city ("" when unknown).
    pub city: String,
}

/// An ip2region database, in memory.
pub struct Ip2Region {
    data: Vec<u8>,
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

impl Ip2Region {
    /// Reads `path`; `Err` says why it is not an xdb file.
    pub fn load(path: &str) -> Result<Ip2Region, String> {
        let data = std::fs::read(path).map_err(|e| format!("cannot read {path} ({e})"))?;
        Ip2Region::from_bytes(data).map_err(|e| format!("{path}: {e}"))
    }

    /// An xdb file's bytes.
    pub fn from_bytes(data: Vec<u8>) -> Result<Ip2Region, String> {
        if data.len() < HEADER + VECTOR_ROWS * VECTOR_COLS * VECTOR_ENTRY {
            return Err("too short for an ip2region xdb file".into());
        }
        if u16_at(&data, 0) != Some(2) {
            return Err("not an ip2region xdb file of format 2".into());
        }
        Ok(Ip2Region { data })
    }

    /// Where `ip` is.
    pub fn lookup(&self, ip: IpAddr) -> Location {
        let ip = match ip {
            IpAddr::V4(v4) => u32::from(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => u32::from(v4),
                None => return Location::default(),
            },
        };
        self.region(ip).map(|r| parse(&r)).unwrap_or_default()
    }

    fn region(&self, ip: u32) -> Option<String> {
        let data = &self.data;
        let (b0, b1) = ((ip >> 24) as usize, ((ip >> 16) & 0xff) as usize);
        let entry = HEADER + (b0 * VECTOR_COLS + b1) * VECTOR_ENTRY;
        let (start, end) = (
            u32_at(data, entry)? as usize,
            u32_at(data, entry + 4)? as usize,
        );
        if start == 0 || end < start {
            return None;
        }
        let (mut low, mut high) = (0usize, (end - start) / SEGMENT);
        while low <= high {
            let middle = (low + high) / 2;
            let at = start + middle * SEGMENT;
            let (first, last) = (u32_at(data, at)?, u32_at(data, at + 4)?);
            if ip < first {
                high = middle.checked_sub(1)?;
            } else if ip > last {
                low = middle + 1;
            } else {
                let length = u16_at(data, at + 8)? as usize;
                let pointer = u32_at(data, at + 10)? as usize;
                return String::from_utf8(data.get(pointer..pointer + length)?.to_vec()).ok();
            }
        }
        None
    }
}

fn parse(region: &str) -> Location {
    let parts: Vec<&str> = region.split('|').collect();
    let field = |i: usize| {
        parts
            .get(i)
            .filter(|p| **p != "0")
            .map_or(String::new(), |p| p.to_string())
    };
    Location {
        province: field(2),
        city: field(3),
    }
}
