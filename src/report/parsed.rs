//! A report parsed by another instance of the core, handed over as bytes.
//!
//! The shim may parse some timing reports in worker threads (`js/parse-threads.js`): each thread runs its own
//! instance of the module, parses a report with [`encode`], and passes the bytes to the main instance, which takes
//! them with [`ParsedReport::decode`] instead of parsing the report itself. A plan or a record then reads the
//! reports in their given order, whoever parsed them, so its result is the same byte for byte.
//!
//! The form is private to one build of the core (both ends are the same module), little-endian:
//!
//! ```text
//! magic "TSPR", version 1 (u8), status (u8)
//!   status 1 (the report was refused): message (u32 length + UTF-8)
//!   status 0: format (u8), warnings (u32 count, each u32 length + UTF-8),
//!             samples (u32 count, each: id length u32, file length u32, id hash u64, seconds f64),
//!             odd files (u32 count, each: sample index u32, u32 length + UTF-8),
//!             ids (u32 length + UTF-8: every sample's id in order, end to end)
//! ```
//!
//! Decoding checks every length, every boundary and every number, and refuses anything else (the caller then
//! parses the report itself); it never panics. It does not hash the ids again: that is the work it saves.

use super::{Format, ReadReport, Samples};
use crate::Result;

const MAGIC: &[u8; 4] = b"TSPR";
const VERSION: u8 = 1;

/// A report's content as the core receives it: the file's bytes, or the report already parsed elsewhere.
pub enum Input<'a> {
    /// The file's bytes (parsed here).
    Bytes(&'a [u8]),
    /// The report parsed by another instance ([`ParsedReport::decode`]).
    Parsed(ParsedReport),
}

/// A report parsed elsewhere: what parsing it gave, or the message it was refused with.
pub struct ParsedReport(std::result::Result<ReadReport, String>);

impl ParsedReport {
    /// Takes the bytes [`encode`] made; `Err` says what is wrong with them.
    pub fn decode(bytes: &[u8]) -> std::result::Result<ParsedReport, String> {
        let mut r = Reader { rest: bytes };
        if r.take(4)? != MAGIC {
            return Err("not a parsed report".into());
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(format!(
                "parsed report version {version}, expected {VERSION}"
            ));
        }
        let parsed = match r.u8()? {
            0 => {
                let format = format_from_code(r.u8()?)?;
                let n = r.len()?;
                let warnings = (0..n)
                    .map(|_| r.string())
                    .collect::<std::result::Result<_, _>>()?;
                let samples = Samples::decode(&mut r)?;
                Ok(ReadReport {
                    format,
                    samples,
                    warnings,
                })
            }
            1 => Err(r.string()?),
            s => return Err(format!("parsed report status {s}")),
        };
        if !r.rest.is_empty() {
            return Err(format!("{} bytes after the parsed report", r.rest.len()));
        }
        Ok(ParsedReport(parsed))
    }

    /// What parsing the report gave: its samples, or the message it was refused with.
    pub(crate) fn into_result(self) -> std::result::Result<ReadReport, String> {
        self.0
    }
}

/// Parses a report (as [`super::parse`] does) and encodes the outcome for [`ParsedReport::decode`]: the samples,
/// or the error that refused the file.
pub fn encode(source: &str, bytes: &[u8], opts: &super::ParseOptions) -> Vec<u8> {
    encode_result(&super::parse_samples(source, bytes, opts))
}

fn encode_result(parsed: &Result<ReadReport>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    match parsed {
        Ok(read) => {
            out.push(0);
            out.push(format_code(read.format));
            put_len(&mut out, read.warnings.len());
            for w in &read.warnings {
                put_str(&mut out, w);
            }
            read.samples.encode(&mut out);
        }
        Err(e) => {
            out.push(1);
            put_str(&mut out, &e.to_string());
        }
    }
    out
}

/// What parsing a report's content gives (see [`Input`]), the refusal as its message.
pub(crate) fn read_input(
    source: &str,
    input: Input<'_>,
    opts: &super::ParseOptions,
) -> std::result::Result<ReadReport, String> {
    match input {
        Input::Bytes(bytes) => super::parse_samples(source, bytes, opts).map_err(|e| e.to_string()),
        Input::Parsed(parsed) => parsed.into_result(),
    }
}

fn format_code(f: Format) -> u8 {
    match f {
        Format::JUnit => 0,
        Format::DurationsJson => 1,
        Format::ParallelTestsLog => 2,
        Format::CypressSplit => 3,
    }
}

fn format_from_code(c: u8) -> std::result::Result<Format, String> {
    Ok(match c {
        0 => Format::JUnit,
        1 => Format::DurationsJson,
        2 => Format::ParallelTestsLog,
        3 => Format::CypressSplit,
        _ => return Err(format!("parsed report format {c}")),
    })
}

/// Appends a length or count (every one fits: a report is at most 128 MiB).
pub(super) fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

pub(super) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Reads the encoded form front to back; every read checks that the bytes are there.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("parsed report cut short".into());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], String> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(super) fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn len(&mut self) -> std::result::Result<usize, String> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }

    pub(super) fn u64(&mut self) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(super) fn f64(&mut self) -> std::result::Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A length and that many bytes of UTF-8.
    pub(super) fn string(&mut self) -> std::result::Result<String, String> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        super::valid_utf8(bytes)
            .map(str::to_string)
            .ok_or_else(|| "parsed report text is not UTF-8".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{parse_samples, ParseOptions};

    fn opts() -> ParseOptions {
        ParseOptions {
            roots: vec!["/home/ci/repo".into()],
        }
    }

    /// Everything a reader of samples can see, in order.
    fn seen(s: &Samples) -> Vec<(String, String, u64, f64)> {
        (0..s.len())
            .map(|i| {
                (
                    s.id(i).to_string(),
                    s.file(i).to_string(),
                    s.id_hash(i),
                    s.seconds(i),
                )
            })
            .collect()
    }

    fn roundtrip(name: &str, bytes: &[u8]) {
        let direct = parse_samples(name, bytes, &opts());
        let encoded = encode(name, bytes, &opts());
        let decoded = ParsedReport::decode(&encoded)
            .expect("decodes")
            .into_result();
        match (direct, decoded) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.format, b.format, "{name}");
                assert_eq!(a.warnings, b.warnings, "{name}");
                assert_eq!(seen(&a.samples), seen(&b.samples), "{name}");
                // Seconds bit for bit, before the cap `seconds(i)` applies.
                assert_eq!(a.samples.seconds, b.samples.seconds, "{name}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b, "{name}"),
            (a, b) => panic!("{name}: direct {:?}, decoded {:?}", a.is_ok(), b.is_ok()),
        }
    }

    const JUNIT: &str = r#"<?xml version="1.0"?>
<testsuites><testsuite name="s" time="9">
  <testcase classname="pkg.test_a" file="/home/ci/repo/pkg/test_a.py" name="test_one" time="1.5"/>
  <testcase classname="pkg.test_a" file="pkg/test_a.py" name="test_one" time="0.5"/>
  <testcase classname="pkg.test_b" name="test_ü[x-y]" time="2"/>
  <testcase classname="pkg.test_b" name="bad" time="abc"/>
  <testcase classname="pkg.test_b" name="ctl&#1;" time="0.25"><skipped/></testcase>
</testsuite></testsuites>"#;

    #[test]
    fn every_format_and_refusal_survives_the_trip() {
        let long = format!(
            r#"<testsuite><testcase classname="c" file="f.py" name="{}" time="1"/></testsuite>"#,
            "x".repeat(crate::limits::MAX_ID_BYTES + 10)
        );
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("junit.xml", JUNIT.as_bytes().to_vec()),
            ("long.xml", long.into_bytes()),
            (
                ".test_durations",
                br#"{"a/t.py::x": 1.5, "b/t.py::y": -1, "a/t.py::z": 2}"#.to_vec(),
            ),
            (
                "timings.json",
                br#"{"durations": [{"spec": "c/a.cy.js", "duration": 1200}]}"#.to_vec(),
            ),
            (
                "runtime.log",
                b"spec/a_spec.rb:1.5\nspec/b_spec.rb:x\n".to_vec(),
            ),
            ("empty.xml", b"   ".to_vec()),
            ("broken.xml", b"<testsuite><testcase".to_vec()),
            ("nothing.xml", b"<testsuites/>".to_vec()),
        ];
        for (name, bytes) in &cases {
            roundtrip(name, bytes);
        }
    }

    #[test]
    fn a_key_whose_file_is_not_its_prefix_keeps_it() {
        let mut s = Samples::new();
        s.insert("a.py::t", "a.py", 1.0);
        s.insert("weird::t", "elsewhere.py", 2.0);
        let read = ReadReport {
            format: Format::DurationsJson,
            samples: s,
            warnings: vec!["w".into()],
        };
        let bytes = encode_result(&Ok(read));
        let back = ParsedReport::decode(&bytes).unwrap().into_result().unwrap();
        assert_eq!(back.samples.file(1), "elsewhere.py");
        assert_eq!(back.samples.file(0), "a.py");
        assert_eq!(back.samples.id(1), "weird::t");
    }

    /// Every cut and many corruptions of a valid form are refused or decode to samples that make sense; none
    /// panics.
    #[test]
    fn damaged_forms_are_refused_without_panicking() {
        let good = encode("junit.xml", JUNIT.as_bytes(), &opts());
        assert!(ParsedReport::decode(&good).is_ok());
        for cut in 0..good.len() {
            assert!(ParsedReport::decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(ParsedReport::decode(&longer).is_err());
        for at in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = good.clone();
                bad[at] ^= flip;
                if let Ok(p) = ParsedReport::decode(&bad) {
                    if let Ok(read) = p.into_result() {
                        for i in 0..read.samples.len() {
                            let (id, file) = (read.samples.id(i), read.samples.file(i));
                            assert!(id.starts_with(file), "{at} {flip}: {id:?} {file:?}");
                            assert!(read.samples.seconds(i) >= 0.0);
                        }
                    }
                }
            }
        }
    }

    /// Decoded samples find each id as the parsed ones do (the decoder rebuilds the index, colliding hashes
    /// included), and a form that repeats an id is refused.
    #[test]
    fn decoded_samples_find_their_ids() {
        for hash in [crate::report::id_hash as fn(&str) -> u64, |_: &str| 7] {
            let mut s = Samples::with_hash(hash);
            for id in ["a.py::t", "b.py::t", "a.py::u", "c.py::v"] {
                let file = id.split("::").next().unwrap_or_default();
                s.insert(id, file, 1.0);
            }
            let mut bytes = Vec::new();
            s.encode(&mut bytes);
            let back = Samples::decode(&mut Reader { rest: &bytes }).expect("decodes");
            for i in 0..back.len() {
                assert_eq!(back.find(back.id(i), back.id_hash(i)), Some(i));
            }
            assert_eq!(back.find("d.py::t", hash("d.py::t")), None);
        }
        // Two samples with the same id (never from the core): refused.
        let mut s = Samples::new();
        s.insert("a.py::t", "a.py", 1.0);
        s.insert("b.py::t", "b.py", 1.0);
        let mut bytes = Vec::new();
        s.encode(&mut bytes);
        let text = bytes.iter().rposition(|&b| b == b'b').expect("second id");
        bytes[text] = b'a';
        bytes[text - 7] = b'a';
        let ids = String::from_utf8_lossy(&bytes[bytes.len() - 14..]).to_string();
        assert_eq!(ids, "a.py::ta.py::t");
        // Hashes are taken as encoded: the repeat is seen when it carries the first one's hash too. Samples start
        // after the count (4 bytes): id length, file length (4 each), then the hash (8).
        let first_hash: [u8; 8] = bytes[12..20].try_into().expect("8 bytes");
        bytes[36..44].copy_from_slice(&first_hash);
        let err = Samples::decode(&mut Reader { rest: &bytes }).err();
        assert_eq!(err.as_deref(), Some("parsed report repeats an id"));
        // The same when every hash collides: the repeat is found among the overflow ids.
        let mut s = Samples::with_hash(|_| 7);
        for id in ["a.py::t", "b.py::t", "c.py::t"] {
            s.insert(id, &id[..4], 1.0);
        }
        let mut bytes = Vec::new();
        s.encode(&mut bytes);
        let third = bytes.len() - 7;
        assert_eq!(bytes[third], b'c');
        bytes[third] = b'b';
        let err = Samples::decode(&mut Reader { rest: &bytes }).err();
        assert_eq!(err.as_deref(), Some("parsed report repeats an id"));
    }

    #[test]
    fn a_large_report_survives_the_trip() {
        let mut xml = String::from("<testsuite>");
        for f in 0..300 {
            for t in 0..40 {
                xml.push_str(&format!(
                    r#"<testcase classname="pkg.mod_{f}" file="pkg/mod_{f}.py" name="test_{t}[é{}]" time="0.{t}"/>"#,
                    "p".repeat(t)
                ));
            }
        }
        xml.push_str("</testsuite>");
        roundtrip("big.xml", xml.as_bytes());
    }
}
