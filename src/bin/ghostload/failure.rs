//! What ends a run early, and its exit code.

use std::process::ExitCode;

/// A failed run: its message and exit code.
#[derive(Debug)]
pub struct Failure {
    /// One line for the user.
    pub message: String,
    /// 1 for runtime failures, 2 for invalid arguments or configuration.
    pub code: u8,
}

impl Failure {
    /// Invalid arguments or configuration: exit code 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// A runtime failure: exit code 1.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}
