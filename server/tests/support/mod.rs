//! Test support for tmsdk-server's integration tests. Each test binary uses part of it.
#![allow(dead_code)]

pub mod douyin;
pub mod http;
pub mod qq;
pub mod world;
pub mod xdb;
