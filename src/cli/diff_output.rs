//! What `diff` prints of two finished runs: the owners and objects the selection and output
//! filters keep, in the format asked for (or, for `diff images`, the images the change adds).

use super::args::{DiffArgs, DiffFormat, DiffScope, GlobalArgs};
use super::filters::{ObjectFilter, OwnerFilter};
use super::output::Printer;
use super::{EXIT_SETUP, compat, images};
use fluxsim::diff::{self, ClusterDiff, DiffOptions, Side};
use fluxsim::pipeline::Run;

/// `side` with only the owners `owners` keeps (judged on `run`, the side's own run) and only the
/// objects `objects` keeps.
pub fn filter_side(
    mut side: Side,
    run: &Run,
    owners: &OwnerFilter,
    objects: &ObjectFilter,
) -> Side {
    side.owners
        .retain(|id, _| owners.keeps_id(&run.cluster, id));
    for owner in side.owners.values_mut() {
        owner.objects = objects.apply(std::mem::take(&mut owner.objects));
    }
    side
}

/// The selection and output filters of `args`.
pub fn filters(args: &DiffArgs, g: &GlobalArgs) -> (OwnerFilter, ObjectFilter) {
    let owners = OwnerFilter::new(
        None,
        args.name.as_deref(),
        &args.scope_args,
        &compat::source_filter(g),
    );
    (owners, ObjectFilter::new(&args.filters))
}

/// Prints the diff (or the introduced images); returns the exit status of printing and whether
/// anything changed (for `--exit-code`).
pub fn print(
    out: &Printer,
    args: &DiffArgs,
    sides: (&Side, &Side),
    opts: &DiffOptions,
) -> (u8, bool) {
    let (base, head) = sides;
    if args.scope == DiffScope::Images {
        let list = fluxsim::images::introduced(
            &images::side_index(base),
            &images::side_index(head),
            args.include_removed,
        );
        return (
            images::print_introduced(out, &list, args.output),
            !list.is_empty(),
        );
    }
    let mut result = diff::diff(base, head, opts);
    let changed = diff::has_changes(&result);
    let text = match args.output.unwrap_or(DiffFormat::Unified) {
        DiffFormat::Unified => {
            if let Some(limit) = args.limit_bytes {
                truncate_patches(&mut result, limit);
            }
            diff::unified(&result, opts)
        }
        DiffFormat::Markdown => diff::markdown(&result, opts),
        DiffFormat::Json => diff::json(&result, opts),
        DiffFormat::Yaml => {
            let json: serde_json::Value =
                serde_json::from_str(&diff::json(&result, opts)).unwrap_or_default();
            fluxsim::yaml::to_yaml(&json)
        }
        DiffFormat::Stat => diff::stat(&result, opts),
        DiffFormat::Name => {
            out.message("error: -o name is for diff images; diff ks|hr|all prints unified, markdown, json, yaml or stat\n");
            return (EXIT_SETUP, changed);
        }
    };
    (out.data(&text), changed)
}

/// flux-local's `--limit-bytes` for the unified format: each object's patch is cut to `limit`
/// bytes (at a line end), followed by a line saying so.
fn truncate_patches(result: &mut ClusterDiff, limit: usize) {
    for owner in &mut result.owners {
        for obj in &mut owner.objects {
            if obj.patch.len() <= limit {
                continue;
            }
            let cut = obj.patch[..floor_char_boundary(&obj.patch, limit)]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let left = obj.patch.len() - cut;
            obj.patch.truncate(cut);
            obj.patch.push_str(&format!(
                "# … {left} more bytes of this patch left out (--limit-bytes)\n"
            ));
        }
    }
}

/// The largest index ≤ `i` that is a char boundary of `s`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    (0..=i.min(s.len()))
        .rev()
        .find(|&b| s.is_char_boundary(b))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxsim::diff::{ObjectChange, ObjectDiff, ObjectRef, OwnerChange, OwnerDiff, SideState};
    use fluxsim::model::{ObjectKey, OwnerId, OwnerKind};

    #[test]
    fn long_patches_are_cut_at_a_line_end() {
        let patch = "--- a\n+++ b\n@@ -1 +1 @@\n-é old line\n+é new line\n".to_string();
        let mut result = ClusterDiff {
            owners: vec![OwnerDiff {
                owner: OwnerId::new(OwnerKind::HelmRelease, "a", "b"),
                change: OwnerChange::Changed,
                base: SideState::Rendered,
                head: SideState::Rendered,
                note: None,
                counts: Default::default(),
                objects: vec![ObjectDiff {
                    key: ObjectRef {
                        key: ObjectKey::new("", "ConfigMap", "a", "b"),
                        duplicate: 0,
                    },
                    change: ObjectChange::Changed,
                    insertions: 1,
                    deletions: 1,
                    patch: patch.clone(),
                }],
            }],
        };
        truncate_patches(&mut result, patch.len());
        assert_eq!(result.owners[0].objects[0].patch, patch, "within the limit");
        truncate_patches(&mut result, 30);
        let cut = &result.owners[0].objects[0].patch;
        assert!(cut.starts_with("--- a\n+++ b\n@@ -1 +1 @@\n# … "), "{cut}");
        assert!(cut.ends_with("more bytes of this patch left out (--limit-bytes)\n"));
    }
}
