//! SIGINT and SIGTERM: remove the run's private folders (decrypted copies, helm values), then
//! exit as a shell expects of a signalled program (130, 143). Without this the default action
//! would end the process before any destructor runs and leave plaintext behind.

/// Registers the handlers (inside the runtime, before any work starts) and returns the task
/// that waits for a signal.
pub fn install() -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).ok()?;
        let mut terminate = signal(SignalKind::terminate()).ok()?;
        Some(async move {
            let code = tokio::select! {
                _ = interrupt.recv() => 130,
                _ = terminate.recv() => 143,
            };
            exit(code);
        })
    }
    #[cfg(not(unix))]
    {
        Some(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                exit(130);
            }
        })
    }
}

fn exit(code: i32) -> ! {
    fluxsim::rundir::remove_live();
    std::process::exit(code)
}
