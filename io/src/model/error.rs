//! [`ModelIoError`]: every way reading, planning, merging or writing model
//! files can fail. Each message is one line and names the file (and line, for
//! YAML) or the tensor it is about.

use std::path::PathBuf;

use crdt_merge_core::model::ModelError;

/// Errors of the model file layer.
#[derive(Debug, thiserror::Error)]
pub enum ModelIoError {
    /// An OS error on a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A safetensors file is malformed (header, offsets, dtype).
    #[error("{}: bad safetensors file: {msg}", path.display())]
    BadSafetensors {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A model directory (or cache entry) is missing or incomplete.
    #[error("{}: {msg}", path.display())]
    BadModel {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A config or pipeline file is malformed or asks for something unsupported.
    #[error("{}:{line}: {msg}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// A tensor is missing from a model.
    #[error("{}: tensor \"{tensor}\" not found", path.display())]
    MissingTensor {
        /// The model.
        path: PathBuf,
        /// Tensor name.
        tensor: String,
    },
    /// Tensors of the inputs disagree in shape.
    #[error("tensor \"{tensor}\": shape mismatch: {detail}")]
    Shape {
        /// Tensor name.
        tensor: String,
        /// What differs.
        detail: String,
    },
    /// A tensor's dtype cannot be merged (integers, bool) or written.
    #[error("tensor \"{tensor}\": unsupported dtype {dtype}")]
    Dtype {
        /// Tensor name.
        tensor: String,
        /// The dtype.
        dtype: String,
    },
    /// The merge method refused a tensor.
    #[error("{0}")]
    Merge(#[from] ModelError),
}

impl ModelIoError {
    /// A closure mapping an I/O error on `path` into [`ModelIoError::Io`].
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ModelIoError {
        let path = path.into();
        move |source| ModelIoError::Io { path, source }
    }
    /// A config error at `line`.
    pub fn config(path: impl Into<PathBuf>, line: usize, msg: impl Into<String>) -> ModelIoError {
        ModelIoError::Config {
            path: path.into(),
            line,
            msg: msg.into(),
        }
    }
}

/// Result of this layer.
pub type Result<T> = std::result::Result<T, ModelIoError>;
