//! The effective configuration: preset, then file, then flags.

use std::path::Path;

use ghostload::{GeneratorConfig, Preset, YearMonth};

use crate::args::GenerateArgs;
use crate::failure::Failure;

/// Overlays `top` onto `base`, recursively for tables.
fn merge(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// Reads a TOML file over `base`. Unknown keys and wrong types are errors naming the file and key.
fn apply_file(base: GeneratorConfig, path: &Path) -> Result<GeneratorConfig, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read config file `{}`: {e}", path.display())))?;
    let bad = |e: &dyn std::fmt::Display| {
        Failure::usage(format!(
            "invalid config file `{}`: {}",
            path.display(),
            e.to_string().trim_end()
        ))
    };
    // Parse once on its own for precise messages (line, column, the unknown key)...
    toml::from_str::<GeneratorConfig>(&text).map_err(|e| bad(&e))?;
    // ...then layer it over the base so unset keys keep the preset's values.
    let file: toml::Table = toml::from_str(&text).map_err(|e| bad(&e))?;
    let mut table = toml::Table::try_from(&base).map_err(|e| bad(&e))?;
    merge(&mut table, file);
    table.try_into().map_err(|e| bad(&e))
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

/// The configuration as TOML.
pub fn to_toml(config: &GeneratorConfig) -> Result<String, Failure> {
    toml::to_string(config).map_err(|e| Failure::runtime(format!("cannot print the configuration: {e}")))
}
