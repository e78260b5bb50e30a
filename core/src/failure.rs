//! A failed call as its caller sees it: what went wrong (a [`TmError`]), and beside it the cached profile the
//! failure left intact (`error.cached` of the JS `TmSdkError`), so a game can go on with what it had. The
//! error itself knows nothing of profiles.

use std::ops::Deref;

use crate::error::TmError;
use crate::profile::Profile;

/// A failed call: the error, and the previous cached profile, left intact by the failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What went wrong.
    pub error: TmError,
    /// The previous cached profile, if there was one. A binding hands it to its platform in its own way (the
    /// wasm binding: as JSON text, the fastest way into JS).
    pub cached: Option<Box<Profile>>,
}

impl Failure {
    /// `error`, with the cached profile it left intact.
    pub fn new(error: TmError, cached: Option<Profile>) -> Failure {
        Failure {
            error,
            cached: cached.map(Box::new),
        }
    }
}

/// A failure that leaves no cached profile to mention.
impl From<TmError> for Failure {
    fn from(error: TmError) -> Failure {
        Failure {
            error,
            cached: None,
        }
    }
}

/// The error's details read straight through (`failure.code`, `failure.message` …).
impl Deref for Failure {
    type Target = TmError;

    fn deref(&self) -> &TmError {
        &self.error
    }
}
