//! Real timing files and JUnit reports, as their own tools wrote them, through `report::parse`.
//!
//! * `../shared/bench/timings/` (a sibling of the checkout, skipped with a note when absent): every file parses
//!   with exactly the entry count of `SOURCES.md` and the same total within its rounding.
//! * `tests/fixtures/timings/`: copies of six of those files, so these checks never depend on `shared/` alone.
//! * `tests/fixtures/junit/<tool>/`: reports written by real tools (see the README there); per-tool expectations.
//! * Property: `parse` never panics, on arbitrary bytes or on damaged real reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use timeshard::report::{parse, Format, ParseOptions, Report};
use timeshard::test_id::reconcile_roots;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared_timings() -> Option<PathBuf> {
    let dir = manifest_dir().join("../shared/bench/timings");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "note: {} is absent; shared timing files not checked",
            dir.display()
        );
        None
    }
}

fn parse_file(path: &Path, roots: &[&str]) -> Report {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = ParseOptions {
        roots: roots.iter().map(|r| r.to_string()).collect(),
    };
    parse(&name, &bytes, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (file, format, entries, total seconds as printed in SOURCES.md) — the table of SOURCES.md, by its `#` order.
const SOURCES: &[(&str, Format, usize, f64)] = &[
    (
        "heroku__heroku-buildpack-ruby__knapsack_rspec_report.json",
        Format::DurationsJson,
        24,
        2612.1,
    ),
    (
        "Datavault-UK__automate-dv__test-results__junit.xml",
        Format::JUnit,
        55,
        1058.9,
    ),
    ("haozturk__WMCore__nosetests.xml", Format::JUnit, 68, 549.0),
    (
        "Parallel-in-Time__pySDC__.test_durations",
        Format::DurationsJson,
        116,
        1057.3,
    ),
    (
        "rubygems__bundler__tmp__parallel_runtime_rspec.log",
        Format::ParallelTestsLog,
        156,
        5441.6,
    ),
    (
        "sanger__sequencescape__knapsack_cucumber_report.json",
        Format::DurationsJson,
        230,
        2756.4,
    ),
    (
        "inspec__inspec__knapsack_minitest_report.json",
        Format::DurationsJson,
        258,
        1104.2,
    ),
    (
        "ministryofjustice__correspondence_tool_staff__knapsack_rspec_report.json",
        Format::DurationsJson,
        294,
        2155.0,
    ),
    (
        "sanger__sequencescape__knapsack_rspec_report.json",
        Format::DurationsJson,
        313,
        916.9,
    ),
    (
        "AnkiHubSoftware__ankihub_addon__tests__.test_durations",
        Format::DurationsJson,
        350,
        622.1,
    ),
    (
        "openfoodfoundation__openfoodnetwork__knapsack_rspec_report.json",
        Format::DurationsJson,
        386,
        3344.3,
    ),
    (
        "Energy-Sparks__energy-sparks__knapsack_rspec_report.json",
        Format::DurationsJson,
        466,
        1135.3,
    ),
    (
        "Swiss-Armed-Forces__Loom__.test_durations",
        Format::DurationsJson,
        478,
        11091.7,
    ),
    (
        "DFE-Digital__early-careers-framework__knapsack_rspec_report.json",
        Format::DurationsJson,
        758,
        3313.6,
    ),
    (
        "ideacrew__enroll__tmp__github-actions-parallel_runtime_rspec.log",
        Format::ParallelTestsLog,
        812,
        8223.9,
    ),
    (
        "cosc442spring2018__FreeCol__TESTS-TestSuites.xml",
        Format::JUnit,
        823,
        26.2,
    ),
    (
        "conda__conda-build__durations__Linux.json",
        Format::DurationsJson,
        964,
        6132.2,
    ),
    (
        "DFE-Digital__register-early-career-teachers-public__knapsack_rspec_report.json",
        Format::DurationsJson,
        1004,
        1321.4,
    ),
    (
        "Clinical-Genomics__scout__.test_durations",
        Format::DurationsJson,
        1051,
        994.2,
    ),
    (
        "equinor__ecalc__.test_durations",
        Format::DurationsJson,
        1096,
        76.4,
    ),
    (
        "18F__identity-idp__knapsack_rspec_report.json",
        Format::DurationsJson,
        1122,
        6919.4,
    ),
    (
        "alteryx__evalml__test-reports__junit.xml",
        Format::JUnit,
        1173,
        872.5,
    ),
    (
        "pgmpy__pgmpy__.test_durations",
        Format::DurationsJson,
        1196,
        530.4,
    ),
    (
        "HyphaApp__hypha__.test_durations",
        Format::DurationsJson,
        1774,
        706.6,
    ),
    (
        "OS2mo__os2mo__backend__.test_durations",
        Format::DurationsJson,
        2103,
        1389.5,
    ),
    (
        "City-of-Helsinki__tilavarauspalvelu-core__.test_durations",
        Format::DurationsJson,
        2577,
        271.2,
    ),
    (
        "CederGroupHub__smol__tests__.test_durations",
        Format::DurationsJson,
        2879,
        9881.1,
    ),
    (
        "OneGov__onegov-cloud__.test_durations",
        Format::DurationsJson,
        3592,
        5580.8,
    ),
    (
        "conda__conda__durations__Linux.json",
        Format::DurationsJson,
        3752,
        4704.9,
    ),
    (
        "conda__conda__durations__Windows.json",
        Format::DurationsJson,
        3766,
        5265.7,
    ),
    (
        "bram2w__baserow__backend__.test_durations",
        Format::DurationsJson,
        5753,
        1581.7,
    ),
];

fn expected(name: &str) -> Option<(Format, usize, f64)> {
    SOURCES
        .iter()
        .find(|s| s.0 == name)
        .map(|s| (s.1, s.2, s.3))
}

/// Checks count, total (within the table's 0.1 s rounding), uniqueness, the key invariant and value ranges.
fn check_against_sources(path: &Path) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (format, entries, total) =
        expected(&name).unwrap_or_else(|| panic!("{name} is not in the SOURCES table"));
    let r = parse_file(path, &[]);
    assert_eq!(r.format, format, "{name}");
    assert_eq!(r.samples.len(), entries, "{name}: entries");
    let sum: f64 = r.samples.iter().map(|s| s.seconds).sum();
    assert!(
        (sum - total).abs() <= 0.05 + 1e-9 * total,
        "{name}: total {sum} vs {total}"
    );
    let ids: BTreeSet<&str> = r.samples.iter().map(|s| s.key.id.as_str()).collect();
    assert_eq!(ids.len(), r.samples.len(), "{name}: duplicate ids");
    for s in &r.samples {
        assert!(s.seconds.is_finite() && s.seconds >= 0.0, "{name}: {s:?}");
        assert!(
            s.key.id == s.key.file || s.key.id.starts_with(&format!("{}::", s.key.file)),
            "{name}: {s:?}"
        );
    }
    if format != Format::JUnit {
        // The only warnings allowed: real ids over the id length limit (baserow has four of 7–35 KB).
        let long = r
            .samples
            .iter()
            .filter(|s| s.key.id.contains('…') && s.key.id.len() > 4000)
            .count();
        assert_eq!(r.warnings.len(), long, "{name}: {:?}", r.warnings);
        assert!(
            r.warnings
                .iter()
                .all(|w| w.contains("is longer than the limit")),
            "{name}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn every_shared_timing_file_matches_sources_md() {
    let Some(dir) = shared_timings() else { return };
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("readable timings dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n != "SOURCES.md")
        .collect();
    files.sort();
    let mut listed: Vec<String> = SOURCES.iter().map(|s| s.0.to_string()).collect();
    listed.sort();
    assert_eq!(
        files,
        listed,
        "files in {} vs the table in this test",
        dir.display()
    );
    for f in &files {
        check_against_sources(&dir.join(f));
    }
    // The table above must still be what SOURCES.md says (entries and total columns).
    let md = std::fs::read_to_string(dir.join("SOURCES.md")).expect("SOURCES.md");
    let mut rows = 0;
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("` |"))
    {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(file), Some(entries), Some(total)) = (cols.get(2), cols.get(7), cols.get(8))
        else {
            continue;
        };
        let file = file.trim_matches('`');
        let Some((_, want_entries, want_total)) = expected(file) else {
            continue;
        };
        let entries: usize = entries.replace(',', "").parse().expect("entries column");
        let total: f64 = total.replace(',', "").parse().expect("total column");
        assert_eq!(
            (entries, total),
            (want_entries, want_total),
            "SOURCES.md row for {file}"
        );
        rows += 1;
    }
    assert_eq!(rows, SOURCES.len(), "rows of SOURCES.md matched");
}

#[test]
fn fixture_copies_match_sources_md() {
    let dir = manifest_dir().join("tests/fixtures/timings");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fixtures/timings") {
        let path = entry.expect("dir entry").path();
        check_against_sources(&path);
        n += 1;
    }
    assert_eq!(n, 6);
}

fn seconds_of(r: &Report, id: &str) -> f64 {
    r.samples
        .iter()
        .find(|s| s.key.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .seconds
}

#[test]
fn automate_dv_pytest_xunit1() {
    let r = parse_file(
        &manifest_dir()
            .join("tests/fixtures/timings/Datavault-UK__automate-dv__test-results__junit.xml"),
        &[],
    );
    let id = "tests/unit/internal/test_alias.py::TestAliasMacro::test_alias_single_correctly_generates_sql";
    assert_eq!(seconds_of(&r, id), 26.590);
    assert!(r
        .samples
        .iter()
        .all(|s| s.key.file.ends_with(".py") && s.key.file.starts_with("tests/")));
    // Every case carries a file attribute: no warning at all.
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn wmcore_nose_classname_to_file() {
    let r = parse_file(
        &manifest_dir().join("tests/fixtures/timings/haozturk__WMCore__nosetests.xml"),
        &[],
    );
    let s = &r.samples[0];
    assert_eq!(s.key.file, "WMCore_t/WMSpec_t/StdSpecs_t/DQMHarvest_t.py");
    assert_eq!(
        s.key.id,
        "WMCore_t/WMSpec_t/StdSpecs_t/DQMHarvest_t.py::DQMHarvestTests::testDQMHarvest"
    );
    assert_eq!(s.seconds, 6.833);
    assert!(
        r.samples
            .iter()
            .all(|s| s.key.file.starts_with("WMCore_t/") && s.key.file.ends_with("_t.py")),
        "{:?}",
        r.samples
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("no `file` attributes")
            && r.warnings[0].contains("classname → file path (68 cases)"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn freecol_ant_classes_are_units() {
    let Some(dir) = shared_timings() else { return };
    let r = parse_file(
        &dir.join("cosc442spring2018__FreeCol__TESTS-TestSuites.xml"),
        &[],
    );
    assert!(
        r.samples
            .iter()
            .all(|s| s.key.file.starts_with("net.sf.freecol.") && !s.key.file.contains('/')),
        "{:?}",
        &r.samples[..3]
    );
    let classes: BTreeSet<&str> = r.samples.iter().map(|s| s.key.file.as_str()).collect();
    assert!(
        classes.contains("net.sf.freecol.common.i18n.CLDRTest"),
        "{classes:?}"
    );
    assert!(classes.len() > 20, "{}", classes.len());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("class as unit (823 cases)"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn evalml_xdist_suite_time_is_not_spread() {
    let Some(dir) = shared_timings() else { return };
    let r = parse_file(&dir.join("alteryx__evalml__test-reports__junit.xml"), &[]);
    // Suite time 186 s < 873 s of cases (xdist): the total stays the sum of the cases (checked against SOURCES too).
    let sum: f64 = r.samples.iter().map(|s| s.seconds).sum();
    assert!((sum - 872.5).abs() < 0.05, "{sum}");
    // A module skipped at collection is the file itself; doctests keep their dotted name.
    let skipped = "evalml/tests/component_tests/test_text_featurizer.py";
    assert_eq!(seconds_of(&r, skipped), 0.0);
    assert!(r.samples.iter().any(|s| s
        .key
        .id
        .starts_with("evalml/data_checks/highly_null_data_check.py::evalml.data_checks.")));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

// ---- Reports written by real tools (tests/fixtures/junit, see its README) ----

fn junit_fixture(tool: &str, file: &str) -> Option<Report> {
    let path = manifest_dir()
        .join("tests/fixtures/junit")
        .join(tool)
        .join(file);
    if !path.is_file() {
        println!("note: {} is absent", path.display());
        return None;
    }
    let r = parse_file(&path, &[&format!("/tmp/ts-fixtures/{tool}")]);
    assert_eq!(r.format, Format::JUnit);
    Some(r)
}

fn files_of(r: &Report) -> BTreeSet<&str> {
    r.samples.iter().map(|s| s.key.file.as_str()).collect()
}

fn file_total(r: &Report, file: &str) -> f64 {
    r.samples
        .iter()
        .filter(|s| s.key.file == file)
        .map(|s| s.seconds)
        .sum()
}

#[test]
fn every_junit_fixture_parses() {
    let dir = manifest_dir().join("tests/fixtures/junit");
    let Ok(tools) = std::fs::read_dir(&dir) else {
        println!("note: {} is absent", dir.display());
        return;
    };
    let mut n = 0;
    for tool in tools.flatten().filter(|t| t.path().is_dir()) {
        for f in std::fs::read_dir(tool.path()).expect("tool dir").flatten() {
            let path = f.path();
            if path.extension().is_some_and(|e| e == "xml") {
                let r = parse_file(&path, &[]);
                assert_eq!(r.format, Format::JUnit, "{}", path.display());
                assert!(!r.samples.is_empty(), "{}", path.display());
                n += 1;
            }
        }
    }
    assert!(n > 0, "no JUnit fixtures found in {}", dir.display());
}

#[test]
fn pytest_fixtures() {
    let want_files = BTreeSet::from(["tests/pkg/test_strings.py", "tests/test_math.py"]);
    for file in ["xunit1.xml", "xunit2.xml", "xdist-n2.xml"] {
        let Some(r) = junit_fixture("pytest", file) else {
            continue;
        };
        assert_eq!(files_of(&r), want_files, "{file}");
        assert_eq!(r.samples.len(), 12, "{file}");
        for id in [
            "tests/pkg/test_strings.py::TestStrings::test_upper",
            "tests/pkg/test_strings.py::test_raises_error",
            "tests/test_math.py::test_odd_ids[say \"hi\"]",
            "tests/test_math.py::test_odd_ids[\\xfcn\\xefc\\xf6d\\xe9]",
            "tests/test_math.py::test_größe_ünïcode",
        ] {
            assert!(r.samples.iter().any(|s| s.key.id == id), "{file}: no {id}");
        }
        // One session-wide suite spanning two files: its time is not spread.
        let case_sum: f64 = r.samples.iter().map(|s| s.seconds).sum();
        assert!(case_sum < 0.7, "{file}: {case_sum}");
        let no_file = r
            .warnings
            .iter()
            .any(|w| w.contains("no `file` attributes"));
        assert_eq!(no_file, file != "xunit1.xml", "{file}: {:?}", r.warnings);
    }
}

#[test]
fn jest_fixtures() {
    if let Some(r) = junit_fixture("jest", "default.xml") {
        // No file: the suite (first describe) is the unit; the beforeAll time is spread over its cases.
        assert_eq!(files_of(&r), BTreeSet::from(["math", "strings"]));
        assert!(
            (file_total(&r, "math") - 0.543).abs() < 1e-9,
            "{}",
            file_total(&r, "math")
        );
        assert!(r
            .samples
            .iter()
            .any(|s| s.key.id == "math::math odd name [say \"hi\"]"));
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("suite as unit (12 cases)")),
            "{:?}",
            r.warnings
        );
    }
    if let Some(r) = junit_fixture("jest", "add-file-attribute.xml") {
        assert_eq!(
            files_of(&r),
            BTreeSet::from(["tests/math.cases.js", "tests/strings/strings.cases.js"])
        );
        assert!((file_total(&r, "tests/math.cases.js") - 0.437).abs() < 1e-9);
        assert!(r
            .samples
            .iter()
            .any(|s| s.key.id
                == "tests/strings/strings.cases.js::strings nested group splits slowly"));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
}

#[test]
fn playwright_fixture() {
    let Some(r) = junit_fixture("playwright", "junit.xml") else {
        return;
    };
    // Paths relative to testDir (reconcile_roots adds `tests/` later); skipped cases without time count 0 s.
    assert_eq!(
        files_of(&r),
        BTreeSet::from(["math.cases.js", "strings/strings.cases.js"])
    );
    assert_eq!(r.samples.len(), 12);
    assert!(r
        .samples
        .iter()
        .any(|s| s.key.id == "strings/strings.cases.js::strings › nested group › splits slowly"));
    assert!(
        !r.warnings.iter().any(|w| w.contains("no time attribute")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn node_test_fixtures() {
    for file in ["node20.xml", "node24.xml"] {
        let Some(r) = junit_fixture("node-test", file) else {
            continue;
        };
        assert_eq!(r.samples.len(), 12, "{file}");
        let files = files_of(&r);
        assert!(
            files.contains("math") && files.contains("strings"),
            "{file}: {files:?}"
        );
        assert!(
            r.samples
                .iter()
                .any(|s| s.key.id == "strings::nested group::splits slowly"),
            "{file}"
        );
        assert!(
            r.samples
                .iter()
                .any(|s| s.key.id == "math::odd name [say &quot;hi&quot;]"),
            "{file}"
        );
        // The before() hook (in the `math` suite time) is spread over math's cases.
        assert!(
            file_total(&r, "math") > 0.3,
            "{file}: {}",
            file_total(&r, "math")
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("no `file` attributes")),
            "{file}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn playwright_paths_are_reconciled_with_the_checkout() {
    let Some(r) = junit_fixture("playwright", "junit.xml") else {
        return;
    };
    // Playwright names files relative to testDir; discovery sees them from the repository root.
    let known: BTreeSet<String> = files_of(&r).into_iter().map(String::from).collect();
    let wanted = BTreeSet::from([
        "tests/math.cases.js".to_string(),
        "tests/strings/strings.cases.js".to_string(),
    ]);
    let rw = reconcile_roots(&known, &wanted).expect("a root rewrite");
    for s in &r.samples {
        let id = rw.apply(&s.key.id).expect("rewritten");
        assert!(
            wanted.iter().any(|w| id.starts_with(&format!("{w}::"))),
            "{id}"
        );
    }
    assert!(
        rw.describe().contains("adding `tests/`"),
        "{}",
        rw.describe()
    );
}

#[test]
fn nextest_fixture() {
    let Some(r) = junit_fixture("nextest", "junit.xml") else {
        return;
    };
    assert_eq!(
        files_of(&r),
        BTreeSet::from(["tsfix", "tsfix::integration"])
    );
    assert_eq!(r.samples.len(), 7);
    let s = r
        .samples
        .iter()
        .find(|s| s.key.id == "tsfix::integration::strings::uppercases")
        .expect("integration test");
    assert_eq!(s.key.file, "tsfix::integration");
    assert!(r
        .samples
        .iter()
        .any(|s| s.key.id == "tsfix::tests::nested::größe_ünïcode"));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("setup script `warm-cache`")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn go_fixtures() {
    for (file, units) in [
        (
            "gotestsum.xml",
            [
                "example.com/tsfix/internal/stringsx",
                "example.com/tsfix/mathx",
            ],
        ),
        (
            "gotestsum-cached.xml",
            [
                "example.com/tsfix/internal/stringsx",
                "example.com/tsfix/mathx",
            ],
        ),
        (
            "gotestsum-relative-short.xml",
            ["internal/stringsx", "mathx"],
        ),
    ] {
        let Some(r) = junit_fixture("go", file) else {
            continue;
        };
        assert_eq!(files_of(&r), BTreeSet::from(units), "{file}");
        assert_eq!(r.samples.len(), 11, "{file}");
        // Same test name in two packages: two ids.
        assert_eq!(
            r.samples
                .iter()
                .filter(|s| s.key.id.ends_with("::TestSharedName"))
                .count(),
            2,
            "{file}"
        );
        assert!(
            r.samples
                .iter()
                .any(|s| s.key.id == format!("{}::TestOddNames/say_\"hi\"", units[1])),
            "{file}"
        );
        if file == "gotestsum-cached.xml" {
            // Cached package: suite time 0 < cases, nothing spread.
            assert!(
                (file_total(&r, units[0]) - 0.08).abs() < 1e-9,
                "{}",
                file_total(&r, units[0])
            );
        }
    }
}

#[test]
fn rspec_fixture() {
    let Some(r) = junit_fixture("rspec", "rspec.xml") else {
        return;
    };
    assert_eq!(
        files_of(&r),
        BTreeSet::from(["spec/math_spec.rb", "spec/strings/strings_spec.rb"])
    );
    assert_eq!(r.samples.len(), 11);
    assert!(r
        .samples
        .iter()
        .any(|s| s.key.id == "spec/strings/strings_spec.rb::Shouter#shout uppercases"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

// ---- Never panics ----

fn damaged_inputs() -> Vec<Vec<u8>> {
    let dir = manifest_dir().join("tests/fixtures/timings");
    let mut out = Vec::new();
    for name in [
        "haozturk__WMCore__nosetests.xml",
        "Parallel-in-Time__pySDC__.test_durations",
        "rubygems__bundler__tmp__parallel_runtime_rspec.log",
    ] {
        let mut bytes = std::fs::read(dir.join(name)).expect("fixture");
        bytes.truncate(6000);
        out.push(bytes);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse("fuzz", &bytes, &ParseOptions::default());
    }

    #[test]
    fn parse_never_panics_on_damaged_reports(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        cut in any::<usize>(),
    ) {
        let mut bytes = damaged_inputs().swap_remove(which);
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        if let Ok(r) = parse("fuzz", &bytes, &ParseOptions::default()) {
            for s in &r.samples {
                prop_assert!(s.seconds.is_finite() && s.seconds >= 0.0);
                let prefix = format!("{}::", s.key.file);
                prop_assert!(s.key.id == s.key.file || s.key.id.starts_with(&prefix), "{:?}", s);
            }
        }
    }

    #[test]
    fn xml_shaped_noise_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("<testsuites>"), Just("</testsuites>"), Just("<testsuite name=\"s\" time=\"3\">"), Just("</testsuite>"),
        Just("<testcase classname=\"a.b.C\" name=\"t\" time=\"1\"/>"), Just("<testcase name=\"x/y\" time=\"-1\">"),
        Just("</testcase>"), Just("<skipped/>"), Just("<![CDATA[<x>]]>"), Just("&amp;"), Just("&#0;"), Just("<!DOCTYPE x>"),
        Just("<testcase classname=\"test\" name=\"TestA/b\" time=\"0.5\" file=\"\"/>"), Just("<?xml version=\"1.0\"?>"),
        Just("<testcase name=\"TestA\" classname=\"p\" time=\"1e308\"/>"), Just("<!-- c -->"), Just("<"), Just(">"), Just("\""),
    ], 0..40)) {
        let xml: String = parts.concat();
        let _ = parse("noise.xml", xml.as_bytes(), &ParseOptions::default());
    }
}

/// Speed of the scale benchmark: `python3 ../shared/bench/tools/make_scale_suite.py /tmp/scale`, then
/// `TIMESHARD_SCALE_DIR=/tmp/scale cargo test --release --test report_real_files -- --ignored --nocapture scale`.
#[test]
#[ignore]
fn scale_suite_parse_speed() {
    let dir =
        PathBuf::from(std::env::var("TIMESHARD_SCALE_DIR").unwrap_or_else(|_| "/tmp/scale".into()))
            .join("junit");
    let mut reports: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("report"),
            )
        })
        .collect();
    reports.sort();
    let bytes: usize = reports.iter().map(|r| r.1.len()).sum();
    let mut best = f64::INFINITY;
    let mut cases = 0;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        cases = 0;
        for (name, data) in &reports {
            let r = parse(name, data, &ParseOptions::default()).expect("scale report parses");
            cases += r.samples.len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "parsed {} reports, {:.1} MB, {cases} samples in {:.3} s (best of 5): {:.0} MB/s",
        reports.len(),
        bytes as f64 / 1e6,
        best,
        bytes as f64 / 1e6 / best
    );
}
