//! A Go `text/template` interpreter for the subset ResourceSet templates use: `<<`/`>>`
//! delimiters with `-` trimming, pipelines, variables, `if`/`else if`/`else`, `range` (with
//! `break`/`continue` and `else`), `with`, comments, and the functions in [`funcs`].
//!
//! Why not a crate: `gtmpl` (the only Go-template crate) has had no release since 2021 and
//! does not support custom delimiters (fiji-flo/gtmpl-rust issue #16, open), which every
//! ResourceSet needs; rewriting `<<` to `{{` is unsafe because resources legitimately hold
//! `{{` (Helm values). Not supported here: `define`/`template`/`block` (Flux Operator templates
//! are single, unnamed ones), method calls, and the less common slim-sprig functions (a parse
//! error names any missing one).

mod exec;
pub mod funcs;
mod lex;
mod parse;
pub mod value;

use serde_json::Value;

/// A template that failed to parse or execute, with the 1-based line of the action.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TemplateError {
    pub line: usize,
    pub message: String,
}

impl TemplateError {
    pub fn at(line: usize, message: impl Into<String>) -> TemplateError {
        TemplateError {
            line,
            message: message.into(),
        }
    }
}

/// Renders `src` with `<< >>` delimiters, `inputs` as the `inputs` function's result and no
/// data (Flux Operator executes with `nil`).
pub fn render(src: &str, inputs: &Value) -> Result<String, TemplateError> {
    let toks = lex::lex(src, "<<", ">>")?;
    let tree = parse::parse(&toks, &funcs::Funcs::known)?;
    let funcs = funcs::Funcs {
        inputs: inputs.clone(),
    };
    let mut exec = exec::Exec::new(&funcs, Value::Null);
    exec.run(&tree, &Value::Null)?;
    Ok(exec.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(src: &str, inputs: Value) -> String {
        render(src, &inputs).unwrap()
    }

    #[test]
    fn fields_pipelines_and_functions() {
        let i = json!({"tenant": "team1", "app": {"version": "6.7.x", "replicas": 2}});
        assert_eq!(
            r("name: podinfo-<< inputs.tenant >>", i.clone()),
            "name: podinfo-team1"
        );
        assert_eq!(
            r("v: << inputs.app.version | quote >>", i.clone()),
            "v: \"6.7.x\""
        );
        assert_eq!(r("n: << inputs.app.replicas | int >>", i.clone()), "n: 2");
        assert_eq!(
            r(
                "<< get inputs \"name\" | default inputs.tenant >>",
                i.clone()
            ),
            "team1"
        );
        assert_eq!(r("<< (inputs.app).version >>", i.clone()), "6.7.x");
        assert_eq!(r("<< index inputs \"app\" \"replicas\" >>", i), "2");
    }

    #[test]
    fn conditionals_and_else_if() {
        let t = "<< if eq inputs.t \"a\" >>A<< else if eq inputs.t \"b\" >>B<< else >>C<< end >>";
        assert_eq!(r(t, json!({"t": "a"})), "A");
        assert_eq!(r(t, json!({"t": "b"})), "B");
        assert_eq!(r(t, json!({"t": "z"})), "C");
        assert_eq!(
            r(
                "<< with inputs.x >><< . >><< else >>none<< end >>",
                json!({"x": ""})
            ),
            "none"
        );
    }

    #[test]
    fn range_variables_trimming_break() {
        let i = json!({"components": ["a", "b", "c"]});
        let t = "x\n<<- range $i, $c := inputs.components >>\n- << $i >>=<< $c >>\n<<- end >>\n";
        assert_eq!(r(t, i.clone()), "x\n- 0=a\n- 1=b\n- 2=c\n");
        let t =
            "<< range inputs.components >><< if eq . \"b\" >><< break >><< end >><< . >><< end >>";
        assert_eq!(r(t, i.clone()), "a");
        let t = "<< range inputs.components >><< if eq . \"b\" >><< continue >><< end >><< . >><< end >>";
        assert_eq!(r(t, i.clone()), "ac");
        assert_eq!(
            r(
                "<< range inputs.none >>x<< else >>empty<< end >>",
                json!({"none": []})
            ),
            "empty"
        );
        assert_eq!(
            r("<< $x := \"a\" >><< $x = \"b\" >><< $x >>", json!({})),
            "b"
        );
        assert_eq!(
            r(
                "<< range $k, $v := inputs >><< $k >>=<< $v >>;<< end >>",
                json!({"b": 1, "a": 2})
            ),
            "a=2;b=1;"
        );
    }

    #[test]
    fn missing_keys_are_errors_with_the_line() {
        let e = render("a\nb: << inputs.nope >>", &json!({"x": 1})).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("map has no entry for key \"nope\""),
            "{e}"
        );
        let e = render("<< inputs.x | nosuchfunc >>", &json!({})).unwrap_err();
        assert!(e.message.contains("function \"nosuchfunc\" not defined"));
        let e = render("<< if true >>x", &json!({})).unwrap_err();
        assert!(e.message.contains("unexpected EOF"));
        let e = render("<< upper 2 >>", &json!({})).unwrap_err();
        assert!(e.message.contains("error calling upper"));
    }

    #[test]
    fn nil_prints_no_value() {
        assert_eq!(r("<< index inputs \"z\" >>", json!({})), "<no value>");
    }
}
