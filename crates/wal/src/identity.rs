//! Who a data directory belongs to, and the text format of its `IDENTITY` file.

/// The identity of the acceptor that owns a data directory.
///
/// It is recorded in the directory's `IDENTITY` file: UTF-8 text of
/// `key = value` lines, in any order, each of the keys `format`, `acceptor`,
/// `public_key` and `cluster` exactly once; blank lines and lines starting with
/// `#` are ignored. Parsing is strict: any other line, an unknown, repeated or
/// missing key, a format other than `1`, or a malformed value (an empty name,
/// or one with control characters or surrounding white space; a key or cluster
/// that is empty or not hexadecimal) makes the file unparsable.
///
/// ```text
/// # hetpaxos acceptor data directory: do not edit
/// format = 1
/// acceptor = alice
/// public_key = 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
/// cluster = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The acceptor's name in the cluster configuration. Informational only:
    /// see [`DataDir::open`](crate::DataDir::open).
    pub acceptor: String,
    /// The acceptor's public key, in hex (compared ignoring ASCII case).
    pub public_key: String,
    /// The cluster's identifier (e.g. a hash of its configuration), in hex
    /// (compared ignoring ASCII case).
    pub cluster: String,
}

/// The value of the `format` key this crate writes and reads.
const FORMAT: &str = "1";

/// The keys of the file, in the order they are written.
const KEYS: [&str; 4] = ["format", "acceptor", "public_key", "cluster"];

impl Identity {
    /// The first field that could not be written and read back faithfully, and
    /// why.
    pub(crate) fn invalid_field(&self) -> Option<(&'static str, &'static str)> {
        [
            ("acceptor", name_problem(&self.acceptor)),
            ("public_key", hex_problem(&self.public_key)),
            ("cluster", hex_problem(&self.cluster)),
        ]
        .into_iter()
        .find_map(|(field, problem)| problem.map(|p| (field, p)))
    }

    /// The contents of an `IDENTITY` file recording this identity.
    pub(crate) fn render(&self) -> String {
        format!(
            "# hetpaxos acceptor data directory: do not edit\n\
             format = {FORMAT}\n\
             acceptor = {}\n\
             public_key = {}\n\
             cluster = {}\n",
            self.acceptor, self.public_key, self.cluster
        )
    }

    /// Parses the contents of an `IDENTITY` file; the error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Identity, String> {
        let mut values: [Option<&str>; 4] = [None; 4];
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(format!("line {n} is not of the form `key = value`"));
            };
            let (key, value) = (key.trim(), value.trim());
            let Some(slot) = KEYS
                .iter()
                .position(|k| *k == key)
                .and_then(|i| values.get_mut(i))
            else {
                return Err(format!("unknown key {key:?} on line {n}"));
            };
            if slot.replace(value).is_some() {
                return Err(format!("key {key:?} is repeated on line {n}"));
            }
        }
        let [format, acceptor, public_key, cluster] = values;
        let format = need(format, "format")?;
        if format != FORMAT {
            return Err(format!(
                "unsupported format {format:?} (expected {FORMAT:?})"
            ));
        }
        let identity = Identity {
            acceptor: need(acceptor, "acceptor")?.to_string(),
            public_key: need(public_key, "public_key")?.to_string(),
            cluster: need(cluster, "cluster")?.to_string(),
        };
        match identity.invalid_field() {
            Some((field, problem)) => Err(format!("its {field} {problem}")),
            None => Ok(identity),
        }
    }
}

/// The value of a key that must be present.
fn need<'a>(value: Option<&'a str>, key: &str) -> Result<&'a str, String> {
    value.ok_or_else(|| format!("missing key {key:?}"))
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.trim() != name {
        Some("has leading or trailing white space")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

fn hex_problem(hex: &str) -> Option<&'static str> {
    if hex.is_empty() {
        Some("is empty")
    } else if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some("is not hexadecimal")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Identity {
        Identity {
            acceptor: "alice in chains".into(),
            public_key: "00ff".into(),
            cluster: "ABCD".into(),
        }
    }

    #[test]
    fn render_then_parse_round_trips() {
        assert_eq!(Identity::parse(&alice().render()), Ok(alice()));
    }

    #[test]
    fn parse_is_strict() {
        let ok = "format = 1\nacceptor = a\npublic_key = 01\ncluster = 02\n";
        assert!(Identity::parse(ok).is_ok());
        for (bad, why) in [
            (
                "acceptor = a\npublic_key = 01\ncluster = 02\n",
                "missing key \"format\"",
            ),
            (
                "format = 2\nacceptor = a\npublic_key = 01\ncluster = 02\n",
                "unsupported",
            ),
            (
                "format = 1\nacceptor = a\npublic_key = 01\ncluster = 02\ncolour = red\n",
                "unknown key",
            ),
            (
                "format = 1\nacceptor = a\nacceptor = b\npublic_key = 01\ncluster = 02\n",
                "repeated",
            ),
            (
                "format = 1\nacceptor a\npublic_key = 01\ncluster = 02\n",
                "line 2",
            ),
            (
                "format = 1\nacceptor = a\npublic_key = xyz\ncluster = 02\n",
                "public_key is not hex",
            ),
            (
                "format = 1\nacceptor = \npublic_key = 01\ncluster = 02\n",
                "acceptor is empty",
            ),
        ] {
            let got = Identity::parse(bad);
            assert!(
                matches!(&got, Err(e) if e.contains(why)),
                "{bad:?} gave {got:?}"
            );
        }
    }

    #[test]
    fn unrecordable_identities_are_named() {
        let mut id = alice();
        id.acceptor = "two\nlines".into();
        assert_eq!(
            id.invalid_field(),
            Some(("acceptor", "contains a control character"))
        );
        let mut id = alice();
        id.cluster = "c-1".into();
        assert_eq!(id.invalid_field(), Some(("cluster", "is not hexadecimal")));
        assert_eq!(alice().invalid_field(), None);
    }
}
