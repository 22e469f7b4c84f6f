//! The effective configuration: preset, then file, then flags.

use std::path::Path;

use ghostload::{GeneratorConfig, Preset, TimeZone, YearMonth};

use crate::args::GenerateArgs;
use crate::failure::Failure;

/// Reads a TOML file over `preset`: every key the file leaves unset keeps
/// the preset's value (the sizes, and for `utility` its industrial class and
/// `max_kwh`). Unknown keys and wrong types are errors naming the file and the key.
fn apply_file(preset: GeneratorConfig, path: &Path) -> Result<GeneratorConfig, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read config file `{}`: {e}", path.display())))?;
    let bad = |e: &dyn std::fmt::Display| {
        Failure::usage(format!(
            "invalid config file `{}`: {}",
            path.display(),
            e.to_string().trim_end()
        ))
    };
    // Parsed alone first, so that an error points at the file's line and column.
    toml::from_str::<GeneratorConfig>(&text).map_err(|e| bad(&e))?;
    let file: toml::Table = toml::from_str(&text).map_err(|e| bad(&e))?;
    let toml::Value::Table(mut merged) = toml::Value::try_from(&preset)
        .map_err(|e| Failure::runtime(format!("cannot represent the preset as TOML: {e}")))?
    else {
        return Err(Failure::runtime("the preset is not a TOML table".to_owned()));
    };
    overlay(&mut merged, file, true);
    toml::Value::Table(merged).try_into().map_err(|e| bad(&e))
}

/// Whether a key given by a file (or a JSON request) replaces the preset's
/// value whole rather than key by key: the two mixes at the top level, since
/// a mix given lists every type wanted.
fn replaced_whole(key: &str, top: bool) -> bool {
    top && (key == "anomaly_mix" || key == "benign_mix")
}

/// Lays `file` over `base`, table by table, key by key. At the top level the
/// two mixes are replaced whole: a mix given in a file lists every type wanted.
fn overlay(base: &mut toml::Table, file: toml::Table, top: bool) {
    for (key, value) in file {
        let whole = replaced_whole(&key, top);
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(f)) if !whole => overlay(b, f, false),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// [`overlay`] for a JSON object (the configuration of a `serve` request):
/// objects are laid over objects key by key, the mixes replaced whole.
#[cfg(feature = "serve")]
pub fn overlay_json(
    base: &mut serde_json::Map<String, serde_json::Value>,
    given: serde_json::Map<String, serde_json::Value>,
    top: bool,
) {
    for (key, value) in given {
        let whole = replaced_whole(&key, top);
        match (base.get_mut(&key), value) {
            (Some(serde_json::Value::Object(b)), serde_json::Value::Object(g)) if !whole => overlay_json(b, g, false),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The configuration a `generate` run uses, validated.
pub fn effective(args: &GenerateArgs) -> Result<GeneratorConfig, Failure> {
    let preset: Preset = args.preset.map(Into::into).unwrap_or_default();
    let mut config = GeneratorConfig::preset(preset);
    if let Some(path) = &args.config {
        config = apply_file(config, path)?;
    }
    if let Some(v) = args.num_transformers {
        config.num_transformers = v;
    }
    if let Some(v) = args.num_meters {
        config.num_meters = v;
    }
    if let Some(v) = args.num_months {
        config.num_months = v;
    }
    if let Some(v) = args.anomaly_rate {
        config.anomaly_rate = v;
    }
    if let Some(v) = args.seed {
        config.seed = v;
    }
    if let Some(w) = args.severity_window {
        config.severity_window = w.into();
    }
    if let Some(r) = args.resolution {
        config.resolution = r.into();
    }
    if let Some(v) = args.missing_rate {
        config.missing_rate = v;
    }
    if args.no_balance {
        config.balance.enabled = false;
    }
    if let Some(v) = &args.timezone {
        config.timezone = v
            .parse::<TimeZone>()
            .map_err(|e| Failure::usage(format!("invalid --timezone: {e}")))?;
    }
    if let Some(v) = &args.start_month {
        config.start_month = v
            .parse::<YearMonth>()
            .map_err(|e| Failure::usage(format!("invalid configuration: {e}")))?;
    }
    config
        .validate()
        .map_err(|e| Failure::usage(format!("invalid configuration: {e}")))?;
    Ok(config)
}

/// The configuration of `ghostload inject`: defaults, then `--config`, then the flags.
pub fn effective_inject(args: &crate::args::InjectArgs) -> Result<GeneratorConfig, Failure> {
    let mut config = GeneratorConfig::default();
    if let Some(path) = &args.config {
        config = apply_file(config, path)?;
    }
    if let Some(v) = args.anomaly_rate {
        config.anomaly_rate = v;
    }
    if let Some(v) = args.benign_rate {
        config.benign_rate = v;
    }
    if let Some(v) = args.min_normal_periods {
        config.min_normal_periods = v;
    }
    if let Some(v) = args.seed {
        config.seed = v;
    }
    if let Some(w) = args.severity_window {
        config.severity_window = w.into();
    }
    config
        .validate()
        .map_err(|e| Failure::usage(format!("invalid configuration: {e}")))?;
    Ok(config)
}

/// The configuration as TOML.
pub fn to_toml(config: &GeneratorConfig) -> Result<String, Failure> {
    toml::to_string(config).map_err(|e| Failure::runtime(format!("cannot print the configuration: {e}")))
}
