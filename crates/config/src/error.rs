//! Configuration errors: which file, what is wrong, on one line, and never
//! any key material.

use std::path::Path;

/// What kind of problem a configuration has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unreadable, malformed, or inconsistent input (exit code 2 in the binaries).
    BadInput,
    /// A well-formed learner graph that violates a validity condition (exit code 1 for `check`).
    InvalidGraph,
    /// A learner graph with no violation found, but whose LG-4 check did not
    /// finish within the work budget for some learner pairs: it may or may
    /// not be valid. Refused unless loaded with
    /// [`GraphCheck::AcceptUnchecked`](crate::GraphCheck::AcceptUnchecked)
    /// (`--accept-unchecked-graph` in the binaries, which otherwise exit 2).
    UncheckedGraph,
}

/// A configuration error: which file, and what is wrong, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file (or a description of the input).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Bad input or an invalid graph.
    pub kind: ErrorKind,
}

impl ConfigError {
    /// Bad input in `path`.
    pub fn bad(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self::new(path, message, ErrorKind::BadInput)
    }

    /// An error of `kind` in `path`. The message is put on one line, and
    /// anything that looks like key material is removed from it.
    pub fn new(path: impl AsRef<Path>, message: impl Into<String>, kind: ErrorKind) -> Self {
        Self {
            path: redact(&path.as_ref().display().to_string()),
            message: redact(&one_line(&message.into())),
            kind,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shortest run of hex digits treated as key material: a key is 64, and no
/// name, address or count in a configuration is this long.
const SECRET_RUN: usize = 24;

/// Replaces every run of at least 24 hex digits (a private key
/// pasted into any field, quoted back by a parser) with `[redacted]`.
pub fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        flush(&mut out, &mut run);
        out.push(c);
    }
    flush(&mut out, &mut run);
    out
}

fn flush(out: &mut String, run: &mut String) {
    if run.len() >= SECRET_RUN {
        out.push_str("[redacted]");
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_material_is_redacted_and_short_hex_kept() {
        let key = "9f".repeat(32);
        let e = ConfigError::bad(
            "a.json",
            format!("invalid type: string \"{key}\", expected a sequence"),
        );
        assert!(!e.message.contains(&key));
        assert!(e.message.contains("[redacted]"));
        assert_eq!(redact("port 7000 of cafe"), "port 7000 of cafe");
    }
}
