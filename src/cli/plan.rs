//! `plan` and `validate`: the bootstrap plan and the checks over a rendered cluster.

use super::args::{
    CheckArgs, GlobalArgs, PlanArgs, PlanFormat, SchemaLevel, ValidateArgs, ValidateFormat,
};
use super::args_select::FailOn;
use super::filters::OwnerFilter;
use super::output::{Printer, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK, EXIT_SETUP, compat};
use fluxsim::model::{FluxFile, OwnerId, Severity};
use fluxsim::pipeline::Run;
use fluxsim::plan::{self, ClusterInput, Finding, Plan, SchemaSettings};
use fluxsim::schema::SchemaLocation;

/// The plan and the checks' findings over `run`.
fn analyze(
    run: &Run,
    checks: &CheckArgs,
    schema: Option<&SchemaSettings>,
    files: &[FluxFile],
) -> (Plan, Vec<Finding>) {
    let input = input(run, checks, schema, files);
    let p = plan::plan(&input);
    let mut findings = plan::check(&input, &p);
    // Checks read rendered objects: what they quote may be a secret (the report is built from
    // these, so JUnit and JSON get the tokens too).
    for f in &mut findings {
        let owner = f.owner.as_ref().and_then(|o| run.cluster.owners.get(o));
        let own = owner.map(|r| r.secrets.as_slice()).unwrap_or_default();
        f.message = run.redactor.scrub_text_for(&f.message, own);
        for o in &mut f.objects {
            *o = run.redactor.scrub_text_for(o, own);
        }
    }
    (p, findings)
}

fn input<'a>(
    run: &'a Run,
    checks: &'a CheckArgs,
    schema: Option<&'a SchemaSettings>,
    files: &'a [FluxFile],
) -> ClusterInput<'a> {
    ClusterInput {
        cluster: &run.cluster,
        analysis: &run.analysis,
        flux_files: files,
        assume_crds: &checks.assume_crds,
        schema,
    }
}

/// The schema checks `checks` ask for; a bad --schema-location is a setup error.
fn schema_settings(
    checks: &CheckArgs,
    kube_version: Option<&str>,
) -> Result<Option<SchemaSettings>, String> {
    let severity = match checks.schema {
        SchemaLevel::Off => return Ok(None),
        SchemaLevel::Error => Severity::Error,
        SchemaLevel::Warning => Severity::Warning,
    };
    let locations = checks
        .schema_locations
        .iter()
        .map(|l| match SchemaLocation::parse(l) {
            Ok(location) if location.is_url() => Err(format!(
                "--schema-location {l}: URLs are not supported yet; download the schemas into a folder"
            )),
            Ok(location) => Ok(location),
            Err(e) => Err(format!("--schema-location {l}: {e}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(SchemaSettings {
        severity,
        kube_version: kube_version.map(str::to_string),
        locations,
    }))
}

/// Changed-only mode reports on the owners it rendered.
fn shown(run: &Run, owner: &OwnerId) -> bool {
    run.cluster.owners.contains_key(owner)
}

/// A finding about a rendered owner, or about the repository and naming a changed file.
fn concerns_shown(run: &Run, f: &Finding) -> bool {
    match &f.owner {
        Some(owner) => shown(run, owner),
        None => run.changed_only.as_ref().is_some_and(|c| {
            f.files
                .iter()
                .any(|file| c.changed.contains(std::path::Path::new(file)))
        }),
    }
}

/// Flux files (kind, path) that other clusters of the repository apply.
pub type FileSet = std::collections::BTreeSet<(fluxsim::model::OwnerKind, String)>;

/// The repository's Flux files, less those another cluster applies (not orphans here).
fn flux_files(run: &Run, elsewhere: &FileSet) -> Vec<FluxFile> {
    let mut files = fluxsim::discover::flux_files(&run.discovery.repo_root);
    files.retain(|f| !elsewhere.contains(&(f.kind, f.path.clone())));
    files
}

/// What plan and validate check: the repository's Flux files (less those other clusters
/// apply) and the schema settings; a bad --schema-location is a setup error (its exit code).
fn inputs(
    run: &Run,
    checks: &CheckArgs,
    g: &GlobalArgs,
    elsewhere: &FileSet,
) -> Result<(Vec<FluxFile>, Option<SchemaSettings>), u8> {
    match schema_settings(checks, g.kube_version.as_deref()) {
        Ok(schema) => Ok((flux_files(run, elsewhere), schema)),
        Err(message) => {
            Printer::new(run).message(&format!("error: {message}\n"));
            Err(EXIT_SETUP)
        }
    }
}

pub fn plan(run: &Run, args: &PlanArgs, g: &GlobalArgs, elsewhere: &FileSet) -> u8 {
    let (files, schema) = match inputs(run, &args.checks, g, elsewhere) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let (p, findings) = analyze(run, &args.checks, schema.as_ref(), &files);
    let text = match args.output {
        PlanFormat::Text => plan::plan_text(&p, &findings, stdout_color()),
        PlanFormat::Markdown => plan::plan_markdown(&p, &findings),
        PlanFormat::Json => plan::plan_json(&p, &findings),
        PlanFormat::Mermaid => plan::plan_mermaid(&p),
        PlanFormat::Dot => plan::plan_dot(&p),
    };
    let code = Printer::new(run).data(&text);
    if code != EXIT_OK {
        return code;
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

pub fn validate(run: &Run, args: &ValidateArgs, g: &GlobalArgs, elsewhere: &FileSet) -> u8 {
    let (files, schema) = match inputs(run, &args.checks, g, elsewhere) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let (p, mut findings) = analyze(run, &args.checks, schema.as_ref(), &files);
    if run.changed_only.is_some() {
        findings.retain(|f| concerns_shown(run, f));
    }
    let mut report = plan::validate_report(
        &input(run, &args.checks, schema.as_ref(), &files),
        &p,
        &findings,
    );
    if run.changed_only.is_some() {
        report.entries.retain(|e| shown(run, &e.owner));
        report.recount();
    }
    // flate's `test ks|hr [NAME]`, -n, -l and --sources: report on the owners they select.
    let kind = compat::scope_kind(args.target.what.as_deref());
    let name = args.target.name.as_deref();
    let filter = OwnerFilter::new(kind, name, &args.scope, &compat::source_filter(g));
    if kind.is_some() || !filter.is_everything() {
        report
            .entries
            .retain(|e| filter.keeps_id(&run.cluster, &e.owner));
        if !filter.is_everything() {
            report.repository_warnings.clear();
        }
        report.recount();
    }
    if let (Some(name), true) = (name, report.entries.is_empty()) {
        Printer::new(run).message(&format!("error: nothing named {name}\n"));
        return EXIT_SETUP;
    }
    let text = match args.output {
        ValidateFormat::Text => plan::report_text(&report, stdout_color()),
        ValidateFormat::Json => plan::report_json(&report),
        ValidateFormat::Junit if super::sections::take_report(&report) => String::new(),
        ValidateFormat::Junit => plan::report_junit(&report),
    };
    let code = Printer::new(run).data(&text);
    if code != EXIT_OK {
        return code;
    }
    let warned = args.fail_on == FailOn::Warning && report.warning_count() > 0;
    if report.exit_code(args.require_complete) != 0 || warned {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}
