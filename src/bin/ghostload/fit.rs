//! `ghostload fit`: estimate the consumption model's parameters from monthly data.
//!
//! The input is read into the small [`FitInput`] (a matrix, the classes,
//! the axis, the labelled meters) and handed to `ghostload::fit`; a reader
//! of another layout only needs to produce a `FitInput`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ghostload::fit::Fit;
use ghostload::io::{ConsumptionReader, InputLayout};
use ghostload::{ConsumptionMatrix, CustomerClass, GeneratorConfig, Resolution, TimeAxis, YearMonth};

use crate::failure::Failure;
use crate::logging::Verbosity;

/// What the estimator needs, whatever the file layout.
#[derive(Debug)]
pub struct FitInput {
    /// kWh per meter-month, one row per meter.
    pub matrix: ConsumptionMatrix,
    /// Each meter's class, when the input has a class column.
    pub classes: Option<Vec<CustomerClass>>,
    /// The months of the columns.
    pub axis: TimeAxis,
    /// Meters labelled anomalous, when labels are available.
    pub labelled: Option<Vec<bool>>,
}

/// `ghostload fit INPUT --output FILE.toml [--report FILE]`.
pub fn run(input: &Path, output: &Path, report: Option<&Path>, seed: u64, verbosity: Verbosity) -> Result<(), Failure> {
    let data = read_meter_consumption(input)?;
    let mut fit = Fit::new().seed(seed);
    if let Some(l) = &data.labelled {
        fit = fit.exclude(l);
    }
    let r = fit
        .run(&data.matrix, data.classes.as_deref(), &data.axis)
        .map_err(|e| Failure::usage(format!("cannot fit `{}`: {e}", input.display())))?;
    let base = GeneratorConfig::default();
    let config = r.config(&base);
    config
        .validate()
        .map_err(|e| Failure::runtime(format!("the fitted configuration is invalid: {e}")))?;
    let toml = r.to_toml(&base);
    std::fs::write(output, &toml).map_err(|e| Failure::runtime(format!("cannot write `{}`: {e}", output.display())))?;
    // Calibration check: regenerate from the fitted configuration and compare.
    let mut check = config;
    check.seed = seed.wrapping_add(1);
    check.num_transformers = check.num_transformers.min(check.num_meters);
    let regenerated = ghostload::Pipeline::builder()
        .config(check)
        .build()
        .and_then(|p| p.generate())
        .map_err(|e| Failure::runtime(format!("cannot regenerate from the fitted configuration: {e}")))?;
    let classes: Option<Vec<CustomerClass>> = data
        .classes
        .as_ref()
        .map(|_| regenerated.meters().iter().map(|m| m.customer_class).collect());
    let labelled: Vec<bool> = regenerated
        .meters()
        .iter()
        .map(|m| regenerated.label(m.id).is_some())
        .collect();
    let mut refit = Fit::new().seed(seed).bootstrap(0);
    if data.labelled.is_some() {
        refit = refit.exclude(&labelled);
    }
    let again = refit
        .run(regenerated.consumption(), classes.as_deref(), regenerated.axis())
        .map_err(|e| Failure::runtime(format!("cannot fit the regenerated data: {e}")))?;
    let comparison = r.compare(&again);
    let text = format!(
        "ghostload fit of {}\n\n{r}\nCalibration check: data regenerated from {} (seed {}), fitted again, compared with the input\n{comparison}{}\n",
        input.display(),
        output.display(),
        seed.wrapping_add(1),
        if comparison.passed() {
            "all tests passed"
        } else {
            "some tests FAILED: the model does not reproduce these statistics of the input"
        }
    );
    match report {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| Failure::runtime(format!("cannot write `{}`: {e}", path.display())))?,
        None if verbosity != Verbosity::Quiet => print!("{text}"),
        None => {}
    }
    if verbosity != Verbosity::Quiet {
        eprintln!("{} meters fitted -> {}", r.meters, output.display());
    }
    Ok(())
}

/// Reads our `meter_consumption.csv` layout (or the original tool's:
/// `monthly_consumption_YYYYMM` or `monthly_YYYYMM` columns): `input` is the
/// file or the directory holding it; `anomaly_labels.csv` beside it, when
/// present, gives the labelled meters. SGCC's daily table and long form
/// (CSV or Parquet) are read as `inject` reads them.
pub fn read_meter_consumption(input: &Path) -> Result<FitInput, Failure> {
    let (file, dir): (PathBuf, PathBuf) = if input.is_dir() {
        (input.join("meter_consumption.csv"), input.to_path_buf())
    } else {
        let dir = input.parent().map(Path::to_path_buf).unwrap_or_default();
        (input.to_path_buf(), dir)
    };
    let bad = |msg: String| Failure::usage(format!("cannot fit `{}`: {msg}", file.display()));
    if !file.is_file() {
        return Err(bad("no such file".to_owned()));
    }
    // SGCC's daily table and long form (CSV or Parquet) go through the readers `inject` uses.
    let reader = ghostload::io::read_consumption(&file, None).map_err(|e| Failure::usage(e.to_string()));
    match reader {
        Ok(reader) if matches!(reader.layout(), InputLayout::Sgcc | InputLayout::Long) => {
            return read_periods(reader, &file);
        }
        // Not a CSV: the reader's error says why (the CSV reading below would not).
        Err(e) if file.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet")) => return Err(e),
        _ => {}
    }
    let mut reader = csv::Reader::from_path(&file).map_err(|e| bad(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let id_col = header.iter().position(|c| c == "meter_id");
    let class_col = header.iter().position(|c| c == "customer_class");
    let months: Vec<(usize, YearMonth)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let rest = c
                .strip_prefix("monthly_consumption_")
                .or_else(|| c.strip_prefix("monthly_"))?;
            if rest.len() != 6 {
                return None;
            }
            let ym = format!("{}-{}", &rest[..4], &rest[4..]);
            ym.parse::<YearMonth>().ok().map(|m| (i, m))
        })
        .collect();
    let Some(&(_, start)) = months.first() else {
        return Err(bad("no monthly_consumption_YYYYMM column".to_owned()));
    };
    for (k, (_, m)) in months.iter().enumerate() {
        if *m != start.plus_months(k) {
            return Err(bad(format!(
                "the month columns are not consecutive: {m} after {}",
                start.plus_months(k - 1)
            )));
        }
    }
    let axis = TimeAxis::new(start, months.len(), Resolution::Monthly).map_err(|e| bad(e.to_string()))?;
    let mut values = Vec::new();
    let mut classes = Vec::new();
    let mut ids = Vec::new();
    for (r, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        for &(i, m) in &months {
            let cell = row.get(i).unwrap_or("").trim();
            let v: f64 = cell
                .parse()
                .map_err(|_| bad(format!("row {}: `{cell}` in month {m} is not a number", r + 2)))?;
            values.push(v);
        }
        if let Some(c) = class_col {
            let name = row.get(c).unwrap_or("").trim();
            let class = CustomerClass::ALL
                .into_iter()
                .find(|k| k.as_str().eq_ignore_ascii_case(name))
                .ok_or_else(|| bad(format!("row {}: unknown customer_class `{name}`", r + 2)))?;
            classes.push(class);
        }
        ids.push(id_col.and_then(|c| row.get(c)).unwrap_or("").to_owned());
    }
    let labels_path = dir.join("anomaly_labels.csv");
    let labelled = if labels_path.is_file() && id_col.is_some() {
        let lbad = |e: csv::Error| Failure::usage(format!("cannot read `{}`: {e}", labels_path.display()));
        let mut lr = csv::Reader::from_path(&labels_path).map_err(lbad)?;
        let h = lr.headers().map_err(lbad)?.clone();
        let id = h.iter().position(|c| c == "meter_id");
        let flag = h.iter().position(|c| c == "anomaly_flag");
        let mut set = HashSet::new();
        for row in lr.records() {
            let row = row.map_err(lbad)?;
            let flagged = flag.and_then(|f| row.get(f)).is_none_or(|v| v.trim() != "0");
            if let (Some(i), true) = (id, flagged) {
                set.insert(row.get(i).unwrap_or("").to_owned());
            }
        }
        Some(ids.iter().map(|i| set.contains(i)).collect())
    } else {
        None
    };
    Ok(FitInput {
        matrix: ConsumptionMatrix::from_rows(values, months.len()),
        classes: class_col.map(|_| classes),
        axis,
        labelled,
    })
}

/// A table of daily (or finer, or monthly long-form) readings as monthly
/// totals: a month with missing readings is scaled up from the readings
/// present (`Σ present × periods / present`); a meter with a month and no
/// reading at all is left out, and the count is said. SGCC's `FLAG = 1`
/// marks the labelled meters.
fn read_periods(reader: ConsumptionReader, file: &Path) -> Result<FitInput, Failure> {
    let axis = *reader.axis();
    let monthly = axis.monthly();
    let months = monthly.len();
    let (mut values, mut classes, mut labelled) = (Vec::new(), Vec::new(), Vec::new());
    let (mut all_classes, mut any_flag, mut left_out) = (true, false, 0usize);
    for row in reader {
        let row = row.map_err(|e| Failure::usage(e.to_string()))?;
        let totals: Option<Vec<f64>> = (0..months)
            .map(|m| {
                let range = if axis.resolution() == Resolution::Monthly {
                    m..m + 1
                } else {
                    axis.month_range(m)
                };
                let cells = &row.values[range];
                let present: Vec<f64> = cells.iter().copied().filter(|v| v.is_finite()).collect();
                (!present.is_empty()).then(|| present.iter().sum::<f64>() * cells.len() as f64 / present.len() as f64)
            })
            .collect();
        let Some(totals) = totals else {
            left_out += 1;
            continue;
        };
        values.extend(totals);
        all_classes &= row.class.is_some();
        classes.push(row.class.unwrap_or(CustomerClass::Residential));
        any_flag |= row.flag.is_some();
        labelled.push(row.flag.unwrap_or(false));
    }
    if left_out > 0 {
        eprintln!(
            "{left_out} meters of `{}` left out of the fit: a month without any reading",
            file.display()
        );
    }
    Ok(FitInput {
        matrix: ConsumptionMatrix::from_rows(values, months),
        classes: all_classes.then_some(classes).filter(|c| !c.is_empty()),
        axis: monthly,
        labelled: any_flag.then_some(labelled),
    })
}
