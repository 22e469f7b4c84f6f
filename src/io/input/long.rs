//! The fast path of [`inject_file`](super::inject_file) for long-form CSV
//! (`meter_id, timestamp, kwh`, a meter's rows consecutive) written without
//! quoting ([`lines`](super::lines)): the axis and the first pass are
//! checked in pieces on all cores; a meter's rows may run across pieces, so
//! each piece reports its meters ("runs") and the merge joins a piece's first
//! run to the previous piece's last when they are the same meter. The second
//! pass copies the rows of meters without an event by byte range. Both this
//! path and the `csv` reader's write the same bytes and report the same
//! errors (the property test below, and `tests/inject.rs`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::lines::{
    BLOCK, IdIndex, LineError, PIECE, Scan, each_line, id_hash, id_text, plain_reading, rewrite_selected, scan_blocks,
    split_cells, unquoted,
};
use super::{
    AxisScan, ConsumptionReader, EMPTY_ID, HashSet, InjectOutput, IoError, SECOND_READING, Stamp, input_err,
    not_a_period, not_a_stamp, not_consecutive, parse_reading, parse_stamp, period_of,
};
use crate::inject::InjectPlan;
use crate::time::TimeAxis;

/// What one piece found for the axis: its first reading, the scan of all
/// its readings, and its first error (line, reason).
#[derive(Debug, Default)]
struct AxisPiece {
    first: Option<(Vec<u8>, Stamp, u64, String)>,
    scan: AxisScan,
    error: Option<(u64, String)>,
}

/// The axis of the long-form CSV `path` read by lines, or `None` when it
/// has a quote (it must go through the `csv` reader). Finds what
/// `long_axis` finds, with the same errors.
pub(super) fn axis_unquoted(path: &Path, id_col: usize, ts_col: usize) -> Result<Option<(TimeAxis, bool)>, IoError> {
    axis_unquoted_in(path, id_col, ts_col, BLOCK, PIECE)
}

fn axis_unquoted_in(
    path: &Path,
    id_col: usize,
    ts_col: usize,
    block: usize,
    piece: usize,
) -> Result<Option<(TimeAxis, bool)>, IoError> {
    let mut header = Vec::new();
    let file = std::fs::File::open(path).map_err(|e| IoError::io("open", path, e))?;
    BufReader::new(file)
        .take(1 << 20)
        .read_until(b'\n', &mut header)
        .map_err(|e| IoError::io("read", path, e))?;
    if !header.ends_with(b"\n") || !unquoted(&header) {
        return Ok(None);
    }
    let check = |bytes: &[u8], _offset: u64, line: u64| {
        let mut p = AxisPiece::default();
        let mut cells = Vec::new();
        each_line(bytes, line, |text, line, _| {
            split_cells(text, &mut cells);
            let id = cells.get(id_col).copied().unwrap_or_default();
            let cell = String::from_utf8_lossy(cells.get(ts_col).copied().unwrap_or_default());
            let Some(stamp) = parse_stamp(&cell) else {
                p.error = Some((line, not_a_stamp(&cell)));
                return false;
            };
            if let Err(reason) = p.scan.add(id, stamp) {
                p.error = Some((line, format!("`{cell}` {reason}")));
                return false;
            }
            if p.first.is_none() {
                p.first = Some((id.to_vec(), stamp, line, cell.into_owned()));
            }
            true
        });
        p
    };
    let mut all = AxisScan::default();
    let merge = |p: AxisPiece| {
        if let Some((id, stamp, line, text)) = p.first {
            // The piece's first reading against those before it (its other
            // readings were checked against it).
            all.add(&id, stamp)
                .map_err(|reason| input_err(path, line, "timestamp", format!("`{text}` {reason}")))?;
            all.absorb(p.scan);
        }
        match p.error {
            Some((line, reason)) => Err(input_err(path, line, "timestamp", reason)),
            None => Ok(()),
        }
    };
    if !scan_blocks(path, header.len() as u64, 2, block, piece, check, merge)? {
        return Ok(None);
    }
    all.finish(path, 2).map(Some)
}

/// One meter's rows within a piece.
#[derive(Debug)]
struct Run {
    id: String,
    hash: u64,
    /// Its first line.
    line: u64,
    /// The byte offset after its last line end in the piece.
    end: u64,
    present: bool,
    decimals: usize,
    /// Its periods with their lines, kept for the first and the last run of
    /// a piece only (the runs that may continue in a neighbour).
    periods: Vec<(u32, u64)>,
}

#[derive(Debug, Default)]
struct Piece {
    runs: Vec<Run>,
    error: Option<LineError>,
}

/// A set of periods that is cleared in the time it took to fill it (a
/// meter with a few readings on a long axis costs a few steps, not the axis).
#[derive(Debug)]
struct Taken {
    has: Vec<bool>,
    set: Vec<u32>,
}

impl Taken {
    fn new(periods: usize) -> Self {
        Taken {
            has: vec![false; periods],
            set: Vec::new(),
        }
    }

    /// Adds `p`; `false` when it was there already.
    fn insert(&mut self, p: u32) -> bool {
        let fresh = !std::mem::replace(&mut self.has[p as usize], true);
        if fresh {
            self.set.push(p);
        }
        fresh
    }

    fn clear(&mut self) {
        for p in self.set.drain(..) {
            self.has[p as usize] = false;
        }
    }
}

impl ConsumptionReader {
    /// Checks the lines of a piece of a long-form table.
    fn check_long_piece(&self, bytes: &[u8], offset: u64, line: u64) -> Piece {
        let mut piece = Piece::default();
        let mut cells = Vec::with_capacity(self.columns.len());
        // Which periods the current run has, and their lines.
        let mut taken = Taken::new(self.axis.len());
        let mut current: Vec<(u32, u64)> = Vec::new();
        each_line(bytes, line, |text, line, end| {
            let fail = |id: Option<(String, u64)>, column: &str, reason: String| LineError {
                line,
                id,
                column: column.to_owned(),
                reason,
            };
            split_cells(text, &mut cells);
            if cells.len() != self.columns.len() {
                let reason = format!("{} fields, the header has {}", cells.len(), self.columns.len());
                piece.error = Some(fail(None, "row", reason));
                return false;
            }
            let id = id_text(cells[self.id_col]);
            let begins = piece.runs.last().is_none_or(|r| r.id != id);
            // Only a meter's first row needs its hash.
            let hash = if begins { id_hash(&id) } else { 0 };
            let maybe_new = || begins.then(|| (id.to_string(), hash));
            if id.is_empty() {
                piece.error = Some(fail(maybe_new(), &self.columns[self.id_col], EMPTY_ID.into()));
                return false;
            }
            let cell = cells[self.ts_col];
            let Some(p) = std::str::from_utf8(cell)
                .ok()
                .and_then(parse_stamp)
                .and_then(|s| period_of(&self.axis, s))
            else {
                let reason = not_a_period(&String::from_utf8_lossy(cell));
                piece.error = Some(fail(maybe_new(), "timestamp", reason));
                return false;
            };
            let kwh = cells[self.kwh_col];
            let (present, decimals) = match plain_reading(kwh) {
                Some(x) => x,
                None => match parse_reading(kwh) {
                    Ok((v, d)) => (!v.is_nan(), d),
                    Err(reason) => {
                        piece.error = Some(fail(maybe_new(), &self.columns[self.kwh_col], reason));
                        return false;
                    }
                },
            };
            if begins {
                // The run before is complete: it keeps its periods only if it
                // is the piece's first (the piece before may hold its start).
                taken.clear();
                if piece.runs.len() == 1 {
                    piece.runs[0].periods = std::mem::take(&mut current);
                } else {
                    current.clear();
                }
                piece.runs.push(Run {
                    id: id.into_owned(),
                    hash,
                    line,
                    end: 0,
                    present: false,
                    decimals: 0,
                    periods: Vec::new(),
                });
            }
            if !taken.insert(p as u32) {
                piece.error = Some(fail(None, "timestamp", SECOND_READING.into()));
                return false;
            }
            current.push((p as u32, line));
            if let Some(run) = piece.runs.last_mut() {
                run.end = offset + end as u64;
                run.present |= present;
                run.decimals = run.decimals.max(decimals);
            }
            true
        });
        // The last run (possibly also the first) keeps its periods.
        if let Some(last) = piece.runs.last_mut() {
            last.periods = current;
        }
        piece
    }

    /// The first pass over a long-form table without quoting: checks every
    /// row and finds the eligible meters. `None` when the file has a quote.
    pub(super) fn scan_long_unquoted(&self, labelled: &HashSet<String>) -> Result<Option<Scan>, IoError> {
        self.scan_long_unquoted_in(labelled, BLOCK, PIECE)
    }

    fn scan_long_unquoted_in(
        &self,
        labelled: &HashSet<String>,
        block: usize,
        piece: usize,
    ) -> Result<Option<Scan>, IoError> {
        let Some((header_end, first_line)) = self.rows_start() else {
            return Ok(None);
        };
        let path = &self.path;
        let mut index = IdIndex::new(path, header_end, self.id_col);
        let mut scan = Scan::default();
        // The meter being read (the last run so far) and the periods it has
        // (those of its rows in earlier pieces), set in `taken`.
        let mut open: Option<Run> = None;
        let mut taken = Taken::new(self.axis.len());
        let id_column = &self.columns[self.id_col];
        let not_consecutive_at = |line: u64, id: &str| input_err(path, line, id_column, not_consecutive(id));
        let check = |bytes: &[u8], offset: u64, line: u64| self.check_long_piece(bytes, offset, line);
        let close = |open: &mut Option<Run>, scan: &mut Scan, taken: &mut Taken| {
            if let Some(run) = open.take() {
                taken.clear();
                scan.ends.push(run.end);
                scan.decimals = scan.decimals.max(run.decimals);
                let is_labelled = labelled.contains(&run.id);
                scan.tally.push(is_labelled.then_some(run.id), run.present);
            }
        };
        let merge = |piece: Piece| {
            let last = piece.runs.len().saturating_sub(1);
            for (i, run) in piece.runs.into_iter().enumerate() {
                if let Some(o) = open.as_mut().filter(|o| i == 0 && o.id == run.id) {
                    // The meter goes on from the piece before.
                    for &(q, line) in &run.periods {
                        if !taken.insert(q) {
                            return Err(input_err(path, line, "timestamp", SECOND_READING.into()));
                        }
                    }
                    o.end = run.end;
                    o.present |= run.present;
                    o.decimals = o.decimals.max(run.decimals);
                    continue;
                }
                close(&mut open, &mut scan, &mut taken);
                if index.insert(&scan.ends, run.hash, run.end)?.is_some() {
                    return Err(not_consecutive_at(run.line, &run.id));
                }
                if i == last {
                    for &(q, _) in &run.periods {
                        taken.insert(q);
                    }
                }
                open = Some(run);
            }
            let Some(e) = piece.error else {
                return Ok(());
            };
            if let Some((id, hash)) = &e.id {
                if open.as_ref().is_none_or(|o| &o.id != id) {
                    close(&mut open, &mut scan, &mut taken);
                    if index.earlier(&scan.ends, *hash, id)? {
                        return Err(not_consecutive_at(e.line, id));
                    }
                }
            }
            Err(input_err(path, e.line, &e.column, e.reason))
        };
        if !scan_blocks(path, header_end, first_line, block, piece, check, merge)? {
            return Ok(None);
        }
        close(&mut open, &mut scan, &mut taken);
        Ok(Some(scan))
    }

    /// The second pass over a checked long-form table without quoting:
    /// copies the rows of meters without an event by byte range and
    /// rewrites the changed readings of the others.
    pub(super) fn inject_long_unquoted(
        &self,
        scan: &Scan,
        plan: &InjectPlan,
        out: &mut InjectOutput,
    ) -> Result<(), IoError> {
        let plan = plan.clone().with_decimals(Some(scan.decimals));
        let run = plan.run(scan.tally.eligible_count);
        let mut record = Vec::new();
        rewrite_selected(
            &self.path,
            &self.header_raw,
            scan,
            &run,
            out,
            |meter, position, raw, out| {
                let mut rows: Vec<(Vec<&[u8]>, usize)> = Vec::new();
                let mut values = vec![f64::NAN; self.axis.len()];
                let mut failed = None;
                each_line(raw, 0, |text, _, _| {
                    let mut cells = Vec::with_capacity(self.columns.len());
                    split_cells(text, &mut cells);
                    if cells.len() != self.columns.len() {
                        failed = Some(self.changed("row", format!("{} fields", cells.len())));
                        return false;
                    }
                    let ts = cells[self.ts_col];
                    let p = std::str::from_utf8(ts)
                        .ok()
                        .and_then(parse_stamp)
                        .and_then(|s| period_of(&self.axis, s));
                    match (p, parse_reading(cells[self.kwh_col])) {
                        (Some(p), Ok((v, _))) => {
                            values[p] = v;
                            rows.push((cells, p));
                            true
                        }
                        (_, Err(reason)) => {
                            failed = Some(self.changed(&self.columns[self.kwh_col], reason));
                            false
                        }
                        (None, _) => {
                            failed = Some(self.changed("timestamp", not_a_period(&String::from_utf8_lossy(ts))));
                            false
                        }
                    }
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                let mut injected = values.clone();
                let event = run
                    .inject_meter(meter, position, &mut injected, &self.axis, None)
                    .map_err(|e| IoError::Generation(Box::new(e)))?;
                let Some(e) = event else {
                    return out.write_table(raw);
                };
                // As the `csv` path: the line ends around the rows kept, the rows
                // joined by the file's line end, only changed readings formatted again.
                let (before, after) = super::line_breaks(raw);
                let line_end = super::line_end_of(raw);
                record.clear();
                record.extend_from_slice(before);
                let mut replaced = vec![None; self.columns.len()];
                for (k, (cells, p)) in rows.iter().enumerate() {
                    if k > 0 {
                        record.extend_from_slice(line_end);
                    }
                    replaced[self.kwh_col] = (!values[*p].is_nan() && injected[*p].to_bits() != values[*p].to_bits())
                        .then(|| {
                            let mut number = Vec::new();
                            super::write_fixed(&mut number, injected[*p], scan.decimals);
                            number
                        });
                    super::push_record(&mut record, cells, &replaced);
                }
                record.extend_from_slice(after);
                out.write_table(&record)?;
                let id = rows
                    .first()
                    .map(|(cells, _)| id_text(cells[self.id_col]))
                    .unwrap_or_default();
                out.events.record(&id, &e, &self.axis, self.times)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::Tally;
    use super::super::lines::testing::{Found, for_tables, unlined};
    use super::*;
    use proptest::prelude::*;

    fn through_csv(path: &Path, labelled: &HashSet<String>) -> Result<Found, String> {
        let mut reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        reader.keep_raw = false;
        let mut tally = Tally::default();
        for row in reader.by_ref() {
            let row = row.map_err(|e| e.to_string())?;
            let present = row.values.iter().any(|v| !v.is_nan());
            tally.push(labelled.contains(&row.id).then_some(row.id), present);
        }
        Ok(Found::new(tally, reader.decimals()))
    }

    fn by_lines(path: &Path, labelled: &HashSet<String>, block: usize, piece: usize) -> Result<Found, String> {
        let reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        let scan = reader
            .scan_long_unquoted_in(labelled, block, piece)
            .map_err(|e| e.to_string())?
            .ok_or("not unquoted")?;
        assert!(scan.ends.windows(2).all(|w| w[0] < w[1]), "meter ends must grow");
        Ok(Found::new(scan.tally, scan.decimals))
    }

    /// A long table: meters of consecutive rows (a meter now and then
    /// again later, a time now and then twice, a bad cell rarely), monthly
    /// or hourly.
    fn table() -> impl Strategy<Value = (String, Vec<String>)> {
        let kwh = prop_oneof![
            160 => (0u32..5000, 0usize..4).prop_map(|(v, d)| format!("{:.*}", d, f64::from(v) / 7.0)),
            30 => Just(String::new()),
            10 => prop::sample::select(vec!["1e2", " 3.5", ".5"]).prop_map(str::to_owned),
            1 => prop::sample::select(vec!["-1", "abc", "."]).prop_map(str::to_owned),
        ];
        let reading = (kwh, 0u16..400);
        let meter = (0u8..40, prop::collection::vec(reading, 1..6));
        (
            prop::collection::vec(meter, 0..25),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(0u8..25, 0..3),
        )
            .prop_map(|(meters, crlf, hourly, labelled)| {
                let nl = if crlf { "\r\n" } else { "\n" };
                let mut text = format!("meter_id,timestamp,kwh{nl}");
                for (k, (again, readings)) in meters.iter().enumerate() {
                    // Now and then a meter seen before (rows not consecutive).
                    let id = if *again == 0 && k > 1 {
                        format!("M{}", k - 2)
                    } else {
                        format!("M{k}")
                    };
                    for (j, (kwh, odd)) in readings.iter().enumerate() {
                        let slot = if *odd == 0 { j.saturating_sub(1) } else { j };
                        let stamp = match (hourly, odd) {
                            (_, 1) => "2024-13".to_owned(),
                            (true, 2) => "2024-01".to_owned(),
                            (true, _) => format!("2024-01-01T{slot:02}:00:00+08:00"),
                            (false, _) => format!("2024-{:02}", slot + 1),
                        };
                        let line = if *odd == 3 {
                            format!("{id},{stamp}")
                        } else {
                            format!("{id},{stamp},{kwh}")
                        };
                        text.push_str(&line);
                        text.push_str(nl);
                        if *odd == 4 {
                            text.push_str(nl);
                        }
                    }
                }
                (text, labelled.iter().map(|i| format!("M{i}")).collect())
            })
    }

    /// The fast passes (axis and first pass) find what the `csv` reader's
    /// find, whatever the block and piece sizes; most tables are accepted.
    #[test]
    fn the_unquoted_long_scan_agrees_with_the_csv_reader() {
        let tables = (table(), 1usize..300, 1usize..120).prop_map(|((t, l), b, p)| (t, (l, b, p)));
        let accepted = for_tables(tables, 300, |path, text, (labelled, block, piece)| {
            let slow_axis = unlined(text, super::super::long_axis_csv(path, 0, 1).map_err(|e| e.to_string()));
            let fast_axis = axis_unquoted_in(path, 0, 1, block, piece).map(|a| a.expect("unquoted"));
            prop_assert_eq!(
                &unlined(text, fast_axis.map_err(|e| e.to_string())),
                &slow_axis,
                "{}",
                text
            );
            if slow_axis.is_err() {
                return Ok(false);
            }
            let labelled: HashSet<String> = labelled.into_iter().collect();
            let slow = unlined(text, through_csv(path, &labelled));
            let fast = unlined(text, by_lines(path, &labelled, block, piece));
            let accepted = slow.as_ref().is_ok_and(|f| f.meters() > 2);
            prop_assert_eq!(fast, slow, "{}", text);
            Ok(accepted)
        });
        assert!(accepted >= 50, "only {accepted} of 300 tables accepted");
    }

    /// Lines with two faults report the one the `csv` reader reports first:
    /// a meter seen before, then the line's own fault.
    #[test]
    fn a_returning_meter_is_reported_before_its_bad_cell() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        for bad in ["M1,2024-02,-1", "M1,2024-02,x"] {
            let text = format!("meter_id,timestamp,kwh\nM1,2024-01,1\nM2,2024-01,1\n{bad}\n");
            std::fs::write(&path, &text).unwrap();
            let slow = through_csv(&path, &HashSet::new()).unwrap_err();
            assert!(slow.contains("not consecutive"), "{slow}");
            for (block, piece) in [(1, 1), (1000, 1000), (13, 5)] {
                let fast = by_lines(&path, &HashSet::new(), block, piece).unwrap_err();
                assert_eq!(fast, slow, "{bad} {block} {piece}");
            }
        }
    }
}
