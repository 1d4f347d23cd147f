//! What a user page fault was and what became of it, in words: the
//! page-fault trace (^T at the console) and the line that says why a
//! process was killed. No C counterpart: xv6 prints only scause, sepc
//! and stval. vm.rs's `uvmfault` and the labs return a `Fault` or a `Why`;
//! trap.rs prints.

use crate::proc::myproc;
use crate::spinlock::holding_spinlock;
use crate::Error;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The user access that faulted (scause 13, 15, 12).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Load,
    Store,
    Fetch,
}

impl Access {
    /// The access a page-fault scause stands for; `None` for any other
    /// exception.
    pub fn of(scause: usize) -> Option<Access> {
        match scause {
            12 => Some(Access::Fetch),
            13 => Some(Access::Load),
            15 => Some(Access::Store),
            _ => None,
        }
    }
}

impl core::fmt::Display for Access {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(match self {
            Access::Load => "load",
            Access::Store => "store",
            Access::Fetch => "fetch",
        })
    }
}

/// What a lab did with a user page fault, in its own words; the page-fault
/// trace prints it (`pftrace`). Base resolves none.
#[derive(Clone, Copy)]
pub enum Fault {
    #[cfg(feature = "lazy")]
    Lazy,
    /// A private copy; the shared page had this many references.
    #[cfg(feature = "cow")]
    CowCopy(u16),
    /// The last sharer: write access back, no copy.
    #[cfg(feature = "cow")]
    CowReuse,
    #[cfg(feature = "zfod")]
    ZeroPage,
    #[cfg(feature = "zfod")]
    ZeroFill,
    /// A program page: read from the file, or all bss (zeros).
    #[cfg(feature = "demand")]
    Program { from_file: bool },
    /// A page of a mapped file, at this offset in the file.
    #[cfg(feature = "mmap")]
    File(usize),
    /// Read back from this swap slot (or, for a page of zeros, only zeroed).
    #[cfg(feature = "swap")]
    SwapIn { slot: usize, zeros: bool },
}

impl core::fmt::Display for Fault {
    /// The trace's words for what the lab did.
    // `f` matters only to the labs: base has no variant.
    #[cfg_attr(not(lab_faults), allow(unused_variables))]
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match *self {
            #[cfg(feature = "lazy")]
            Fault::Lazy => write!(f, "lazy page (zeroed)"),
            #[cfg(feature = "cow")]
            Fault::CowCopy(n) => write!(f, "COW copy (ref count {})", n),
            #[cfg(feature = "cow")]
            Fault::CowReuse => write!(f, "COW reuse (ref count 1)"),
            #[cfg(feature = "zfod")]
            Fault::ZeroPage => write!(f, "zero page (shared, read-only)"),
            #[cfg(feature = "zfod")]
            Fault::ZeroFill => write!(f, "private zero-fill page"),
            #[cfg(feature = "demand")]
            Fault::Program { from_file: true } => write!(f, "program page from the file"),
            #[cfg(feature = "demand")]
            Fault::Program { from_file: false } => write!(f, "program page of zeros (bss)"),
            #[cfg(feature = "mmap")]
            Fault::File(off) => write!(f, "mapped-file page (file offset {:#x})", off),
            #[cfg(feature = "swap")]
            Fault::SwapIn { slot, zeros: false } => write!(f, "swap read-back from slot {}", slot),
            #[cfg(feature = "swap")]
            Fault::SwapIn { slot, zeros: true } => {
                write!(f, "swap read-back from slot {} (zeros: no disk read)", slot)
            }
        }
    }
}

/// Why a user page fault was refused (the process dies, or a system
/// call's copy gets -1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// No lab claimed the page; `whynot` reads the reason off the page table.
    Unclaimed,
    AboveMaxva,
    AboveSz,
    Unmapped,
    NoUser,
    ReadOnly,
    NoExec,
    NoRead,
    /// The page is there, with the access allowed: it changed meanwhile.
    Allowed,
    #[cfg(lab_faults)]
    NoMemory,
    /// Reading the page in sleeps, and the copy holds a spin lock.
    #[cfg(lab_disk_faults)]
    Busy,
    #[cfg(any(feature = "mmap", feature = "demand"))]
    FileGone,
    #[cfg(feature = "mmap")]
    ProtNone,
}

impl core::fmt::Display for Why {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(match self {
            Why::Unclaimed => "no lab took it",
            Why::AboveMaxva => "above MAXVA",
            Why::AboveSz => "above sz",
            Why::Unmapped => "no page there",
            Why::NoUser => "a kernel-only page (no PTE_U)",
            Why::ReadOnly => "store to a read-only page",
            Why::NoExec => "fetch from a page without PTE_X",
            Why::NoRead => "load from a page without PTE_R",
            Why::Allowed => "none: the page allows it now",
            #[cfg(lab_faults)]
            Why::NoMemory => "out of memory",
            #[cfg(lab_disk_faults)]
            Why::Busy => "it needs the disk, and the copy holds a spin lock",
            #[cfg(any(feature = "mmap", feature = "demand"))]
            Why::FileGone => "the file no longer holds the page",
            #[cfg(feature = "mmap")]
            Why::ProtNone => "a PROT_NONE mapping",
        })
    }
}

impl From<Why> for Error {
    fn from(_: Why) -> Error {
        Error
    }
}

/// scause decoded, and for a page fault why it was refused: the third
/// line of a kill.
pub struct Cause(pub usize, pub Option<Why>);

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        // The exception codes of scause (the RISC-V privileged spec).
        let name = match self.0 {
            0 => "instruction address misaligned",
            1 => "instruction access fault",
            2 => "illegal instruction",
            3 => "breakpoint",
            4 => "load address misaligned",
            5 => "load access fault",
            6 => "store address misaligned",
            7 => "store access fault",
            9 => "environment call from S-mode",
            12 => "instruction page fault",
            13 => "load page fault",
            15 => "store page fault",
            _ => "unknown exception",
        };
        match self.1 {
            Some(why) => write!(f, "{}: {}", name, why),
            None => f.write_str(name),
        }
    }
}

/// Page-fault tracing, flipped by ^T at the console (`pftrace_toggle`).
static PFTRACE: AtomicBool = AtomicBool::new(false);
/// Trace lines printed since the last timer tick; past the limit, faults
/// (but kills) are only counted in `PFDROPPED`, which the next tick reports.
static PFSHOWN: AtomicU32 = AtomicU32::new(0);
static PFDROPPED: AtomicU32 = AtomicU32::new(0);
/// A fault storm prints at most this many lines per tick (100 ms).
const PFLINES_PER_TICK: u32 = 20;

/// ^T: page-fault tracing on or off.
pub fn pftrace_toggle() {
    PFSHOWN.store(0, Ordering::Relaxed);
    let on = !PFTRACE.fetch_xor(true, Ordering::Relaxed);
    crate::println!("pf: tracing {}", if on { "on" } else { "off" });
    if !on {
        pfdropped();
    }
}

/// Traces one user page fault: `sys` if a system call's copy took it.
/// Off, it costs one load.
#[inline]
pub fn pftrace(access: Access, va: usize, how: Result<Fault, Why>, sys: bool) {
    if PFTRACE.load(Ordering::Relaxed) {
        pfprint(access, va, how, sys);
    }
}

/// Out of line: printing takes stack, and faults come deep in system calls.
#[cold]
#[inline(never)]
fn pfprint(access: Access, va: usize, how: Result<Fault, Why>, sys: bool) {
    // Under a spin lock (a copy inside a pipe's or the console's lock) the
    // line is only counted: the print would hold up the lock's waiters.
    // A kill always shows: each ends a process, so they cannot storm.
    let kill = how.is_err() && !sys;
    if holding_spinlock() || (!kill && PFSHOWN.fetch_add(1, Ordering::Relaxed) >= PFLINES_PER_TICK)
    {
        PFDROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let p = myproc();
    let pid = p.lock.lock().pid;
    let by = if sys { " (syscall)" } else { "" };
    match how {
        Ok(done) => crate::println!(
            "pf: pid={} {} {} {:#x}{}: {}",
            pid,
            p.name(),
            access,
            va,
            by,
            done
        ),
        Err(why) => crate::println!(
            "pf: pid={} {} {} {:#x}{}: {}: {}",
            pid,
            p.name(),
            access,
            va,
            by,
            if sys { "error (-1)" } else { "kill" },
            why
        ),
    }
}

/// A timer tick: the trace may print again. Interrupts were on where this
/// hart was, so it holds no spin lock and may print.
pub fn pftick() {
    if PFTRACE.load(Ordering::Relaxed) {
        PFSHOWN.store(0, Ordering::Relaxed);
        pfdropped();
    }
}

/// Reports the faults the rate limit kept off the console.
fn pfdropped() {
    let n = PFDROPPED.swap(0, Ordering::Relaxed);
    if n > 0 {
        crate::println!("pf: {} faults not shown", n);
    }
}
