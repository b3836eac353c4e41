//! Tests of the envsubst engine against the behaviour verified in flux-semantics.md §2.3/§2.4.

use super::{EnvsubstError, envsubst};

fn vars(name: &str) -> Option<String> {
    match name {
        "A" => Some("hello".into()),
        "N" => Some("abcdef".into()),
        "E" => Some(String::new()),
        "P" => Some("a/b/c".into()),
        _ => None,
    }
}

fn run(text: &str) -> Result<String, EnvsubstError> {
    envsubst(text, &vars, false)
}

fn strict(text: &str) -> Result<String, EnvsubstError> {
    envsubst(text, &vars, true)
}

fn ok(text: &str) -> String {
    run(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn table_2_3_basic() {
    assert_eq!(ok("${A}"), "hello");
    assert_eq!(ok("x${B}y"), "xy");
    assert_eq!(ok("$A"), "$A");
    assert_eq!(ok("$"), "$");
    assert_eq!(ok("a$"), "a$");
    assert_eq!(ok("$$"), "$");
    assert_eq!(ok("echo $$ $$$$"), "echo $ $$");
    assert_eq!(ok("$${A}"), "${A}");
    assert_eq!(ok("$$${A}"), "$hello");
    assert_eq!(ok("a}b{c"), "a}b{c");
    assert_eq!(ok("${1}"), "");
}

#[test]
fn table_2_3_defaults() {
    for t in [
        "${B:=def}",
        "${B:-def}",
        "${B=def}",
        "${E=def}",
        "${E:-def}",
    ] {
        assert_eq!(ok(t), "def", "{t}");
    }
    assert_eq!(ok("${B:=x} ${B}"), "x ");
    assert_eq!(ok("${A:+x}"), "hello");
    assert_eq!(ok("${B:+x}"), "x");
    assert_eq!(ok("${B:?msg}"), "msg");
    assert_eq!(ok("${A:=}"), "hello");
    assert_eq!(ok("${B:=}"), "");
    assert_eq!(ok("${B:=${A}}"), "hello");
    assert_eq!(ok("${B:=a${A}b}"), "ahellob");
    assert_eq!(ok("${B:=${C:=${A}}}"), "hello");
    assert_eq!(ok("${A:=\"}\"}"), "hello\"}");
    assert_eq!(ok("${B:=a b:c}"), "a b:c");
    assert_eq!(ok("${B:=$$}"), "$$");
    assert_eq!(ok("${B==x}"), "=x");
}

#[test]
fn table_2_3_errors() {
    for t in [
        "${B-def}",
        "${A+x}",
        "${B+x}",
        "${a.b}",
        "${arr[@]}",
        "${A",
        "${A x}",
    ] {
        assert_eq!(run(t), Err(EnvsubstError::MissingClosingBrace), "{t}");
    }
    for t in ["${}", "${ A}", "${", "x ${-}"] {
        assert_eq!(run(t), Err(EnvsubstError::ParseVariableName), "{t}");
    }
    assert_eq!(run("${N:}"), Err(EnvsubstError::ParseFuncSubstitution));
    assert_eq!(run("${N#}"), Err(EnvsubstError::ParseFuncSubstitution));
    assert_eq!(run("${N/}"), Err(EnvsubstError::BadSubstitution));
    // A replace pattern runs to the next `/`, so a missing replacement is an error.
    assert_eq!(run("${A/l}"), Err(EnvsubstError::BadSubstitution));
    assert_eq!(run("${#}"), Err(EnvsubstError::BadSubstitution));
    assert_eq!(run("${#N:1}"), Err(EnvsubstError::BadSubstitution));
    assert_eq!(run("${N^x}"), Err(EnvsubstError::BadSubstitution));
    assert_eq!(run("${N:1:-1}"), Err(EnvsubstError::SubstringRange));
}

#[test]
fn table_2_3_string_ops() {
    assert_eq!(ok("${#N}"), "6");
    assert_eq!(ok("${#B}"), "0");
    assert_eq!(ok("${N:2}"), "cdef");
    assert_eq!(ok("${N:2:3}"), "cde");
    assert_eq!(ok("${N: -2}"), "abcdef");
    assert_eq!(ok("${N:-2}"), "abcdef");
    assert_eq!(ok("${N:${#E}:2}"), "ab");
    assert_eq!(ok("${A^}"), "Hello");
    assert_eq!(ok("${A^^}"), "HELLO");
    assert_eq!(ok("${A,}"), "hello");
    assert_eq!(ok("${A,,}"), "hello");
    assert_eq!(ok("${A#*l}"), "lo");
    assert_eq!(ok("${A##*l}"), "o");
    assert_eq!(ok("${A%l*}"), "hel");
    assert_eq!(ok("${A%%l*}"), "he");
    assert_eq!(ok("${N/b/X}"), "aXcdef");
    assert_eq!(ok("${N//[a-c]/X}"), "abcdef"); // literal, no globs
    assert_eq!(ok("${P//\\//_}"), "a_b_c");
    assert_eq!(ok("${P/\\//_}"), "a_b/c");
    assert_eq!(ok("${P//\\\\/_}"), "a/b/c");
    assert_eq!(ok("${A/#he/HE}"), "HEllo");
    assert_eq!(ok("${A/%lo/LO}"), "helLO");
    assert_eq!(ok("${A//l/}"), "heo");
    assert_eq!(ok("${A/l/$$}"), "he$lo");
    assert_eq!(ok("${A/l/${N:0:1}}"), "healo");
}

#[test]
fn strict_mode_2_4() {
    let err = |name: &str| Err(EnvsubstError::VariableNotSet(name.to_string()));
    for t in [
        "${B}", "${#B}", "${B^^}", "${B/x/y}", "${B:1}", "${B#x}", "x${B}",
    ] {
        assert_eq!(strict(t), err("B"), "{t}");
    }
    for t in ["${B:=d}", "${B:-d}", "${B=d}", "${B:?d}", "${B:+d}"] {
        assert_eq!(strict(t), Ok("d".into()), "{t}");
    }
    assert_eq!(strict("${E}"), Ok(String::new()));
    assert_eq!(strict("${A}"), Ok("hello".into()));
    // Arguments are evaluated first, so a missing nested var fails even when A is set.
    assert_eq!(strict("${A:=${C}}"), err("C"));
    assert_eq!(
        EnvsubstError::VariableNotSet("B".into()).to_string(),
        "variable not set (strict mode): \"B\""
    );
    // Escaped text is never looked up.
    assert_eq!(strict("$${B} $B"), Ok("${B} $B".into()));
}

#[test]
fn multiline_text() {
    let text = "a: ${A}\nb: |\n  line ${N:0:3}\n  $${X}\n";
    assert_eq!(ok(text), "a: hello\nb: |\n  line abc\n  ${X}\n");
    // A default may span lines: it ends at the first `}`.
    assert_eq!(ok("${B:=x\ny}"), "x\ny");
}

#[test]
fn unicode_and_nul() {
    assert_eq!(ok("é${A}ü"), "éhelloü");
    assert_eq!(ok("${é}"), "");
    // Go's scanner treats rune 0 as end of input.
    assert_eq!(ok("a\0b"), "a");
}

#[test]
fn never_panics_on_tricky_input() {
    let pieces = [
        "$", "{", "}", "${", "$$", ":", "=", "-", "+", "?", "#", "%", "/", "\\", "^", ",", "A",
        "N", "B", "1", "-1", "é", " ", "\n", "[", "]", "*", "\0", "${A", "${N:", "${N/",
    ];
    // Every combination of up to 4 pieces: ~1M strings would be too slow, so use a stride.
    let n = pieces.len();
    let mut count = 0;
    for a in 0..n {
        for b in 0..n {
            for c in (0..n).step_by(3) {
                for d in (0..n).step_by(5) {
                    let text = [pieces[a], pieces[b], pieces[c], pieces[d]].concat();
                    let _ = envsubst(&text, &vars, false);
                    let _ = envsubst(&text, &vars, true);
                    count += 1;
                }
            }
        }
    }
    assert!(count > 10_000);
    // Deep nesting is rejected, not a stack overflow.
    let deep = "${B:=".repeat(10_000);
    assert!(run(&deep).is_err());
}
