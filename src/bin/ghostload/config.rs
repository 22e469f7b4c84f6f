//! The effective configuration: preset, then file, then flags.

use std::path::Path;

use ghostload::{GeneratorConfig, Preset, YearMonth};

use crate::args::GenerateArgs;
use crate::failure::Failure;

/// Reads a TOML file; the sizes it leaves unset keep `preset`'s values.
/// Unknown keys and wrong types are errors naming the file and the key.
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
    // Fields the file omits take their defaults (serde), which equal the
    // preset's for everything but the three sizes a preset sets.
    let mut config = toml::from_str::<GeneratorConfig>(&text).map_err(|e| bad(&e))?;
    let keys: toml::Table = toml::from_str(&text).map_err(|e| bad(&e))?;
    if !keys.contains_key("num_transformers") {
        config.num_transformers = preset.num_transformers;
    }
    if !keys.contains_key("num_meters") {
        config.num_meters = preset.num_meters;
    }
    if !keys.contains_key("num_months") {
        config.num_months = preset.num_months;
    }
    Ok(config)
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
