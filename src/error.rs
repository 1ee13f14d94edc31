//! The one error type of the core.
//!
//! Errors are for things the caller must fix (an invalid option, a report that cannot be read at all). Problems the
//! core can work around — a bad time on one test case, an unknown element — are *warnings* carried in the result,
//! never errors. Every message says where (file, line or element) and what was wrong.
//!
//! Messages quote user data (test ids, file names, attribute values, a parser's own error text) only through
//! [`printable`], so that quoted data can never start a new log line (a forged `::error::` workflow command) or
//! send a terminal escape sequence, and never makes a message unboundedly long.

use std::borrow::Cow;
use std::fmt;

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;

/// An error from the timeshard core. Cheap to move (one box); [`Error::kind`] tells what went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A report or timing file could not be read at all.
    Report {
        /// The file name as the caller gave it.
        source: String,
        /// Where in the file: `line 40`, `element testsuites/testsuite[2]/testcase[7]`; empty if unknown.
        location: String,
        /// What was wrong, e.g. `DOCTYPE declarations are not allowed`.
        message: String,
    },
    /// A timing store could not be read (corrupt, or a format version this build does not know).
    Store {
        /// What was wrong.
        message: String,
    },
    /// An option (an action input) is invalid; `name` is the input's public name, e.g. `workers`.
    Input {
        /// The input's public name.
        name: String,
        /// What was wrong and what is expected.
        message: String,
    },
    /// A documented resource limit was exceeded.
    Limit {
        /// What exceeded the limit, e.g. `report junit.xml`.
        what: String,
        /// The limit, e.g. `64 MiB`.
        limit: String,
    },
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// A report/timing file could not be read.
    pub fn report(
        source: impl Into<String>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error(Box::new(ErrorKind::Report {
            source: source.into(),
            location: location.into(),
            message: message.into(),
        }))
    }

    /// A timing store could not be read.
    pub fn store(message: impl Into<String>) -> Self {
        Error(Box::new(ErrorKind::Store {
            message: message.into(),
        }))
    }

    /// An invalid input; `name` is the action input's public name.
    pub fn input(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorKind::Input {
            name: name.into(),
            message: message.into(),
        }))
    }

    /// A documented resource limit was exceeded.
    pub fn limit(what: impl Into<String>, limit: impl Into<String>) -> Self {
        Error(Box::new(ErrorKind::Limit {
            what: what.into(),
            limit: limit.into(),
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Report {
                source,
                location,
                message,
            } if location.is_empty() => {
                write!(f, "report {source}: {message}")
            }
            ErrorKind::Report {
                source,
                location,
                message,
            } => write!(f, "report {source}, {location}: {message}"),
            ErrorKind::Store { message } => write!(f, "timing store: {message}"),
            ErrorKind::Input { name, message } => write!(f, "input `{name}`: {message}"),
            ErrorKind::Limit { what, limit } => write!(f, "{what} exceeds the limit of {limit}"),
        }
    }
}

impl std::error::Error for Error {}

/// User data as it may appear inside a message: at most `max_chars` characters (`…` appended when cut), every
/// control character (Unicode category Cc: C0, DEL and C1, so `\n`, `\r` and ESC too) replaced by U+FFFD. Borrows
/// when nothing changes. Used for every piece of user-derived text quoted in a warning or an error, crate-wide.
pub fn printable(text: &str, max_chars: usize) -> Cow<'_, str> {
    let cut = text.char_indices().nth(max_chars).map(|(i, _)| i);
    let head = text.get(..cut.unwrap_or(text.len())).unwrap_or(text);
    if cut.is_none() && !head.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out: String = head
        .chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    if cut.is_some() {
        out.push('…');
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_where_and_what() {
        let cases = [
            (
                Error::report("junit.xml", "line 40", "time=\"abc\" is not a number"),
                "report junit.xml, line 40: time=\"abc\" is not a number",
            ),
            (
                Error::report("t.json", "", "expected an object"),
                "report t.json: expected an object",
            ),
            (
                Error::store("format version 9 is newer than this build (1)"),
                "timing store: format version 9 is newer than this build (1)",
            ),
            (
                Error::input("workers", "expected 1..256 or `auto`, got `0`"),
                "input `workers`: expected 1..256 or `auto`, got `0`",
            ),
            (
                Error::limit("report big.xml", "64 MiB"),
                "report big.xml exceeds the limit of 64 MiB",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn printable_cuts_and_neutralises_control_characters() {
        let cases = [
            ("abc", 5, "abc"),
            ("abcdef", 3, "abc…"),
            ("a\nb", 5, "a\u{FFFD}b"),
            ("a\r\n::error::x", 100, "a\u{FFFD}\u{FFFD}::error::x"),
            ("ünï\u{1b}[2J", 4, "ünï\u{FFFD}…"),
            ("c1\u{85}del\u{7f}", 10, "c1\u{FFFD}del\u{FFFD}"),
            ("tab\there", 20, "tab\u{FFFD}here"),
            ("", 3, ""),
            ("xyz", 0, "…"),
        ];
        for (s, max, want) in cases {
            assert_eq!(printable(s, max), want, "{s:?}");
        }
        assert!(matches!(printable("plain", 10), Cow::Borrowed(_)));
    }
}
