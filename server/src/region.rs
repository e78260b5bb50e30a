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

/// Builds a format-2 xdb file from `(first, last, region)` segments, each inside one /16 block (tests and
/// fixtures).
pub fn build_xdb(segments: &[(u32, u32, &str)]) -> Vec<u8> {
    let mut data = vec![0u8; HEADER + VECTOR_ROWS * VECTOR_COLS * VECTOR_ENTRY];
    data[0..2].copy_from_slice(&2u16.to_le_bytes());
    let mut regions = Vec::new();
    let mut segment_at = data.len() + segments.iter().map(|(_, _, r)| r.len()).sum::<usize>();
    let mut index = Vec::new();
    for (first, last, region) in segments {
        let pointer = data.len() + regions.len();
        regions.extend_from_slice(region.as_bytes());
        let entry = HEADER
            + (((first >> 24) as usize) * VECTOR_COLS + ((first >> 16) & 0xff) as usize)
                * VECTOR_ENTRY;
        if u32_at(&data, entry) == Some(0) {
            data[entry..entry + 4].copy_from_slice(&(segment_at as u32).to_le_bytes());
        }
        data[entry + 4..entry + 8].copy_from_slice(&(segment_at as u32).to_le_bytes());
        index.extend_from_slice(&first.to_le_bytes());
        index.extend_from_slice(&last.to_le_bytes());
        index.extend_from_slice(&(region.len() as u16).to_le_bytes());
        index.extend_from_slice(&(pointer as u32).to_le_bytes());
        segment_at += SEGMENT;
    }
    data.extend_from_slice(&regions);
    data.extend_from_slice(&index);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lookups_find_the_segment_and_read_province_and_city() {
        let db = Ip2Region::from_bytes(build_xdb(&[
            (0x0100_0000, 0x0100_00ff, "中国|0|广东省|广州市|电信"),
            (0x0100_0100, 0x0100_01ff, "中国|0|西藏自治区|拉萨市|联通"),
            (0x0808_0800, 0x0808_08ff, "美国|0|0|0|Level3"),
        ]))
        .unwrap();
        assert_eq!(
            db.lookup(ip("1.0.0.7")),
            Location {
                province: "广东省".into(),
                city: "广州市".into()
            }
        );
        assert_eq!(db.lookup(ip("1.0.1.200")).province, "西藏自治区");
        assert_eq!(
            db.lookup(ip("8.8.8.8")),
            Location::default(),
            "0 means unknown"
        );
        assert_eq!(db.lookup(ip("9.9.9.9")), Location::default(), "no segment");
        assert_eq!(
            db.lookup(ip("1.0.2.1")),
            Location::default(),
            "between segments"
        );
        assert_eq!(db.lookup(ip("::ffff:1.0.0.1")).city, "广州市");
        assert_eq!(db.lookup(ip("2001:db8::1")), Location::default());
    }

    #[test]
    fn other_files_are_refused() {
        assert!(Ip2Region::from_bytes(vec![0; 10]).is_err());
        let mut wrong = build_xdb(&[]);
        wrong[0] = 3;
        assert!(Ip2Region::from_bytes(wrong).is_err());
    }
}
