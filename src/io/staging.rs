//! [`Staging`]: build a dataset directory beside its target, then move it
//! into place only when it is complete.

use std::fs;
use std::path::{Path, PathBuf};

use super::IoError;

/// A staging directory `<parent>/.<name>.ghostload-tmp-<pid>` beside a
/// target directory.
///
/// Files are written into [`path`](Staging::path); [`commit`](Staging::commit)
/// moves them into the target: by renaming the whole directory when the
/// target does not exist (atomic), otherwise by renaming each file over its
/// old version. Dropping an uncommitted `Staging` removes it, so a failed or
/// interrupted run leaves the target exactly as it was.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates the staging directory for `target` (and the target's parent
    /// directories, if missing). Nothing is created when `target` exists and
    /// is not a directory.
    ///
    /// # Errors
    /// [`IoError::NotADirectory`] when `target` is a file; [`IoError::Io`]
    /// naming the path when a directory cannot be created (permission
    /// denied, read-only file system...).
    pub fn new(target: &Path) -> Result<Staging, IoError> {
        if target.exists() && !target.is_dir() {
            return Err(IoError::NotADirectory {
                path: target.to_path_buf(),
            });
        }
        // `.`, `..` and `out/..` have no file name: use the real path of an existing target.
        let resolved;
        let target = if target.exists() {
            resolved = fs::canonicalize(target).map_err(|e| IoError::io("resolve", target, e))?;
            resolved.as_path()
        } else {
            target
        };
        let name = target
            .file_name()
            .ok_or_else(|| IoError::InvalidTarget {
                path: target.to_path_buf(),
            })?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| IoError::io("create directory", &parent, e))?;
        let dir = parent.join(format!(".{name}.ghostload-tmp-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| IoError::io("remove stale staging directory", &dir, e))?;
        }
        fs::create_dir(&dir).map_err(|e| IoError::io("create staging directory", &dir, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// The staging directory: write the files here.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The directory the files will end up in.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves every file of the staging directory into the target and removes
    /// the staging directory. Files of the target that the staging directory
    /// does not hold are left alone.
    ///
    /// # Errors
    /// [`IoError::Io`] naming the file and the operation that failed.
    pub fn commit(mut self) -> Result<PathBuf, IoError> {
        if self.target.exists() && !self.target.is_dir() {
            return Err(IoError::NotADirectory {
                path: self.target.clone(),
            });
        }
        if self.target.is_dir() {
            let mut names = Vec::new();
            for entry in fs::read_dir(&self.dir).map_err(|e| IoError::io("list", &self.dir, e))? {
                let entry = entry.map_err(|e| IoError::io("list", &self.dir, e))?;
                names.push(entry.file_name());
            }
            names.sort();
            for name in names {
                let from = self.dir.join(&name);
                let to = self.target.join(&name);
                fs::rename(&from, &to).map_err(|e| IoError::io("move into place", &to, e))?;
            }
            fs::remove_dir(&self.dir).map_err(|e| IoError::io("remove staging directory", &self.dir, e))?;
        } else {
            fs::rename(&self.dir, &self.target).map_err(|e| IoError::io("move into place", &self.target, e))?;
        }
        self.committed = true;
        if let Some(parent) = self.target.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Persist the renames; best effort (not every platform can open a directory).
            if let Ok(d) = fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
