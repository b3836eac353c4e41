//! Tests of the go-yaml v2 style emitter and the go-yaml v2 typed reader.

use super::{from_yaml, to_yaml};
use serde_json::{Value, json};

#[test]
fn emits_like_go_yaml_v2() {
    let obj = json!({
        "spec": {"replicas": 3, "list": [1, {"b": 2, "a": "x"}], "nested": [[1, 2], [3]]},
        "metadata": {"name": "app-${env}", "labels": {}},
        "apiVersion": "v1",
        "empty": [],
        "nothing": null,
        "flag": true,
        "ratio": 1.5,
    });
    let expected = "\
apiVersion: v1
empty: []
flag: true
metadata:
  labels: {}
  name: app-${env}
nothing: null
ratio: 1.5
spec:
  list:
  - 1
  - a: x
    b: 2
  nested:
  - - 1
    - 2
  - - 3
  replicas: 3
";
    assert_eq!(to_yaml(&obj), expected);
}

#[test]
fn scalar_styles_match_go_yaml_v2() {
    let cases = [
        ("yes", "\"yes\""),
        ("on", "\"on\""),
        ("y", "\"y\""),
        ("0755", "\"0755\""),
        ("08", "\"08\""),
        ("1.0", "\"1.0\""),
        ("1_000", "\"1_000\""),
        ("1:20", "\"1:20\""),
        ("2024-01-02", "\"2024-01-02\""),
        ("~", "\"~\""),
        ("", "\"\""),
        ("null", "\"null\""),
        ("hello world", "hello world"),
        ("${v}", "${v}"),
        ("app:${tag:=latest}", "app:${tag:=latest}"),
        ("echo $HOME $${X}", "echo $HOME $${X}"),
        (" x", "' x'"),
        ("x ", "'x '"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("it's: x", "'it''s: x'"),
        ("{x}", "'{x}'"),
        ("[x]", "'[x]'"),
        ("a[x]", "a[x]"),
        ("*x", "'*x'"),
        ("- x", "'- x'"),
        ("-x", "-x"),
        ("?x", "?x"),
        (":x", ":x"),
        ("---x", "'---x'"),
        ("x\ty", "\"x\\ty\""),
        ("x\ry", "\"x\\ry\""),
        ("\"q\"", "'\"q\"'"),
        ("é", "é"),
        ("😀", "\"\\U0001F600\""),
        ("\u{1}", "\"\\x01\""),
        ("\u{feff}", "\"\\uFEFF\""),
        ("line1\nline2", "|-\n  line1\n  line2"),
        ("line1\n", "|\n  line1"),
        ("line1\n\n", "|+\n  line1\n"),
        ("\n", "|2+\n"),
        ("  indented\nx", "|2-\n    indented\n  x"),
        ("a \nb", "\"a \\nb\""),
        ("a\n b", "|-\n  a\n   b"),
        ("a\nb ", "\"a\\nb \""),
        ("a\n\tb", "\"a\\n\\tb\""),
    ];
    for (s, want) in cases {
        let got = to_yaml(&json!({ "k": s }));
        assert_eq!(got, format!("k: {want}\n"), "{s:?}");
    }
    // Keys: multi-line keys are double quoted, empty keys single quoted… as values otherwise.
    assert_eq!(to_yaml(&json!({"a\nb": 1})), "\"a\\nb\": 1\n");
    assert_eq!(to_yaml(&json!({"": 1})), "\"\": 1\n");
    assert_eq!(to_yaml(&json!({"a b": 1})), "a b: 1\n");
    assert_eq!(to_yaml(&json!({"8080": 1})), "\"8080\": 1\n");
}

const TRICKY: &[&str] = &[
    "",
    " ",
    "  ",
    "a",
    "yes",
    "No",
    "ON",
    "y",
    "~",
    "null",
    "0",
    "08",
    "0755",
    "0x1F",
    "0o7",
    "0b1",
    "-0b1",
    "1_000",
    "1e3",
    "1e400",
    ".5",
    "-.inf",
    ".nan",
    "1:20",
    "<<",
    "2024-01-02",
    "a: b",
    "a:b",
    "a #b",
    "#a",
    "- a",
    "-a",
    "? a",
    "?a",
    ": a",
    ":a",
    "a:",
    "---",
    "...",
    "|",
    ">",
    "!x",
    "&a",
    "*a",
    "%x",
    "@x",
    "`x",
    "'",
    "\"",
    "''",
    "\\",
    "\\n",
    "{",
    "}",
    "[",
    "]",
    ",",
    "a,b",
    "a\nb",
    "a\n",
    "a\n\n",
    "\n",
    "\n\na",
    " a\nb",
    "a\n b",
    "a \nb",
    "a\nb ",
    "\ta",
    "a\t",
    "\r",
    "a\r\nb",
    "\u{85}",
    "a\u{2028}b",
    "a\u{2029}",
    "\u{a0}",
    "\u{feff}x",
    "😀",
    "é",
    "\u{0}",
    "\u{7f}",
    "$",
    "$$",
    "${x}",
    "key: ${v}",
    "a\n\n  b\n",
    "x\n  \ny",
];

#[test]
fn strings_round_trip_as_values_and_keys() {
    for s in TRICKY {
        let obj = json!({ "k": s, "list": [s, [s]], "m": { *s: s } });
        let text = to_yaml(&obj);
        let back = from_yaml(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
        assert_eq!(back, obj, "{s:?}\n{text}");
    }
}

#[test]
fn numbers_and_literals_round_trip() {
    let obj = json!({"i": -3, "u": 18446744073709551615u64, "f": 0.25, "big": 1e21, "s": "x"});
    let back = from_yaml(&to_yaml(&obj)).unwrap();
    assert_eq!(back["i"], json!(-3));
    assert_eq!(back["f"], json!(0.25));
    // Go decodes JSON numbers as float64: precision is lost above 2^53, like in Flux.
    assert_eq!(back["u"].as_f64(), Some(18446744073709551615u64 as f64));
    assert_eq!(back["big"].as_f64(), Some(1e21));
    let nested = json!({"a": [{"b": [" lead\nx", "t\n"]}], "c": {"d": "\n\nx"}});
    assert_eq!(from_yaml(&to_yaml(&nested)).unwrap(), nested);
}

#[test]
fn reads_with_go_yaml_v2_types() {
    let text = "a: 3\nb: yes\nc: 0755\nd: 1.0\ne: '3'\nf: ~\ng: 08\nh: 0x1F\ni: 1e3\nj: on\nk: n\nl: 2024-01-02\nm: \"true\"\n";
    let v = from_yaml(text).unwrap();
    assert_eq!(v["a"], json!(3));
    assert_eq!(v["b"], json!(true));
    assert_eq!(v["c"], json!(493));
    assert_eq!(v["d"].as_f64(), Some(1.0));
    assert_eq!(v["e"], json!("3"));
    assert_eq!(v["f"], Value::Null);
    assert_eq!(v["g"], json!(8));
    assert_eq!(v["h"], json!(31));
    assert_eq!(v["i"], json!(1000));
    assert_eq!(v["j"], json!(true));
    assert_eq!(v["k"], json!(false));
    assert_eq!(v["l"], json!("2024-01-02"));
    assert_eq!(v["m"], json!("true"));
}

#[test]
fn reader_keys_tags_anchors_and_errors() {
    let v = from_yaml("1: a\ntrue: b\nyes: c\n1.5: d\n").unwrap();
    assert_eq!(v, json!({"1": "a", "true": "c", "1.5": "d"}));
    assert!(
        from_yaml("~: a\n")
            .unwrap_err()
            .contains("unsupported map key")
    );
    assert_eq!(
        from_yaml("a: !!str 3\nb: !custom 4\nc: !!float 2\n").unwrap(),
        json!({"a": "3", "b": "4", "c": 2})
    );
    assert!(
        from_yaml("a: !!int x\n")
            .unwrap_err()
            .contains("cannot decode !!str `x` as a !!int")
    );
    assert_eq!(
        from_yaml("a: &x {b: 1}\nc: *x\n").unwrap(),
        json!({"a": {"b": 1}, "c": {"b": 1}})
    );
    assert_eq!(
        from_yaml("a: &x {b: 1, c: 2}\nd:\n  <<: *x\n  c: 3\n").unwrap()["d"],
        json!({"b": 1, "c": 3})
    );
    assert_eq!(from_yaml("a: 1\na: 2\n").unwrap(), json!({"a": 2}));
    assert!(from_yaml("a: *nope\n").unwrap_err().starts_with("yaml: "));
    assert!(
        from_yaml("a: b: c\n")
            .unwrap_err()
            .starts_with("yaml: line 1")
    );
    assert_eq!(
        from_yaml("a: .nan\n").unwrap_err(),
        "json: unsupported value: NaN"
    );
    assert_eq!(
        from_yaml("a: -.inf\n").unwrap_err(),
        "json: unsupported value: -Inf"
    );
    assert_eq!(from_yaml("").unwrap(), Value::Null);
    assert_eq!(from_yaml("a: 1\n---\nb: [\n").unwrap(), json!({"a": 1}));
}

#[test]
fn random_strings_round_trip() {
    // Deterministic LCG over an alphabet of YAML-significant characters.
    let alphabet: Vec<char> =
        " \t\n\r:#-?[]{},&*!|>'\"%@`\\.0189eEyYnN~_+$a\u{85}\u{a0}\u{2028}é😀\u{feff}"
            .chars()
            .collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    for _ in 0..20_000 {
        let len = next(8);
        let s: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        let obj = json!({ "k": s, "l": [s, {"x": s}], "m": { s.clone(): 1 } });
        let text = to_yaml(&obj);
        match from_yaml(&text) {
            Ok(back) => assert_eq!(back, obj, "{s:?}\n{text}"),
            Err(e) => panic!("{s:?}: {e}\n{text}"),
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Go's yaml accepts 10,000 levels: so does this reader, on a small stack.
    let ok = format!("a: {}{}", "[".repeat(9_999), "]".repeat(9_999));
    let parsed = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || from_yaml(&ok).is_ok())
        .unwrap()
        .join()
        .unwrap();
    assert!(parsed);
    let too_deep = format!("a: {}{}", "[".repeat(10_001), "]".repeat(10_001));
    assert!(from_yaml(&too_deep).is_err());
    let mut deep = json!("${x}");
    for _ in 0..120 {
        deep = json!({ "a": [deep] });
    }
    assert_eq!(from_yaml(&to_yaml(&deep)).unwrap(), deep);
    assert!(from_yaml(&format!("a: {}", "[".repeat(5000))).is_err());
    let mut text = String::new();
    for i in 0..10_001 {
        text.push_str(&" ".repeat(i));
        text.push_str("a:\n");
    }
    assert!(from_yaml(&text).is_err());
}

#[test]
fn an_alias_bomb_is_an_error() {
    let mut text = String::from("a0: &a0 [lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let err = from_yaml(&text).unwrap_err();
    assert!(err.contains("excessive aliasing"), "{err}");
}
