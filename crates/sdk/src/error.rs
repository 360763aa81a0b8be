//! The SDK's error: a TIM error code and a description that says what to do.

/// An SDK failure, carrying the TIM error code that `TIMCommCallback` reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{desc} (code {code})")]
pub struct SdkError {
    pub code: i32,
    pub desc: String,
}

impl SdkError {
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        SdkError {
            code,
            desc: desc.into(),
        }
    }
}

pub type Result<T, E = SdkError> = std::result::Result<T, E>;
