//! [`Staging`]: build a dataset directory beside its target, then replace the
//! whole target with it in one step.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::IoError;

#[cfg(test)]
mod tests;

/// Infix of the staging directory's name.
const STAGING_TAG: &str = ".ghostload-tmp-";
/// Infix of the aside directory's name.
const ASIDE_TAG: &str = ".ghostload-old-";

/// A staging directory `<parent>/.<name>.ghostload-tmp-<pid>` beside a
/// target directory.
///
/// Files are written into [`path`](Staging::path); [`commit`](Staging::commit)
/// replaces the whole target with it in one step. Dropping an uncommitted
/// `Staging` removes it, so a failed or interrupted run leaves the target
/// exactly as it was. Use it to add your own files to a dataset directory
/// in the same all-or-nothing way (the CLI stages its log this way).
///
/// # Names
///
/// Beside a target `<parent>/<name>`, a run with process id `<pid>` uses:
///
/// - `.<name>.ghostload-tmp-<pid>`, the *staging* directory. It is never the
///   only copy of anything: before the swap it holds the new dataset (maybe
///   incomplete); after the swap, the old tree on its way out. It can always
///   be removed.
/// - `.<name>.ghostload-old-<pid>`, the *aside* directory (portable path
///   only): the old target, moved aside. While the target is missing, it is
///   the dataset; once the target exists again, it is garbage.
///
/// # Commit
///
/// First the entries of the old target that the new dataset does not produce
/// (a user's `notes.md`, a `figures/` directory) are hard-linked (or copied)
/// into the staging directory, so they survive. An entry the new dataset
/// produces replaces the old one of the same name whatever its type. Then the
/// cancel flag is checked one last time, and:
///
/// - on Linux, `renameat2(RENAME_EXCHANGE)` swaps staging and target in one
///   atomic step, and the old tree (now at the staging name) is removed;
/// - elsewhere, or where the file system refuses the exchange, the target is
///   renamed aside, the staging directory renamed into place, and the aside
///   renamed to the staging name and removed.
///
/// A missing target is simply renamed into place.
///
/// # Recovery
///
/// A crash between the two renames of the portable path leaves no target,
/// only its aside. [`Staging::recover`] (run by [`Staging::new`] and by
/// [`validate_dir`](super::validate_dir)) settles every state a crash can
/// leave, idempotently:
///
/// 1. target missing, an aside present: the aside is renamed back (the
///    complete old dataset);
/// 2. any other aside: the target exists, so the swap had completed: removed;
/// 3. staging directories of this process or of a process that no longer
///    runs (checked in `/proc` on Linux; elsewhere only this process's):
///    removed.
///
/// At any instant the target, or else its aside, holds a complete dataset:
/// the old one until the single swapping rename, the new one after. Two runs
/// writing the same target at the same time are not supported.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    parent: PathBuf,
    dir: PathBuf,
    aside: PathBuf,
    cancel: Option<Arc<AtomicBool>>,
    /// `Drop` removes `dir` while set; `commit` clears it and cleans up itself.
    armed: bool,
}

/// One file-system step of a commit or a recovery: where a test injects a
/// failure or simulates a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Link the old target's foreign entries into the staging directory.
    CarryOver,
    /// Sync a directory (best effort).
    Sync,
    /// `renameat2(RENAME_EXCHANGE)` of staging and target.
    Exchange,
    /// Rename the target to its aside name.
    MoveAside,
    /// Rename the staging directory to the target.
    MoveIn,
    /// Rename the aside back to the target after a failed `MoveIn`.
    MoveBack,
    /// Rename the aside to the (now free) staging name.
    Retire,
    /// Remove the old tree, at the staging name.
    RemoveOld,
    /// Remove the staging directory of a failed commit.
    Discard,
    /// Recovery: rename an aside back to the missing target.
    Restore,
    /// Recovery: remove a leftover aside or staging directory.
    RemoveLeftover,
}

impl Step {
    /// The operation, as `IoError::Io` words it.
    fn op(self) -> &'static str {
        match self {
            Step::CarryOver => "carry over the old file",
            Step::Sync => "sync",
            Step::Exchange => "swap the new dataset into",
            Step::MoveAside => "move aside",
            Step::MoveIn => "move into place",
            Step::MoveBack => "move back into place",
            Step::Retire => "retire the old dataset",
            Step::RemoveOld => "remove the old dataset",
            Step::Discard => "remove staging directory",
            Step::Restore => "restore the old dataset from",
            Step::RemoveLeftover => "remove leftover",
        }
    }
}

/// Called before each [`Step`]: an error is taken as the step's own.
pub(crate) type Hook<'a> = &'a dyn Fn(Step) -> io::Result<()>;

/// The hook of real runs: every step proceeds.
fn proceed(_: Step) -> io::Result<()> {
    Ok(())
}

/// How [`Staging::commit_with`] replaces an existing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swap {
    /// `renameat2(RENAME_EXCHANGE)`; `RenameAside` where it is unsupported.
    Exchange,
    /// Target aside, staging in, aside removed (recovered by [`recover`]).
    /// Chosen by `Exchange` at run time; named directly only by the tests,
    /// which run it on Linux too.
    #[cfg_attr(not(test), allow(dead_code))]
    RenameAside,
}

/// Runs `action` as `step` unless the hook fails it first.
fn run(hook: Hook<'_>, step: Step, path: &Path, action: impl FnOnce() -> io::Result<()>) -> Result<(), IoError> {
    hook(step)
        .and_then(|()| action())
        .map_err(|e| IoError::io(step.op(), path, e))
}

/// A target's path (real path when it exists), parent and file name.
#[derive(Debug)]
struct Place {
    target: PathBuf,
    parent: PathBuf,
    name: OsString,
}

impl Place {
    fn of(target: &Path) -> Result<Place, IoError> {
        // `.`, `..` and `out/..` have no file name: use the real path of an existing target.
        let target = if target.exists() {
            fs::canonicalize(target).map_err(|e| IoError::io("resolve", target, e))?
        } else {
            target.to_path_buf()
        };
        let name = target
            .file_name()
            .ok_or_else(|| IoError::InvalidTarget { path: target.clone() })?
            .to_os_string();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Place { target, parent, name })
    }

    /// `<parent>/.<name><tag><pid>`.
    fn sibling(&self, tag: &str, pid: u32) -> PathBuf {
        let mut name = OsString::from(".");
        name.push(&self.name);
        name.push(tag);
        name.push(pid.to_string());
        self.parent.join(name)
    }

    /// The pid in `entry` if it is named `.<name><tag><pid>`.
    fn pid_of(&self, entry: &std::ffi::OsStr, tag: &str) -> Option<u32> {
        let digits = entry
            .as_encoded_bytes()
            .strip_prefix(b".")?
            .strip_prefix(self.name.as_encoded_bytes())?
            .strip_prefix(tag.as_bytes())?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
}

impl Staging {
    /// Settles what an interrupted or crashed run left beside `target`: restores
    /// a target moved aside and never replaced, removes leftover aside and
    /// staging directories (see [`Staging`]). Idempotent;
    /// does nothing when there is nothing to settle. Run by [`Staging::new`] and
    /// [`validate_dir`](super::validate_dir).
    ///
    /// # Errors
    /// [`IoError::Io`] when the parent directory cannot be listed or an old
    /// dataset cannot be restored. A leftover that cannot be removed is only
    /// logged: it holds nothing the target needs.
    pub fn recover(target: &Path) -> Result<(), IoError> {
        recover(target)
    }

    /// Settles what an earlier run may have left beside `target` (see
    /// [`Staging::recover`]), then creates the staging directory for `target` (and the
    /// target's parent directories, if missing). Nothing is created when
    /// `target` exists and is not a directory.
    ///
    /// # Errors
    /// [`IoError::NotADirectory`] when `target` is a file; [`IoError::Io`]
    /// naming the path when a directory cannot be created (permission
    /// denied, read-only file system, a file where a directory must go...)
    /// or an old dataset cannot be restored.
    pub fn new(target: &Path) -> Result<Staging, IoError> {
        let place = Place::of(target)?;
        if place.target.exists() && !place.target.is_dir() {
            return Err(IoError::NotADirectory { path: place.target });
        }
        recover_at(&place, &proceed)?;
        fs::create_dir_all(&place.parent).map_err(|e| IoError::io("create directory", &place.parent, e))?;
        let dir = place.sibling(STAGING_TAG, std::process::id());
        fs::create_dir(&dir).map_err(|e| IoError::io("create staging directory", &dir, e))?;
        Ok(Staging {
            aside: place.sibling(ASIDE_TAG, std::process::id()),
            target: place.target,
            parent: place.parent,
            dir,
            cancel: None,
            armed: true,
        })
    }

    /// Makes [`commit`](Staging::commit) give up, leaving the target as it
    /// was, if `flag` is `true` just before the swap. Once the swap has
    /// happened the commit completes whatever the flag says.
    #[must_use]
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Staging {
        self.cancel = Some(flag);
        self
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

    /// Replaces the target with the staging directory in one step, carrying
    /// over the old target's entries that the new dataset does not produce
    /// (see [`Staging`]). Returns the target's path.
    ///
    /// # Errors
    /// [`IoError::Interrupted`] when the cancel flag is set before the swap;
    /// [`IoError::Io`] naming the path and the operation that failed; in
    /// each case the target is left as it was. [`IoError::Stranded`] when
    /// the old target could not even be moved back: the next run (or
    /// [`Staging::recover`]) restores it.
    pub fn commit(self) -> Result<PathBuf, IoError> {
        self.commit_with(Swap::Exchange, &proceed)
    }

    /// [`commit`](Staging::commit) by `swap`, calling `hook` before each step.
    pub(crate) fn commit_with(mut self, swap: Swap, hook: Hook<'_>) -> Result<PathBuf, IoError> {
        // From here on cleanup goes through the hook too, so that a simulated
        // crash leaves everything exactly where it stopped.
        self.armed = false;
        match self.replace(swap, hook) {
            Ok(()) => {
                sync_dir(hook, &self.parent);
                Ok(self.target.clone())
            }
            Err(e) => {
                if let Err(left) = run(hook, Step::Discard, &self.dir, || remove_entry(&self.dir)) {
                    tracing::warn!("{left}; the next run removes it");
                }
                Err(e)
            }
        }
    }

    /// Everything up to and including the swap; the cleanup after it.
    fn replace(&self, swap: Swap, hook: Hook<'_>) -> Result<(), IoError> {
        let old = present(&self.target);
        if old {
            if !self.target.is_dir() {
                return Err(IoError::NotADirectory {
                    path: self.target.clone(),
                });
            }
            hook(Step::CarryOver).map_err(|e| IoError::io(Step::CarryOver.op(), &self.target, e))?;
            carry_over(&self.target, &self.dir)?;
        }
        sync_dir(hook, &self.dir);
        if self.cancel.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
            return Err(IoError::Interrupted {
                path: self.target.clone(),
            });
        }
        if !old {
            return run(hook, Step::MoveIn, &self.target, || fs::rename(&self.dir, &self.target));
        }
        if swap == Swap::Exchange {
            match hook(Step::Exchange).and_then(|()| exchange(&self.dir, &self.target)) {
                Ok(()) => {
                    self.remove_old(hook);
                    return Ok(());
                }
                Err(e) if !exchange_unsupported(&e) => return Err(IoError::io(Step::Exchange.op(), &self.target, e)),
                Err(e) => tracing::debug!("no atomic exchange here ({e}): renaming the old dataset aside"),
            }
        }
        self.rename_aside(hook)
    }

    /// The portable swap: target aside, staging in, aside retired.
    fn rename_aside(&self, hook: Hook<'_>) -> Result<(), IoError> {
        let aside = &self.aside;
        run(hook, Step::MoveAside, &self.target, || fs::rename(&self.target, aside))?;
        if let Err(source) = hook(Step::MoveIn).and_then(|()| fs::rename(&self.dir, &self.target)) {
            return Err(
                match hook(Step::MoveBack).and_then(|()| fs::rename(aside, &self.target)) {
                    Ok(()) => IoError::io(Step::MoveIn.op(), &self.target, source),
                    Err(restore) => IoError::Stranded {
                        path: self.target.clone(),
                        aside: aside.clone(),
                        source,
                        restore,
                    },
                },
            );
        }
        // The swap is done. Renaming the aside to the staging name tells
        // recovery it is garbage even if the target is later deleted.
        match run(hook, Step::Retire, aside, || fs::rename(aside, &self.dir)) {
            Ok(()) => self.remove_old(hook),
            Err(e) => tracing::warn!("{e}; the next run removes it"),
        }
        Ok(())
    }

    /// Removes the old tree after a swap; a failure only leaves a leftover.
    fn remove_old(&self, hook: Hook<'_>) {
        if let Err(e) = run(hook, Step::RemoveOld, &self.dir, || remove_entry(&self.dir)) {
            tracing::warn!("{e}; the next run removes it");
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            let _ = remove_entry(&self.dir);
        }
    }
}

/// See [`Staging::recover`].
pub(crate) fn recover(target: &Path) -> Result<(), IoError> {
    match Place::of(target) {
        Ok(place) => recover_at(&place, &proceed),
        Err(IoError::InvalidTarget { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// [`recover`], calling `hook` before each step.
fn recover_at(place: &Place, hook: Hook<'_>) -> Result<(), IoError> {
    if !place.parent.is_dir() {
        return Ok(());
    }
    let (mut asides, stale) = leftovers(place)?;
    if !present(&place.target) && !asides.is_empty() {
        let aside = asides.remove(0);
        run(hook, Step::Restore, &aside, || fs::rename(&aside, &place.target))?;
        tracing::warn!("restored `{}` from an interrupted run", place.target.display());
    }
    for path in asides.iter().chain(&stale) {
        if let Err(e) = run(hook, Step::RemoveLeftover, path, || remove_entry(path)) {
            tracing::warn!("{e}");
        }
    }
    Ok(())
}

/// The aside directories of `place` and its staging directories that no
/// running process owns, each sorted by name.
fn leftovers(place: &Place) -> Result<(Vec<PathBuf>, Vec<PathBuf>), IoError> {
    let list = |e| IoError::io("list", &place.parent, e);
    let (mut asides, mut stale) = (Vec::new(), Vec::new());
    for entry in fs::read_dir(&place.parent).map_err(list)? {
        let entry = entry.map_err(list)?;
        let name = entry.file_name();
        if place.pid_of(&name, ASIDE_TAG).is_some() {
            asides.push(entry.path());
        } else if place.pid_of(&name, STAGING_TAG).is_some_and(|pid| !running(pid)) {
            stale.push(entry.path());
        }
    }
    asides.sort();
    stale.sort();
    Ok((asides, stale))
}

/// Whether another process `pid` may still be writing its staging directory.
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    #[cfg(target_os = "linux")]
    if Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    // Without a way to tell, another run's directory is left alone.
    true
}

/// Whether anything (even a dangling symlink) is at `path`.
fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Removes a file, symlink or directory tree; nothing there is success.
fn remove_entry(path: &Path) -> io::Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Syncs a directory's entries (best effort: not every platform can open a directory).
fn sync_dir(hook: Hook<'_>, dir: &Path) {
    let _ = run(hook, Step::Sync, dir, || fs::File::open(dir)?.sync_all());
}

/// Links every entry of the old target that the new dataset does not
/// produce into the staging directory, so that it survives the swap.
fn carry_over(old: &Path, new: &Path) -> Result<(), IoError> {
    for entry in fs::read_dir(old).map_err(|e| IoError::io("list", old, e))? {
        let entry = entry.map_err(|e| IoError::io("list", old, e))?;
        let to = new.join(entry.file_name());
        // The new dataset's entry wins, whatever either one is.
        if !present(&to) {
            copy_entry(&entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Hard-links a file (copies a regular file where linking fails, e.g. across
/// a mount point), recreates a symlink, rebuilds a directory tree.
fn copy_entry(from: &Path, to: &Path) -> Result<(), IoError> {
    let fail = |e| IoError::io(Step::CarryOver.op(), from, e);
    let meta = fs::symlink_metadata(from).map_err(fail)?;
    let kind = meta.file_type();
    if kind.is_dir() {
        fs::create_dir(to).map_err(fail)?;
        for entry in fs::read_dir(from).map_err(fail)? {
            let entry = entry.map_err(fail)?;
            copy_entry(&entry.path(), &to.join(entry.file_name()))?;
        }
        // Last: a read-only directory could not have been filled.
        fs::set_permissions(to, meta.permissions()).map_err(fail)
    } else if kind.is_symlink() {
        copy_symlink(from, to).map_err(fail)
    } else {
        fs::hard_link(from, to)
            .or_else(|e| {
                if kind.is_file() {
                    fs::copy(from, to).map(drop)
                } else {
                    Err(e)
                }
            })
            .map_err(fail)
    }
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    // Creating symlinks needs a privilege on Windows: keep what it points to.
    fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(drop))
}

/// Whether a failed exchange means "not here" (old kernel, a file system or
/// a sandbox without it) rather than a real error: then the portable path runs.
fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if let Some(code) = e.raw_os_error() {
        // EPERM: older container runtimes' seccomp filters answer it for
        // system calls they do not know. A real permission problem fails the
        // portable path's first rename the same way, before touching anything.
        return [libc::EINVAL, libc::ENOSYS, libc::EOPNOTSUPP, libc::EXDEV, libc::EPERM].contains(&code);
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Swaps the directories `a` and `b` in one atomic step.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: `a` and `b` are NUL-terminated strings that live until the
    // call returns; renameat2 only reads them. The raw system call is used
    // because glibc has the `renameat2` wrapper only since 2.28, and an old
    // kernel answers ENOSYS, handled by the caller.
    let done = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// No atomic exchange outside Linux: the portable path runs.
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}
