//! [`ErrorText`]: what is kept of an error classified where it was only
//! lent (pingora's failure hook lends its error), as the cause of the
//! `UpstreamError`: its text and its causes', for the log.

use std::error::Error;
use std::fmt;

use super::error_chain;

/// The text of an error and of everything that caused it, joined with
/// ": ", taken when the error itself could not be kept.
pub(crate) struct ErrorText(String);

impl ErrorText {
    pub(crate) fn of(error: &(dyn Error + 'static)) -> Self {
        let mut text = String::new();
        for level in error_chain(error) {
            let level = level.to_string();
            // Some errors (pingora's) already show their cause.
            if text.contains(&level) {
                continue;
            }
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&level);
        }
        Self(text)
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ErrorText {}
