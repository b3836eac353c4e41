//! The validation report as JUnit XML: one testcase per owner; failed owners get `<failure>`, blocked ones
//! `<skipped>` naming the failed owner they wait for (the failure is reported there).

use std::fmt::Write;

use super::super::report::{Report, Status};

/// Escapes XML text and attribute values, dropping characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn report_junit(report: &Report) -> String {
    let s = report.summary;
    let tests = report.entries.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"fluxsim\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        s.failed, s.blocked
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"fluxsim validate\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        s.failed, s.blocked
    );
    for e in &report.entries {
        let file = e
            .file
            .as_ref()
            .map(|f| format!(" file=\"{}\"", xml(f)))
            .unwrap_or_default();
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\"{file}",
            xml(&format!("{}.{}", e.owner.kind, e.owner.namespace)),
            xml(&format!("{}/{}", e.owner.namespace, e.owner.name)),
        );
        match e.status {
            Status::Passed => {
                let _ = writeln!(out, "{open}/>");
            }
            Status::Failed => {
                let first = e.causes.first().map(String::as_str).unwrap_or("failed");
                let kind = first.split_once(':').map_or("failed", |(k, _)| k);
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    xml(kind),
                    xml(first),
                    xml(&e.causes.join("\n"))
                );
                let _ = writeln!(out, "    </testcase>");
            }
            Status::Blocked => {
                let by: Vec<String> = e.blocked_by.iter().map(|id| id.short()).collect();
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <skipped message=\"{}\"/>",
                    xml(&format!("blocked by {}", by.join(", ")))
                );
                let _ = writeln!(out, "    </testcase>");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
