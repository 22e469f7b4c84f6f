//! Failure injection and simulated crashes at every step of a commit (both
//! swaps) and of the recovery after it: the target always ends up holding
//! the complete old or the complete new dataset, byte for byte.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::{fs, io};

use super::*;

/// A directory tree: relative path → file bytes, symlink target or directory.
type Tree = BTreeMap<PathBuf, Node>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Link(PathBuf),
    Dir,
}

fn snapshot(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_symlink() {
                tree.insert(rel, Node::Link(fs::read_link(&path).unwrap()));
            } else if kind.is_dir() {
                tree.insert(rel, Node::Dir);
                walk(root, &path, tree);
            } else {
                tree.insert(rel, Node::File(fs::read(&path).unwrap()));
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// An old dataset in `<tmp>/out` (with a user's file, a user's directory, a
/// symlink and a directory where the new dataset writes a file) and a
/// complete new one in its staging directory.
struct Fixture {
    _tmp: tempfile::TempDir,
    parent: PathBuf,
    target: PathBuf,
    old: Tree,
    new: Tree,
}

impl Fixture {
    fn new() -> (Fixture, Staging) {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().to_path_buf();
        let target = parent.join("out");
        fs::create_dir_all(target.join("meter_consumption.csv")).unwrap();
        fs::write(target.join("meter_consumption.csv").join("stray"), "old stray").unwrap();
        fs::write(target.join("transformers.csv"), "old transformers").unwrap();
        fs::write(target.join("events.csv"), "old events").unwrap();
        fs::write(target.join("notes.md"), "mine").unwrap();
        fs::create_dir_all(target.join("figures").join("deep")).unwrap();
        fs::write(target.join("figures").join("deep").join("plot.svg"), "<svg/>").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("notes.md", target.join("latest")).unwrap();
        let old = snapshot(&target);
        let staging = Staging::new(&target).unwrap();
        fs::write(staging.path().join("meter_consumption.csv"), "new meters").unwrap();
        fs::write(staging.path().join("transformers.csv"), "new transformers").unwrap();
        fs::write(staging.path().join("anomaly_labels.csv"), "new labels").unwrap();
        let mut new = snapshot(staging.path());
        // What the old target carries over: everything the new one does not write.
        for (path, node) in &old {
            let top = path.components().next().unwrap().as_os_str();
            if !present(&staging.path().join(top)) {
                new.insert(path.clone(), node.clone());
            }
        }
        assert!(new.contains_key(Path::new("figures/deep/plot.svg")));
        assert_eq!(
            new[Path::new("meter_consumption.csv")],
            Node::File(b"new meters".to_vec())
        );
        assert!(!new.contains_key(Path::new("meter_consumption.csv/stray")));
        let fixture = Fixture {
            target: fs::canonicalize(&target).unwrap(),
            parent: fs::canonicalize(&parent).unwrap(),
            _tmp: tmp,
            old,
            new,
        };
        (fixture, staging)
    }

    /// What the target holds now: `Some(true)` the new dataset, `Some(false)`
    /// the old one, `None` when missing; panics on anything else.
    fn state(&self) -> Option<bool> {
        if !present(&self.target) {
            return None;
        }
        let now = snapshot(&self.target);
        assert!(now == self.old || now == self.new, "a mix:\n{now:#?}");
        Some(now == self.new)
    }

    fn recover(&self, hook: Hook<'_>) -> Result<(), IoError> {
        recover_at(&Place::of(&self.target).unwrap(), hook)
    }

    /// Asserts the parent holds the target only: no aside, no staging left.
    fn assert_clean(&self) {
        assert_eq!(names(&self.parent), ["out"]);
    }
}

/// A hook recording each step.
fn record(steps: &RefCell<Vec<Step>>) -> impl Fn(Step) -> io::Result<()> + '_ {
    |step| {
        steps.borrow_mut().push(step);
        Ok(())
    }
}

/// The steps of a clean commit by `swap`.
fn clean_steps(swap: Swap) -> Vec<Step> {
    let (fixture, staging) = Fixture::new();
    let steps = RefCell::new(Vec::new());
    staging.commit_with(swap, &record(&steps)).unwrap();
    assert_eq!(fixture.state(), Some(true));
    fixture.assert_clean();
    steps.into_inner()
}

/// Where the swap happens among `steps`.
fn swap_index(steps: &[Step]) -> usize {
    steps
        .iter()
        .position(|s| matches!(s, Step::Exchange | Step::MoveIn))
        .unwrap()
}

fn injected() -> io::Error {
    io::Error::other("injected failure")
}

#[test]
fn a_clean_commit_takes_the_expected_steps() {
    use Step::*;
    #[cfg(target_os = "linux")]
    assert_eq!(
        clean_steps(Swap::Exchange),
        [CarryOver, Sync, Exchange, RemoveOld, Sync]
    );
    assert_eq!(
        clean_steps(Swap::RenameAside),
        [CarryOver, Sync, MoveAside, MoveIn, Retire, RemoveOld, Sync]
    );
}

#[test]
fn a_failure_at_any_step_leaves_the_complete_old_or_new_dataset() {
    for swap in [Swap::Exchange, Swap::RenameAside] {
        let steps = clean_steps(swap);
        for (i, &failing) in steps.iter().enumerate() {
            let (fixture, staging) = Fixture::new();
            let seen = Cell::new(0);
            let hook = |_: Step| {
                let n = seen.get();
                seen.set(n + 1);
                if n == i { Err(injected()) } else { Ok(()) }
            };
            let result = staging.commit_with(swap, &hook);
            let context = format!("{swap:?}, failing {failing:?} (step {i})");
            // A sync is best effort: its failure changes nothing.
            if i <= swap_index(&steps) && failing != Step::Sync {
                let err = result.expect_err(&context);
                assert!(err.to_string().contains("injected failure"), "{context}: {err}");
                assert_eq!(fixture.state(), Some(false), "{context}");
                fixture.assert_clean();
            } else {
                // After the swap a failure only leaves a leftover for later.
                assert_eq!(result.expect(&context), fixture.target, "{context}");
                assert_eq!(fixture.state(), Some(true), "{context}");
                fixture.recover(&proceed).unwrap();
                assert_eq!(fixture.state(), Some(true), "{context}");
                fixture.assert_clean();
            }
        }
    }
}

#[test]
fn a_failed_move_back_strands_the_old_dataset_until_recovery() {
    let (fixture, staging) = Fixture::new();
    let hook = |step| match step {
        Step::MoveIn | Step::MoveBack => Err(injected()),
        _ => Ok(()),
    };
    let err = staging.commit_with(Swap::RenameAside, &hook).unwrap_err();
    assert!(matches!(err, IoError::Stranded { .. }), "{err}");
    assert!(err.to_string().contains("ghostload-old-"), "{err}");
    assert_eq!(fixture.state(), None);
    fixture.recover(&proceed).unwrap();
    assert_eq!(fixture.state(), Some(false));
    fixture.assert_clean();
}

#[test]
fn a_failed_discard_leaves_a_staging_directory_that_recovery_removes() {
    let (fixture, staging) = Fixture::new();
    let hook = |step| match step {
        Step::CarryOver | Step::Discard => Err(injected()),
        _ => Ok(()),
    };
    staging.commit_with(Swap::Exchange, &hook).unwrap_err();
    assert_eq!(fixture.state(), Some(false));
    assert_eq!(names(&fixture.parent).len(), 2);
    fixture.recover(&proceed).unwrap();
    assert_eq!(fixture.state(), Some(false));
    fixture.assert_clean();
}

/// A hook under which the process "dies" at the `at`-th step: that step and
/// every later one never happen (not even cleanup).
fn crash_at(at: usize, seen: &Cell<usize>) -> impl Fn(Step) -> io::Result<()> + '_ {
    move |_| {
        let n = seen.get();
        seen.set(n + 1);
        if n >= at {
            Err(io::Error::other("crashed"))
        } else {
            Ok(())
        }
    }
}

#[test]
fn a_crash_at_any_instant_of_commit_or_recovery_leaves_old_or_new() {
    for swap in [Swap::Exchange, Swap::RenameAside] {
        let steps = clean_steps(swap);
        for at in 0..=steps.len() {
            // Then a crash at each step of the recovery, then a full recovery.
            for recovery_at in 0.. {
                let (fixture, staging) = Fixture::new();
                let seen = Cell::new(0);
                let _ = staging.commit_with(swap, &crash_at(at, &seen));
                let context = format!("{swap:?}, crash before step {at} then recovery step {recovery_at}");
                let expected = at > swap_index(&steps);
                let after_crash = fixture.state();
                assert!(after_crash.is_none_or(|new| new == expected), "{context}");
                let seen = Cell::new(0);
                let _ = fixture.recover(&crash_at(recovery_at, &seen));
                let recovery_steps = seen.get();
                assert!(fixture.state().is_none_or(|new| new == expected), "{context}");
                fixture.recover(&proceed).unwrap();
                assert_eq!(fixture.state(), Some(expected), "{context}");
                fixture.assert_clean();
                if recovery_steps <= recovery_at {
                    break; // the recovery had fewer steps: all covered
                }
            }
        }
    }
}

#[test]
fn a_crash_between_the_portable_renames_is_undone_by_the_next_run() {
    let (fixture, staging) = Fixture::new();
    let seen = Cell::new(0);
    // CarryOver, Sync, MoveAside: the crash hits MoveIn.
    let _ = staging.commit_with(Swap::RenameAside, &crash_at(3, &seen));
    assert_eq!(fixture.state(), None, "the target is aside");
    let next = Staging::new(&fixture.target).unwrap();
    assert_eq!(fixture.state(), Some(false));
    drop(next);
    fixture.assert_clean();
}

#[test]
fn an_unsupported_exchange_falls_back_to_renaming_aside() {
    let (fixture, staging) = Fixture::new();
    let steps = RefCell::new(Vec::new());
    let hook = |step| {
        steps.borrow_mut().push(step);
        match step {
            #[cfg(target_os = "linux")]
            Step::Exchange => Err(io::Error::from_raw_os_error(libc::EINVAL)),
            _ => Ok(()),
        }
    };
    staging.commit_with(Swap::Exchange, &hook).unwrap();
    assert!(steps.borrow().contains(&Step::MoveAside), "{:?}", steps.borrow());
    assert_eq!(fixture.state(), Some(true));
    fixture.assert_clean();
}

#[test]
fn cancel_is_honoured_up_to_the_swap_and_not_after() {
    for (raise_at, expect_new) in [(Step::CarryOver, false), (Step::Sync, false), (Step::RemoveOld, true)] {
        for swap in [Swap::Exchange, Swap::RenameAside] {
            let (fixture, staging) = Fixture::new();
            let flag = Arc::new(AtomicBool::new(false));
            let staging = staging.with_cancel_flag(Arc::clone(&flag));
            let hook = |step| {
                if step == raise_at {
                    flag.store(true, Ordering::SeqCst);
                }
                Ok(())
            };
            let result = staging.commit_with(swap, &hook);
            let context = format!("{swap:?}, Ctrl-C at {raise_at:?}");
            assert_eq!(result.is_ok(), expect_new, "{context}");
            if let Err(e) = result {
                assert!(matches!(e, IoError::Interrupted { .. }), "{context}: {e}");
            }
            assert_eq!(fixture.state(), Some(expect_new), "{context}");
            fixture.assert_clean();
        }
    }
}

#[test]
fn a_missing_target_is_renamed_into_place_or_left_missing() {
    for fail in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let staging = Staging::new(&target).unwrap();
        fs::write(staging.path().join("a.csv"), "a").unwrap();
        let hook = |step| {
            if fail && step == Step::MoveIn {
                Err(injected())
            } else {
                Ok(())
            }
        };
        let result = staging.commit_with(Swap::Exchange, &hook);
        assert_eq!(result.is_err(), fail);
        if fail {
            assert!(names(tmp.path()).is_empty());
        } else {
            assert_eq!(names(tmp.path()), ["out"]);
            assert_eq!(fs::read(target.join("a.csv")).unwrap(), b"a");
        }
    }
}

#[test]
fn recovery_removes_only_what_it_owns() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    fs::create_dir(&target).unwrap();
    // Above the kernel's largest pid (2^22): certainly not running.
    let dead = ".out.ghostload-tmp-4194305";
    // pid 1 always runs; `out2` and `-5x` belong to no run of `out`.
    let kept = [
        ".out.ghostload-tmp-1",
        ".out2.ghostload-tmp-4194305",
        ".out.ghostload-tmp-5x",
        ".out.ghostload-old-",
        "out.ghostload-old-7",
    ];
    for name in kept.iter().chain([&dead]) {
        fs::create_dir(tmp.path().join(name)).unwrap();
    }
    fs::write(tmp.path().join(".out.ghostload-old-7"), "a file aside").unwrap();
    recover(&target).unwrap();
    let mut expected: Vec<&str> = kept.to_vec();
    expected.push("out");
    expected.sort_unstable();
    assert_eq!(names(tmp.path()), expected);
    recover(&target).unwrap();
    assert_eq!(names(tmp.path()), expected, "idempotent");
}

#[test]
fn recovery_of_a_path_without_a_name_or_parent_does_nothing() {
    recover(Path::new("/")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    recover(&tmp.path().join("missing").join("out")).unwrap();
}
