//! A SQLite VFS for the inbox writer's connection that hands the write-ahead log the frames of a
//! commit in one `pwrite` instead of two per page.
//!
//! SQLite writes each WAL frame as two `pwrite`s (the 24-byte frame header, then the page), so a
//! commit of 16 deliveries, about 40 pages, is 80 system calls before its `fsync`. On machines
//! where a system call is dear (the AMD VM of benches/README.md round 4 spends 4.7 % of the
//! server's time in the system-call return path alone) that was the largest single cost of the
//! ack path. This shim wraps the platform's default VFS; files it opens behave exactly as the
//! default's, except that writes to a WAL file are gathered in memory while they are contiguous
//! and reach the file, in one write, before anything can observe them:
//!
//! * before the WAL is synced — with `synchronous=FULL` every commit syncs the log *before*
//!   SQLite publishes its frames in the shared WAL index, so no other connection can read a
//!   frame that is still here; [`SqliteInbox::open`](super::work_sqlite::SqliteInbox::open) sets
//!   `FULL` and refuses to run otherwise;
//! * before any other operation on that file (a read of a spilled page, the file's size, a
//!   truncate, a file control, close);
//! * when a write does not continue the gathered run (then the run is written first), or the run
//!   would pass [`MAX_GATHERED`] bytes.
//!
//! What a transaction that was rolled back left gathered (pages spilled from the cache) is
//! dropped when the connection gives up the log's write lock: the next writer, perhaps another
//! connection, writes its own frames at those offsets. A write that fails when the run is
//! flushed fails the call that flushed it (the sync of a commit, so the commit fails and its
//! deliveries are not acknowledged). Nothing else changes: the database file, locks and shared
//! memory are the default VFS's own, so the writer and the store's other connections (default
//! VFS) share one file safely.

use std::ffi::{CStr, c_int, c_void};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use rusqlite::ffi;

/// The name the writer's connection opens its database with.
pub const VFS_NAME: &CStr = c"relman-wal-gather";

/// The most a gathered run holds before it is written. The unix VFS writes at most 128 KiB - 1
/// bytes per call (`seekAndWriteFd` masks the length to 17 bits: SQLite itself never writes more
/// than a 64 KiB page), and a longer write would come back short as `SQLITE_FULL`. A typical
/// commit (40 pages of 2 KiB) is one write; a commit of 1 MiB pushes is written in pieces.
const MAX_GATHERED: usize = (1 << 17) - 1;

/// Registers the VFS once per process; later calls return the first call's outcome.
pub fn register() -> Result<&'static CStr, c_int> {
    static REGISTERED: OnceLock<Result<(), c_int>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS, which SQLite keeps for the
            // life of the process. The struct registered below is leaked, so it also lives forever,
            // as `sqlite3_vfs_register` requires.
            unsafe {
                let parent = ffi::sqlite3_vfs_find(ptr::null());
                if parent.is_null() {
                    return Err(ffi::SQLITE_ERROR);
                }
                let mut vfs = *parent;
                // Every method but xOpen is the parent's own, called with this struct; `pAppData`
                // and `mxPathname` are copied too, so a method that reads its VFS reads the
                // parent's values. xOpen is called on the parent itself (below).
                vfs.pNext = ptr::null_mut();
                vfs.zName = VFS_NAME.as_ptr();
                vfs.szOsFile = REAL_OFFSET as c_int + (*parent).szOsFile;
                vfs.xOpen = Some(gather_open);
                PARENT.set(Parent(parent)).map_err(|_| ffi::SQLITE_MISUSE)?;
                let rc = ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0);
                if rc == ffi::SQLITE_OK {
                    Ok(())
                } else {
                    Err(rc)
                }
            }
        })
        .map(|()| VFS_NAME)
}

struct Parent(*mut ffi::sqlite3_vfs);
// SAFETY: the default VFS is a process-wide, immutable (after registration) table of function
// pointers; SQLite itself shares it between threads.
unsafe impl Send for Parent {}
unsafe impl Sync for Parent {}

static PARENT: OnceLock<Parent> = OnceLock::new();

/// Our file: SQLite's `sqlite3_file` header, the connection's gathered run, what the file is,
/// then the parent's own file object, which SQLite sized through `szOsFile`.
#[repr(C)]
struct GatherFile {
    base: ffi::sqlite3_file,
    /// A database: its connection's run, owned (made at open, freed at close). Its WAL: the same
    /// run, borrowed (SQLite closes a WAL before its database); null when the database was not
    /// opened through this VFS, and then nothing is gathered. Any other file: null.
    gathered: *mut Gathered,
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Role {
    Database,
    Wal,
    Other,
}

/// Open databases by the address of the name SQLite opened them with, so that a WAL finds its
/// database's run: SQLite hands a WAL the name `sqlite3_filename_database` maps back to that
/// address, one per connection.
static DATABASES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

fn databases() -> std::sync::MutexGuard<'static, Vec<(usize, usize)>> {
    // The list is only pushed to and removed from; a panic elsewhere cannot leave it half-done.
    DATABASES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the parent's file object starts: right after ours, which is pointer-aligned.
const REAL_OFFSET: usize = std::mem::size_of::<GatherFile>();

/// Contiguous bytes not yet written, and where they go.
#[derive(Default)]
struct Gathered {
    offset: i64,
    bytes: Vec<u8>,
}

impl Gathered {
    fn end(&self) -> i64 {
        self.offset + self.bytes.len() as i64
    }
}

/// The parent's file object inside ours.
///
/// # Safety
/// `file` must be a file this VFS opened.
unsafe fn real(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: SQLite allocated `szOsFile` bytes for `file`: ours, then the parent's.
    unsafe { file.cast::<u8>().add(REAL_OFFSET).cast() }
}

/// The parent's methods for `file`.
///
/// # Safety
/// `file` must be open (its `pMethods` set by this VFS).
unsafe fn methods(file: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    // SAFETY: an open file's parent object has its (static) method table set.
    unsafe { &*(*real(file)).pMethods }
}

/// The run a WAL file gathers into; `None` for any other file (written through at once).
///
/// # Safety
/// `file` must be open.
unsafe fn wal_run<'a>(file: *mut ffi::sqlite3_file) -> Option<&'a mut Gathered> {
    // SAFETY: `gathered` is null or the box its database made in `gather_open`, alive until
    // the database closes, which is after its WAL; one connection uses it at a time (SQLite
    // serialises a connection's calls).
    unsafe {
        let ours = &*file.cast::<GatherFile>();
        if ours.role == Role::Wal {
            ours.gathered.as_mut()
        } else {
            None
        }
    }
}

/// Writes the gathered run, if any, to the file.
///
/// # Safety
/// `file` must be open.
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: see `wal_run`.
    unsafe {
        match wal_run(file) {
            Some(run) => write_run(file, run),
            None => ffi::SQLITE_OK,
        }
    }
}

/// Writes `run` (the file's own) to the file and empties it.
///
/// # Safety
/// `file` must be open and `run` its gathered run.
unsafe fn write_run(file: *mut ffi::sqlite3_file, run: &mut Gathered) -> c_int {
    if run.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    // SAFETY: the file is open; the run's bytes are live for the call.
    unsafe {
        let Some(write) = methods(file).xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        #[cfg(test)]
        tests::WRITES.with(|n| n.set(n.get() + 1));
        let rc = write(
            real(file),
            run.bytes.as_ptr().cast(),
            run.bytes.len() as c_int,
            run.offset,
        );
        // Written or not, the run is gone: a failed write fails the commit that needed it, and
        // SQLite never reads frames of a commit that failed.
        run.bytes.clear();
        rc
    }
}

unsafe extern "C" fn gather_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(parent) = PARENT.get() else {
        return ffi::SQLITE_MISUSE;
    };
    // SAFETY: SQLite hands us `szOsFile` bytes at `file`; the parent's object is set up by the
    // parent's own xOpen, called on the parent VFS as it expects.
    unsafe {
        let ours = file.cast::<GatherFile>();
        (*ours).base.pMethods = ptr::null();
        (*ours).gathered = ptr::null_mut();
        (*ours).role = Role::Other;
        let Some(open) = (*parent.0).xOpen else {
            return ffi::SQLITE_MISUSE;
        };
        let rc = open(parent.0, name, real(file), flags, out_flags);
        // SQLite calls xClose exactly when pMethods is set, so ours mirrors the parent's.
        if !(*real(file)).pMethods.is_null() {
            if flags & ffi::SQLITE_OPEN_MAIN_DB != 0 && !name.is_null() {
                let run = Box::into_raw(Box::new(Gathered::default()));
                databases().push((name as usize, run as usize));
                (*ours).gathered = run;
                (*ours).role = Role::Database;
            } else if flags & ffi::SQLITE_OPEN_WAL != 0 && !name.is_null() {
                let database = ffi::sqlite3_filename_database(name) as usize;
                (*ours).gathered = databases()
                    .iter()
                    .find(|(named, _)| *named == database)
                    .map_or(ptr::null_mut(), |(_, run)| *run as *mut Gathered);
                (*ours).role = Role::Wal;
            }
            (*ours).base.pMethods = &GATHER_METHODS;
        }
        rc
    }
}

unsafe extern "C" fn gather_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes an open file once; a database's run is its own, and its WAL (the
    // only borrower) is closed already.
    unsafe {
        let flushed = flush(file);
        let ours = file.cast::<GatherFile>();
        if (*ours).role == Role::Database && !(*ours).gathered.is_null() {
            let run = (*ours).gathered;
            databases().retain(|(_, owned)| *owned != run as usize);
            drop(Box::from_raw(run));
        }
        (*ours).gathered = ptr::null_mut();
        let closed = match methods(file).xClose {
            Some(close) => close(real(file)),
            None => ffi::SQLITE_OK,
        };
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn gather_write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite passes `amount` readable bytes at `data`; see `wal_run`.
    unsafe {
        let Some(write) = methods(file).xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let Some(run) = wal_run(file) else {
            return write(real(file), data, amount, offset);
        };
        if len > MAX_GATHERED {
            let rc = write_run(file, run);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            #[cfg(test)]
            tests::WRITES.with(|n| n.set(n.get() + 1));
            return write(real(file), data, amount, offset);
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        let end = offset + len as i64;
        if !run.bytes.is_empty() && offset >= run.offset && end <= run.end() {
            // A frame rewritten within the run (SQLite rewrites a page it changed twice in one
            // transaction in place).
            let at = (offset - run.offset) as usize;
            run.bytes[at..at + len].copy_from_slice(bytes);
            return ffi::SQLITE_OK;
        }
        let continues = !run.bytes.is_empty() && offset == run.end();
        if !continues || run.bytes.len() + len > MAX_GATHERED {
            let rc = write_run(file, run);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if run.bytes.is_empty() {
            run.offset = offset;
        }
        run.bytes.extend_from_slice(bytes);
        ffi::SQLITE_OK
    }
}

/// Calls the parent's method for `file` (`call` gets the parent's table and file), or answers
/// `missing` when the parent has no such method.
///
/// # Safety
/// `file` must be open.
unsafe fn through(
    file: *mut ffi::sqlite3_file,
    missing: c_int,
    call: impl FnOnce(&ffi::sqlite3_io_methods, *mut ffi::sqlite3_file) -> Option<c_int>,
) -> c_int {
    // SAFETY: the file is open.
    unsafe { call(methods(file), real(file)).unwrap_or(missing) }
}

/// [`through`], after the gathered run (if any) is written: for every call that could observe
/// the file's contents or size.
///
/// # Safety
/// `file` must be open.
unsafe fn through_after_flush(
    file: *mut ffi::sqlite3_file,
    missing: c_int,
    call: impl FnOnce(&ffi::sqlite3_io_methods, *mut ffi::sqlite3_file) -> Option<c_int>,
) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        let rc = flush(file);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        through(file, missing, call)
    }
}

unsafe extern "C" fn gather_read(
    file: *mut ffi::sqlite3_file,
    data: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: the file is open; the parent reads into SQLite's buffer.
    unsafe {
        through_after_flush(file, ffi::SQLITE_IOERR_READ, |m, real| {
            m.xRead.map(|read| read(real, data, amount, offset))
        })
    }
}

unsafe extern "C" fn gather_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        through_after_flush(file, ffi::SQLITE_IOERR_TRUNCATE, |m, real| {
            m.xTruncate.map(|truncate| truncate(real, size))
        })
    }
}

unsafe extern "C" fn gather_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        through_after_flush(file, ffi::SQLITE_IOERR_FSYNC, |m, real| {
            m.xSync.map(|sync| sync(real, flags))
        })
    }
}

unsafe extern "C" fn gather_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    // SAFETY: the file is open; `size` is SQLite's.
    unsafe {
        through_after_flush(file, ffi::SQLITE_IOERR_FSTAT, |m, real| {
            m.xFileSize.map(|file_size| file_size(real, size))
        })
    }
}

unsafe extern "C" fn gather_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the file is open; `arg` is passed through as SQLite gave it.
    unsafe {
        through_after_flush(file, ffi::SQLITE_NOTFOUND, |m, real| {
            m.xFileControl.map(|control| control(real, op, arg))
        })
    }
}

// The rest pass straight through: locks, sector size, device characteristics, shared memory and
// memory-mapped pages are the parent's (the WAL index is on the database file, never gathered).

unsafe extern "C" fn gather_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        through(file, ffi::SQLITE_IOERR_LOCK, |m, real| {
            m.xLock.map(|lock| lock(real, level))
        })
    }
}

unsafe extern "C" fn gather_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        through(file, ffi::SQLITE_IOERR_UNLOCK, |m, real| {
            m.xUnlock.map(|unlock| unlock(real, level))
        })
    }
}

unsafe extern "C" fn gather_check_reserved_lock(
    file: *mut ffi::sqlite3_file,
    out: *mut c_int,
) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        through(file, ffi::SQLITE_IOERR_CHECKRESERVEDLOCK, |m, real| {
            m.xCheckReservedLock.map(|check| check(real, out))
        })
    }
}

unsafe extern "C" fn gather_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        methods(file)
            .xSectorSize
            .map_or(4096, |size| size(real(file)))
    }
}

unsafe extern "C" fn gather_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        methods(file)
            .xDeviceCharacteristics
            .map_or(0, |characteristics| characteristics(real(file)))
    }
}

unsafe extern "C" fn gather_shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        match methods(file).xShmMap {
            Some(map) if methods(file).iVersion >= 2 => map(real(file), region, size, extend, out),
            _ => ffi::SQLITE_IOERR_SHMMAP,
        }
    }
}

unsafe extern "C" fn gather_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    // SAFETY: the file is open; see `wal_run` for the run.
    unsafe {
        let ours = &*file.cast::<GatherFile>();
        // The connection gives up the log's write lock (WAL_WRITE_LOCK is lock 0): a commit
        // flushed its frames at its sync, so whatever is left belongs to a transaction that was
        // rolled back. Written later, it would land on frames the next writer — another
        // connection, perhaps — has committed at the same offsets; it is dropped instead, before
        // the lock is free.
        if ours.role == Role::Database
            && flags == ffi::SQLITE_SHM_UNLOCK | ffi::SQLITE_SHM_EXCLUSIVE
            && offset == 0
            && let Some(run) = ours.gathered.as_mut()
        {
            run.bytes.clear();
        }
        match methods(file).xShmLock {
            Some(lock) if methods(file).iVersion >= 2 => lock(real(file), offset, n, flags),
            _ => ffi::SQLITE_IOERR_SHMLOCK,
        }
    }
}

unsafe extern "C" fn gather_shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: the file is open.
    unsafe {
        if let Some(barrier) = methods(file).xShmBarrier
            && methods(file).iVersion >= 2
        {
            barrier(real(file));
        }
    }
}

unsafe extern "C" fn gather_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        match methods(file).xShmUnmap {
            Some(unmap) if methods(file).iVersion >= 2 => unmap(real(file), delete),
            _ => ffi::SQLITE_OK,
        }
    }
}

unsafe extern "C" fn gather_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: the file is open; `out` is SQLite's.
    unsafe {
        match methods(file).xFetch {
            Some(fetch) if methods(file).iVersion >= 3 => fetch(real(file), offset, amount, out),
            _ => {
                // No mapping: SQLite reads the page instead.
                *out = ptr::null_mut();
                ffi::SQLITE_OK
            }
        }
    }
}

unsafe extern "C" fn gather_unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    // SAFETY: the file is open.
    unsafe {
        match methods(file).xUnfetch {
            Some(unfetch) if methods(file).iVersion >= 3 => unfetch(real(file), offset, page),
            _ => ffi::SQLITE_OK,
        }
    }
}

static GATHER_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(gather_close),
    xRead: Some(gather_read),
    xWrite: Some(gather_write),
    xTruncate: Some(gather_truncate),
    xSync: Some(gather_sync),
    xFileSize: Some(gather_file_size),
    xLock: Some(gather_lock),
    xUnlock: Some(gather_unlock),
    xCheckReservedLock: Some(gather_check_reserved_lock),
    xFileControl: Some(gather_file_control),
    xSectorSize: Some(gather_sector_size),
    xDeviceCharacteristics: Some(gather_device_characteristics),
    xShmMap: Some(gather_shm_map),
    xShmLock: Some(gather_shm_lock),
    xShmBarrier: Some(gather_shm_barrier),
    xShmUnmap: Some(gather_shm_unmap),
    xFetch: Some(gather_fetch),
    xUnfetch: Some(gather_unfetch),
};

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags, params};

    thread_local! {
        /// Writes to WAL files made on this thread (each test's connection stays on its thread).
        pub(super) static WRITES: Cell<u64> = const { Cell::new(0) };
    }

    fn writes() -> u64 {
        WRITES.with(Cell::get)
    }

    fn create(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v BLOB NOT NULL);",
        )
        .unwrap();
    }

    fn open_gathering(path: &Path) -> Connection {
        let vfs = super::register().unwrap();
        let conn = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            vfs,
        )
        .unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .unwrap();
        conn
    }

    /// (rows, total bytes) as another connection, on the default VFS, sees them.
    fn seen(reader: &Connection) -> (i64, i64) {
        reader
            .query_row(
                "SELECT count(*), coalesce(sum(length(v)), 0) FROM t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    fn insert(conn: &Connection, key: &str, len: usize) {
        let value: Vec<u8> = (0..len).map(|i| (i * 31 + key.len()) as u8).collect();
        conn.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![key, value])
            .unwrap();
    }

    /// The file-level contract, through the VFS's own methods: a read, the file's size and a
    /// truncate each see every write made before them, whether it is still gathered or not.
    #[test]
    fn reads_sizes_and_truncates_see_every_gathered_write() {
        use std::ffi::{CString, c_int};

        use rusqlite::ffi;

        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("file.db");
        let db_name = CString::new(db.display().to_string()).unwrap();
        let journal_name = CString::new(format!("{}-journal", db.display())).unwrap();
        let wal_name = CString::new(format!("{}-wal", db.display())).unwrap();
        let vfs = super::register().unwrap();
        // SAFETY: the VFS is registered; each file object is `szOsFile` bytes, 8-aligned, and
        // outlives every call on it; the names are in SQLite's own layout (a WAL finds its
        // database through it) and are freed after both files close; the buffers passed are
        // live for each call.
        unsafe {
            let vfs = ffi::sqlite3_vfs_find(vfs.as_ptr());
            assert!(!vfs.is_null());
            let names = ffi::sqlite3_create_filename(
                db_name.as_ptr(),
                journal_name.as_ptr(),
                wal_name.as_ptr(),
                0,
                std::ptr::null_mut(),
            );
            assert!(!names.is_null());
            let size = ((*vfs).szOsFile as usize).div_ceil(8);
            let (mut db_memory, mut memory) = (vec![0u64; size], vec![0u64; size]);
            let db_file = db_memory.as_mut_ptr().cast::<ffi::sqlite3_file>();
            let file = memory.as_mut_ptr().cast::<ffi::sqlite3_file>();
            let open = (*vfs).xOpen.unwrap();
            let mut out_flags = 0;
            let flags = ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_READWRITE;
            // A WAL gathers into its database's run: the database is opened first, as SQLite
            // does.
            let as_database = flags | ffi::SQLITE_OPEN_MAIN_DB;
            assert_eq!(
                open(vfs, names, db_file, as_database, &mut out_flags),
                ffi::SQLITE_OK
            );
            let wal = ffi::sqlite3_filename_wal(names);
            let as_wal = flags | ffi::SQLITE_OPEN_WAL;
            assert_eq!(open(vfs, wal, file, as_wal, &mut out_flags), ffi::SQLITE_OK);
            let methods = &*(*file).pMethods;
            let write = |bytes: &[u8], at: i64| {
                let rc =
                    methods.xWrite.unwrap()(file, bytes.as_ptr().cast(), bytes.len() as c_int, at);
                assert_eq!(rc, ffi::SQLITE_OK);
            };
            let read = |len: usize, at: i64| {
                let mut buf = vec![0u8; len];
                let rc = methods.xRead.unwrap()(file, buf.as_mut_ptr().cast(), len as c_int, at);
                assert_eq!(rc, ffi::SQLITE_OK);
                buf
            };
            let size = || {
                let mut size = 0i64;
                assert_eq!(methods.xFileSize.unwrap()(file, &mut size), ffi::SQLITE_OK);
                size
            };

            let before = writes();
            write(&[b'a'; 100], 0);
            write(&[b'b'; 100], 100);
            assert_eq!(writes(), before, "contiguous writes are gathered");
            let mut expected = [[b'a'; 100], [b'b'; 100]].concat();
            assert_eq!(read(200, 0), expected);
            assert_eq!(writes(), before + 1, "the read wrote the run first");

            write(&[b'c'; 100], 200);
            write(&[b'x'; 10], 250);
            expected.extend_from_slice(&[b'c'; 100]);
            expected[250..260].copy_from_slice(&[b'x'; 10]);
            assert_eq!(
                read(300, 0),
                expected,
                "a rewrite inside the run lands in it"
            );

            write(&[b'd'; 50], 1_000);
            write(&[b'e'; 50], 2_000);
            assert_eq!(
                read(50, 1_000),
                vec![b'd'; 50],
                "a gap writes the run before it"
            );
            write(&[b'f'; 24], 2_050);
            assert_eq!(size(), 2_074);
            write(&[b'g'; 10], 2_074);
            assert_eq!(methods.xTruncate.unwrap()(file, 2_060), ffi::SQLITE_OK);
            assert_eq!(size(), 2_060, "the truncate came after the gathered write");
            assert_eq!(read(10, 2_050), vec![b'f'; 10]);

            write(&[b'h'; 16], 2_060);
            assert_eq!(
                methods.xSync.unwrap()(file, ffi::SQLITE_SYNC_NORMAL),
                ffi::SQLITE_OK
            );
            assert_eq!(methods.xClose.unwrap()(file), ffi::SQLITE_OK);
            assert_eq!(
                (*(*db_file).pMethods).xClose.unwrap()(db_file),
                ffi::SQLITE_OK
            );
            ffi::sqlite3_free_filename(names);
        }
        let on_disk = std::fs::read(format!("{}-wal", db.display())).unwrap();
        assert_eq!(on_disk.len(), 2_076);
        assert_eq!(&on_disk[2_060..], &[b'h'; 16]);
    }

    /// A rolled-back transaction may leave spilled frames gathered. Another connection then
    /// commits frames at the same offsets of the log; the writer's next commit must not write the
    /// old frames over them.
    #[test]
    fn frames_of_a_rolled_back_transaction_never_reach_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gather.db");
        create(&path);
        let mut writer = open_gathering(&path);
        let other = Connection::open(&path).unwrap();
        insert(&writer, "first", 100);
        let (mut rows, mut bytes) = (1i64, 100i64);

        writer.execute_batch("PRAGMA cache_size = 8").unwrap();
        let tx = writer.transaction().unwrap();
        for i in 0..300 {
            insert(&tx, &format!("doomed-{i:04}"), 1_500);
        }
        drop(tx); // rolled back
        assert_eq!(seen(&other), (rows, bytes));

        // More than the doomed transaction wrote, so its frames are all overwritten.
        let tx = other.unchecked_transaction().unwrap();
        for i in 0..600 {
            insert(&tx, &format!("other-{i:04}"), 1_500);
        }
        tx.commit().unwrap();
        rows += 600;
        bytes += 600 * 1_500;
        insert(&writer, "last", 100);
        rows += 1;
        bytes += 100;

        assert_eq!(seen(&other), (rows, bytes));
        drop(writer);
        drop(other);
        // Read back from the file alone: recovery stops at the first frame whose checksum does
        // not follow, so overwritten frames would lose rows here.
        let again = Connection::open(&path).unwrap();
        let check: String = again
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        assert_eq!(seen(&again), (rows, bytes));
    }

    #[test]
    fn a_commit_reaches_the_log_in_one_write_and_other_connections_see_all_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gather.db");
        create(&path);
        let mut writer = open_gathering(&path);
        let reader = Connection::open(&path).unwrap();
        let (mut rows, mut bytes) = (0, 0);
        for commit in 0..40 {
            let before = writes();
            let tx = writer.transaction().unwrap();
            // Random keys touch leaves all over the index, as delivery ids do.
            for i in 0..16 {
                let key = format!(
                    "{:08x}-{commit}-{i}",
                    (commit * 7919 + i * 104_729) % 65_521
                );
                insert(&tx, &key, 700 + i * 97);
                rows += 1;
                bytes += 700 + i as i64 * 97;
            }
            tx.commit().unwrap();
            // Dozens of frames, two `pwrite`s each without the shim: one write with it. The
            // first commit on a new log also writes (and syncs) the log's header first.
            let expected = if commit == 0 { 2 } else { 1 };
            assert_eq!(writes() - before, expected, "commit {commit}");
            assert_eq!(seen(&reader), (rows, bytes), "after commit {commit}");
        }
    }

    #[test]
    fn large_commits_spilled_pages_and_log_restarts_stay_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gather.db");
        create(&path);
        let mut writer = open_gathering(&path);
        let reader = Connection::open(&path).unwrap();
        let (mut rows, mut bytes) = (0i64, 0i64);

        // A commit of several MiB is written in pieces the unix VFS accepts (a single write of
        // more than 128 KiB would come back short, as SQLITE_FULL).
        let tx = writer.transaction().unwrap();
        for i in 0..12 {
            insert(&tx, &format!("big-{i}"), 300_000 + i * 1_000);
            rows += 1;
            bytes += 300_000 + i as i64 * 1_000;
        }
        tx.commit().unwrap();
        assert_eq!(seen(&reader), (rows, bytes));

        // A cache of a few pages spills frames to the log mid-transaction; the transaction then
        // reads those pages back (through the log) and rewrites them in place.
        writer.execute_batch("PRAGMA cache_size = 8").unwrap();
        let tx = writer.transaction().unwrap();
        for i in 0..2_000 {
            insert(&tx, &format!("spill-{:05}", (i * 7_919) % 2_000), 1_000);
        }
        let updated = tx
            .execute("UPDATE t SET v = zeroblob(1500) WHERE k LIKE 'spill-%'", [])
            .unwrap();
        assert_eq!(updated, 2_000);
        tx.commit().unwrap();
        rows += 2_000;
        bytes += 2_000 * 1_500;
        assert_eq!(seen(&reader), (rows, bytes));

        // The log starts over after a full checkpoint: the header and the first frames are
        // written at the start of the file again.
        for round in 0..3 {
            writer
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
            for i in 0..50 {
                insert(&writer, &format!("after-{round}-{i}"), 2_048);
                rows += 1;
                bytes += 2_048;
            }
            assert_eq!(seen(&reader), (rows, bytes), "round {round}");
        }

        let check: String = reader
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        drop(writer);
        drop(reader);
        // Everything is in the file for a connection that never used the shim.
        let again = Connection::open(&path).unwrap();
        assert_eq!(seen(&again), (rows, bytes));
    }
}
