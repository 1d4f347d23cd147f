//! bench: what the labs buy, in time and in memory (`make bench`).
//!
//! Prints one `BENCH name value unit` line per figure (or `BENCH name
//! failed what` when the kernel could not do it), then `BENCH done`.
//! `tools bench` runs it on each feature set and tabulates the lines.
//!
//! Time is guest time in nanoseconds, read from the `time` CSR (`rdtime`,
//! which the kernel lets user mode read). Under QEMU's `-icount shift=0`
//! every instruction takes exactly 1 ns, so a time is an instruction
//! count. The CSR only ticks every 100 ns, so each timed part starts and
//! ends on a tick edge that is pinned down to the instruction (see
//! `edge_start`, `edge_end`): the figures repeat exactly from run to run.
//! Each timed part also starts just after a timer interrupt (`sleep(1)`),
//! so none falls inside it. If `rdtime` traps, `uptime` stands in.
//!
//! Memory is counted in free physical pages with usertests' count
//! (`ulib::meter::countfree`), by a helper process (see `Meter`) forked
//! before any workload grows.
//! With a swap disk that way would count the swap slots too, and write
//! them all, so there the helper asks swapstat for the kernel's count.
//! Every workload runs in a child of its own, so each starts from the same
//! small process and gives all its memory back when it ends.
//!
//! The mmap figures need a kernel with the mmap lab: elsewhere mmap is an
//! unknown system call, and each of them reads `failed mmap` (the kernel
//! prints one `unknown sys call` line for the probe).
//!
//! The swap figures need a kernel with the swap lab and its disk: elsewhere
//! each reads `failed swap` (and the kernel prints one `unknown sys call`
//! line for swapstat). They include the waits for the swap disk, so they
//! do not repeat exactly either. Among them are the newcomer figures: a
//! 16 MiB process timed alone, then beside an idle process that has
//! written 150 MiB; with replacement across processes the newcomer takes
//! the idle one's cold pages once and then runs about as fast as alone.
//!
//! The exec figures need a large program that can be stopped while it
//! runs, so that its pages can be counted: bench writes one, `bench.big`,
//! a copy of itself with about 1 MiB more data (see `make_big`), and runs
//! it as `bench.big bigexec ...` (see `big_main`). Its file is too big for
//! the buffer cache, so a kernel that reads all of it at exec waits for
//! the disk in the timed part: that time does not repeat exactly.

#![no_std]
#![no_main]

use core::ffi::CStr;
use core::ptr::{read_volatile, write_volatile};
use ulib::fcntl::{MAP_PRIVATE, PROT_READ, PROT_WRITE};
use ulib::meter::countfree;
use ulib::{
    close, exec, exit, fork, fstat, kill, open, pipe, println, read, sbrk, sleep, swapstat, unlink,
    uptime, wait, write, Args, Stat, O_CREATE, O_RDONLY, O_RDWR, O_TRUNC,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const MIB: usize = 1024 * 1024;

/// Heap sizes for fork + exit + wait. 64 MiB cannot be copied in 128 MiB.
const FORK_SIZES: [usize; 5] = [1, 4, 16, 32, 64];
/// Heap sizes of the process that forks and execs echo.
const EXEC_SIZES: [usize; 3] = [0, 4, 16];
/// The sbrk workload: grow by this much, then touch every n-th page.
const SBRK_SIZE: usize = 64;
const SBRK_STRIDES: [(usize, &str); 3] = [(1, "all"), (16, "16th"), (0, "none")];
/// Pages faulted in to price one page fault.
const FAULT_PAGES: usize = 1024;
/// The file the mmap figures map: 256 KiB, about the most an xv6 file
/// holds (268 blocks of 1 KiB), in 64 pages.
const MMAP_FILE: &core::ffi::CStr = c"bench.mmap";
const MMAP_SIZE: usize = 256 * 1024;
/// Mapped, then one page in this many read.
const MMAP_STRIDE: usize = 16;
/// Fresh pages faulted in to price one mmap fault: few, so that their 4
/// blocks each (and the indirect block) stay in the buffer cache (NBUF,
/// 30 blocks) and the timed faults do no disk I/O.
const MMAP_FAULT_PAGES: usize = 4;
/// The large program of the exec figures, written by `make_big`: bench
/// plus one more LOAD segment of BIG_DATA_PAGES pages of data in the file
/// and BIG_BSS_PAGES pages of zeros after them (about 1 MiB in all, like
/// demandbig). It reads one word from each of the first BIG_READ pages.
const BIG_FILE: &CStr = c"bench.big";
const BIG_DATA_PAGES: usize = 48;
const BIG_BSS_PAGES: usize = 200;
const BIG_READ: usize = 3;
/// Timed runs of it; the fastest is reported (one that had to wait for a
/// timer tick to get a disk block would say little about exec).
const BIG_RUNS: usize = 3;
/// Pages of the large program's data written to price one demand fault
/// (after page 0, untimed): few, so that their 4 blocks each (and the
/// indirect block) stay in the buffer cache and the timed faults do no
/// disk I/O, as for the mmap fault.
const DEMAND_FAULT_PAGES: usize = 4;
/// The swap workload's heap in MiB: well past the machine's 128 MiB.
const SWAP_SIZE: usize = 200;
/// sbrk takes an int: the swap heap grows at most this much at a time.
const SBRK_STEP: usize = 64 * MIB;
/// Its phases, in order, as the figures name them.
const SWAP_PHASES: [&str; 4] = ["sbrk", "store", "load1", "load2"];
/// What each phase reports: its time, the timer ticks in it (which show
/// how much of the time was waits for the disk), the swapstat deltas.
const SWAP_PARTS: [&str; 5] = ["time", "ticks", "outs", "writes", "ins"];
/// The newcomer figures: a process of NEWCOMER_SIZE MiB that goes over
/// its pages NEWCOMER_PASSES times, alone and then beside an idle process
/// that has written HOG_SIZE MiB. Together they do not fit in the 128 MiB
/// machine, so beside the hog its cold pages or the newcomer's must go.
const NEWCOMER_SIZE: usize = 16;
const NEWCOMER_PASSES: usize = 4;
const HOG_SIZE: usize = 150;
/// The newcomer's phases: its sbrk and first pass, then all the passes
/// after it.
const NEWCOMER_PHASES: [&str; 2] = ["first", "later"];
/// What each of its phases reports (see `swap_phase`).
const NEWCOMER_PARTS: [&str; 4] = ["time", "ticks", "outs", "ins"];
/// Iterations of the calibration loop (two instructions each).
const CALIB_LOOPS: usize = 1_000_000;
/// Guest nanoseconds per `uptime` tick (the kernel's timer interval).
const NS_PER_UPTIME: u64 = 100_000_000;

/// sbrk's way of saying no: C's `(char*)-1`.
fn failed(p: *mut u8) -> bool {
    p as usize == usize::MAX
}

fn die(what: &str) -> ! {
    println!("bench: {}", what);
    exit(1)
}

/// Waits for the time CSR to tick over; returns the guest time in ns of
/// the rdtime that first saw the new value. Samples come 2 ns apart, so
/// that rdtime ran 0 or 1 ns after the edge: one more rdtime, placed 99
/// instructions later, tells which (it has crossed the next edge only if
/// we were 1 ns late).
#[inline(never)]
fn edge_start() -> u64 {
    let (v, w): (u64, u64);
    // SAFETY: counter reads and register arithmetic only.
    unsafe {
        core::arch::asm!(
            "rdtime {old}",
            "1: rdtime {v}",
            "beq {v}, {old}, 1b",
            // 1 + 2 * 48 instructions, then the check 99 after the edge read.
            "li {c}, 48",
            "2: addi {c}, {c}, -1",
            "bnez {c}, 2b",
            "rdtime {w}",
            old = out(reg) _,
            v = out(reg) v,
            c = out(reg) _,
            w = out(reg) w,
            options(nomem, nostack),
        )
    };
    100 * v + (w - v)
}

/// The guest time in ns at which this was called, exact to the
/// instruction: counts 3-instruction spins until the next tick edge,
/// finds how late (0 to 2 ns) the edge was seen with two rdtimes 98 and
/// 99 instructions later, and works back.
#[inline(never)]
fn edge_end() -> u64 {
    let (v, n, w1, w2): (u64, u64, u64, u64);
    // SAFETY: counter reads and register arithmetic only.
    unsafe {
        core::arch::asm!(
            "rdtime {old}",
            "li {n}, 0",
            "1: addi {n}, {n}, 1",
            "rdtime {v}",
            "beq {v}, {old}, 1b",
            // 1 + 2 * 47 + 1 instructions, then the checks 98 and 99 after.
            "li {c}, 47",
            "2: addi {c}, {c}, -1",
            "bnez {c}, 2b",
            "nop",
            "rdtime {w1}",
            "rdtime {w2}",
            old = out(reg) _,
            n = out(reg) n,
            v = out(reg) v,
            c = out(reg) _,
            w1 = out(reg) w1,
            w2 = out(reg) w2,
            options(nomem, nostack),
        )
    };
    100 * v + (w1 - v) + (w2 - v) - 3 * n
}

#[derive(Clone, Copy, PartialEq)]
enum Clock {
    Rdtime,
    Uptime,
}

impl Clock {
    /// A child tries rdtime first: if the kernel does not allow it, the
    /// child is killed, and uptime is what we have.
    fn probe() -> Clock {
        let pid = fork();
        if pid < 0 {
            die("fork failed");
        }
        if pid == 0 {
            edge_start();
            exit(0);
        }
        let mut status = -1;
        wait(Some(&mut status));
        if status == 0 {
            Clock::Rdtime
        } else {
            Clock::Uptime
        }
    }

    fn name(self) -> &'static str {
        match self {
            Clock::Rdtime => "rdtime",
            Clock::Uptime => "uptime",
        }
    }
}

/// Times code in guest ns, less the cost of timing nothing.
#[derive(Clone, Copy)]
struct Timer {
    clock: Clock,
    overhead: u64,
}

impl Timer {
    fn new(clock: Clock) -> Timer {
        let mut t = Timer { clock, overhead: 0 };
        // Once untimed first: a kernel that reads the program on demand
        // faults edge_start's and edge_end's pages in now, not below.
        t.time(|| ());
        align();
        t.overhead = t.time(|| ()).0;
        t
    }

    fn time<R>(self, f: impl FnOnce() -> R) -> (u64, R) {
        let (t0, r, t1) = match self.clock {
            Clock::Rdtime => (edge_start(), f(), edge_end()),
            Clock::Uptime => {
                let t0 = uptime() as u64 * NS_PER_UPTIME;
                let r = f();
                (t0, r, uptime() as u64 * NS_PER_UPTIME)
            }
        };
        ((t1 - t0).saturating_sub(self.overhead), r)
    }
}

/// Waits for the next timer interrupt, so the timed part that follows
/// has a whole tick interval (100 ms, 100M instructions) to itself.
fn align() {
    sleep(1);
}

fn report(name: &str, value: u64, unit: &str) {
    println!("BENCH {} {} {}", name, value, unit);
}

fn report_failed(name: &str, what: &str) {
    println!("BENCH {} failed {}", name, what);
}

/// A small helper process that counts free pages on request. Because it
/// is forked first, its counting child is the same small size every time,
/// whatever the workload being measured has grown to.
#[derive(Clone, Copy)]
struct Meter {
    req: i32,
    resp: i32,
}

/// Free pages as the swap kernel counts them; none without a swap disk.
fn swap_free() -> Option<u64> {
    swapstat().filter(|s| s.slots > 0).map(|s| s.free)
}

impl Meter {
    /// `swap`: the kernel has a swap disk (swapstat works).
    fn start(swap: bool) -> Meter {
        let mut req = [0i32; 2];
        let mut resp = [0i32; 2];
        if pipe(&mut req) < 0 || pipe(&mut resp) < 0 {
            die("pipe failed");
        }
        let pid = fork();
        if pid < 0 {
            die("fork failed");
        }
        if pid == 0 {
            close(req[1]);
            close(resp[0]);
            let mut c = [0u8; 1];
            while read(req[0], &mut c) == 1 && c[0] == b'?' {
                let n = if swap {
                    swap_free().unwrap_or_else(|| exit(1))
                } else {
                    countfree() as u64
                };
                if write(resp[1], &n.to_ne_bytes()) != 8 {
                    exit(1);
                }
            }
            exit(0);
        }
        close(req[0]);
        close(resp[1]);
        Meter {
            req: req[1],
            resp: resp[0],
        }
    }

    /// The number of free physical pages right now.
    fn free_pages(self) -> u64 {
        let mut n = [0u8; 8];
        if write(self.req, b"?") != 1 || read(self.resp, &mut n) != 8 {
            die("the page counter failed");
        }
        u64::from_ne_bytes(n)
    }

    /// Tells the helper to exit (the caller reaps it with wait).
    fn stop(self) {
        write(self.req, b"q");
        close(self.req);
        close(self.resp);
    }
}

/// Runs `f` in a child process and waits for it.
fn in_child(f: impl FnOnce()) {
    let pid = fork();
    if pid < 0 {
        die("fork failed");
    }
    if pid == 0 {
        f();
        exit(0);
    }
    let mut status = 0;
    wait(Some(&mut status));
    if status != 0 {
        die("a workload failed");
    }
}

/// Grows the heap by `size` bytes and writes a byte into every page, so
/// the pages exist on any kernel. Returns the old break.
fn grow_written(size: usize) -> *mut u8 {
    let p = sbrk(size as i32);
    if failed(p) {
        die("sbrk failed");
    }
    touch(p, size, 1);
    p
}

/// Writes one byte into every `stride`-th page of [p, p + len); returns
/// how many pages were written.
fn touch(p: *mut u8, len: usize, stride: usize) -> u64 {
    if stride == 0 {
        return 0;
    }
    let mut n = 0;
    for off in (0..len).step_by(stride * PGSIZE) {
        // SAFETY: off < len, inside the caller's heap.
        unsafe { write_volatile(p.add(off), 1) };
        n += 1;
    }
    n
}

fn send(fd: i32) {
    if write(fd, b"x") != 1 {
        die("pipe write failed");
    }
}

fn recv(fd: i32) {
    let mut c = [0u8; 1];
    if read(fd, &mut c) != 1 {
        die("pipe read failed");
    }
}

/// A loop of known length (2 * CALIB_LOOPS + 1 instructions), so the
/// host can check that a nanosecond is an instruction.
fn calibrate(t: Timer) {
    align();
    let (ns, ()) = t.time(|| {
        // SAFETY: a register-only countdown loop.
        unsafe {
            core::arch::asm!(
                "1: addi {n}, {n}, -1",
                "bnez {n}, 1b",
                n = inout(reg) CALIB_LOOPS => _,
                options(nomem, nostack),
            )
        }
    });
    report("clock.overhead", t.overhead, "ns");
    report("calib.loops", CALIB_LOOPS as u64, "loops");
    report("calib.time", ns, "ns");
}

/// fork + exit + wait of a process with a written heap of `mib` MiB: the
/// time of the whole round, and the pages taken while the child lives.
fn fork_bench(t: Timer, meter: Meter, mib: usize) {
    let mut name = Name::new();
    grow_written(mib * MIB);

    align();
    let (ns, pid) = t.time(|| {
        let pid = fork();
        if pid == 0 {
            exit(0);
        }
        if pid > 0 {
            wait(None);
        }
        pid
    });
    let time = name.fmt(format_args!("fork.{}M.time", mib));
    if pid < 0 {
        report_failed(time, "fork");
    } else {
        report(time, ns, "ns");
    }

    // The pipes exist before the first count, so they are not counted.
    let mut up = [0i32; 2];
    let mut down = [0i32; 2];
    if pipe(&mut up) < 0 || pipe(&mut down) < 0 {
        die("pipe failed");
    }
    let f0 = meter.free_pages();
    let pid = fork();
    if pid == 0 {
        send(up[1]);
        recv(down[0]);
        exit(0);
    }
    let pages = name.fmt(format_args!("fork.{}M.pages", mib));
    if pid < 0 {
        report_failed(pages, "fork");
        return;
    }
    recv(up[0]);
    let f1 = meter.free_pages();
    send(down[1]);
    wait(None);
    report(pages, f0 - f1, "pages");
}

/// fork + exec of `echo hi` (what the shell does for a command) from a
/// process with a written heap of `mib` MiB. The child's stdout is closed,
/// so echo prints nothing.
fn exec_bench(t: Timer, mib: usize) {
    if mib > 0 {
        grow_written(mib * MIB);
    }
    let run = || {
        let pid = fork();
        if pid < 0 {
            return false;
        }
        if pid == 0 {
            close(1);
            exec(c"echo", &[c"echo", c"hi"]);
            exit(1);
        }
        let mut status = -1;
        wait(Some(&mut status));
        status == 0
    };
    // The first run reads echo from the disk; later ones find it cached,
    // so the timed one does no disk I/O.
    run();
    align();
    let (ns, ok) = t.time(run);
    let mut name = Name::new();
    let name = name.fmt(format_args!("forkexec.{}M.time", mib));
    if ok {
        report(name, ns, "ns");
    } else {
        report_failed(name, "exec");
    }
}

/// sbrk of 64 MiB, then a write to every `stride`-th page (none if 0):
/// the time of both, and the pages they took.
fn sbrk_bench(t: Timer, meter: Meter, stride: usize, label: &str) {
    let size = SBRK_SIZE * MIB;
    let mut name = Name::new();
    let f0 = meter.free_pages();
    align();
    let (ns, (p, n)) = t.time(|| {
        let p = sbrk(size as i32);
        let n = if failed(p) { 0 } else { touch(p, size, stride) };
        (p, n)
    });
    let time = name.fmt(format_args!("sbrk{}M.{}.time", SBRK_SIZE, label));
    if failed(p) {
        report_failed(time, "sbrk");
        return;
    }
    report(time, ns, "ns");
    let f1 = meter.free_pages();
    let touched = name.fmt(format_args!("sbrk{}M.{}.touched", SBRK_SIZE, label));
    report(touched, n, "pages");
    let pages = name.fmt(format_args!("sbrk{}M.{}.pages", SBRK_SIZE, label));
    report(pages, f0 - f1, "pages");
}

/// Reads one byte from every page of [p, p + len); returns how many pages
/// were read and whether every byte was zero, as fresh heap must be.
fn read_pages(p: *const u8, len: usize) -> (u64, bool) {
    let (mut n, mut or) = (0, 0u8);
    for off in (0..len).step_by(PGSIZE) {
        // SAFETY: off < len, inside the caller's heap.
        or |= unsafe { read_volatile(p.add(off)) };
        n += 1;
    }
    (n, or == 0)
}

/// sbrk of 64 MiB, then a read of one byte from every page: the time of
/// both and the pages they took (on a lazy kernel a load fault takes a
/// page like a store does; with zfod it maps the shared zero page). Then
/// the heap shrinks back.
fn sbrk_read_bench(t: Timer, meter: Meter) {
    let size = SBRK_SIZE * MIB;
    let mut name = Name::new();
    let f0 = meter.free_pages();
    align();
    let (ns, (p, n, zero)) = t.time(|| {
        let p = sbrk(size as i32);
        if failed(p) {
            return (p, 0, true);
        }
        let (n, zero) = read_pages(p, size);
        (p, n, zero)
    });
    let time = name.fmt(format_args!("sbrkread{}M.all.time", SBRK_SIZE));
    if failed(p) {
        report_failed(time, "sbrk");
        return;
    }
    if !zero {
        report_failed(time, "content");
        return;
    }
    report(time, ns, "ns");
    let f1 = meter.free_pages();
    let touched = name.fmt(format_args!("sbrkread{}M.all.touched", SBRK_SIZE));
    report(touched, n, "pages");
    let pages = name.fmt(format_args!("sbrkread{}M.all.pages", SBRK_SIZE));
    report(pages, f0 - f1, "pages");
    if failed(sbrk(-(size as i32))) {
        die("sbrk back failed");
    }
}

/// Writes every page of [p, p + len) twice: the first pass pays for any
/// faults, the second is the bare loop. Reports both times.
fn fault_passes(t: Timer, p: *mut u8, len: usize, what: &str) {
    let (first, again, n) = fault_times(t, p, len);
    let mut name = Name::new();
    report(name.fmt(format_args!("fault.{}.first", what)), first, "ns");
    report(name.fmt(format_args!("fault.{}.again", what)), again, "ns");
    report(name.fmt(format_args!("fault.{}.count", what)), n, "pages");
}

/// The two passes of `fault_passes`: the first's time, the second's, and
/// the pages written.
fn fault_times(t: Timer, p: *mut u8, len: usize) -> (u64, u64, u64) {
    align();
    let (first, n) = t.time(|| touch(p, len, 1));
    let (again, _) = t.time(|| touch(p, len, 1));
    (first, again, n)
}

/// A lazy fault: the first write to a page sbrk has not mapped yet.
fn lazy_fault_bench(t: Timer) {
    let len = FAULT_PAGES * PGSIZE;
    let p = sbrk(len as i32);
    if failed(p) {
        die("sbrk failed");
    }
    fault_passes(t, p, len, "lazy");
}

/// A COW fault: a child's first write to a page it shares with its parent.
fn cow_fault_bench(t: Timer) {
    let len = FAULT_PAGES * PGSIZE;
    let p = grow_written(len);
    // The parent only waits, so every page stays shared until written.
    in_child(|| fault_passes(t, p, len, "cow"));
}

/// What every byte of page `i` of the mmap file holds.
fn page_byte(i: usize) -> u8 {
    b'@' + (i % 61) as u8
}

/// The kernel's mmap: the address, or None when it says no.
fn map(len: usize, prot: i32, fd: i32) -> Option<*mut u8> {
    // SAFETY: a fresh mapping at an address of the kernel's choosing
    // touches none of our memory.
    let p = unsafe { ulib::sys::mmap(0, len, prot, MAP_PRIVATE, fd, 0) };
    (p != usize::MAX).then_some(p as *mut u8)
}

fn unmap(p: *mut u8, len: usize) {
    // SAFETY: [p, p + len) is a mapping of ours that nothing refers to
    // any more.
    unsafe { ulib::sys::munmap(p as usize, len) };
}

/// How making the mmap file went.
#[derive(Clone, Copy, PartialEq)]
enum MmapFile {
    Ready,
    NoMmap,
    WriteFailed,
}

/// Writes the mmap file, 1 KiB at a time, after one page of it has shown
/// that the kernel maps files at all (if not, the file goes again).
fn make_mmap_file() -> MmapFile {
    let fd = open(MMAP_FILE, O_CREATE | O_RDWR | O_TRUNC);
    if fd < 0 {
        return MmapFile::WriteFailed;
    }
    let mut buf = [0u8; 1024];
    let mut result = MmapFile::Ready;
    for (k, off) in (0..MMAP_SIZE).step_by(buf.len()).enumerate() {
        buf.fill(page_byte(off / PGSIZE));
        if write(fd, &buf) != buf.len() as i32 {
            result = MmapFile::WriteFailed;
            break;
        }
        if (k + 1) * buf.len() == PGSIZE {
            match map(PGSIZE, PROT_READ, fd) {
                Some(p) => unmap(p, PGSIZE),
                None => {
                    result = MmapFile::NoMmap;
                    break;
                }
            }
        }
    }
    close(fd);
    if result != MmapFile::Ready {
        unlink(MMAP_FILE);
    }
    result
}

/// Reads one byte from every `stride`-th page of [p, p + len); returns
/// how many pages were read and whether each held its page's byte.
fn peek(p: *const u8, len: usize, stride: usize) -> (u64, bool) {
    let (mut n, mut ok) = (0, true);
    for off in (0..len).step_by(stride * PGSIZE) {
        // SAFETY: off < len, inside a mapping of the caller's.
        ok &= unsafe { read_volatile(p.add(off)) } == page_byte(off / PGSIZE);
        n += 1;
    }
    (n, ok)
}

/// An mmap fault: the first write to a page of a private, writable file
/// mapping (a page allocated and filled from the file). The blocks are
/// read first so the faults find them in the buffer cache; page 0 is
/// touched untimed, so building the mapping's page-table pages is not
/// counted; then pages 1 to MMAP_FAULT_PAGES are timed.
fn mmap_fault_bench(t: Timer) {
    let fd = open(MMAP_FILE, O_RDWR);
    let mut buf = [0u8; 1024];
    let warm = (1 + MMAP_FAULT_PAGES) * PGSIZE;
    if fd < 0 || (0..warm / buf.len()).any(|_| read(fd, &mut buf) != buf.len() as i32) {
        report_failed("fault.mmap.first", "read");
        return;
    }
    let Some(p) = map(MMAP_SIZE, PROT_READ | PROT_WRITE, fd) else {
        report_failed("fault.mmap.first", "mmap");
        return;
    };
    touch(p, PGSIZE, 1);
    // SAFETY: the mapping is MMAP_SIZE bytes, more than 1 + MMAP_FAULT_PAGES pages.
    let fresh = unsafe { p.add(PGSIZE) };
    fault_passes(t, fresh, MMAP_FAULT_PAGES * PGSIZE, "mmap");
    unmap(p, MMAP_SIZE);
    close(fd);
}

/// The file mapped and one page in MMAP_STRIDE read: the pages that
/// takes while the mapping lives.
fn mmap_touch_bench(meter: Meter) {
    let pages = "mmap256K.16th.pages";
    let fd = open(MMAP_FILE, O_RDONLY);
    if fd < 0 {
        report_failed(pages, "open");
        return;
    }
    let f0 = meter.free_pages();
    let Some(p) = map(MMAP_SIZE, PROT_READ, fd) else {
        report_failed(pages, "mmap");
        return;
    };
    let (n, ok) = peek(p, MMAP_SIZE, MMAP_STRIDE);
    let f1 = meter.free_pages();
    unmap(p, MMAP_SIZE);
    close(fd);
    report("mmap256K.16th.touched", n, "pages");
    if ok {
        report(pages, f0 - f1, "pages");
    } else {
        report_failed(pages, "content");
    }
}

/// The eager way to the same bytes: read() the whole file into the heap.
fn mmap_read_bench(meter: Meter) {
    let pages = "mmap256K.read.pages";
    let fd = open(MMAP_FILE, O_RDONLY);
    if fd < 0 {
        report_failed(pages, "open");
        return;
    }
    let f0 = meter.free_pages();
    let p = sbrk(MMAP_SIZE as i32);
    if failed(p) {
        report_failed(pages, "sbrk");
        return;
    }
    // SAFETY: sbrk just gave us these MMAP_SIZE bytes, and nothing else
    // refers to them.
    let buf = unsafe { core::slice::from_raw_parts_mut(p, MMAP_SIZE) };
    let got = read(fd, buf);
    let f1 = meter.free_pages();
    close(fd);
    if got != MMAP_SIZE as i32 {
        report_failed(pages, "read");
    } else if peek(p, MMAP_SIZE, MMAP_STRIDE).1 {
        report(pages, f0 - f1, "pages");
    } else {
        report_failed(pages, "content");
    }
}

/// The mmap figures, after the file is made in a child of its own (exit
/// status 0: made and mappable; 2: no mmap; 1: could not write it).
fn mmap_benches(t: Timer, meter: Meter) {
    const FIGURES: [&str; 3] = [
        "fault.mmap.first",
        "mmap256K.16th.pages",
        "mmap256K.read.pages",
    ];
    let pid = fork();
    if pid < 0 {
        die("fork failed");
    }
    if pid == 0 {
        exit(match make_mmap_file() {
            MmapFile::Ready => 0,
            MmapFile::NoMmap => 2,
            MmapFile::WriteFailed => 1,
        });
    }
    let mut status = -1;
    wait(Some(&mut status));
    let skipped = match status {
        0 => None,
        2 => Some("mmap"),
        _ => Some("write"),
    };
    if let Some(what) = skipped {
        for f in FIGURES {
            report_failed(f, what);
        }
        return;
    }
    in_child(|| mmap_fault_bench(t));
    in_child(|| mmap_touch_bench(meter));
    in_child(|| mmap_read_bench(meter));
    unlink(MMAP_FILE);
}

/// What every byte of page `i` of the large program's data holds.
fn big_byte(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

fn le(b: &[u8], at: usize, n: usize) -> usize {
    b[at..at + n]
        .iter()
        .rev()
        .fold(0, |v, &x| (v << 8) | x as usize)
}

fn put_le(b: &mut [u8], at: usize, n: usize, v: usize) {
    for (i, x) in b[at..at + n].iter_mut().enumerate() {
        *x = (v >> (8 * i)) as u8;
    }
}

fn round_up(n: usize) -> usize {
    n.div_ceil(PGSIZE) * PGSIZE
}

/// Writes BIG_FILE: the program file `me` (bench itself) with one more
/// program header, a read-write LOAD segment at the first page past the
/// image, whose file bytes (BIG_DATA_PAGES pages of `big_byte`) are
/// appended to the file at a page boundary and followed in memory by
/// BIG_BSS_PAGES of zeros. The new header goes in the unused bytes after
/// the others, before the first segment's file bytes. Nothing else moves,
/// so bench's own code runs as before. Returns where the data is mapped
/// and where its bytes start in the file.
fn make_big(me: &CStr) -> Result<(usize, usize), &'static str> {
    const PHDR: usize = 56;
    const PT_LOAD: usize = 1;
    const PF_RW: usize = 6;
    let src = open(me, O_RDONLY);
    if src < 0 {
        return Err("open");
    }
    let mut st = Stat::default();
    let mut head = [0u8; 1024];
    if fstat(src, &mut st) < 0 || read(src, &mut head) != head.len() as i32 {
        close(src);
        return Err("read");
    }
    // A 64-bit little-endian ELF file, its program headers in this block.
    let (phoff, phnum) = (le(&head, 32, 8), le(&head, 56, 2));
    let slot = phoff.saturating_add(phnum * PHDR);
    if head[..6] != *b"\x7fELF\x02\x01"
        || le(&head, 54, 2) != PHDR
        || slot.saturating_add(PHDR) > head.len()
    {
        close(src);
        return Err("elf");
    }
    let (mut end, mut first) = (0, usize::MAX);
    for ph in head[phoff..slot].chunks_exact(PHDR) {
        if le(ph, 0, 4) == PT_LOAD {
            end = end.max(le(ph, 16, 8) + le(ph, 40, 8));
            first = first.min(le(ph, 8, 8));
        }
    }
    if slot + PHDR > first || head[slot..slot + PHDR].iter().any(|&b| b != 0) {
        close(src);
        return Err("elf");
    }
    let (va, off) = (round_up(end), round_up(st.size as usize));
    let filesz = BIG_DATA_PAGES * PGSIZE;
    let ph = &mut head[slot..slot + PHDR];
    for (at, v) in [
        (0, PT_LOAD | (PF_RW << 32)),
        (8, off),
        (16, va),
        (24, va),
        (32, filesz),
        (40, filesz + BIG_BSS_PAGES * PGSIZE),
        (48, PGSIZE),
    ] {
        put_le(ph, at, 8, v);
    }
    put_le(&mut head, 56, 2, phnum + 1);

    let dst = open(BIG_FILE, O_CREATE | O_RDWR | O_TRUNC);
    let mut ok = dst >= 0 && write(dst, &head) == head.len() as i32;
    let mut buf = [0u8; 1024];
    let mut at = head.len();
    while ok {
        let n = read(src, &mut buf);
        if n <= 0 {
            ok = n == 0;
            break;
        }
        ok = write(dst, &buf[..n as usize]) == n;
        at += n as usize;
    }
    buf.fill(0);
    while ok && at < off {
        let n = (off - at).min(buf.len());
        ok = write(dst, &buf[..n]) == n as i32;
        at += n;
    }
    for i in 0..BIG_DATA_PAGES {
        buf.fill(big_byte(i));
        for _ in 0..PGSIZE / buf.len() {
            ok = ok && write(dst, &buf) == buf.len() as i32;
        }
    }
    close(src);
    close(dst);
    if !ok {
        unlink(BIG_FILE);
        return Err("write");
    }
    Ok((va, off))
}

/// `n` in decimal as a C string in `buf`.
fn cnum(buf: &mut [u8; 24], mut n: usize) -> &CStr {
    let mut i = buf.len() - 1;
    buf[i] = 0;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    CStr::from_bytes_with_nul(&buf[i..]).unwrap_or(c"0")
}

/// `bench.big bigexec ADDR [UP DOWN]`: the large program's run. Reads one
/// word from each of the first BIG_READ pages of its data at ADDR and
/// checks it (exit status 2 if wrong). With UP and DOWN (pipe fds) it then
/// says so down UP and waits for a byte on DOWN before it exits, so that
/// its pages can be counted while it lives. `bench.big bigfault ADDR OFF`
/// prices a demand fault instead (see `big_fault`).
fn big_main(args: Args) -> ! {
    let Ok(addr) = args.str(2).parse::<usize>() else {
        exit(2);
    };
    if args.str(1) == "bigfault" {
        big_fault(addr, args.str(3).parse().unwrap_or_else(|_| exit(2)));
    }
    for i in 0..BIG_READ {
        // SAFETY: exec mapped BIG_DATA_PAGES pages of data at addr (make_big
        // wrote the program so), and nothing else uses them.
        let w = unsafe { read_volatile((addr + i * PGSIZE) as *const u64) };
        if w != u64::from_ne_bytes([big_byte(i); 8]) {
            println!("bench.big: FAILED page {}", i);
            exit(2);
        }
    }
    if let (Ok(up), Ok(down)) = (args.str(3).parse(), args.str(4).parse()) {
        send(up);
        recv(down);
    }
    exit(0)
}

/// `bench.big bigfault ADDR OFF`: a demand fault, the first write to a
/// page of the program's data not read from the file yet, with the
/// page's blocks in the buffer cache. Page 0 is written first, untimed,
/// through the same code, so the timed part finds its own code, stack
/// and page-table pages in place; then the file is read up to the end of
/// the timed pages (there is no lseek), which leaves their blocks the
/// most recently used; then pages 1 to DEMAND_FAULT_PAGES are timed. On
/// a kernel that loads the whole program at exec the first pass faults
/// nowhere, and the row reads `no fault`.
fn big_fault(addr: usize, off: usize) -> ! {
    let t = Timer::new(Clock::Rdtime);
    let p = addr as *mut u8;
    fault_times(t, p, PGSIZE);
    let fd = open(BIG_FILE, O_RDONLY);
    let mut buf = [0u8; 1024];
    let end = off + (1 + DEMAND_FAULT_PAGES) * PGSIZE;
    if fd < 0 || (0..end / buf.len()).any(|_| read(fd, &mut buf) != buf.len() as i32) {
        report_failed("fault.demand.first", "read");
        exit(0);
    }
    close(fd);
    // SAFETY: the data segment is BIG_DATA_PAGES pages, more than 1 +
    // DEMAND_FAULT_PAGES, and nothing else uses it.
    let fresh = unsafe { p.add(PGSIZE) };
    fault_passes(t, fresh, DEMAND_FAULT_PAGES * PGSIZE, "demand");
    exit(0)
}

/// A demand fault (see `big_fault`), in the large program written again.
fn demand_fault_bench(t: Timer, me: &CStr) {
    let first = "fault.demand.first";
    if t.clock != Clock::Rdtime {
        return report_failed(first, "rdtime");
    }
    let (addr, off) = match make_big(me) {
        Ok(a) => a,
        Err(what) => return report_failed(first, what),
    };
    let (mut a, mut o) = ([0u8; 24], [0u8; 24]);
    let (addr, off) = (cnum(&mut a, addr), cnum(&mut o, off));
    let pid = fork();
    if pid == 0 {
        exec(BIG_FILE, &[BIG_FILE, c"bigfault", addr, off]);
        exit(1);
    }
    let mut status = -1;
    if pid > 0 {
        wait(Some(&mut status));
    }
    if status != 0 {
        report_failed(first, "exec");
    }
    unlink(BIG_FILE);
}

/// fork + exec + run + exit + wait of the large program (the fastest of
/// BIG_RUNS, after one untimed run, and the timer ticks during that run,
/// which show when the waits for the disk ran long), and the pages it
/// holds while it runs (the child stops before it exits, so that count is
/// exact).
fn big_exec_bench(t: Timer, meter: Meter, me: &CStr) {
    let (time, pages) = ("bigexec.time", "bigexec.pages");
    let (addr, _) = match make_big(me) {
        Ok(a) => a,
        Err(what) => {
            report_failed(time, what);
            report_failed(pages, what);
            return;
        }
    };
    let mut a = [0u8; 24];
    let addr = cnum(&mut a, addr);
    let run = || {
        let pid = fork();
        if pid < 0 {
            return false;
        }
        if pid == 0 {
            exec(BIG_FILE, &[BIG_FILE, c"bigexec", addr]);
            exit(1);
        }
        let mut status = -1;
        wait(Some(&mut status));
        status == 0
    };
    let mut ok = run();
    let (mut best, mut ticks) = (u64::MAX, 0);
    for _ in 0..BIG_RUNS {
        align();
        let u0 = uptime();
        let (ns, done) = t.time(run);
        ok &= done;
        if ns < best {
            (best, ticks) = (ns, uptime() - u0);
        }
    }
    if ok {
        report(time, best, "ns");
        report("bigexec.ticks", ticks as u64, "ticks");
    } else {
        report_failed(time, "exec");
    }
    report("bigexec.touched", BIG_READ as u64, "pages");

    // The pipes exist before the first count, so they are not counted.
    let mut up = [0i32; 2];
    let mut down = [0i32; 2];
    if pipe(&mut up) < 0 || pipe(&mut down) < 0 {
        die("pipe failed");
    }
    let (mut b1, mut b2) = ([0u8; 24], [0u8; 24]);
    let (upfd, downfd) = (
        cnum(&mut b1, up[1] as usize),
        cnum(&mut b2, down[0] as usize),
    );
    let f0 = meter.free_pages();
    let pid = fork();
    if pid == 0 {
        exec(BIG_FILE, &[BIG_FILE, c"bigexec", addr, upfd, downfd]);
        exit(1);
    }
    // Only the child holds UP's write end: if it dies, the read sees EOF.
    close(up[1]);
    let mut c = [0u8; 1];
    let running = pid > 0 && read(up[0], &mut c) == 1;
    let f1 = meter.free_pages();
    send(down[1]);
    let mut status = -1;
    if pid > 0 {
        wait(Some(&mut status));
    }
    match (pid, status) {
        (..0, _) => report_failed(pages, "fork"),
        (_, 0) if running => report(pages, f0 - f1, "pages"),
        (_, 2) => report_failed(pages, "content"),
        _ => report_failed(pages, "exec"),
    }
    unlink(BIG_FILE);
}

/// Writing 1 MiB, 1 KiB per write, into four files of 256 KiB (an xv6
/// file holds at most 268 KiB), each removed once written: fs.img's 2,000
/// blocks hold the programs and one such file, not four. About 1,000 disk
/// writes through the log (and four removals),
/// each a sleep until the disk's interrupt. The process is the only one
/// running, so after each sleep the hart idles in the scheduler; an idle
/// loop that misses the disk's wakeup waits for the next timer tick
/// instead, once per write. The ticks figure showed that, but it also
/// follows the host's disk; the runner reads the kernel's own count of
/// such waits from ^P after the bench, which does not.
fn disk_bench(t: Timer) {
    const FILES: [&core::ffi::CStr; 4] = [c"bench.0", c"bench.1", c"bench.2", c"bench.3"];
    const WRITES_PER_FILE: usize = 256;
    let buf = [0x5au8; 1024];
    let write_file = |name: &core::ffi::CStr| {
        let fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
        let ok = fd >= 0 && (0..WRITES_PER_FILE).all(|_| write(fd, &buf) == buf.len() as i32);
        close(fd);
        unlink(name);
        ok
    };
    align();
    let u0 = uptime();
    let (ns, ok) = t.time(|| FILES.iter().all(|&f| write_file(f)));
    let ticks = uptime() - u0;
    if !ok {
        report_failed("disk.write1M.time", "write");
        return;
    }
    report("disk.write1M.time", ns, "ns");
    report("disk.write1M.ticks", ticks as u64, "ticks");
}

/// Every swap figure failed, for the reason `what`.
fn swap_failed(what: &str) {
    let mut name = Name::new();
    for phase in SWAP_PHASES {
        for part in SWAP_PARTS {
            let n = name.fmt(format_args!("swap{}M.{}.{}", SWAP_SIZE, phase, part));
            report_failed(n, what);
        }
    }
}

/// A phase's time and what the kernel swapped while it ran.
#[derive(Clone, Copy)]
struct Phase {
    ns: u64,
    ticks: u64,
    outs: u64,
    writes: u64,
    ins: u64,
}

/// Times `f` and takes the swapstat deltas around it.
fn swap_phase<R>(t: Timer, f: impl FnOnce() -> R) -> (Phase, R) {
    let s0 = swapstat().unwrap_or_else(|| exit(4));
    align();
    let u0 = uptime();
    let (ns, r) = t.time(f);
    let ticks = (uptime() - u0) as u64;
    let s1 = swapstat().unwrap_or_else(|| exit(4));
    let d = |a: u64, b: u64| b.saturating_sub(a);
    let phase = Phase {
        ns,
        ticks,
        outs: d(s0.outs, s1.outs),
        writes: d(s0.writes, s1.writes),
        ins: d(s0.ins, s1.ins),
    };
    (phase, r)
}

/// Grows the heap by `len` bytes from a page boundary, SBRK_STEP at most
/// per sbrk; where they start, or None if sbrk said no.
fn grow_by_steps(len: usize) -> Option<*mut u8> {
    // Page-aligned, so every page's first word is aligned too.
    let gap = (PGSIZE - sbrk(0) as usize % PGSIZE) % PGSIZE;
    if failed(sbrk(gap as i32)) {
        return None;
    }
    let start = sbrk(0);
    let mut got = 0;
    while got < len {
        let n = (len - got).min(SBRK_STEP);
        if failed(sbrk(n as i32)) {
            return None;
        }
        got += n;
    }
    Some(start)
}

/// Loads one word from every page of [p, p + len); whether each held its
/// page number, as `store_pages` left it.
fn load_pages(p: *const u8, len: usize) -> bool {
    let mut ok = true;
    for (i, off) in (0..len).step_by(PGSIZE).enumerate() {
        // SAFETY: off < len, inside the caller's heap, 8-byte aligned.
        ok &= unsafe { read_volatile(p.add(off) as *const usize) } == i;
    }
    ok
}

/// Stores each page's number into its first word.
fn store_pages(p: *mut u8, len: usize) {
    for (i, off) in (0..len).step_by(PGSIZE).enumerate() {
        // SAFETY: off < len, inside the caller's heap, 8-byte aligned.
        unsafe { write_volatile(p.add(off) as *mut usize, i) };
    }
}

/// The swap workload, in a child of its own: sbrk of SWAP_SIZE MiB, a
/// store into every page, then a load from every page, twice. Reports
/// each phase, or exits 2 (sbrk refused) or 3 (a page read back wrong).
fn swap_worker(t: Timer) -> ! {
    let len = SWAP_SIZE * MIB;
    let (grow, p) = swap_phase(t, || grow_by_steps(len));
    let Some(p) = p else { exit(2) };
    let (store, ()) = swap_phase(t, || store_pages(p, len));
    let (load1, ok1) = swap_phase(t, || load_pages(p, len));
    let (load2, ok2) = swap_phase(t, || load_pages(p, len));
    if !(ok1 && ok2) {
        exit(3);
    }
    // Printed only now, so a run cut short reports every figure failed.
    let mut name = Name::new();
    for (phase, f) in SWAP_PHASES.into_iter().zip([grow, store, load1, load2]) {
        for (part, v, unit) in [
            ("time", f.ns, "ns"),
            ("ticks", f.ticks, "ticks"),
            ("outs", f.outs, "pages"),
            ("writes", f.writes, "pages"),
            ("ins", f.ins, "pages"),
        ] {
            let n = name.fmt(format_args!("swap{}M.{}.{}", SWAP_SIZE, phase, part));
            report(n, v, unit);
        }
    }
    exit(0)
}

/// The swap figures, where the kernel has swap and a swap disk.
fn swap_benches(t: Timer, swap: bool) {
    if !swap {
        return swap_failed("swap");
    }
    let pid = fork();
    if pid < 0 {
        die("fork failed");
    }
    if pid == 0 {
        swap_worker(t);
    }
    let mut status = -1;
    wait(Some(&mut status));
    match status {
        0 => {}
        2 => swap_failed("sbrk"),
        3 => swap_failed("content"),
        4 => swap_failed("swap"),
        _ => swap_failed("child"),
    }
}

/// The newcomer figures' middle part: `alone` or `beside150M`.
fn newcomer_run(buf: &mut Name, beside: bool) -> &str {
    if beside {
        buf.fmt(format_args!("beside{}M", HOG_SIZE))
    } else {
        "alone"
    }
}

/// Every newcomer figure of one run failed, for the reason `what`.
fn newcomer_failed(beside: bool, what: &str) {
    let mut run = Name::new();
    let run = newcomer_run(&mut run, beside);
    let mut name = Name::new();
    for phase in NEWCOMER_PHASES {
        for part in NEWCOMER_PARTS {
            let n = name.fmt(format_args!(
                "newcomer{}M.{}.{}.{}",
                NEWCOMER_SIZE, run, phase, part
            ));
            report_failed(n, what);
        }
    }
}

/// One pass of the newcomer over its pages: pass 1 stores a word into
/// each, later passes check what the pass before stored and store anew,
/// so no pass can skip a page, and a page lost or read back wrong shows.
/// Whether every page held what it should.
fn newcomer_pass(p: *mut u8, len: usize, pass: usize) -> bool {
    let mut ok = true;
    for (i, off) in (0..len).step_by(PGSIZE).enumerate() {
        let w = p.wrapping_add(off) as *mut usize;
        if pass > 1 {
            // SAFETY: off < len, inside the caller's heap, 8-byte aligned.
            ok &= unsafe { read_volatile(w) } == ((i << 8) | (pass - 1));
        }
        // SAFETY: as above.
        unsafe { write_volatile(w, (i << 8) | pass) };
    }
    ok
}

/// The hog, in a child of its own: writes HOG_SIZE MiB, tells the newcomer
/// on `done`, then sits idle in sleep until killed, so that every page of
/// it is cold by the time the newcomer needs memory.
fn hog(done: i32) -> ! {
    let len = HOG_SIZE * MIB;
    let Some(p) = grow_by_steps(len) else { exit(2) };
    store_pages(p, len);
    send(done);
    loop {
        sleep(1000);
    }
}

/// Starts the hog and waits until it has written all its pages; its pid,
/// or None if it could not.
fn start_hog() -> Option<i32> {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        return None;
    }
    let pid = fork();
    if pid < 0 {
        return None;
    }
    if pid == 0 {
        close(fds[0]);
        hog(fds[1]);
    }
    close(fds[1]);
    // A hog that failed exits, and its end of the pipe closes with it.
    let mut c = [0u8; 1];
    let ready = read(fds[0], &mut c) == 1;
    close(fds[0]);
    if !ready {
        wait(None);
        return None;
    }
    Some(pid)
}

/// The newcomer, in a child of its own (beside: with the hog as its own
/// child, so that its wait finds only the hog): sbrk of NEWCOMER_SIZE MiB
/// and a first pass, timed as one, then the later passes timed as one.
/// Reports each, or exits 2 (sbrk refused), 3 (a page read back wrong)
/// or 5 (no hog).
fn newcomer_worker(t: Timer, beside: bool) -> ! {
    let hog = if beside {
        let Some(pid) = start_hog() else { exit(5) };
        Some(pid)
    } else {
        None
    };
    let len = NEWCOMER_SIZE * MIB;
    // The sbrk is timed with the first pass: a kernel without lazy takes
    // its pages there, so that is where it evicts the hog's.
    let (first, grown) = swap_phase(t, || {
        let p = grow_by_steps(len)?;
        Some((p, newcomer_pass(p, len, 1)))
    });
    let mut figures = None;
    if let Some((p, ok1)) = grown {
        let (later, ok2) = swap_phase(t, || {
            (2..=NEWCOMER_PASSES).fold(true, |ok, k| newcomer_pass(p, len, k) & ok)
        });
        figures = Some((first, later, ok1 && ok2));
    }
    // The hog goes before the exits below: left behind, it would hold its
    // memory for as long as the machine runs.
    if let Some(pid) = hog {
        kill(pid);
        wait(None);
    }
    let Some((first, later, ok)) = figures else {
        exit(2)
    };
    if !ok {
        exit(3);
    }
    let mut run = Name::new();
    let run = newcomer_run(&mut run, beside);
    let mut name = Name::new();
    for (phase, f) in NEWCOMER_PHASES.into_iter().zip([first, later]) {
        for (part, v, unit) in [
            ("time", f.ns, "ns"),
            ("ticks", f.ticks, "ticks"),
            ("outs", f.outs, "pages"),
            ("ins", f.ins, "pages"),
        ] {
            let n = name.fmt(format_args!(
                "newcomer{}M.{}.{}.{}",
                NEWCOMER_SIZE, run, phase, part
            ));
            report(n, v, unit);
        }
    }
    exit(0)
}

/// The newcomer figures, alone and beside the hog, where the kernel has
/// swap and a swap disk (without one, the two would not fit at all).
fn newcomer_benches(t: Timer, swap: bool) {
    for beside in [false, true] {
        if !swap {
            newcomer_failed(beside, "swap");
            continue;
        }
        let pid = fork();
        if pid < 0 {
            die("fork failed");
        }
        if pid == 0 {
            newcomer_worker(t, beside);
        }
        let mut status = -1;
        wait(Some(&mut status));
        match status {
            0 => {}
            2 => newcomer_failed(beside, "sbrk"),
            3 => newcomer_failed(beside, "content"),
            4 => newcomer_failed(beside, "swap"),
            5 => newcomer_failed(beside, "hog"),
            _ => newcomer_failed(beside, "child"),
        }
    }
}

/// A name built in a small buffer (no allocator needed).
struct Name {
    buf: [u8; 48],
    len: usize,
}

impl Name {
    fn new() -> Name {
        Name {
            buf: [0; 48],
            len: 0,
        }
    }

    fn fmt(&mut self, args: core::fmt::Arguments) -> &str {
        self.len = 0;
        let _ = core::fmt::write(self, args);
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl core::fmt::Write for Name {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn main(args: Args) {
    if args.str(1) == "bigexec" || args.str(1) == "bigfault" {
        big_main(args);
    }
    let me = args.get(0).unwrap_or(c"bench");
    let clock = Clock::probe();
    println!("BENCH clock {}", clock.name());
    // Asked once: a kernel without swap prints a line for each ask.
    let swap = swap_free().is_some();
    let meter = Meter::start(swap);
    let t = Timer::new(clock);

    report("boot.free", meter.free_pages(), "pages");
    calibrate(t);
    for mib in FORK_SIZES {
        in_child(|| fork_bench(t, meter, mib));
    }
    for mib in EXEC_SIZES {
        in_child(|| exec_bench(t, mib));
    }
    in_child(|| big_exec_bench(t, meter, me));
    for (stride, label) in SBRK_STRIDES {
        in_child(|| sbrk_bench(t, meter, stride, label));
    }
    in_child(|| sbrk_read_bench(t, meter));
    in_child(|| lazy_fault_bench(t));
    in_child(|| cow_fault_bench(t));
    in_child(|| demand_fault_bench(t, me));
    // After the other faults: the fault rows share one section.
    mmap_benches(t, meter);
    in_child(|| disk_bench(t));
    swap_benches(t, swap);
    newcomer_benches(t, swap);

    meter.stop();
    wait(None);
    println!("BENCH done");
}
