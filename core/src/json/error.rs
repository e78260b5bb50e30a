//! The error of the core's JSON format: where the text stopped being JSON, or which field broke which rule.
//! Its messages are built without formatting the value read (a float's `Display` alone would bring several KB
//! of formatting code into the wasm).

use std::fmt::{self, Display};

use serde::de::{Expected, Unexpected};

use super::read::SyntaxError;

/// Why a text could not be read into a type, or a value not written. Boxed, so that a `Result` carrying it
/// stays small (every read returns one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: Kind,
    field: Option<String>,
    /// Whether `field` is final: set by the innermost object, or on purpose left empty for the whole value.
    located: bool,
    /// The field of the outermost object the error came through.
    outer: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The text is not JSON.
    Syntax(SyntaxError),
    /// The text must be read again: an object gives one field twice (then the last value is kept), or a
    /// `next_value_seed` caller met a value that breaks a rule (then it reads as absent; a seed cannot be
    /// used twice). Never the error a reading ends with.
    Again,
    /// A value breaks a rule, or is of the wrong type: what is wrong with it.
    Invalid(String),
}

impl Error {
    pub(crate) fn syntax(at: SyntaxError) -> Self {
        Error::of(Kind::Syntax(at))
    }

    fn of(kind: Kind) -> Self {
        Error::at_field(kind, None)
    }

    /// `located`: `field` is final (`None` for the whole value).
    fn at_field(kind: Kind, field: Option<&str>) -> Self {
        Error(Box::new(Inner {
            kind,
            field: field.map(str::to_string),
            located: field.is_some(),
            outer: None,
        }))
    }

    /// An error about the whole value, not one of its fields (`located` so no enclosing key is blamed).
    pub(crate) fn whole(problem: String) -> Self {
        let mut e = Error::of(Kind::Invalid(problem));
        e.0.located = true;
        e
    }

    /// Where the text stopped being JSON, when that is the error.
    pub fn syntax_error(&self) -> Option<SyntaxError> {
        match self.0.kind {
            Kind::Syntax(at) => Some(at),
            _ => None,
        }
    }

    /// A reading again is needed (see `Kind::Again`).
    pub(crate) fn again() -> Self {
        Error::of(Kind::Again)
    }

    pub(crate) fn is_again(&self) -> bool {
        self.0.kind == Kind::Again
    }

    /// The field at fault, innermost first (`None` for the whole value or a syntax error).
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// The field of the outermost object the error came through (for a record: `v`, `app_id`, `cached_at`
    /// or `profile`).
    pub fn outer_field(&self) -> Option<&'static str> {
        self.0.outer
    }

    /// What is wrong, without the field's name: "must be a string, not a number".
    pub fn problem(&self) -> &str {
        match &self.0.kind {
            Kind::Syntax(_) => "is not valid JSON",
            Kind::Again => "is given twice",
            Kind::Invalid(problem) => problem,
        }
    }

    /// Names `key` as the field at fault unless an inner object already did; `key` of the object being read
    /// is the outer field in any case.
    pub(crate) fn at(mut self, key: &str, outer: Option<&'static str>) -> Self {
        let inner = &mut self.0;
        if !inner.located {
            inner.field = Some(key.to_string());
            inner.located = true;
        }
        if outer.is_some() {
            inner.outer = outer;
        }
        self
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.kind, &self.0.field) {
            (Kind::Syntax(at), _) => {
                write!(f, "not valid JSON (line {}, column {})", at.line, at.column)
            }
            (_, Some(field)) => write!(f, "{field} {}", self.problem()),
            (_, None) => f.write_str(self.problem()),
        }
    }
}

impl std::error::Error for Error {}

/// What a value is, as a message says it.
fn kind_of(unexpected: &Unexpected) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        _ => "another kind of value",
    }
}

impl serde::de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::of(Kind::Invalid(msg.to_string()))
    }

    fn invalid_type(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Error::custom(format_args!(
            "must be {expected}, not {}",
            kind_of(&unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Error::invalid_type(unexpected, expected)
    }

    // Out of line: the derive calls these once per field of every struct.
    #[inline(never)]
    fn missing_field(field: &'static str) -> Self {
        Error::at_field(Kind::Invalid("is missing".to_string()), Some(field))
    }

    #[inline(never)]
    fn duplicate_field(field: &'static str) -> Self {
        Error::at_field(Kind::Again, Some(field))
    }
}

impl serde::ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::of(Kind::Invalid(msg.to_string()))
    }
}
