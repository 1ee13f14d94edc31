//! parallel_tests runtime logs (`tmp/parallel_runtime_rspec.log`): one `path:seconds` per line, at file granularity.
//!
//! Each line is split at its LAST `:` (paths may contain `:`, e.g. `C:\…` or `spec/a:b_spec.rb`); both parts are
//! trimmed. Blank lines and `\r\n` endings are fine. A line that is not `path:seconds`, or whose seconds are not a
//! usable duration, is skipped with a warning naming its line number. A file with no valid line at all is not a
//! timing file (error).

use super::{parse_seconds, Kind, Samples, Warnings, ACCEPTED_FORMATS};
use crate::error::printable;
use crate::test_id::{normalize_path_with, TestKey};
use crate::{Error, Result};

/// Reads a parallel_tests runtime log.
pub(crate) fn parse(text: &str, roots: &[String], w: &mut Warnings) -> Result<Samples> {
    let mut samples = Samples::new();
    let mut first_bad: Option<(usize, &str)> = None;
    let mut good = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let parsed = match t.rsplit_once(':') {
            Some((path, secs)) if !path.trim().is_empty() => parse_seconds(secs)
                .map(|s| (path.trim(), s))
                .map_err(|why| format!("\"{}\" {why}", printable(secs.trim(), 40))),
            _ => Err("is not `path:seconds`".to_string()),
        };
        match parsed {
            Ok((path, secs)) => {
                good += 1;
                let file = normalize_path_with(path, roots);
                let key = TestKey::file_only(file);
                samples.add(key, secs, w, &mut || format!("line {line_no}"));
            }
            Err(why) => {
                first_bad.get_or_insert((line_no, t));
                w.push(Kind::BadLine, &format!("line {line_no}"), || {
                    format!("`{}`: {why}; line skipped", printable(t, 80))
                });
            }
        }
    }
    if good == 0 {
        let (line_no, t) = first_bad.unwrap_or((1, ""));
        return Err(Error::report(
            w.source(),
            format!("line {line_no}"),
            format!(
                "not a timing file: `{}` is not `path:seconds`; {ACCEPTED_FORMATS}",
                printable(t, 60)
            ),
        ));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use crate::report::{parse, Format, ParseOptions};

    /// (log text, expected (id, seconds), expected warnings).
    type Case = (&'static str, Vec<(&'static str, f64)>, Vec<&'static str>);

    #[test]
    fn successes() {
        let cases: Vec<Case> = vec![
            ("spec/a_spec.rb:1.5\nspec/b_spec.rb:2\n", vec![("spec/a_spec.rb", 1.5), ("spec/b_spec.rb", 2.0)], vec![]),
            ("\n\n./spec/a_spec.rb:1\r\n\r\nspec/a_spec.rb: 0.5 \n", vec![("spec/a_spec.rb", 1.5)], vec![]),
            ("C:\\w\\spec\\a_spec.rb:3", vec![("spec/a_spec.rb", 3.0)], vec![]),
            ("spec/odd:name_spec.rb:4", vec![("spec/odd:name_spec.rb", 4.0)], vec![]),
            (
                "spec/a_spec.rb:1\nspec/b_spec.rb:abc\nno colon here\n:5\nspec/c_spec.rb:-1\nspec/d_spec.rb:nan",
                vec![("spec/a_spec.rb", 1.0)],
                vec![
                    "report r.log, line 2: `spec/b_spec.rb:abc`: \"abc\" is not a number; line skipped",
                    "report r.log, line 3: `no colon here`: is not `path:seconds`; line skipped",
                    "report r.log, line 4: `:5`: is not `path:seconds`; line skipped",
                    "report r.log, line 5: `spec/c_spec.rb:-1`: \"-1\" is negative; line skipped",
                    "report r.log, line 6: `spec/d_spec.rb:nan`: \"nan\" is not a number; line skipped",
                ],
            ),
        ];
        for (text, want, warnings) in cases {
            let r = parse(
                "r.log",
                text.as_bytes(),
                &ParseOptions {
                    roots: vec!["C:\\w".into()],
                },
            )
            .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.format, Format::ParallelTestsLog);
            let got: Vec<(&str, f64)> = r
                .samples
                .iter()
                .map(|s| (s.key.id.as_str(), s.seconds))
                .collect();
            assert_eq!(got, want, "{text}");
            assert!(r.samples.iter().all(|s| s.key.file == s.key.id));
            assert_eq!(r.warnings, warnings, "{text}");
        }
    }

    #[test]
    fn failures() {
        let cases = [
            ("hello\nworld", "report r.log, line 1: not a timing file: `hello` is not `path:seconds`; accepted formats"),
            ("\n\na:b\n", "report r.log, line 3: not a timing file: `a:b` is not `path:seconds`"),
        ];
        for (text, want) in cases {
            let err = parse("r.log", text.as_bytes(), &ParseOptions::default())
                .expect_err(text)
                .to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }
}
