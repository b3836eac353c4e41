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

    /// Confines the calling thread, and every process it starts from now on, to this sandbox
    /// (Linux; a no-op elsewhere, and on kernels without Landlock). Landlock domains belong to
    /// a thread and are inherited by its children, so a thread that only spawns the program
    /// confines it without a `pre_exec` hook, which would force fork+exec: copying the page
    /// tables of the whole process cost about 2.5 ms per kustomize build. The thread must do
    /// nothing else afterwards: a domain cannot be lifted.
    pub(super) fn confine_this_thread(&self) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        return linux::confine_this_thread(self);
        #[cfg(not(target_os = "linux"))]
        Ok(())
    }
}

/// `program` as found on PATH, with symlinks resolved.
fn resolve_program(program: &Path) -> PathBuf {
    super::find_on_path(program, std::env::var_os("PATH").as_deref())
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

    pub(super) fn confine_this_thread(sandbox: &Sandbox) -> std::io::Result<()> {
        // A ruleset the kernel cannot build (no Landlock): the program runs unconfined, as
        // Landlock's own best-effort compatibility does.
        let Ok(ruleset) = ruleset(sandbox) else {
            return Ok(());
        };
        ruleset
            .restrict_self()
            .map(drop)
            .map_err(|e| std::io::Error::other(format!("landlock: {e}")))
    }
}

#[cfg(all(test, target_os = "linux"))]
pub(super) mod tests {
    use super::*;

    /// A folder `given` holding `f` = "ok" and a sibling `other` holding `f` = "secret".
    pub(in crate::process) fn given_and_other() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (given, other) = (dir.path().join("given"), dir.path().join("other"));
        std::fs::create_dir_all(&given).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(given.join("f"), "ok").unwrap();
        std::fs::write(other.join("f"), "secret").unwrap();
        (dir, given, other)
    }

    /// A confined `cat` reads what it is given and nothing else, where the kernel has Landlock.
    #[test]
    fn confined_programs_read_only_what_they_are_given() {
        let (_dir, given, other) = given_and_other();
        let run = |path: &Path| {
            let sandbox = Sandbox::new().read(&given).program(Path::new("cat"));
            let path = path.to_path_buf();
            std::thread::spawn(move || {
                sandbox.confine_this_thread().unwrap();
                std::process::Command::new("cat")
                    .arg(path)
                    .output()
                    .unwrap()
            })
            .join()
            .unwrap()
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

    pub(in crate::process) fn landlock_available() -> bool {
        use landlock::{ABI, Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr};
        Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(ABI::V1))
            .and_then(|r| r.create())
            .is_ok()
    }
}
