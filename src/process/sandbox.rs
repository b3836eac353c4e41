//! The second wall around kustomize and helm: on Linux, Landlock lets the child read only the
//! system folders programs need, its own installation and the folders fluxsim hands it, and
//! write only to the latter. The read set check refuses reads outside the source before a
//! build runs; this catches what it cannot see (a remote base naming `/proc/self/environ`, a
//! file a helm template `.Files.Get`s through a path fluxsim did not anticipate). On kernels
//! without Landlock the child runs unconfined, as before (best effort, like Landlock's own
//! compatibility mode).

use std::path::{Path, PathBuf};

/// System folders a dynamically linked program, git (remote bases) and TLS need. Not /etc as a
/// whole, not /proc (other processes' environments), not HOME.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/bin",
    "/sbin",
    "/nix/store",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/dev/urandom",
    "/dev/random",
];

/// Writable everywhere it is confined.
const SYSTEM_WRITE: &[&str] = &["/dev/null"];

/// What a confined program may touch besides the system folders.
#[derive(Clone, Debug, Default)]
pub struct Sandbox {
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::default()
    }

    /// Lets the program read (and execute) below `path`.
    pub fn read(mut self, path: impl Into<PathBuf>) -> Sandbox {
        self.read.push(path.into());
        self
    }

    /// Lets the program read and write below `path`.
    pub fn write(mut self, path: impl Into<PathBuf>) -> Sandbox {
        self.write.push(path.into());
        self
    }

    /// The program itself, as named and with symlinks resolved (not its folder: that may be
    /// HOME/bin, next to the user's keys).
    pub fn program(self, program: &Path) -> Sandbox {
        let resolved = resolve_program(program);
        self.read(program.to_path_buf()).read(resolved)
    }

    /// Applies the sandbox to `cmd` for its exec (Linux); a no-op elsewhere.
    pub(super) fn apply(&self, cmd: &mut std::process::Command) {
        #[cfg(target_os = "linux")]
        linux::apply(self, cmd);
        #[cfg(not(target_os = "linux"))]
        let _ = cmd;
    }
}

/// `program` as found on PATH, with symlinks resolved.
fn resolve_program(program: &Path) -> PathBuf {
    let found = if program.components().count() > 1 {
        Some(program.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
    };
    found
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| program.to_path_buf())
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{SYSTEM_READ, SYSTEM_WRITE, Sandbox};
    use landlock::{
        ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr,
        path_beneath_rules,
    };
    use std::os::unix::process::CommandExt;
    use std::sync::Mutex;

    /// Newest ABI fluxsim knows; older kernels get what they support.
    const ABI_VERSION: ABI = ABI::V5;

    fn ruleset(sandbox: &Sandbox) -> Result<RulesetCreated, landlock::RulesetError> {
        let all = AccessFs::from_all(ABI_VERSION);
        let read = AccessFs::from_read(ABI_VERSION);
        let readable = SYSTEM_READ
            .iter()
            .map(std::path::PathBuf::from)
            .chain(sandbox.read.iter().cloned());
        let writable = SYSTEM_WRITE
            .iter()
            .map(std::path::PathBuf::from)
            .chain(sandbox.write.iter().cloned());
        Ruleset::default()
            .handle_access(all)?
            .create()?
            .add_rules(path_beneath_rules(readable, read))?
            .add_rules(path_beneath_rules(writable, all))
    }

    pub(super) fn apply(sandbox: &Sandbox, cmd: &mut std::process::Command) {
        // Built here, in the parent: between fork and exec only the restrict syscalls run.
        let Ok(ruleset) = ruleset(sandbox) else {
            return;
        };
        let slot = Mutex::new(Some(ruleset));
        // SAFETY: the closure runs in the forked child before exec. It takes a value out of a
        // mutex no other thread can hold (the child has one thread) and makes the prctl and
        // landlock_restrict_self syscalls; on success nothing is allocated.
        unsafe {
            cmd.pre_exec(move || {
                let taken = slot.lock().ok().and_then(|mut s| s.take());
                if let Some(ruleset) = taken {
                    ruleset
                        .restrict_self()
                        .map_err(|_| std::io::Error::other("landlock"))?;
                }
                Ok(())
            });
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A confined `cat` reads what it is given and nothing else, where the kernel has Landlock.
    #[test]
    fn confined_programs_read_only_what_they_are_given() {
        let dir = tempfile::tempdir().unwrap();
        let (given, other) = (dir.path().join("given"), dir.path().join("other"));
        std::fs::create_dir_all(&given).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(given.join("f"), "ok").unwrap();
        std::fs::write(other.join("f"), "secret").unwrap();
        let run = |path: &Path| {
            let mut cmd = std::process::Command::new("cat");
            cmd.arg(path);
            Sandbox::new().read(&given).apply(&mut cmd);
            cmd.output().unwrap()
        };
        let out = run(&given.join("f"));
        assert_eq!(
            out.stdout,
            b"ok",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !landlock_available() {
            return;
        }
        let out = run(&other.join("f"));
        assert!(!out.status.success(), "read outside the sandbox");
        let out = run(Path::new("/proc/self/environ"));
        assert!(!out.status.success(), "read /proc");
    }

    fn landlock_available() -> bool {
        use landlock::{ABI, Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr};
        Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(ABI::V1))
            .and_then(|r| r.create())
            .is_ok()
    }
}
