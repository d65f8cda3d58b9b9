//! Errors of the whole crate, split by cause. Messages are lowercase and name the file or
//! argument at fault; the C API maps each variant to one status code.

use std::path::PathBuf;

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a cellsdf operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or write of `path`.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `path` exists but its content is malformed, truncated or of an unsupported kind.
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    /// A caller-supplied value is out of range or inconsistent with another.
    #[error("invalid argument `{name}`: {message}")]
    InvalidArgument { name: String, message: String },
    /// The progress callback asked to stop; nothing was left half-written.
    #[error("cancelled")]
    Cancelled,
    /// libtorch reported an error.
    #[error("torch: {0}")]
    Torch(String),
    /// Memory for `what` could not be reserved; nothing was changed.
    #[error("out of memory: cannot hold {what}")]
    OutOfMemory { what: String },
    /// This build lacks what the operation needs (libtorch for training, fitting, CUDA).
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl Error {
    /// An [`Error::InvalidArgument`] for the argument `name`.
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name: name.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Format`] for the file at `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An [`Error::OutOfMemory`] for `what`.
    pub fn out_of_memory(what: impl Into<String>) -> Self {
        Error::OutOfMemory { what: what.into() }
    }

    /// An [`Error::Io`] for the file at `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(feature = "torch")]
impl From<tch::TchError> for Error {
    fn from(e: tch::TchError) -> Self {
        Error::Torch(e.to_string())
    }
}
