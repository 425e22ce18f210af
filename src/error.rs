//! The one error type of the engine.
//!
//! Every failure carries a [`ErrorKind`] that maps onto a Linux errno name, the operation that
//! failed and, where there is one, the path it failed on. The shell turns these into the same
//! messages GNU coreutils prints; the wasm face turns them into JavaScript `Error`s.

use std::fmt;

/// What went wrong, as the kernel would classify it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ErrorKind {
    /// No such file or directory.
    NotFound,
    /// The name is already taken.
    AlreadyExists,
    /// A path component that must be a directory is not one.
    NotADirectory,
    /// The operation needs a non-directory but found a directory.
    IsADirectory,
    /// The directory still has visible children.
    NotEmpty,
    /// A rename that overlayfs refuses (a lower or merged directory with `redirect_dir=off`).
    CrossDevice,
    /// More than 40 symbolic links were followed.
    Loop,
    /// An argument the operation cannot accept (for example a `.wh.` name).
    InvalidInput,
    /// A name longer than 255 bytes or a path longer than 4096 bytes.
    NameTooLong,
    /// The target is part of a read-only layer.
    ReadOnly,
    /// A file would grow past the per-file limit.
    FileTooBig,
    /// A limit on the total bytes or entries of the host was reached.
    NoSpace,
    /// The operation is not permitted (for example a hard link to a directory).
    PermissionDenied,
    /// The target is in use (for example removing `/`).
    Busy,
    /// Too many layers in one image.
    TooManyLayers,
    /// An archive or document could not be understood.
    Format,
}

impl ErrorKind {
    /// The errno name, as `errno(3)` spells it.
    pub fn errno(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "ENOENT",
            ErrorKind::AlreadyExists => "EEXIST",
            ErrorKind::NotADirectory => "ENOTDIR",
            ErrorKind::IsADirectory => "EISDIR",
            ErrorKind::NotEmpty => "ENOTEMPTY",
            ErrorKind::CrossDevice => "EXDEV",
            ErrorKind::Loop => "ELOOP",
            ErrorKind::InvalidInput => "EINVAL",
            ErrorKind::NameTooLong => "ENAMETOOLONG",
            ErrorKind::ReadOnly => "EROFS",
            ErrorKind::FileTooBig => "EFBIG",
            ErrorKind::NoSpace => "ENOSPC",
            ErrorKind::PermissionDenied => "EPERM",
            ErrorKind::Busy => "EBUSY",
            ErrorKind::TooManyLayers => "EMLINK",
            ErrorKind::Format => "EINVAL",
        }
    }

    /// The message `strerror(3)` gives for the errno, which coreutils prints after the path.
    pub fn strerror(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "No such file or directory",
            ErrorKind::AlreadyExists => "File exists",
            ErrorKind::NotADirectory => "Not a directory",
            ErrorKind::IsADirectory => "Is a directory",
            ErrorKind::NotEmpty => "Directory not empty",
            ErrorKind::CrossDevice => "Invalid cross-device link",
            ErrorKind::Loop => "Too many levels of symbolic links",
            ErrorKind::InvalidInput => "Invalid argument",
            ErrorKind::NameTooLong => "File name too long",
            ErrorKind::ReadOnly => "Read-only file system",
            ErrorKind::FileTooBig => "File too large",
            ErrorKind::NoSpace => "No space left on device",
            ErrorKind::PermissionDenied => "Operation not permitted",
            ErrorKind::Busy => "Device or resource busy",
            ErrorKind::TooManyLayers => "Too many links",
            ErrorKind::Format => "Invalid argument",
        }
    }

    /// A short lower-case name for the kind, used as the `kind` of JavaScript errors.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not-found",
            ErrorKind::AlreadyExists => "already-exists",
            ErrorKind::NotADirectory => "not-a-directory",
            ErrorKind::IsADirectory => "is-a-directory",
            ErrorKind::NotEmpty => "not-empty",
            ErrorKind::CrossDevice => "cross-device",
            ErrorKind::Loop => "loop",
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::NameTooLong => "name-too-long",
            ErrorKind::ReadOnly => "read-only",
            ErrorKind::FileTooBig => "file-too-big",
            ErrorKind::NoSpace => "no-space",
            ErrorKind::PermissionDenied => "permission-denied",
            ErrorKind::Busy => "busy",
            ErrorKind::TooManyLayers => "too-many-layers",
            ErrorKind::Format => "format",
        }
    }
}

/// An engine error: a kind, the operation, the path (if any) and an optional detail sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    path: Option<String>,
    detail: Option<String>,
}

impl Error {
    /// An error of `kind` raised by `op` on `path`.
    pub fn new(kind: ErrorKind, op: &'static str, path: impl Into<String>) -> Error {
        Error {
            kind,
            op,
            path: Some(path.into()),
            detail: None,
        }
    }

    /// An error that concerns no single path (a malformed archive, a limit).
    pub fn without_path(kind: ErrorKind, op: &'static str, detail: impl Into<String>) -> Error {
        Error {
            kind,
            op,
            path: None,
            detail: Some(detail.into()),
        }
    }

    /// Adds a sentence that explains the error further.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(detail.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno name of the kind.
    pub fn errno(&self) -> &'static str {
        self.kind.errno()
    }

    /// The operation that failed, such as `"mkdir"` or `"import"`.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The path the operation failed on, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// A further explanation, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op)?;
        if let Some(p) = &self.path {
            write!(f, " {p}")?;
        }
        match &self.detail {
            Some(d) => write!(f, ": {d}"),
            None => write!(f, ": {}", self.kind.strerror()),
        }
    }
}

impl std::error::Error for Error {}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
