//! Reading CSV tables written without quoting, fast: without a `"` in the
//! file a record is exactly one line and a cell exactly the bytes between two
//! commas, so the file can be cut at line ends into pieces checked on all
//! cores ([`scan_blocks`]), and a row can be found again by its byte range.
//! The first pass of `inject` keeps, per meter, the end of its rows, whether
//! it is eligible and the hash of its id ([`Scan`], [`IdIndex`]); the second
//! copies unchanged rows by byte range. A file with a quote (or a lone
//! carriage return) goes through the `csv` reader instead.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{ConsumptionReader, IdHasher, InjectOutput, IoError, Tally};
use crate::inject::InjectRun;

/// Bytes of the file read and checked at a time.
pub(super) const BLOCK: usize = 8 << 20;

/// Lines of a block checked by one task.
pub(super) const PIECE: usize = 256 << 10;

/// What the first pass of `inject` learned about a table read by lines.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// The end (byte offset after its last line end) of each meter's rows;
    /// a meter's bytes start where the previous one's end (the header's,
    /// for the first).
    pub(super) ends: Vec<u64>,
    /// Which meters may get an event.
    pub(super) tally: Tally,
    /// The most decimals of a reading.
    pub(super) decimals: usize,
}

impl Scan {
    /// Where meter `m`'s bytes start, `header_end` for the first.
    pub(super) fn start(&self, m: usize, header_end: u64) -> u64 {
        if m == 0 { header_end } else { self.ends[m - 1] }
    }
}

/// A line's first fault, found by a piece. `id` is the line's meter id and
/// its hash when a duplicate of it must be reported first (as the `csv`
/// path does): read before the fault, and (long form) beginning a meter.
#[derive(Debug)]
pub(super) struct LineError {
    pub(super) line: u64,
    pub(super) id: Option<(String, u64)>,
    pub(super) column: String,
    pub(super) reason: String,
}

impl ConsumptionReader {
    /// Where the rows start (the header's end) and their first line, or
    /// `None` when the header is quoted (the `csv` reader must read the file).
    pub(super) fn rows_start(&self) -> Option<(u64, u64)> {
        unquoted(&self.header_raw).then(|| {
            let lines = memchr::memchr_iter(b'\n', &self.header_raw).count() as u64;
            (self.header_raw.len() as u64, lines + 1)
        })
    }
}

/// Reads `path` from byte `start` (on line `line`) in blocks of about
/// `block` bytes cut at line ends; cuts each block into pieces of about
/// `piece` bytes that `check` looks at (given their bytes, file offset and
/// first line; on all cores with `parallel`), and hands the pieces to
/// `merge` in file order. `Ok(false)`: a block holds a quote or a lone
/// carriage return, and the file must go through the `csv` reader.
pub(super) fn scan_blocks<P: Send>(
    path: &Path,
    start: u64,
    line: u64,
    block: usize,
    piece: usize,
    check: impl Fn(&[u8], u64, u64) -> P + Sync,
    mut merge: impl FnMut(P) -> Result<(), IoError>,
) -> Result<bool, IoError> {
    let mut file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
    file.seek(SeekFrom::Start(start))
        .map_err(|e| IoError::io("read", path, e))?;
    let (mut buf, mut offset, mut line) = (Vec::with_capacity(block), start, line);
    let mut eof = false;
    while !eof {
        // Keep the unfinished line of the last block and read a block more.
        let mut n = buf.len();
        buf.resize(n + block, 0);
        while n < buf.len() {
            match file.read(&mut buf[n..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(IoError::io("read", path, e)),
            }
        }
        buf.truncate(n);
        let end = if eof {
            n
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                // A line longer than a block: read on.
                None => continue,
            }
        };
        let lines = &buf[..end];
        if !unquoted(lines) {
            return Ok(false);
        }
        // Cut at line ends about every `piece` bytes; count lines up to each cut.
        let mut cuts = vec![(0usize, line)];
        let (mut at, mut counted) = (0, line);
        while at + piece < lines.len() {
            let cut = memchr::memchr(b'\n', &lines[at + piece..]).map_or(lines.len(), |i| at + piece + i + 1);
            counted += memchr::memchr_iter(b'\n', &lines[at..cut]).count() as u64;
            cuts.push((cut, counted));
            at = cut;
        }
        let look = |k: usize| {
            let (from, first_line) = cuts[k];
            let to = cuts.get(k + 1).map_or(lines.len(), |c| c.0);
            check(&lines[from..to], offset + from as u64, first_line)
        };
        #[cfg(feature = "parallel")]
        let pieces: Vec<P> = {
            use rayon::prelude::*;
            (0..cuts.len()).into_par_iter().map(look).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let pieces: Vec<P> = (0..cuts.len()).map(look).collect();
        for p in pieces {
            merge(p)?;
        }
        line = counted + memchr::memchr_iter(b'\n', &lines[at..]).count() as u64;
        offset += end as u64;
        buf.drain(..end);
    }
    Ok(true)
}

/// Each line of `bytes` (line end removed, blank lines skipped) with its
/// line number (the first is `line`) and the byte offset after its line end.
pub(super) fn each_line<'a>(bytes: &'a [u8], mut line: u64, mut f: impl FnMut(&'a [u8], u64, usize) -> bool) {
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
        let text = &bytes[start..end];
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        // Blank lines are not records (as for the `csv` reader).
        if !text.is_empty() && !f(text, line, end) {
            return;
        }
        line += 1;
        start = end;
    }
}

/// Whether `bytes` can be cut into records at line ends: no quote, and
/// every carriage return ends a line.
pub(super) fn unquoted(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1).is_none_or(|&b| b == b'\n'))
}

/// The cells of `line` (split at commas) into `cells`.
pub(super) fn split_cells<'a>(line: &'a [u8], cells: &mut Vec<&'a [u8]>) {
    cells.clear();
    let mut start = 0;
    for comma in memchr::memchr_iter(b',', line) {
        cells.push(&line[start..comma]);
        start = comma + 1;
    }
    cells.push(&line[start..]);
}

/// A meter id as the `csv` path reads it.
pub(super) fn id_text(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    match String::from_utf8_lossy(cell) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim().to_owned()),
    }
}

/// A 64-bit hash of an id, well mixed so that the index can use it as its
/// own key ([`IdHasher`]).
pub(super) fn id_hash(id: &str) -> u64 {
    let mut h = IdHasher::default();
    h.write(id.as_bytes());
    h.finish()
}

/// A hasher for keys that already are hashes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A reading cell of digits with at most one decimal point: its presence
/// and decimals without converting it (what nearly every cell is). `None`:
/// anything else, left to [`parse_reading`].
pub(super) fn plain_reading(cell: &[u8]) -> Option<(bool, usize)> {
    if cell.is_empty() {
        return Some((false, 0));
    }
    // Longer numbers could overflow to infinity, which is refused.
    if cell.len() > 300 {
        return None;
    }
    let mut dot = None;
    for (i, &b) in cell.iter().enumerate() {
        match b {
            b'0'..=b'9' => {}
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    match dot {
        None => Some((true, 0)),
        Some(_) if cell.len() == 1 => None,
        Some(i) => Some((true, cell.len() - i - 1)),
    }
}

/// The record's line of a row's bytes (blank lines before it and the line
/// end removed).
pub(super) fn record_line(raw: &[u8]) -> &[u8] {
    let mut text = raw;
    loop {
        let end = memchr::memchr(b'\n', text).unwrap_or(text.len());
        let line = &text[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() || end >= text.len() {
            return line;
        }
        text = &text[end + 1..];
    }
}

/// The meters seen so far, by id hash, to refuse a duplicate. The ids
/// themselves are not kept: on a matching hash the earlier meter's id is
/// read back from the file, so a collision of two different ids costs a read
/// and is never mistaken for a duplicate.
#[derive(Debug)]
pub(super) struct IdIndex<'a> {
    path: &'a Path,
    header_end: u64,
    id_col: usize,
    /// The file, opened on the first matching hash.
    file: Option<File>,
    /// The first meter with each hash.
    rows: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    /// Other ids whose hash matched an earlier meter's.
    collided: HashMap<u64, Vec<String>, BuildHasherDefault<PassThrough>>,
}

impl<'a> IdIndex<'a> {
    /// An empty index of the meters of `path`, whose rows start at
    /// `header_end` and hold the id in cell `id_col`.
    pub(super) fn new(path: &'a Path, header_end: u64, id_col: usize) -> Self {
        IdIndex {
            path,
            header_end,
            id_col,
            file: None,
            rows: HashMap::default(),
            collided: HashMap::default(),
        }
    }

    /// Records the meter about to be pushed after the meters ending at
    /// `ends`, whose id hashes to `hash` and whose rows end at `end`. Returns
    /// its id when an earlier meter has it.
    pub(super) fn insert(&mut self, ends: &[u64], hash: u64, end: u64) -> Result<Option<String>, IoError> {
        match self.rows.entry(hash) {
            Entry::Vacant(v) => {
                v.insert(ends.len());
                Ok(None)
            }
            Entry::Occupied(_) => {
                // Rare: a duplicate, or two ids with one hash. Read the id back.
                let start = ends.last().copied().unwrap_or(self.header_end);
                let id = self.id_between(start, end)?;
                if self.earlier(ends, hash, &id)? {
                    return Ok(Some(id));
                }
                self.collided.entry(hash).or_default().push(id);
                Ok(None)
            }
        }
    }

    /// Whether a meter before those ending at `ends` has `id` (hashing to `hash`).
    pub(super) fn earlier(&mut self, ends: &[u64], hash: u64, id: &str) -> Result<bool, IoError> {
        let Some(&row) = self.rows.get(&hash) else {
            return Ok(false);
        };
        if self.collided.get(&hash).is_some_and(|ids| ids.iter().any(|i| i == id)) {
            return Ok(true);
        }
        // Every meter in the index is in `ends` by the time it is asked about.
        let Some(&end) = ends.get(row) else {
            return Ok(false);
        };
        let start = if row == 0 { self.header_end } else { ends[row - 1] };
        Ok(self.id_between(start, end)? == id)
    }

    /// The id of the meter in bytes `start..end` of the file, read back.
    fn id_between(&mut self, start: u64, end: u64) -> Result<String, IoError> {
        let path = self.path;
        let file = match &mut self.file {
            Some(f) => f,
            None => self
                .file
                .insert(File::open(path).map_err(|e| IoError::io("open", path, e))?),
        };
        let mut raw = vec![0; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut raw))
            .map_err(|e| IoError::io("read", path, e))?;
        let mut cells = Vec::new();
        split_cells(record_line(&raw), &mut cells);
        Ok(cells
            .get(self.id_col)
            .map_or_else(String::new, |c| id_text(c).into_owned()))
    }
}

/// The second pass of `inject` over a table read by lines: copies the
/// bytes of meters that cannot get an event by byte range, and hands each
/// other meter's bytes to `meter` with its index and its position among the
/// eligible meters; `meter` writes them (or their rewrite) to `out`.
pub(super) fn rewrite_selected(
    path: &Path,
    header_raw: &[u8],
    scan: &Scan,
    run: &InjectRun<'_>,
    out: &mut InjectOutput,
    mut meter: impl FnMut(usize, u64, &[u8], &mut InjectOutput) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let mut file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
    let header_end = header_raw.len() as u64;
    out.write_table(header_raw)?;
    file.seek(SeekFrom::Start(header_end))
        .map_err(|e| IoError::io("read", path, e))?;
    let mut file = BufReader::with_capacity(1 << 20, file);
    let (mut copied_to, mut position, mut raw) = (header_end, 0u64, Vec::new());
    for (m, &eligible) in scan.tally.eligible.iter().enumerate() {
        if !eligible {
            continue;
        }
        let p = position;
        position += 1;
        if !run.selects(p) {
            continue;
        }
        let start = scan.start(m, header_end);
        out.copy_table(&mut file, start - copied_to, path)?;
        raw.resize(usize::try_from(scan.ends[m] - start).unwrap_or(0), 0);
        file.read_exact(&mut raw).map_err(|e| IoError::io("read", path, e))?;
        copied_to = scan.ends[m];
        meter(m, p, &raw, out)?;
    }
    out.copy_table(&mut file, u64::MAX, path)
}

impl InjectOutput {
    /// Copies `n` bytes (`u64::MAX`: the rest) of `file`, read at `path`,
    /// into the table. Through the reader's buffer, not `std::io::copy`:
    /// its `copy_file_range` costs a system call (and a flush) per gap
    /// between two rewritten rows, which made the copy slower than the parse.
    pub(super) fn copy_table(&mut self, file: &mut BufReader<File>, mut n: u64, path: &Path) -> Result<(), IoError> {
        while n > 0 {
            let chunk = file.fill_buf().map_err(|e| IoError::io("read", path, e))?;
            if chunk.is_empty() {
                if n == u64::MAX {
                    return Ok(());
                }
                return Err(IoError::io(
                    "read",
                    path,
                    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file changed while being read"),
                ));
            }
            let m = chunk.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            self.write_table(&chunk[..m])?;
            file.consume(m);
            if n != u64::MAX {
                n -= m as u64;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::input::parse_reading;
    use std::collections::HashSet;

    /// Different ids with one hash are told apart by reading them back;
    /// the same id with it is a duplicate, whichever of them it repeats.
    #[test]
    fn the_id_index_reads_ids_back_on_a_matching_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let rows = ["A,1\n", "\nB,2\n", "C,3\n", "A,4\n", "B,5\n", "C,6\n", "D,7\n"];
        let header = "meter_id,kwh\n";
        std::fs::write(&path, format!("{header}{}", rows.concat())).unwrap();
        let mut index = IdIndex::new(&path, header.len() as u64, 0);
        let mut ends = Vec::new();
        let mut end = header.len() as u64;
        let mut found = Vec::new();
        for row in rows {
            end += row.len() as u64;
            // Every id has hash 7 except C (hash 9).
            let hash = if row.trim_start().starts_with('C') { 9 } else { 7 };
            found.push(index.insert(&ends, hash, end).unwrap());
            // (`inject` stops at a duplicate; here the next rows go on.)
            ends.push(end);
        }
        let dup = |id: &str| Some(id.to_owned());
        assert_eq!(found, [None, None, None, dup("A"), dup("B"), dup("C"), None]);
        assert!(index.earlier(&ends, 7, "B").unwrap());
        assert!(index.earlier(&ends, 7, "D").unwrap());
        assert!(!index.earlier(&ends, 7, "E").unwrap());
        assert!(!index.earlier(&ends, 8, "A").unwrap());
    }

    #[test]
    fn plain_readings_agree_with_the_parser() {
        for cell in [
            "", "0", "12", "12.5", "12.", ".5", "007.250", "1.2.3", ".", "1e3", " 1", "-1", "inf", "1,5",
        ] {
            let fast = plain_reading(cell.as_bytes());
            let slow = parse_reading(cell.as_bytes()).map(|(v, d)| (!v.is_nan(), d));
            if let Some(f) = fast {
                assert_eq!(Ok(f), slow, "{cell:?}");
            }
        }
        assert_eq!(plain_reading(b"12.50"), Some((true, 2)));
        assert_eq!(plain_reading(b"."), None);
        assert_eq!(plain_reading(b"1e3"), None);
        assert_eq!(plain_reading(&[b'9'; 301]), None);
    }

    #[test]
    fn quotes_and_lone_carriage_returns_need_the_csv_reader() {
        assert!(unquoted(b"a,b\r\nc,d\n"));
        assert!(unquoted(b"a,b\r"));
        assert!(!unquoted(b"a,\"b\"\n"));
        assert!(!unquoted(b"a\rb,c\n"));
    }

    #[test]
    fn record_line_skips_blank_lines_and_line_ends() {
        assert_eq!(record_line(b"\n\r\nM1,2\r\n"), b"M1,2");
        assert_eq!(record_line(b"M1,2"), b"M1,2");
    }

    #[test]
    fn equal_ids_hash_equal_and_different_ids_differ() {
        assert_eq!(id_hash("MTR_000001"), id_hash("MTR_000001"));
        assert_ne!(id_hash("MTR_000001"), id_hash("MTR_000002"));
        assert_ne!(id_hash("a"), id_hash("a\0"));
        // A matching hash costs a read of the file: ids like ours must not
        // collide (an FxHash-style hash collided for half of them).
        let n = 200_000;
        let hashes: HashSet<u64> = (0..n).map(|i| id_hash(&format!("MTR_{i:06}"))).collect();
        assert_eq!(hashes.len(), n);
    }
}

/// What the fast paths' property tests share: the result of a first pass,
/// and a runner that writes each generated table to a file.
#[cfg(test)]
pub(super) mod testing {
    use super::super::Tally;
    use proptest::prelude::*;
    use proptest::test_runner::{TestCaseError, TestRng, TestRunner};
    use std::path::Path;

    /// What a first pass found (or the error's text).
    #[derive(Debug, PartialEq)]
    pub(in crate::io::input) struct Found {
        eligible: Vec<bool>,
        skipped_labelled: Vec<String>,
        skipped_empty: u64,
        decimals: usize,
    }

    impl Found {
        pub(in crate::io::input) fn new(tally: Tally, decimals: usize) -> Self {
            assert_eq!(
                tally.eligible.iter().filter(|&&e| e).count() as u64,
                tally.eligible_count
            );
            Found {
                eligible: tally.eligible,
                skipped_labelled: tally.skipped_labelled,
                skipped_empty: tally.skipped_empty,
                decimals,
            }
        }

        pub(in crate::io::input) fn meters(&self) -> usize {
            self.eligible.len()
        }
    }

    /// `check`s `cases` generated tables, each written to one file, with a
    /// fixed seed; returns how many `check` counted as accepted. Fails with
    /// the smallest failing table.
    pub(in crate::io::input) fn for_tables<T: std::fmt::Debug>(
        tables: impl Strategy<Value = (String, T)>,
        cases: u32,
        check: impl Fn(&Path, &str, T) -> Result<bool, TestCaseError>,
    ) -> u32 {
        let dir = tempfile::tempdir().unwrap();
        let accepted = std::cell::Cell::new(0);
        let config = ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(cases)
        };
        let rng = TestRng::deterministic_rng(config.rng_algorithm);
        let result = TestRunner::new_with_rng(config, rng).run(&tables, |(text, rest)| {
            let path = dir.path().join("t.csv");
            std::fs::write(&path, &text).unwrap();
            accepted.set(accepted.get() + u32::from(check(&path, &text, rest)?));
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        accepted.get()
    }

    /// An error without its line when `text` has a blank line or a `\r\n`:
    /// the `csv` reader then names the line before a record as the
    /// record's, the fast paths the record's own.
    pub(in crate::io::input) fn unlined<T>(text: &str, r: Result<T, String>) -> Result<T, String> {
        let blank_inside = text.trim_end().contains("\n\n") || text.contains('\r');
        r.map_err(|e| {
            if blank_inside {
                e.split(", column").nth(1).unwrap_or_default().to_owned()
            } else {
                e
            }
        })
    }
}
