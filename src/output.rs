//! Writing output files without ever losing data.
//!
//! Every command collects the paths it will write and the paths it reads into
//! one [`OutputPlan`], checked once before any work: no output may be the same
//! file as an input (compared as files: device and inode when the file exists,
//! else the normalised absolute path, so `./d.csv` and `$PWD/d.csv` are one
//! file), two outputs may not name one file, and each output's extension must
//! name a format outpost writes.
//!
//! Regular files are written to a temporary file in the same folder and renamed
//! into place only when complete ([`write_atomic`]); pending temporary files are
//! registered so that SIGINT, SIGTERM and SIGHUP remove them before the process
//! exits ([`install_signal_cleanup`]). An existing output that is not a regular
//! file (`/dev/null`, `/dev/stdout`, a FIFO, a symlink to one) is opened and
//! written in place, never replaced by a rename.
//!
//! The binary defers the renames ([`defer_commits`]): every finished file
//! waits as its temporary file until the run has succeeded, and then all are
//! renamed together ([`commit_staged`]), so a run that fails (exit 2) leaves
//! every output as it was. Temporary files left by a killed run are removed
//! by the next run that writes in the same folder.

use anyhow::{Context, Result, bail};
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What kind of file an output is, which decides the extensions it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A report: `.txt` (table), `.json`, `.md`/`.markdown`, `.csv`; any name with `--format`.
    Report {
        /// Whether `--format` was given, so the extension need not say the format.
        format_given: bool,
    },
    /// A map or chart: `.svg` or `.png`.
    Image,
    /// Open sites: `.csv`, `.geojson`, `.json` or `.gpkg`.
    Sites,
    /// Demand assignments: `.csv` or `.gpkg`.
    Assignments,
    /// Polygons: `.geojson`, `.json` or `.gpkg`.
    Areas,
    /// A file whose name outpost chooses (inside `--output-dir`).
    Fixed,
}

impl OutputKind {
    fn extensions(self) -> &'static [&'static str] {
        match self {
            OutputKind::Report { .. } => &["txt", "json", "md", "markdown", "csv"],
            OutputKind::Image => &["svg", "png"],
            OutputKind::Sites => &["csv", "geojson", "json", "gpkg"],
            OutputKind::Assignments => &["csv", "gpkg"],
            OutputKind::Areas => &["geojson", "json", "gpkg"],
            OutputKind::Fixed => &[],
        }
    }
}

/// A file as the file system knows it, to compare paths by what they name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    /// An existing file: device and inode (on Unix), else its canonical path.
    Existing(u64, u64, PathBuf),
    /// A path that does not exist yet, normalised.
    Missing(PathBuf),
}

impl FileId {
    fn same(&self, other: &FileId) -> bool {
        match (self, other) {
            (FileId::Existing(d1, i1, p1), FileId::Existing(d2, i2, p2)) => {
                if cfg!(unix) {
                    d1 == d2 && i1 == i2
                } else {
                    p1 == p2
                }
            }
            (FileId::Missing(a), FileId::Missing(b)) => a == b,
            _ => false,
        }
    }
}

/// Where a path leads, as the file system will resolve it once missing
/// folders are created: the existing part is canonicalised step by step (so
/// symlinks are followed), and the missing part is applied lexically (a
/// folder outpost creates is a real folder, so its `..` is its parent). Thus
/// `nosuch/../d.csv` leads to `d.csv` before `nosuch/` exists.
fn resolve(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut cur = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => cur.push(c),
            Component::CurDir => {}
            // `cur` is canonical (no symlinks) or a folder still to be made,
            // so its parent is what `..` means.
            Component::ParentDir => {
                cur.pop();
            }
            Component::Normal(name) => {
                let next = cur.join(name);
                cur = if std::fs::symlink_metadata(&next).is_ok() {
                    next.canonicalize().unwrap_or(next)
                } else {
                    next
                };
            }
        }
    }
    cur
}

fn file_id(path: &Path) -> FileId {
    let real = resolve(path);
    match std::fs::metadata(&real) {
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                FileId::Existing(meta.dev(), meta.ino(), real)
            }
            #[cfg(not(unix))]
            {
                let _ = meta;
                FileId::Existing(0, 0, real)
            }
        }
        Err(_) => FileId::Missing(real),
    }
}

/// Whether `path` names one of this process's open descriptors
/// (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`). Such an
/// output is written in place at the descriptor's end, whatever stands behind
/// it: a shell's `>> log.txt` keeps the log, where replacing the file it
/// names would lose it.
pub fn is_descriptor(path: &Path) -> bool {
    let p = path.to_string_lossy();
    matches!(p.as_ref(), "/dev/stdout" | "/dev/stderr")
        || p.strip_prefix("/dev/fd/")
            .or_else(|| p.strip_prefix("/proc/self/fd/"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `path` exists and is not a regular file or folder: a device, FIFO or
/// socket (symlinks followed). Such outputs are written in place.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Every input and output path of one run, checked together before any work.
#[derive(Debug, Default)]
pub struct OutputPlan {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<(String, PathBuf, OutputKind)>,
}

impl OutputPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a file the run reads; `what` names it in messages (`--demand`,
    /// `the scenario file`). Stdin (`-`) is not a file and is skipped.
    pub fn input(&mut self, what: impl Into<String>, path: &Path) {
        if path.as_os_str() != "-" {
            self.inputs.push((what.into(), path.to_path_buf()));
        }
    }

    /// Records a file the run writes; `flag` names it in messages.
    pub fn output(&mut self, flag: impl Into<String>, path: &Path, kind: OutputKind) {
        self.outputs.push((flag.into(), path.to_path_buf(), kind));
    }

    /// The outputs recorded so far.
    pub fn outputs(&self) -> impl Iterator<Item = &Path> {
        self.outputs.iter().map(|(_, p, _)| p.as_path())
    }

    /// Checks the plan: extensions, outputs that are inputs, outputs that
    /// name one file.
    ///
    /// # Errors
    /// A message naming both flags and the file, and how to fix it.
    pub fn check(&self) -> Result<()> {
        for (flag, path, kind) in &self.outputs {
            check_extension(flag, path, *kind)?;
            if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
                bail!(
                    "{flag} {} is a folder: give a file name (e.g. {})",
                    path.display(),
                    path.join(example_name(*kind)).display()
                );
            }
            if !is_special(path) && !is_descriptor(path) {
                check_writable(flag, path)?;
                check_geopackage_layers(flag, path, *kind)?;
            }
        }
        // Devices and FIFOs are written in place and never replaced, and two
        // reads or writes of /dev/null harm nothing: only files take part.
        let files: Vec<(&str, &Path, FileId)> = self
            .outputs
            .iter()
            .filter(|(_, p, _)| !is_special(p))
            .map(|(f, p, _)| (f.as_str(), p.as_path(), file_id(p)))
            .collect();
        let inputs: Vec<(&str, &Path, FileId)> = self
            .inputs
            .iter()
            .filter(|(_, p)| !is_special(p))
            .map(|(w, p)| (w.as_str(), p.as_path(), file_id(p)))
            .collect();
        // One flag naming one file twice (`--demand a.csv ./a.csv`) would
        // count its places twice.
        for (i, (wa, a, ida)) in inputs.iter().enumerate() {
            if let Some((_, b, _)) = inputs[i + 1..]
                .iter()
                .find(|(wb, _, idb)| wb == wa && idb.same(ida))
            {
                bail!(
                    "{wa} names {} and {}, which are one file: its places would count twice; give each file once",
                    a.display(),
                    b.display()
                );
            }
        }
        // Standard output sent by the shell onto an input (`1<> d.csv`; with
        // `> d.csv` the shell has emptied it already): the report would
        // overwrite it.
        let stdout = Path::new("/dev/stdout");
        if cfg!(unix) && std::fs::metadata(stdout).is_ok_and(|m| m.is_file()) {
            let oid = file_id(stdout);
            if let Some((what, inp, _)) = inputs.iter().find(|(_, _, iid)| iid.same(&oid)) {
                bail!(
                    "standard output is the same file as {what} {} (a shell redirect onto it): outpost never overwrites an input; redirect to another file or give -o FILE",
                    inp.display()
                );
            }
        }
        for (flag, out, oid) in &files {
            if let Some((what, inp, _)) = inputs.iter().find(|(_, _, iid)| iid.same(oid)) {
                bail!(
                    "{flag} {} is the same file as {what} {}: outpost never overwrites an input; choose another output path",
                    out.display(),
                    inp.display()
                );
            }
        }
        for (i, (fa, a, ida)) in files.iter().enumerate() {
            if let Some((fb, b, _)) = files[i + 1..].iter().find(|(_, _, idb)| idb.same(ida)) {
                bail!(
                    "{fa} {} and {fb} {} name the same file: give each output its own path",
                    a.display(),
                    b.display()
                );
            }
        }
        Ok(())
    }
}

/// Checks before any work that `path` can be written: a symlink leads to a
/// file that can exist, no part of the folder path is a file, and the nearest
/// existing folder takes a new file (tried with a temporary file, removed at
/// once). Missing folders are not created here; [`write_atomic`] does that.
fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let target = resolve_target(path).with_context(|| flag.to_string())?;
    let mut dir = folder_of(&target);
    loop {
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => bail!(
                "{flag} {}: {} is a file, not a folder; choose an output path in a folder",
                path.display(),
                dir.display()
            ),
            Err(_) => match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
                _ => {
                    dir = PathBuf::from(".");
                    break;
                }
            },
        }
    }
    let (probe, file) = Pending::create(&dir).map_err(|e| {
        anyhow::anyhow!(
            "{flag} {}: cannot write in the folder {}: {}; choose a folder you can write to",
            path.display(),
            dir.display(),
            e.root_cause()
        )
    })?;
    drop(file);
    drop(probe);
    Ok(())
}

/// Refuses to replace a GeoPackage that holds layers outpost would not
/// write back: a `.gpkg` output is a new file with one layer, and a
/// planner's project file with other layers must not lose them.
fn check_geopackage_layers(flag: &str, path: &Path, kind: OutputKind) -> Result<()> {
    let is_gpkg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    let layer = match kind {
        OutputKind::Sites => "sites",
        OutputKind::Assignments => "assignments",
        OutputKind::Areas => "areas",
        _ => return Ok(()),
    };
    if !is_gpkg {
        return Ok(());
    }
    let others = crate::output_gpkg::other_layers(path, layer);
    if !others.is_empty() {
        bail!(
            "{flag} {}: the GeoPackage holds other layers ({}), which writing it would delete: outpost writes a new file with the `{layer}` layer only; give another file name",
            path.display(),
            others.join(", ")
        );
    }
    Ok(())
}

fn example_name(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::Report { .. } => "report.json",
        OutputKind::Image => "map.svg",
        OutputKind::Sites => "sites.csv",
        OutputKind::Assignments => "assignments.csv",
        OutputKind::Areas => "areas.geojson",
        OutputKind::Fixed => "out",
    }
}

fn check_extension(flag: &str, path: &Path, kind: OutputKind) -> Result<()> {
    let allowed = kind.extensions();
    if allowed.is_empty() || is_special(path) || is_descriptor(path) {
        return Ok(());
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let known = ext.as_deref().is_some_and(|e| allowed.contains(&e));
    let ok = match kind {
        // With --format the name is free; without it a name with no extension is a table.
        OutputKind::Report { format_given } => format_given || known || ext.is_none(),
        _ => known,
    };
    if !ok {
        let list: Vec<String> = allowed.iter().map(|e| format!(".{e}")).collect();
        let got = match &ext {
            Some(e) => format!("the extension .{e} is not one outpost writes"),
            None => "the name has no extension".to_string(),
        };
        let hint = match kind {
            OutputKind::Report { .. } => " (or give --format)",
            _ => "",
        };
        bail!(
            "{flag} {}: {got}; use {}{hint}",
            path.display(),
            list.join(", ")
        );
    }
    Ok(())
}

/// Temporary files being written, removed by the signal handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);
/// Whether finished files wait for [`commit_staged`] instead of being renamed
/// into place at once.
static DEFER: AtomicBool = AtomicBool::new(false);
/// Finished temporary files and the paths they will be renamed to.
static STAGED: Mutex<Vec<(Pending, PathBuf, PathBuf)>> = Mutex::new(Vec::new());

fn staged() -> std::sync::MutexGuard<'static, Vec<(Pending, PathBuf, PathBuf)>> {
    STAGED.lock().unwrap_or_else(|e| e.into_inner())
}

/// From now on, [`write_atomic`] leaves each finished file as its temporary
/// file until [`commit_staged`] renames them all, so a run that fails part way
/// (exit 2) changes no output at all rather than some of them. The binary
/// calls this first; library users get immediate renames unless they do.
pub fn defer_commits() {
    DEFER.store(true, Ordering::SeqCst);
}

/// Renames every staged file into place, in the order written, under the lock
/// the signal handler takes (a signal waits until all are in place).
///
/// # Errors
/// The first rename that fails, with the path; the files not yet renamed are
/// removed.
pub fn commit_staged() -> Result<()> {
    let mut files: Vec<(Pending, PathBuf, PathBuf)> = staged().drain(..).collect();
    let mut list = pending();
    for k in 0..files.len() {
        let (tmp, target, shown) = &mut files[k];
        let result = std::fs::rename(&tmp.path, &*target);
        list.retain(|p| *p != tmp.path);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp.path);
        }
        tmp.done = true;
        if let Err(e) = result {
            let shown = shown.clone();
            // The files not yet renamed remove themselves on drop, which
            // takes the lock again.
            drop(list);
            drop(files);
            return Err(e).with_context(|| format!("cannot write {}", shown.display()));
        }
    }
    Ok(())
}

/// Removes every staged file without renaming it (a failed run).
pub fn discard_staged() {
    let files: Vec<(Pending, PathBuf, PathBuf)> = staged().drain(..).collect();
    drop(files);
}

/// Removes temporary files that a killed outpost (SIGKILL, power loss) left
/// in `dir`: `.outpost-PID-N.tmp` whose process is gone. Linux only, where
/// `/proc` tells; each folder is swept once per run.
fn sweep_stale(dir: &Path) {
    #[cfg(target_os = "linux")]
    {
        static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if swept.iter().any(|d| d == dir) || !Path::new("/proc/self").exists() {
            return;
        }
        swept.push(dir.to_path_buf());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let me = std::process::id();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(".outpost-"))
                .and_then(|n| n.strip_suffix(".tmp"))
                .and_then(|n| n.split_once('-'))
                .filter(|(_, k)| k.bytes().all(|b| b.is_ascii_digit()) && !k.is_empty())
                .and_then(|(p, _)| p.parse::<u32>().ok())
            else {
                continue;
            };
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && pid != me && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
}

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list intact; keep using it.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every pending temporary file. Called on SIGINT, SIGTERM and SIGHUP,
/// and usable by tests.
pub fn remove_pending() {
    for p in pending().drain(..) {
        let _ = std::fs::remove_file(&p);
    }
}

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove pending
/// temporary files and exit with 128 + the signal number (130, 143, 129).
///
/// # Errors
/// When the handlers cannot be registered.
pub fn install_signal_cleanup() -> Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .context("installing signal handlers")?;
        std::thread::Builder::new()
            .name("outpost-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // Hold the lock until exit so no rename can complete a file
                    // after its temporary was removed.
                    let mut list = pending();
                    for p in list.drain(..) {
                        let _ = std::fs::remove_file(&p);
                    }
                    std::process::exit(128 + sig);
                }
            })
            .context("starting the signal thread")?;
    }
    Ok(())
}

/// A registered temporary file, removed on drop unless persisted.
struct Pending {
    path: PathBuf,
    done: bool,
}

impl Pending {
    fn create(dir: &Path) -> Result<(Pending, std::fs::File)> {
        sweep_stale(dir);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".outpost-{}-{n}.tmp", std::process::id()));
            // Registered before it exists, so a signal at any moment removes it.
            pending().push(path.clone());
            let guard = Pending {
                path: path.clone(),
                done: false,
            };
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(&path) {
                Ok(f) => return Ok((guard, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot create a temporary file in {}", dir.display())
                    });
                }
            }
        }
    }

    /// Renames the temporary file over `target`, under the lock the signal
    /// handler takes, so the file is either complete or gone.
    fn persist(mut self, target: &Path) -> std::io::Result<()> {
        let mut list = pending();
        let result = std::fs::rename(&self.path, target);
        list.retain(|p| *p != self.path);
        if result.is_err() {
            let _ = std::fs::remove_file(&self.path);
        }
        self.done = true;
        result
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let mut list = pending();
            let _ = std::fs::remove_file(&self.path);
            list.retain(|p| *p != self.path);
        }
    }
}

/// The folder a file is written in (`.` for a bare file name).
fn folder_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where a write really goes: a symlink to a regular file is followed, so the
/// link survives and its target is replaced.
fn resolve_target(path: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => path.canonicalize().with_context(|| {
            format!(
                "cannot write {}: it is a symlink to a file that does not exist",
                path.display()
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Writes a file safely: `fill` writes into a temporary file next to `path`,
/// which is renamed over `path` only if `fill` succeeds. Missing folders are
/// created. An existing device, FIFO or socket is written in place, and a
/// process descriptor ([`is_descriptor`]) is appended to.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let descriptor = is_descriptor(path);
    if descriptor || is_special(path) {
        // A descriptor is appended to (a file behind it keeps what it held).
        let file = std::fs::OpenOptions::new()
            .write(true)
            .append(descriptor)
            .open(path)
            .with_context(|| format!("cannot open {} for writing", path.display()))?;
        let mut w = BufWriter::new(file);
        fill(&mut w).with_context(|| format!("writing {}", path.display()))?;
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok(());
    }
    let target = resolve_target(path)?;
    if target.is_dir() {
        bail!("cannot write {}: it is a folder", path.display());
    }
    let dir = folder_of(&target);
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).with_context(|| {
            format!(
                "cannot write {}: cannot create the folder {}",
                path.display(),
                dir.display()
            )
        })?;
    }
    let (tmp, file) = Pending::create(&dir)?;
    let mut w = BufWriter::new(file);
    fill(&mut w).with_context(|| format!("writing {}", path.display()))?;
    let file = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    file.sync_all().ok();
    // Temporary files are private; a finished output keeps the permissions of
    // the file it replaces, or gets the usual ones.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .ok();
    }
    drop(file);
    if DEFER.load(Ordering::SeqCst) {
        staged().push((tmp, target, path.to_path_buf()));
        return Ok(());
    }
    tmp.persist(&target)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes a report to `path` (safely) or to buffered stdout, in `format`,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_file_are_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.csv");
        std::fs::write(&f, "x").unwrap();
        let other = dir.path().join("sub/../d.csv");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(file_id(&f).same(&file_id(&other)));
        let missing = dir.path().join("new/./x.csv");
        let missing2 = dir.path().join("new/y/../x.csv");
        assert!(file_id(&missing).same(&file_id(&missing2)));
        // Through a folder that does not exist yet, back to the input.
        let through = dir.path().join("nosuch/deeper/../../d.csv");
        assert!(file_id(&f).same(&file_id(&through)));
    }

    #[test]
    fn input_as_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.csv");
        std::fs::write(&f, "x").unwrap();
        let mut plan = OutputPlan::new();
        plan.input("--demand", &f);
        plan.output(
            "--output",
            &dir.path().join("./d.csv"),
            OutputKind::Report {
                format_given: false,
            },
        );
        let err = plan.check().unwrap_err().to_string();
        assert!(
            err.contains("--output") && err.contains("--demand"),
            "{err}"
        );
    }

    #[test]
    fn extensions_are_checked() {
        let mut plan = OutputPlan::new();
        plan.output("--map", Path::new("x.jpg"), OutputKind::Image);
        let err = plan.check().unwrap_err().to_string();
        assert!(err.contains(".svg, .png"), "{err}");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out.csv");
        std::fs::write(&f, "old").unwrap();
        let r = write_atomic(&f, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn missing_folders_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a/b/out.csv");
        write_atomic(&f, |w| w.write_all(b"ok")).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "ok");
    }
}
