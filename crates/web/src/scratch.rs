//! Where the web application keeps the files it makes for one user (exports
//! with full ID numbers, error reports, uploads being read): a folder of its
//! own, `<temp>/jianguan-files-<uid>/<pid>`, mode 0700, each file created
//! mode 0600. At start, the folders of processes that are gone are removed
//! ([`remove_stale`]): files survive neither a restart nor a crash.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{Error, ErrorKind, Result};
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folder every server process keeps its own folder in.
pub fn base() -> Result<PathBuf> {
    let uid = std::fs::metadata("/proc/self")?.uid();
    let base = std::env::temp_dir().join(format!("jianguan-files-{uid}"));
    private_folder(&base, uid)?;
    Ok(base)
}

/// This process's folder, made on first use.
pub fn folder() -> Result<PathBuf> {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    if let Some(folder) = FOLDER.get() {
        return Ok(folder.clone());
    }
    let uid = std::fs::metadata("/proc/self")?.uid();
    let folder = base()?.join(std::process::id().to_string());
    private_folder(&folder, uid)?;
    Ok(FOLDER.get_or_init(|| folder).clone())
}

/// Makes `path` a folder of ours, mode 0700; refuses one that is a link or
/// another user's (a folder planted in the shared temporary directory).
fn private_folder(path: &Path, uid: u32) -> Result<()> {
    match DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error),
    }
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_dir() || meta.uid() != uid {
        return Err(Error::other(format!(
            "{} is not a folder of this user",
            path.display()
        )));
    }
    if meta.mode() & 0o777 != 0o700 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A new, empty file (mode 0600) with the unguessable name `name`.
pub fn new_file(name: &str) -> Result<PathBuf> {
    let path = folder()?.join(name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    Ok(path)
}

/// A new folder (mode 0700) named `name`.
pub fn new_folder(name: &str) -> Result<PathBuf> {
    let path = folder()?.join(name);
    DirBuilder::new().mode(0o700).create(&path)?;
    Ok(path)
}

/// Sets a finished file to mode 0600, whoever wrote it.
pub fn make_private(path: &Path) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Removes the folders of server processes that no longer run (and anything
/// else in [`base`] but this process's folder); returns how many were removed.
pub fn remove_stale() -> Result<usize> {
    let own = std::process::id().to_string();
    let mut removed = 0;
    for entry in std::fs::read_dir(base()?)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let alive =
            name == own || (name.parse::<u32>().is_ok() && Path::new("/proc").join(&name).exists());
        if alive {
            continue;
        }
        let path = entry.path();
        let gone = if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Ok(()) => removed += 1,
            Err(error) => tracing::warn!("cannot remove stale {}: {error}", path.display()),
        }
    }
    Ok(removed)
}
