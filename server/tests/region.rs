//! The ip2region reader (`tmsdk_server::Ip2Region`) over files the test writes.

mod support;

use std::net::IpAddr;

use support::xdb::build_xdb;
use tmsdk_server::{Ip2Region, Location};

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
