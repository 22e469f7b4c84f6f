//! The fast path of [`inject_file`](super::inject_file) for wide tables
//! (ours, the original tool's, SGCC's) written without quoting
//! ([`lines`](super::lines)): one row per meter, checked in pieces on all
//! cores; the second pass copies the rows of meters without an event by
//! byte range and parses only the rows it rewrites. Both this path and the
//! `csv` reader's write the same bytes and report the same errors
//! (`tests/inject.rs`, and the property test below).

use super::lines::{
    BLOCK, IdIndex, LineError, PIECE, Scan, each_line, id_hash, id_text, plain_reading, record_line, rewrite_selected,
    scan_blocks, split_cells,
};
use super::{ConsumptionReader, HashSet, InjectOutput, IoError, class_of, input_err, parse_flag, parse_reading};
use crate::inject::InjectPlan;

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

/// The rows of one piece of a block, up to its first error.
#[derive(Debug, Default)]
struct Piece {
    rows: Vec<Row>,
    error: Option<LineError>,
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

    /// Checks the lines of `bytes`, which start at byte `offset` of the
    /// file on line `line`, up to the first error.
    fn check_piece(&self, bytes: &[u8], offset: u64, line: u64, labelled: &HashSet<String>) -> Piece {
        let mut piece = Piece::default();
        let mut cells = Vec::with_capacity(self.columns.len());
        each_line(bytes, line, |text, line, end| {
            match self.check_line(text, &mut cells, labelled) {
                Ok(mut row) => {
                    row.line = line;
                    row.end = offset + end as u64;
                    piece.rows.push(row);
                    true
                }
                Err(mut e) => {
                    e.line = line;
                    piece.error = Some(e);
                    false
                }
            }
        });
        piece
    }

    /// The first pass over a wide table without quoting: checks every row
    /// and finds the eligible meters. `None` when the file has a quote (or
    /// a lone carriage return): it must go through the `csv` reader.
    pub(super) fn scan_unquoted(&self, labelled: &HashSet<String>) -> Result<Option<Scan>, IoError> {
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
    ) -> Result<Option<Scan>, IoError> {
        let Some((header_end, first_line)) = self.rows_start() else {
            return Ok(None);
        };
        let path = &self.path;
        let mut index = IdIndex::new(path, header_end, self.id_col);
        let mut scan = Scan::default();
        let duplicate = |line: u64, id: &str| {
            input_err(
                path,
                line,
                &self.columns[self.id_col],
                format!("duplicate meter id `{id}`"),
            )
        };
        let check = |bytes: &[u8], offset: u64, line: u64| self.check_piece(bytes, offset, line, labelled);
        let merge = |piece: Piece| {
            for row in piece.rows {
                if let Some(id) = index.insert(&scan.ends, row.hash, row.end)? {
                    return Err(duplicate(row.line, &id));
                }
                scan.decimals = scan.decimals.max(row.decimals);
                scan.ends.push(row.end);
                scan.tally.push(row.labelled, row.present);
            }
            match piece.error {
                None => Ok(()),
                Some(e) => {
                    if let Some((id, hash)) = &e.id {
                        if index.earlier(&scan.ends, *hash, id)? {
                            return Err(duplicate(e.line, id));
                        }
                    }
                    Err(input_err(path, e.line, &e.column, e.reason))
                }
            }
        };
        let unquoted = scan_blocks(path, header_end, first_line, block, piece, check, merge)?;
        Ok(unquoted.then_some(scan))
    }

    /// The second pass over a checked wide table without quoting: copies
    /// the rows of meters without an event by byte range and rewrites the
    /// others.
    pub(super) fn inject_wide_unquoted(
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
            |row, position, raw, out| {
                let mut cells = Vec::with_capacity(self.columns.len());
                split_cells(record_line(raw), &mut cells);
                if cells.len() != self.columns.len() {
                    return Err(self.changed("row", format!("{} fields", cells.len())));
                }
                let mut values = vec![f64::NAN; self.axis.len()];
                for &(c, period) in &self.value_columns {
                    values[period] = parse_reading(cells[c])
                        .map_err(|reason| self.changed(&self.columns[c], reason))?
                        .0;
                }
                let class = self.class_col.and_then(|c| class_of(cells[c]));
                let mut injected = values.clone();
                let event = run
                    .inject_meter(row, position, &mut injected, &self.axis, class)
                    .map_err(|e| IoError::Generation(Box::new(e)))?;
                let Some(e) = event else {
                    return out.write_table(raw);
                };
                record.clear();
                let (before, after) = super::line_breaks(raw);
                record.extend_from_slice(before);
                self.rewrite_cells(&cells, &values, &injected, e.is_anomaly, scan.decimals, &mut record);
                record.extend_from_slice(after);
                out.write_table(&record)?;
                out.events
                    .record(&id_text(cells[self.id_col]), &e, &self.axis, self.times)
            },
        )
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
    use super::super::Tally;
    use super::super::lines::testing::{Found, for_tables, unlined};
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    fn through_csv(path: &Path, labelled: &HashSet<String>) -> Result<Found, String> {
        let mut reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        reader.keep_raw = false;
        let mut tally = Tally::default();
        reader
            .scan_wide(|id, flag, present| {
                let is_labelled = flag == Some(true) || labelled.contains(&id);
                tally.push(is_labelled.then_some(id), present);
            })
            .map_err(|e| e.to_string())?;
        Ok(Found::new(tally, reader.decimals()))
    }

    fn unquoted_scan(path: &Path, labelled: &HashSet<String>, block: usize, piece: usize) -> Result<Found, String> {
        let reader = super::super::read_consumption(path, None).map_err(|e| e.to_string())?;
        let scan = reader
            .scan_unquoted_in(labelled, block, piece)
            .map_err(|e| e.to_string())?
            .ok_or("not unquoted")?;
        assert!(scan.ends.windows(2).all(|w| w[0] < w[1]), "row ends must grow");
        Ok(Found::new(scan.tally, scan.decimals))
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
        let tables = (table(), 1usize..200, 1usize..100).prop_map(|((t, l), b, p)| (t, (l, b, p)));
        let accepted = for_tables(tables, 300, |path, text, (labelled, block, piece)| {
            let labelled: HashSet<String> = labelled.into_iter().collect();
            let slow = unlined(text, through_csv(path, &labelled));
            let fast = unlined(text, unquoted_scan(path, &labelled, block, piece));
            let accepted = slow.as_ref().is_ok_and(|f| f.meters() > 0);
            prop_assert_eq!(fast, slow, "{}", text);
            Ok(accepted)
        });
        assert!(accepted >= 60, "only {accepted} of 300 tables accepted");
    }
}
