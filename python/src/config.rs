//! The effective configuration, as the CLI builds it: a preset, then a TOML
//! file, then dictionaries and keyword overrides, each laid over the one
//! before, key by key; then validated. Errors become `ghostload.ConfigError`.

use std::path::Path;

use ghostload::{ConfigError, GeneratorConfig, Preset};
use pyo3::prelude::*;
use serde_json::Value;

/// A configuration error for Python: the message the CLI prints, and the
/// field, value and allowed range it names.
#[derive(Debug)]
pub struct BadConfig {
    pub message: String,
    pub field: String,
    pub value: String,
    pub allowed: String,
}

impl BadConfig {
    fn new(field: impl Into<String>, value: impl Into<String>, allowed: impl Into<String>, detail: &str) -> Self {
        BadConfig {
            message: format!("invalid configuration: {detail}"),
            field: field.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }

    /// From the library's validation error: the same words as the CLI's.
    pub fn from_library(e: &ConfigError) -> Self {
        let (value, allowed) = match e {
            ConfigError::OutOfRange { value, allowed, .. } => (value.clone(), (*allowed).to_owned()),
            ConfigError::Invalid { value, reason, .. } => (value.clone(), (*reason).to_owned()),
            ConfigError::Unordered {
                min, max_field, max, ..
            } => (min.to_string(), format!("less than `{max_field}` ({max})")),
            ConfigError::ClassMixSum { sum, .. } => (sum.to_string(), "probabilities summing to 1 (± 1e-9)".into()),
            ConfigError::TooFewMeters {
                num_meters,
                num_transformers,
            } => (
                num_meters.to_string(),
                format!("at least `num_transformers` ({num_transformers})"),
            ),
            ConfigError::NoStandardRating { min, max } => (
                format!("{min} ..= {max}"),
                "a range holding a standard rating (10, 15, 25, 37.5, 50, 75, 100, 167, 250, 333, 500 kVA)".into(),
            ),
            other => (String::new(), other.to_string()),
        };
        BadConfig::new(e.field(), value, allowed, &e.to_string())
    }

    /// Raises `ghostload.ConfigError(message, field, value, allowed)`.
    pub fn into_py_err(self, py: Python<'_>) -> PyErr {
        let class = py.import("ghostload").and_then(|m| m.getattr("ConfigError"));
        match class.and_then(|c| c.call1((self.message.as_str(), self.field, self.value, self.allowed))) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        }
    }
}

/// Lays `top` over `base` table by table; at the top level the two mixes
/// are replaced whole (a mix lists every type wanted), as the CLI does.
fn overlay(base: &mut Value, top: Value, level: usize) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (key, value) in t {
                let whole = level == 0 && (key == "anomaly_mix" || key == "benign_mix");
                match b.get_mut(&key) {
                    Some(slot) if !whole && slot.is_object() && value.is_object() => overlay(slot, value, level + 1),
                    _ => {
                        b.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// The value at a dotted path of `root`, as JSON text (empty when absent).
fn value_at(root: &Value, path: &str) -> String {
    let mut v = root;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        match v.get(key) {
            Some(next) => v = next,
            None => return String::new(),
        }
    }
    v.to_string()
}

/// The effective configuration: `preset` (default: the default preset),
/// then the TOML file at `path`, then each JSON object of `layers`.
pub fn resolve(preset: Option<&str>, path: Option<&Path>, layers: &[String]) -> Result<GeneratorConfig, BadConfig> {
    let preset: Preset = match preset {
        Some(p) => p.parse().map_err(|e: ConfigError| BadConfig::from_library(&e))?,
        None => Preset::default(),
    };
    let mut merged = serde_json::to_value(GeneratorConfig::preset(preset))
        .map_err(|e| BadConfig::new("", "", "", &format!("cannot represent the preset: {e}")))?;
    if let Some(path) = path {
        let text = std::fs::read_to_string(path).map_err(|e| {
            BadConfig::new(
                "config",
                path.display().to_string(),
                "a readable TOML file",
                &format!("cannot read config file `{}`: {e}", path.display()),
            )
        })?;
        // Parsed alone first, so that an error points at the file's line and column.
        let file = toml::from_str::<GeneratorConfig>(&text)
            .and_then(|_| toml::from_str::<Value>(&text))
            .map_err(|e| {
                let detail = format!("invalid config file `{}`: {}", path.display(), e.to_string().trim_end());
                BadConfig::new("config", path.display().to_string(), e.message().to_owned(), &detail)
            })?;
        overlay(&mut merged, file, 0);
    }
    for layer in layers {
        let layer: Value = serde_json::from_str(layer)
            .map_err(|e| BadConfig::new("config", layer.clone(), "a JSON object", &e.to_string()))?;
        overlay(&mut merged, layer, 0);
    }
    let config: GeneratorConfig = serde_path_to_error::deserialize(&merged).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        // An unknown key is reported at its table: name the key itself.
        let field = match inner.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            Some(key) if path == "." || path.is_empty() => key.to_owned(),
            Some(key) if !path.ends_with(key) => format!("{path}.{key}"),
            _ => path.clone(),
        };
        let value = value_at(&merged, &field);
        BadConfig::new(field.clone(), value, inner.clone(), &format!("`{field}`: {inner}"))
    })?;
    config.validate().map_err(|e| BadConfig::from_library(&e))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_key_by_key_and_mixes_whole() {
        let c = resolve(
            Some("demo"),
            None,
            &[r#"{"num_meters": 800, "balance": {"enabled": false}}"#.into()],
        )
        .unwrap();
        assert_eq!(c.num_meters, 800);
        assert_eq!(
            c.num_transformers,
            GeneratorConfig::preset(Preset::Demo).num_transformers
        );
        assert!(!c.balance.enabled);
        assert_eq!(c.balance.power_factor, GeneratorConfig::default().balance.power_factor);
    }

    #[test]
    fn errors_name_field_value_and_range() {
        let e = resolve(None, None, &[r#"{"anomaly_rate": 1.5}"#.into()]).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("anomaly_rate", "1.5"));
        assert!(e.allowed.contains("1.0"), "{}", e.allowed);
        let e = resolve(None, None, &[r#"{"balance": {"colour": 1}}"#.into()]).unwrap_err();
        assert_eq!(e.field, "balance.colour");
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = resolve(None, None, &[r#"{"num_meters": "many"}"#.into()]).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("num_meters", "\"many\""));
        let e = resolve(Some("huge"), None, &[]).unwrap_err();
        assert_eq!(e.field, "preset");
    }
}
