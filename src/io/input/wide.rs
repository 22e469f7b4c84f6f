//! The fast path of [`inject_file`](super::inject_file) for wide tables
//! (ours, the original tool's, SGCC's) written without quoting.
//!
//! Without a `"` anywhere in the file, a record is exactly one line and a
//! field exactly the bytes between two commas, so the file can be cut at
//! line ends into pieces checked on all cores, and the second pass can copy
//! the rows of meters without an event by byte ranges, parsing only the few
//! rows it rewrites. A file with a quote (or a lone carriage return) takes
//! the general path through the `csv` reader; both paths write the same
//! bytes and report the same errors (`tests/inject.rs` checks this on random
//! tables).
//!
//! Memory: one block of the file ([`BLOCK`]) plus, per meter, the end of its
//! row, whether it is eligible and an entry of the id index (about 25 bytes).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{ConsumptionReader, HashSet, InjectOutput, IoError, input_err, parse_flag, parse_reading};
use crate::inject::InjectPlan;
use crate::model::CustomerClass;

/// Bytes of the file read and checked at a time.
const BLOCK: usize = 8 << 20;

/// Lines of a block checked by one task.
const PIECE: usize = 256 << 10;

/// What the first pass learned about a wide table.
#[derive(Debug)]
pub(super) struct WideScan {
    /// The end (byte offset after its line end) of each row; a row's bytes
    /// start where the previous row's end (the header's, for the first).
    ends: Vec<u64>,
    /// Whether each row's meter may get an event.
    eligible: Vec<bool>,
    eligible_count: u64,
    skipped_labelled: Vec<String>,
    skipped_empty: u64,
    decimals: usize,
}

/// What checking one line found.
#[derive(Debug)]
struct Row {
    /// Its line number (1-based).
    line: u64,
    /// The byte offset after its line end.
    end: u64,
    /// The mixed hash of its id.
    hash: u64,
    /// Its id, when the input labels it (to report it).
    labelled: Option<String>,
    /// Whether it holds a reading.
    present: bool,
    decimals: usize,
}

/// A line's error; the id and its hash when they were read before the error
/// (a duplicate id is reported before a bad value of the same line, as the
/// `csv` path does).
#[derive(Debug)]
struct LineError {
    line: u64,
    id: Option<(String, u64)>,
    column: String,
    reason: String,
}

/// The rows of one piece of a block, up to its first error.
#[derive(Debug, Default)]
struct Piece {
    rows: Vec<Row>,
    error: Option<LineError>,
}

/// Whether `bytes` can be cut into records at line ends: no quote, and
/// every carriage return ends a line.
fn unquoted(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1).is_none_or(|&b| b == b'\n'))
}

/// The cells of `line` (split at commas) into `cells`.
fn split_cells<'a>(line: &'a [u8], cells: &mut Vec<&'a [u8]>) {
    cells.clear();
    let mut start = 0;
    for comma in memchr::memchr_iter(b',', line) {
        cells.push(&line[start..comma]);
        start = comma + 1;
    }
    cells.push(&line[start..]);
}

/// A meter id as the `csv` path reads it.
fn id_text(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    match String::from_utf8_lossy(cell) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim().to_owned()),
    }
}

/// A 64-bit hash of an id, well mixed so that the index can use it as its
/// own key. SipHash-1-3 (`DefaultHasher`, fixed keys): the ids' hashes live
/// only in this process, and FxHash-style hashing of ids like `MTR_000001`
/// collided for almost half of a million ids.
fn id_hash(id: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(id.as_bytes());
    h.finish()
}

/// A hasher for keys that already are hashes.
#[derive(Debug, Default, Clone, Copy)]
struct PassThrough(u64);

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
fn plain_reading(cell: &[u8]) -> Option<(bool, usize)> {
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

impl ConsumptionReader {
    /// Checks one line (line end removed) as `scan_wide` and `id` would.
    fn check_line<'a>(
        &self,
        text: &'a [u8],
        cells: &mut Vec<&'a [u8]>,
        labelled: &HashSet<String>,
    ) -> Result<Row, LineError> {
        let fail = |id: Option<(String, u64)>, column: &str, reason: String| LineError {
            line: 0,
            id,
            column: column.to_owned(),
            reason,
        };
        split_cells(text, cells);
        if cells.len() != self.columns.len() {
            return Err(fail(
                None,
                "row",
                format!("{} fields, the header has {}", cells.len(), self.columns.len()),
            ));
        }
        let id = id_text(cells[self.id_col]);
        if id.is_empty() {
            return Err(fail(None, &self.columns[self.id_col], "empty meter id".into()));
        }
        let hash = id_hash(&id);
        let (mut present, mut decimals) = (false, 0);
        for &(c, _) in &self.value_columns {
            let (p, d) = match plain_reading(cells[c]) {
                Some(x) => x,
                None => match parse_reading(cells[c]) {
                    Ok((v, d)) => (!v.is_nan(), d),
                    Err(reason) => return Err(fail(Some((id.into_owned(), hash)), &self.columns[c], reason)),
                },
            };
            present |= p;
            decimals = decimals.max(d);
        }
        let flag = match self.flag_col {
            Some(c) => {
                parse_flag(cells[c]).map_err(|reason| fail(Some((id.to_string(), hash)), &self.columns[c], reason))?
            }
            None => false,
        };
        let is_labelled = flag || labelled.contains(id.as_ref());
        Ok(Row {
            line: 0,
            end: 0,
            hash,
            labelled: is_labelled.then(|| id.into_owned()),
            present,
            decimals,
        })
    }

    /// Checks the whole lines of `bytes`, which start at byte `offset` of
    /// the file on line `line`, up to the first error.
    fn check_piece(&self, bytes: &[u8], offset: u64, mut line: u64, labelled: &HashSet<String>) -> Piece {
        let mut piece = Piece::default();
        let mut cells = Vec::with_capacity(self.columns.len());
        let mut start = 0;
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            let mut text = &bytes[start..end];
            text = text.strip_suffix(b"\n").unwrap_or(text);
            text = text.strip_suffix(b"\r").unwrap_or(text);
            // Blank lines are not records (as for the `csv` reader).
            if !text.is_empty() {
                match self.check_line(text, &mut cells, labelled) {
                    Ok(mut row) => {
                        row.line = line;
                        row.end = offset + end as u64;
                        piece.rows.push(row);
                    }
                    Err(mut e) => {
                        e.line = line;
                        piece.error = Some(e);
                        return piece;
                    }
                }
            }
            line += 1;
            start = end;
        }
        piece
    }

    /// The first pass over a wide table without quoting: checks every row
    /// and finds the eligible meters. `None` when the file has a quote (or
    /// a lone carriage return): it must go through the `csv` reader.
    pub(super) fn scan_unquoted(&self, labelled: &HashSet<String>) -> Result<Option<WideScan>, IoError> {
        self.scan_unquoted_in(labelled, BLOCK, PIECE)
    }

    /// [`scan_unquoted`](Self::scan_unquoted) reading `block` bytes at a
    /// time, in pieces of about `piece` bytes (small in tests, to cross
    /// every boundary).
    fn scan_unquoted_in(
        &self,
        labelled: &HashSet<String>,
        block: usize,
        piece: usize,
    ) -> Result<Option<WideScan>, IoError> {
        if !unquoted(&self.header_raw) {
            return Ok(None);
        }
        let path = &self.path;
        let mut file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
        let header_end = self.header_raw.len() as u64;
        file.seek(SeekFrom::Start(header_end))
            .map_err(|e| IoError::io("read", path, e))?;
        let header_lines = memchr::memchr_iter(b'\n', &self.header_raw).count() as u64;
        let mut index = IdIndex::new(path, header_end);
        let mut scan = WideScan {
            ends: Vec::new(),
            eligible: Vec::new(),
            eligible_count: 0,
            skipped_labelled: Vec::new(),
            skipped_empty: 0,
            decimals: 0,
        };
        let (mut buf, mut offset, mut line) = (Vec::with_capacity(block), header_end, header_lines + 1);
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
                return Ok(None);
            }
            let pieces = self.check_block(lines, offset, line, labelled, piece);
            for piece in pieces {
                for row in piece.rows {
                    index.insert(&mut file, &scan.ends, &row, self)?;
                    scan.push(row);
                }
                if let Some(e) = piece.error {
                    if let Some((id, hash)) = &e.id {
                        index.check(&mut file, &scan.ends, *hash, id, e.line, self)?;
                    }
                    return Err(input_err(path, e.line, &e.column, e.reason));
                }
            }
            line += memchr::memchr_iter(b'\n', lines).count() as u64;
            offset += end as u64;
            buf.drain(..end);
        }
        Ok(Some(scan))
    }

    /// Checks a block of whole lines in pieces (on all cores with `parallel`).
    fn check_block(
        &self,
        block: &[u8],
        offset: u64,
        line: u64,
        labelled: &HashSet<String>,
        piece: usize,
    ) -> Vec<Piece> {
        // Cut at line ends about every `piece` bytes; count lines up to each cut.
        let mut cuts = vec![(0usize, line)];
        let mut at = 0;
        let mut lines = line;
        while at + piece < block.len() {
            let cut = memchr::memchr(b'\n', &block[at + piece..]).map_or(block.len(), |i| at + piece + i + 1);
            lines += memchr::memchr_iter(b'\n', &block[at..cut]).count() as u64;
            cuts.push((cut, lines));
            at = cut;
        }
        let check = |k: usize| {
            let (from, first_line) = cuts[k];
            let to = cuts.get(k + 1).map_or(block.len(), |c| c.0);
            self.check_piece(&block[from..to], offset + from as u64, first_line, labelled)
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            (0..cuts.len()).into_par_iter().map(check).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            (0..cuts.len()).map(check).collect()
        }
    }

    /// The second pass over a checked wide table without quoting: copies
    /// the rows of meters without an event by byte ranges and rewrites the
    /// others.
    pub(super) fn inject_unquoted(
        &self,
        scan: WideScan,
        plan: &InjectPlan,
        out: &mut InjectOutput,
    ) -> Result<WideCounts, IoError> {
        let path = &self.path;
        let plan = plan.clone().with_decimals(Some(scan.decimals));
        let run = plan.run(scan.eligible_count);
        let mut file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
        let header_end = self.header_raw.len() as u64;
        out.write_table(&self.header_raw)?;
        file.seek(SeekFrom::Start(header_end))
            .map_err(|e| IoError::io("read", path, e))?;
        let mut file = BufReader::with_capacity(1 << 20, file);
        let (mut copied_to, mut position) = (header_end, 0u64);
        let (mut raw, mut record) = (Vec::new(), Vec::new());
        for (row, &eligible) in scan.eligible.iter().enumerate() {
            if !eligible {
                continue;
            }
            let p = position;
            position += 1;
            if !run.selects(p) {
                continue;
            }
            let start = if row == 0 { header_end } else { scan.ends[row - 1] };
            out.copy_table(&mut file, start - copied_to, path)?;
            raw.resize((scan.ends[row] - start) as usize, 0);
            file.read_exact(&mut raw).map_err(|e| IoError::io("read", path, e))?;
            copied_to = scan.ends[row];
            let mut cells = Vec::with_capacity(self.columns.len());
            split_cells(record_line(&raw), &mut cells);
            let id = id_text(cells[self.id_col]).into_owned();
            let mut values = vec![f64::NAN; self.axis.len()];
            for &(c, period) in &self.value_columns {
                values[period] = parse_reading(cells[c])
                    .map_err(|reason| input_err(path, 0, &self.columns[c], reason))?
                    .0;
            }
            let class = self.class_col.and_then(|c| class_of(cells[c]));
            let mut injected = values.clone();
            let event = run
                .inject_meter(row, p, &mut injected, &self.axis, class)
                .map_err(|e| IoError::Generation(Box::new(e)))?;
            match event {
                None => out.write_table(&raw)?,
                Some(e) => {
                    record.clear();
                    let (before, after) = super::line_breaks(&raw);
                    record.extend_from_slice(before);
                    self.rewrite_cells(&cells, &values, &injected, e.is_anomaly, scan.decimals, &mut record);
                    record.extend_from_slice(after);
                    out.write_table(&record)?;
                    out.event(&id, &e, &self.axis, self.times)?;
                }
            }
        }
        out.copy_table(&mut file, u64::MAX, path)?;
        Ok(WideCounts {
            meters: scan.ends.len() as u64,
            eligible: scan.eligible_count,
            skipped_labelled: scan.skipped_labelled,
            skipped_empty: scan.skipped_empty,
        })
    }
}

/// The counts of a wide injection for the summary.
#[derive(Debug)]
pub(super) struct WideCounts {
    pub(super) meters: u64,
    pub(super) eligible: u64,
    pub(super) skipped_labelled: Vec<String>,
    pub(super) skipped_empty: u64,
}

/// The record's line of a row's bytes (blank lines before it and the line
/// end removed).
fn record_line(raw: &[u8]) -> &[u8] {
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

/// A customer class named by a cell (any case), if any.
pub(super) fn class_of(cell: &[u8]) -> Option<CustomerClass> {
    let s = std::str::from_utf8(cell).ok()?.trim();
    CustomerClass::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s))
}

impl WideScan {
    fn push(&mut self, row: Row) {
        self.ends.push(row.end);
        self.decimals = self.decimals.max(row.decimals);
        let eligible = if let Some(id) = row.labelled {
            self.skipped_labelled.push(id);
            false
        } else if !row.present {
            self.skipped_empty += 1;
            false
        } else {
            self.eligible_count += 1;
            true
        };
        self.eligible.push(eligible);
    }
}

/// The meters seen so far, by id hash, to refuse a duplicate. The ids
/// themselves are not kept: on a matching hash the earlier row's id is read
/// back from the file, so a collision of two different ids costs a read and
/// is never mistaken for a duplicate.
#[derive(Debug)]
struct IdIndex<'a> {
    path: &'a Path,
    header_end: u64,
    /// The first row with each hash.
    rows: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    /// Other ids whose hash matched an earlier row's.
    collided: HashMap<u64, Vec<String>, BuildHasherDefault<PassThrough>>,
}

impl<'a> IdIndex<'a> {
    fn new(path: &'a Path, header_end: u64) -> Self {
        IdIndex {
            path,
            header_end,
            rows: HashMap::default(),
            collided: HashMap::default(),
        }
    }

    /// Records `row`, about to be pushed after the rows ending at `ends`,
    /// or refuses its id when an earlier row has it.
    fn insert(&mut self, file: &mut File, ends: &[u64], row: &Row, reader: &ConsumptionReader) -> Result<(), IoError> {
        match self.rows.entry(row.hash) {
            Entry::Vacant(v) => {
                v.insert(ends.len());
                Ok(())
            }
            Entry::Occupied(_) => {
                // Rare: a duplicate, or two ids with one hash. Read the id back.
                let start = ends.last().copied().unwrap_or(self.header_end);
                let id = self.id_between(file, start, row.end, reader)?;
                self.check(file, ends, row.hash, &id, row.line, reader)?;
                self.collided.entry(row.hash).or_default().push(id);
                Ok(())
            }
        }
    }

    /// Refuses `id` (of line `line`) when an earlier row has it.
    fn check(
        &self,
        file: &mut File,
        ends: &[u64],
        hash: u64,
        id: &str,
        line: u64,
        reader: &ConsumptionReader,
    ) -> Result<(), IoError> {
        let Some(&row) = self.rows.get(&hash) else {
            return Ok(());
        };
        let start = if row == 0 { self.header_end } else { ends[row - 1] };
        let earlier = self.id_between(file, start, ends[row], reader)?;
        if earlier == id || self.collided.get(&hash).is_some_and(|ids| ids.iter().any(|i| i == id)) {
            return Err(input_err(
                self.path,
                line,
                &reader.columns[reader.id_col],
                format!("duplicate meter id `{id}`"),
            ));
        }
        Ok(())
    }

    /// The id of the row in bytes `start..end` of the file, read back
    /// (the file's position is kept).
    fn id_between(&self, file: &mut File, start: u64, end: u64, reader: &ConsumptionReader) -> Result<String, IoError> {
        let here = file.stream_position().map_err(|e| IoError::io("read", self.path, e))?;
        let mut raw = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut raw))
            .and_then(|()| file.seek(SeekFrom::Start(here)))
            .map_err(|e| IoError::io("read", self.path, e))?;
        let mut cells = Vec::new();
        split_cells(record_line(&raw), &mut cells);
        Ok(cells
            .get(reader.id_col)
            .map_or_else(String::new, |c| id_text(c).into_owned()))
    }
}

impl InjectOutput {
    /// Copies `n` bytes (`u64::MAX`: the rest) of `file`, read at `path`,
    /// into the table. Through the reader's buffer, not `std::io::copy`:
    /// its `copy_file_range` costs a system call (and a flush) per gap
    /// between two rewritten rows, which made the copy slower than the parse.
    fn copy_table(&mut self, file: &mut BufReader<File>, mut n: u64, path: &Path) -> Result<(), IoError> {
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

impl ConsumptionReader {
    /// The record of `cells` with the changed readings formatted again and,
    /// for a labelled meter, SGCC's `FLAG` set to 1.
    fn rewrite_cells(
        &self,
        cells: &[&[u8]],
        before: &[f64],
        after: &[f64],
        labelled: bool,
        decimals: usize,
        out: &mut Vec<u8>,
    ) {
        let mut replaced: Vec<Option<Vec<u8>>> = vec![None; cells.len()];
        for &(c, p) in &self.value_columns {
            if !before[p].is_nan() && after[p].to_bits() != before[p].to_bits() {
                let mut number = Vec::new();
                super::write_fixed(&mut number, after[p], decimals);
                replaced[c] = Some(number);
            }
        }
        if let (Some(c), true) = (self.flag_col, labelled) {
            replaced[c] = Some(b"1".to_vec());
        }
        super::push_record(out, cells, &replaced);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a first pass found: per row (id, flag, present) folded as
    /// `scan_wide` counts them, or the error's text.
    #[derive(Debug, PartialEq)]
    struct Found {
        eligible: Vec<bool>,
        skipped_labelled: Vec<String>,
        skipped_empty: u64,
        decimals: usize,
    }

    fn through_csv(path: &Path, labelled: &HashSet<String>) -> Result<Found, String> {
        let mut reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        reader.keep_raw = false;
        let mut found = Found {
            eligible: Vec::new(),
            skipped_labelled: Vec::new(),
            skipped_empty: 0,
            decimals: 0,
        };
        reader
            .scan_wide(|id, flag, present| {
                if flag == Some(true) || labelled.contains(&id) {
                    found.skipped_labelled.push(id);
                    found.eligible.push(false);
                } else if !present {
                    found.skipped_empty += 1;
                    found.eligible.push(false);
                } else {
                    found.eligible.push(true);
                }
            })
            .map_err(|e| e.to_string())?;
        found.decimals = reader.decimals();
        Ok(found)
    }

    fn unquoted_scan(path: &Path, labelled: &HashSet<String>, block: usize, piece: usize) -> Result<Found, String> {
        let reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        let scan = reader
            .scan_unquoted_in(labelled, block, piece)
            .map_err(|e| e.to_string())?
            .ok_or("not unquoted")?;
        let ends_grow = scan.ends.windows(2).all(|w| w[0] < w[1]);
        assert!(ends_grow, "row ends must grow");
        assert_eq!(scan.eligible.iter().filter(|&&e| e).count() as u64, scan.eligible_count);
        Ok(Found {
            eligible: scan.eligible,
            skipped_labelled: scan.skipped_labelled,
            skipped_empty: scan.skipped_empty,
            decimals: scan.decimals,
        })
    }

    /// A wide table: header, then rows of random (mostly valid) cells.
    fn table() -> impl Strategy<Value = (String, Vec<String>)> {
        let cell = prop_oneof![
            160 => (0u32..5000, 0usize..4).prop_map(|(v, d)| format!("{:.*}", d, f64::from(v) / 7.0)),
            40 => Just(String::new()),
            // Valid but not plain digits, then invalid (rare: one bad cell ends the scan).
            10 => prop::sample::select(vec!["1e2", " 3.5", ".5", "5."]).prop_map(str::to_owned),
            1 => prop::sample::select(vec!["-1", "abc", "inf", "."]).prop_map(str::to_owned),
        ];
        let flag = prop_oneof![
            60 => prop::sample::select(vec!["0", "1", "", "1.0"]),
            1 => Just("2"),
        ];
        let row = (0u8..40, prop::collection::vec(cell, 3), flag, 0u8..20, 0u8..10);
        (
            prop::collection::vec(row, 0..40),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(0u8..12, 0..3),
        )
            .prop_map(|(rows, crlf, last_newline, labelled)| {
                let nl = if crlf { "\r\n" } else { "\n" };
                let mut text = format!("CONS_NO,FLAG,2024/1/1,2024/1/2,2024/1/3{nl}");
                for (k, (id, cells, flag, blank, ragged)) in rows.iter().enumerate() {
                    if *blank == 0 {
                        text.push_str(nl);
                    }
                    // Ids repeat now and then; empty now and then.
                    let id = match id {
                        0 if k % 7 == 0 => String::new(),
                        0 if k % 2 == 0 => "M0".to_owned(),
                        _ => format!("M{k}"),
                    };
                    let cells = if *ragged == 0 && k % 5 == 0 {
                        &cells[..2]
                    } else {
                        &cells[..]
                    };
                    text.push_str(&format!("{id},{flag},{}", cells.join(",")));
                    if k + 1 < rows.len() || last_newline {
                        text.push_str(nl);
                    }
                }
                (text, labelled.iter().map(|i| format!("M{i}")).collect())
            })
    }

    /// The fast first pass finds what the `csv` reader's finds (the same
    /// rows, eligibility, decimals, or the same error), whatever the block
    /// and piece sizes; most tables are accepted, so that the test is not
    /// only about errors.
    #[test]
    fn the_unquoted_scan_agrees_with_the_csv_reader() {
        let dir = tempfile::tempdir().unwrap();
        let accepted = std::cell::Cell::new(0);
        let config = ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(300)
        };
        let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
        let result = runner.run(
            &(table(), 1usize..200, 1usize..100),
            |((text, labelled), block, piece)| {
                let path = dir.path().join("t.csv");
                std::fs::write(&path, &text).unwrap();
                let labelled: HashSet<String> = labelled.into_iter().collect();
                let slow = through_csv(&path, &labelled);
                let fast = unquoted_scan(&path, &labelled, block, piece);
                accepted.set(accepted.get() + u32::from(slow.as_ref().is_ok_and(|f| !f.eligible.is_empty())));
                // After a blank line or a `\r\n` the `csv` reader names the line
                // before as the record's; the fast pass names the record's own.
                let blank_inside = text.trim_end().contains("\n\n") || text.contains('\r');
                let unlined = |r: Result<Found, String>| {
                    r.map_err(|e| {
                        if blank_inside {
                            e.split(", column").nth(1).unwrap_or_default().to_owned()
                        } else {
                            e
                        }
                    })
                };
                prop_assert_eq!(unlined(fast), unlined(slow), "{}", text);
                Ok(())
            },
        );
        if let Err(e) = result {
            panic!("{e}");
        }
        assert!(accepted.get() >= 60, "only {} of 300 tables accepted", accepted.get());
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
