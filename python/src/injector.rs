//! Anomaly injectors written in Python, joining the mix like Rust ones.
//!
//! For each selected meter the pipeline (on its worker threads) takes the
//! GIL, copies the series into a `bytearray` that `ghostload._inject.call`
//! shows the injector as a writable NumPy view, and copies it back. One
//! Python call per anomalous meter, under the GIL: slower than a Rust
//! injector, and documented so.

use ghostload::rng::StreamRng;
use ghostload::{AnomalyInjector, AnomalyType, Error, Injection, InjectionContext};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict};
use rand::RngCore;

/// A Python object with `inject(series, ctx) -> Injection`.
#[derive(Debug)]
pub struct PyInjector {
    /// The object.
    object: Py<PyAny>,
    /// Its class name, for error messages.
    name: String,
}

impl PyInjector {
    pub fn new(object: Bound<'_, PyAny>) -> PyResult<Self> {
        if !object.hasattr("inject")? {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "an injector needs an `inject(series, ctx)` method; {} has none",
                object.repr()?
            )));
        }
        let name = object.get_type().name()?.to_string();
        Ok(PyInjector {
            object: object.unbind(),
            name,
        })
    }

    fn failure(&self, reason: String) -> Error {
        Error::Component {
            component: format!("Python injector {}", self.name),
            reason,
        }
    }
}

impl AnomalyInjector for PyInjector {
    fn inject(
        &self,
        series: &mut [f64],
        ctx: &InjectionContext<'_>,
        rng: &mut StreamRng,
    ) -> ghostload::Result<Injection> {
        // Drawn in Rust from the meter's own stream: deterministic, and the
        // injector's own randomness can be seeded from `ctx.seed`.
        let onset = ctx.onset.onset(series.len(), rng);
        let seed = rng.next_u64();
        let result = Python::attach(|py| -> PyResult<(String, usize, Option<usize>, bool)> {
            let bytes: Vec<u8> = series.iter().flat_map(|v| v.to_le_bytes()).collect();
            let buffer = PyByteArray::new(py, &bytes);
            let info = PyDict::new(py);
            let meter = ctx.meter;
            info.set_item("meter_id", meter.id.to_string())?;
            info.set_item("transformer_id", meter.transformer_id.to_string())?;
            info.set_item("customer_class", meter.customer_class.as_str())?;
            info.set_item("baseline_kwh", meter.baseline_kwh)?;
            info.set_item("resolution", ctx.axis.resolution().to_string())?;
            info.set_item("periods", series.len())?;
            info.set_item("onset", onset)?;
            info.set_item("earliest_onset", ctx.onset.earliest(series.len()))?;
            info.set_item("seed", seed)?;
            let out = py
                .import("ghostload._inject")?
                .getattr("call")?
                .call1((self.object.bind(py), &buffer, info))?;
            let back = buffer.to_vec();
            for (v, chunk) in series.iter_mut().zip(back.chunks_exact(8)) {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                *v = f64::from_le_bytes(b);
            }
            out.extract()
        });
        let (kind, onset, end, is_theft) = result.map_err(|e| self.failure(e.to_string()))?;
        let kind = AnomalyType::new(kind).map_err(|e| self.failure(e.to_string()))?;
        Ok(match end {
            Some(end) => Injection::window(kind, onset, end, is_theft),
            None => Injection::from_onset(kind, onset, is_theft),
        })
    }
}
