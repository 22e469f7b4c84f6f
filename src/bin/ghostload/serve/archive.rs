//! The zip of a dataset directory: deterministic (names in order, fixed
//! timestamps), written beside the directory and renamed into place.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// Writes `names` (paths inside `dir`) into the zip `target`, atomically.
pub fn write_zip(dir: &Path, names: &[String], target: &Path) -> std::io::Result<()> {
    let tmp = target.with_extension("zip.tmp");
    let result = (|| {
        let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(&tmp)?));
        for name in names {
            // Parquet parts are compressed already.
            let method = if name.ends_with(".parquet") {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            let options = SimpleFileOptions::default()
                .compression_method(method)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644)
                .large_file(true);
            zip.start_file(name.as_str(), options).map_err(std::io::Error::other)?;
            let mut file = File::open(dir.join(name))?;
            std::io::copy(&mut file, &mut zip)?;
        }
        let mut out = zip.finish().map_err(std::io::Error::other)?;
        out.flush()?;
        out.get_ref().sync_all()
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, target),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
