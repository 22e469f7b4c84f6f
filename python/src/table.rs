//! A table handed to Python through the Arrow PyCapsule interface: pyarrow,
//! polars, pandas (through pyarrow) and DuckDB import its record batches
//! without copying their buffers.

use std::sync::Arc;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, to_ffi};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use arrow_schema::SchemaRef;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// A table's schema and its record batches (chunks).
#[derive(Debug)]
pub struct TableData {
    pub name: &'static str,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl TableData {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

fn arrow_err(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!("arrow: {e}"))
}

/// One table of a dataset (or one batch of `iter_batches`), readable by
/// any Arrow library through `__arrow_c_stream__`.
#[pyclass(frozen, module = "ghostload._native", name = "Table")]
#[derive(Debug)]
pub struct Table {
    pub data: Arc<TableData>,
}

#[pymethods]
impl Table {
    /// The table as an Arrow C stream (PyCapsule `arrow_array_stream`).
    /// `requested_schema` is accepted and ignored: the table has one schema.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches: Vec<_> = self.data.batches.iter().cloned().map(Ok).collect();
        let reader = RecordBatchIterator::new(batches, Arc::clone(&self.data.schema));
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The schema as an Arrow C schema (PyCapsule `arrow_schema`).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.data.schema.as_ref()).map_err(arrow_err)?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    /// A table of exactly one record batch as an Arrow C array (a struct
    /// array): what `pyarrow.record_batch(obj)` takes.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let [batch] = self.data.batches.as_slice() else {
            return Err(PyValueError::new_err(format!(
                "table `{}` has {} record batches; read it as a stream (pyarrow.table(obj)) instead",
                self.data.name,
                self.data.batches.len()
            )));
        };
        let array = StructArray::from(batch.clone());
        let (array, schema): (FFI_ArrowArray, FFI_ArrowSchema) = to_ffi(&array.to_data()).map_err(arrow_err)?;
        Ok((
            PyCapsule::new_with_value(py, schema, c"arrow_schema")?,
            PyCapsule::new_with_value(py, array, c"arrow_array")?,
        ))
    }

    /// The table's name (`meters`, `consumption`...).
    #[getter]
    fn name(&self) -> &'static str {
        self.data.name
    }

    /// Rows in all batches.
    #[getter]
    fn num_rows(&self) -> usize {
        self.data.rows()
    }

    /// Record batches (chunks).
    #[getter]
    fn num_batches(&self) -> usize {
        self.data.batches.len()
    }

    /// Bytes of the Arrow buffers the table holds.
    #[getter]
    fn nbytes(&self) -> usize {
        self.data.batches.iter().map(RecordBatch::get_array_memory_size).sum()
    }

    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.data.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The address of the first value buffer of column `column` in batch
    /// `batch` (for tests that check the data were not copied on the way).
    fn buffer_address(&self, batch: usize, column: usize) -> PyResult<usize> {
        let b = self
            .data
            .batches
            .get(batch)
            .ok_or_else(|| PyValueError::new_err(format!("no batch {batch}")))?;
        if column >= b.num_columns() {
            return Err(PyValueError::new_err(format!("no column {column}")));
        }
        let data = b.column(column).to_data();
        let buffer = data
            .buffers()
            .last()
            .ok_or_else(|| PyValueError::new_err(format!("column {column} has no buffer")))?;
        Ok(buffer.as_ptr() as usize)
    }

    fn __len__(&self) -> usize {
        self.data.rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<ghostload Table {}: {} rows × {} columns in {} batches>",
            self.data.name,
            self.data.rows(),
            self.data.schema.fields().len(),
            self.data.batches.len()
        )
    }
}

impl Table {
    pub fn new(name: &'static str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Table {
        Table {
            data: Arc::new(TableData { name, schema, batches }),
        }
    }
}
