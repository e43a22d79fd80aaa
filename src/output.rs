//! Writing output files safely: every file is written to a temporary file in
//! the same folder and renamed into place only when complete, and no output
//! may name an input.

use anyhow::{Context, Result, bail};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Fails if any output path is an input path, or two outputs are the same file.
///
/// # Errors
/// A message naming the clashing paths.
pub fn check_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> Result<()> {
    for (flag, out) in outputs {
        if let Some(inp) = inputs
            .iter()
            .find(|i| **i != Path::new("-") && same_file(i, out))
        {
            bail!(
                "{flag} {} is also an input ({}); outpost never overwrites an input: choose another output path",
                out.display(),
                inp.display()
            );
        }
    }
    for (i, (fa, a)) in outputs.iter().enumerate() {
        for (fb, b) in &outputs[i + 1..] {
            if same_file(a, b) {
                bail!(
                    "{fa} and {fb} both name {}: give each output its own path",
                    a.display()
                );
            }
        }
    }
    Ok(())
}

/// Writes a file atomically: `fill` writes into a temporary file next to
/// `path`, which is renamed over `path` only if `fill` succeeds.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    let tmp = tempfile::Builder::new()
        .prefix(".outpost-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).with_context(|| format!("writing {}", path.display()))?;
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    tmp.as_file().sync_all().ok();
    // Temporary files are private; a finished output gets the usual permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .ok();
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes a report to `path` (atomically) or to buffered stdout, in `format`,
/// else the format `path`'s extension names, else a table.
///
/// # Errors
/// I/O errors, with the path.
pub fn emit<F>(
    path: Option<&Path>,
    format: Option<crate::report::ReportFormat>,
    write: F,
) -> Result<()>
where
    F: Fn(crate::report::ReportFormat, &mut dyn Write) -> std::io::Result<()>,
{
    use crate::report::ReportFormat;
    let format = format
        .or_else(|| path.and_then(ReportFormat::from_extension))
        .unwrap_or(ReportFormat::Table);
    match path {
        Some(p) => write_atomic(p, |w| write(format, w)),
        None => {
            let stdout = std::io::stdout();
            let mut lock = BufWriter::new(stdout.lock());
            write(format, &mut lock)?;
            lock.flush()?;
            Ok(())
        }
    }
}
