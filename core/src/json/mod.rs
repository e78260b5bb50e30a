//! The core's JSON format: a serde data format (a `Deserializer` and a `Serializer`) over its own lexer,
//! which the `#[derive]`d types read and write through. It is what the shipped wasm uses instead of
//! serde_json, which costs more than the rest of the JSON code together; a differential property test holds
//! the two to the same texts (`core/tests/properties.rs`). What it does differently, on purpose:
//! - numbers are valued exactly from their decimal digits, never through a float parser (its tables were the
//!   largest data in the wasm): a whole number that fits a `u64` or `i64` is visited as one, any other as
//!   `f64` (its whole value when it has one, else NaN, since no rule accepts a fraction);
//! - reading a struct goes on past a field that breaks a rule, so the error reported is the one of the
//!   earliest field in declaration order (as the rules list them), and a text that is not JSON anywhere is
//!   reported as such first; whether the struct's reader calls `next_value` or `next_value_seed`;
//! - an object that gives a key twice keeps the last value, as `JSON.parse` does (serde's derive would
//!   refuse it);
//! - floats, sequences and maps are not written: no type the core writes has one.

mod de;
mod error;
mod read;
mod ser;

pub use error::Error;
pub use read::SyntaxError;

pub use de::from_str;
pub(crate) use de::{field_names, from_str_lenient};
pub use ser::{to_string, RawJson};
