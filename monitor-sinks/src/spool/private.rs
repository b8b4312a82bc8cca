//! Spool files hold rendered notifications (messages, details, links that
//! may carry a token): only the user the process runs as may read them.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, each readable by its owner only
/// (0700 on Unix, less what the umask takes). An existing directory is left
/// as it is: it may be shared on purpose.
pub(super) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Options that create a file readable and writable by its owner only
/// (0600 on Unix).
pub(super) fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Narrows a file made by an earlier version, which created them readable
/// by all, to its owner. Best effort: a file the process cannot change is
/// still used.
pub(super) fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}
