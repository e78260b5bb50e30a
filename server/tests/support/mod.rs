//! Test support for tmsdk-server's integration tests.

pub mod xdb;
