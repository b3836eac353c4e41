//! fluxsim: simulate Flux v2 reconciliation locally.
pub mod yaml;
