//! A pure view of the JS values that `install(config)` and `updateUserProfile(options)` receive, so that
//! their rules can live (and be tested) in Rust without wasm imports. The binding layer builds an [`Input`]
//! from a `JsValue`, reading only the keys the rules know.

/// A JS value as the validation rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `undefined`, or a key that is not there.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (any JS number, including NaN and the infinities).
    Number(f64),
    /// A string.
    String(String),
    /// A plain object (or any non-callable, non-array object), with the known keys it has.
    Object(Vec<(String, Input)>),
    /// An array.
    Array,
    /// A function.
    Function,
    /// Anything else (symbol, bigint), by its `typeof`.
    Other(String),
}

impl Input {
    /// What the value is, as an error message says it: "a string", "null", "an array" …
    pub fn describe(&self) -> &str {
        match self {
            Input::Undefined => "undefined",
            Input::Null => "null",
            Input::Bool(_) => "a boolean",
            Input::Number(n) if n.is_nan() => "NaN",
            Input::Number(_) => "a number",
            Input::String(_) => "a string",
            Input::Object(_) => "an object",
            Input::Array => "an array",
            Input::Function => "a function",
            Input::Other(kind) => kind,
        }
    }

    /// `true` for `undefined` and `null`: a key given either way takes its default.
    pub fn is_absent(&self) -> bool {
        matches!(self, Input::Undefined | Input::Null)
    }

    /// The value of `key` in an object; `Undefined` when the key is missing or `self` is not an object.
    pub fn get(&self, key: &str) -> &Input {
        match self {
            // The last pair wins, as with duplicate keys in JSON.
            Input::Object(fields) => fields
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&Input::Undefined),
            _ => &Input::Undefined,
        }
    }

    /// An object built from `(key, value)` pairs (handy for tests and fixtures).
    pub fn object<'a>(fields: impl IntoIterator<Item = (&'a str, Input)>) -> Input {
        Input::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// A string value.
    pub fn str(s: &str) -> Input {
        Input::String(s.to_string())
    }
}

/// Reads an optional boolean: absent → `None`, a boolean → `Some`, anything else → `Err(description)`.
pub(crate) fn optional_bool(value: &Input) -> Result<Option<bool>, String> {
    match value {
        v if v.is_absent() => Ok(None),
        Input::Bool(b) => Ok(Some(*b)),
        other => Err(format!("must be a boolean, not {}", other.describe())),
    }
}

/// Reads an optional string: absent → `None`, a string → `Some`, anything else → `Err(description)`.
pub(crate) fn optional_string(value: &Input) -> Result<Option<&str>, String> {
    match value {
        v if v.is_absent() => Ok(None),
        Input::String(s) => Ok(Some(s)),
        other => Err(format!("must be a string, not {}", other.describe())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_known_keys_and_defaults_to_undefined() {
        let o = Input::object([("a", Input::Bool(true))]);
        assert_eq!(o.get("a"), &Input::Bool(true));
        assert_eq!(o.get("b"), &Input::Undefined);
        assert_eq!(Input::Null.get("a"), &Input::Undefined);
    }

    #[test]
    fn describe_names_every_kind() {
        assert_eq!(Input::Number(f64::NAN).describe(), "NaN");
        assert_eq!(Input::Number(1.0).describe(), "a number");
        assert_eq!(Input::Array.describe(), "an array");
        assert_eq!(Input::Other("symbol".into()).describe(), "symbol");
    }

    #[test]
    fn optional_readers_accept_absent_and_reject_wrong_types() {
        assert_eq!(optional_bool(&Input::Null), Ok(None));
        assert_eq!(optional_bool(&Input::Bool(false)), Ok(Some(false)));
        assert_eq!(
            optional_bool(&Input::str("true")),
            Err("must be a boolean, not a string".to_string())
        );
        assert_eq!(optional_string(&Input::Undefined), Ok(None));
        assert_eq!(optional_string(&Input::str("x")), Ok(Some("x")));
        assert!(optional_string(&Input::Number(1.0)).is_err());
    }
}
