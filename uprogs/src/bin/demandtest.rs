//! demandtest: the checks for demand-paged exec (kernel feature `demand`):
//! exec maps no page of the program; each page costs a page when first
//! touched, holds what the file says (zeros past the file's bytes), and
//! has its segment's permissions. The program run is demandbig, whose
//! image is about 250 pages (see its doc for the steps it takes).
//!
//! Each case prints one `test NAME: ...` line with what it saw; the last
//! line is `demandtest: OK`, or `demandtest: FAILED WHY` (exit status 1)
//! at the first failure.
//!
//! - cost: demandbig touching 3 data pages, then 40, each time waiting
//!   while free pages are counted. The two costs differ by exactly the 37
//!   pages, and with 3 pages the whole process (and its two pipes) costs
//!   under 40 pages. A kernel that loads the image at exec fails here.
//! - bss: every word of the first, middle and last pages of data (the
//!   file's pattern) and of bss (zeros), the page they share included.
//! - text: a store into text already run, and into a text page never
//!   touched, gets demandbig killed (status -1); stores into untouched
//!   data and bss pages stick and find the rest of the page right.
//! - fork: the child of a demandbig that touched a few pages checks and
//!   stores into pages its parent never touched; its stores stay its own.
//! - unlink: a copy of demandbig, dbig.tmp, is unlinked while it runs;
//!   the pages it touches afterwards still hold the right bytes.
//! - truncate: a copy is truncated while it runs; when it then touches
//!   pages never touched before it must either see the right bytes or be
//!   killed (status -1), not see wrong ones.
//! - loop, last: 20 runs, 8 of them forking; then as many pages are free
//!   as before the first case, so no case leaked a page.
//!
//! Free pages are counted by a helper process (ulib::meter::Meter) and
//! made exact (see `exact`), so every figure printed is a number of pages.
//! Counting takes seconds on QEMU, so there are only five counts.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::fmt::{self, Display, Write};
use ulib::meter::{self, Meter};
use ulib::param::MAXARG;
use ulib::{
    close, exec, exit, fork, fstat, open, pipe, println, read, sbrk, unlink, wait, write, Args,
    CStr, Stat, O_CREATE, O_RDONLY, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const PROG: &CStr = c"demandbig";
/// The copy the unlink and truncate cases run.
const COPY: &CStr = c"dbig.tmp";
/// Most a demandbig that touched 3 data pages may cost: page tables,
/// trapframe, stack and guard, and the few pages it ran or read.
const LIMIT: i32 = 40;
/// The data pages demandbig touches in the two runs of the cost case.
const FEW: i32 = 3;
const MORE: i32 = 40;

fn fail(why: impl Display) -> ! {
    println!("demandtest: FAILED {}", why);
    exit(1)
}

/// What demandbig sends at a `sync` step (see its doc).
struct Layout {
    brk: usize,
    run: usize,
    pad: usize,
    data: usize,
    data_len: usize,
    bss: usize,
    bss_len: usize,
    shared: bool,
}

impl Layout {
    fn parse(b: &[u8; 64]) -> Layout {
        let w = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[8 * i..8 * i + 8]);
            u64::from_le_bytes(x) as usize
        };
        Layout {
            brk: w(0),
            run: w(1),
            pad: w(2),
            data: w(3),
            data_len: w(4),
            bss: w(5),
            bss_len: w(6),
            shared: w(7) != 0,
        }
    }

    /// The process's pages below the heap: image, guard and stack.
    fn pages(&self) -> usize {
        self.brk / PGSIZE
    }
}

/// The pages [a, a + len) overlaps.
fn pages(a: usize, len: usize) -> usize {
    (a + len - 1) / PGSIZE - a / PGSIZE + 1
}

/// Runs `prog` (demandbig or a copy) with `steps` in a child and returns
/// its exit status and, if it got to its `sync` step, its layout. A step
/// `sync` gets the fds of two pipes; while demandbig waits there `hook`
/// runs, then demandbig goes on.
fn spawn(prog: &CStr, steps: &[&str], hook: &mut dyn FnMut()) -> (i32, Option<Layout>) {
    let sync = steps.contains(&"sync");
    let (mut ready, mut go) = ([-1i32; 2], [-1i32; 2]);
    if sync && (pipe(&mut ready) < 0 || pipe(&mut go) < 0) {
        fail("pipe");
    }
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        if sync {
            close(ready[0]);
            close(go[1]);
        }
        run(prog, steps, ready[1], go[0]);
    }
    let mut layout = None;
    if sync {
        close(ready[1]);
        close(go[0]);
        let mut b = [0u8; 64];
        let mut got = 0;
        while got < b.len() {
            let n = read(ready[0], &mut b[got..]);
            if n <= 0 {
                break;
            }
            got += n as usize;
        }
        // Short: it failed or died before the step.
        if got == b.len() {
            let l = Layout::parse(&b);
            hook();
            if write(go[1], b"g") != 1 {
                fail("could not tell demandbig to go on");
            }
            layout = Some(l);
        }
        close(ready[0]);
        close(go[1]);
    }
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        fail("wait");
    }
    (st, layout)
}

/// Text gathered into a byte buffer, each argument followed by a NUL.
struct ArgBuf {
    b: [u8; 512],
    len: usize,
}

impl Write for ArgBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        // One byte kept for the last NUL.
        if end >= self.b.len() {
            return Err(fmt::Error);
        }
        self.b[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// In the child: execs `prog` with the steps, `sync` filled in.
fn run(prog: &CStr, steps: &[&str], w: i32, r: i32) -> ! {
    let mut a = ArgBuf {
        b: [0; 512],
        len: 0,
    };
    let name = prog.to_str().unwrap_or("?");
    let mut starts = [0usize; MAXARG];
    let argc = steps.len() + 1;
    if argc > MAXARG {
        fail("too many steps");
    }
    for (i, s) in core::iter::once(&name).chain(steps).enumerate() {
        starts[i] = a.len;
        let ok = if *s == "sync" {
            write!(a, "sync:{}:{}", w, r)
        } else {
            a.write_str(s)
        };
        if ok.is_err() {
            fail("the steps are too long");
        }
        a.len += 1; // the NUL, already there
    }
    let mut argv = [c""; MAXARG];
    for (v, &at) in argv.iter_mut().zip(&starts[..argc]) {
        *v = CStr::from_bytes_until_nul(&a.b[at..]).unwrap_or(c"");
    }
    exec(prog, &argv[..argc]);
    println!("demandtest: exec {} failed", name);
    exit(3)
}

/// An exit status in words.
fn said(st: i32) -> &'static str {
    match st {
        0 => "ok",
        -1 => "killed",
        1 => "it reported a failure",
        3 => "exec failed",
        _ => "unexpected",
    }
}

/// Fails unless a run ended with status `want`.
fn expect(what: &str, st: i32, want: i32) {
    if st != want {
        fail(format_args!(
            "{}: status {} ({}), not {} ({})",
            what,
            st,
            said(st),
            want,
            said(want)
        ));
    }
}

/// ulib::meter::exact, failing the test if the two counts make no sense.
fn exact(count: &dyn Fn() -> i32, brk: usize) -> i32 {
    meter::exact(count, brk).unwrap_or_else(|(n, m)| {
        fail(format_args!(
            "counts of {} and {} free pages around a pipe",
            n, m
        ))
    })
}

fn main(_args: Args) {
    // The buffers the copies go through, taken (and stored to, so they
    // exist on lazy kernels too) before anything is counted.
    let mut bufs = (vec![1u8; 8192], vec![1u8; 8192]);
    // The helper's counting children grow their heaps from here.
    let brk = sbrk(0) as usize;
    let meter = Meter::start();
    // Under cow the fork just made the buffers shared: store to them again
    // so that the copies they get happen now, not in the unlink case.
    bufs.0.fill(2);
    bufs.1.fill(2);
    let free = || exact(&|| meter.free_pages(), brk);
    // The first count may pay for the helper's first stores since the
    // fork (copy-on-write kernels); then counts repeat exactly.
    let (a, before) = (free(), free());
    println!("test meter: {} free pages, then {}", a, before);
    if a != before {
        fail("two counts in a row differ: the counts below would be noisy");
    }
    cost(&free, before);
    bss();
    text();
    fork_case();
    unlink_case(&mut bufs);
    truncate_case(&mut bufs);
    loop_case(&free, before);
    meter.stop();
    println!("demandtest: OK");
}

/// What a demandbig that touched `k` data pages costs while it waits
/// (with its two pipes), from `before` free pages, and its layout.
fn cost_of(free: &dyn Fn() -> i32, before: i32, k: i32) -> (i32, Layout) {
    let mut buf = ArgBuf {
        b: [0; 512],
        len: 0,
    };
    if write!(buf, "d:0:{}", k).is_err() {
        fail("format");
    }
    let step = core::str::from_utf8(&buf.b[..buf.len]).unwrap_or("?");
    let mut during = before;
    let (st, l) = spawn(PROG, &[step, "sync"], &mut || during = free());
    expect(step, st, 0);
    let Some(l) = l else {
        fail("demandbig never got to its sync step");
    };
    (before - during, l)
}

/// Both runs start from `before` free pages: nothing of the first is
/// left when the second starts (the loop case's count shows).
fn cost(free: &dyn Fn() -> i32, before: i32) {
    let (few, l) = cost_of(free, before, FEW);
    let (more, _) = cost_of(free, before, MORE);
    println!(
        "test cost: demandbig touching {} of its {} data pages cost {} pages, {} cost {}: {} apart; \
         image, guard and stack {} pages",
        FEW,
        pages(l.data, l.data_len),
        few,
        MORE,
        more,
        more - few,
        l.pages()
    );
    if few >= LIMIT {
        fail(format_args!(
            "touching {} data pages cost {} pages (image, guard and stack {}), not under {}: \
             the image was loaded at exec",
            FEW,
            few,
            l.pages(),
            LIMIT
        ));
    }
    if more - few != MORE - FEW {
        fail(format_args!(
            "touching {} more data pages cost {} more pages",
            MORE - FEW,
            more - few
        ));
    }
}

fn bss() {
    let (st, l) = spawn(PROG, &["edges", "sync"], &mut || {});
    expect("edges", st, 0);
    let Some(l) = l else {
        fail("demandbig never got to its sync step");
    };
    let (d, b) = (pages(l.data, l.data_len), pages(l.bss, l.bss_len));
    println!(
        "test bss: data {:#x}..{:#x} ({} pages), bss {:#x}..{:#x} ({} pages), {}; \
         pages 0, {}, {} of data and 0, {}, {} of bss read right",
        l.data,
        l.data + l.data_len,
        d,
        l.bss,
        l.bss + l.bss_len,
        b,
        if l.shared {
            "sharing a page"
        } else {
            "sharing no page"
        },
        d / 2,
        d - 1,
        b / 2,
        b - 1
    );
    if l.bss < l.data + l.data_len || l.brk < l.bss + l.bss_len {
        fail("the layout makes no sense");
    }
}

fn text() {
    let (run, l) = spawn(PROG, &["sync", "text:run"], &mut || {});
    let at = l.map_or(0, |l| l.run);
    let (pad, l) = spawn(PROG, &["sync", "text:pad"], &mut || {});
    let pad_at = l.map_or(0, |l| l.pad);
    let stores = [
        "wd:0", "md:0", "wd:mid", "md:mid", "wd:last", "md:last", "wb:0", "mb:0", "wb:mid",
        "mb:mid", "wb:last", "mb:last",
    ];
    let (st, _) = spawn(PROG, &stores, &mut || {});
    println!(
        "test text: store into run text at {:#x}: status {}; into untouched text at {:#x}: \
         status {}; into 6 untouched data and bss pages: status {}",
        at, run, pad_at, pad, st
    );
    expect("a store into run text", run, -1);
    expect("a store into untouched text", pad, -1);
    expect("stores into data and bss", st, 0);
}

fn fork_case() {
    let steps = [
        "d:0:4", "b:0:2", "wd:1", "wb:1", "fork", "md:1", "mb:1", "d:10:20", "b:50:60", "wd:12",
        "wb:55", "parent", "md:1", "mb:1", "d:12:13", "b:55:56", "d:20:24",
    ];
    let (st, _) = spawn(PROG, &steps, &mut || {});
    println!(
        "test fork: parent touched 6 pages and stored into 2, child read those and 20 more, \
         stored into 2 of them: status {}",
        st
    );
    expect("fork", st, 0);
}

/// The last case: after its 20 runs (8 forking) as many pages are free
/// as before the first case, so no case leaked.
fn loop_case(free: &dyn Fn() -> i32, before: i32) {
    let runs: [&[&str]; 5] = [
        &["3"],
        &["b:10:13", "wd:5", "md:5"],
        &["d:40:43", "fork", "d:0:2", "wb:150", "parent", "b:150:151"],
        &["d:20:22", "b:mid:end"],
        &["d:1:3", "fork", "b:190:193", "wd:7", "parent", "d:7:8"],
    ];
    let mut forks = 0;
    for i in 0..20 {
        let steps = runs[i % runs.len()];
        let (st, _) = spawn(PROG, steps, &mut || {});
        expect(steps[0], st, 0);
        forks += steps.contains(&"fork") as i32;
    }
    let after = free();
    println!(
        "test loop: 20 runs ({} forking); {} free pages before the first case, {} after the last run",
        forks, before, after
    );
    if before != after {
        fail(format_args!("the cases lost {} pages", before - after));
    }
}

/// The size of the file at `path`.
fn size(path: &CStr) -> usize {
    let fd = open(path, O_RDONLY);
    let mut st = Stat::default();
    if fd < 0 || fstat(fd, &mut st) < 0 {
        fail("stat");
    }
    close(fd);
    st.size as usize
}

/// Copies demandbig to COPY through `bufs`; with `compare`, reads both
/// back to check the copy has the same bytes (slow on QEMU, so only
/// once: the second copy is made the same way).
fn copy(bufs: &mut (Vec<u8>, Vec<u8>), compare: bool) -> usize {
    let (buf, other) = (&mut bufs.0, &mut bufs.1);
    let src = open(PROG, O_RDONLY);
    let dst = open(COPY, O_CREATE | O_TRUNC | O_WRONLY);
    if src < 0 || dst < 0 {
        fail("open demandbig or create dbig.tmp");
    }
    let mut n = 0;
    loop {
        let got = read(src, buf);
        if got < 0 {
            fail("read demandbig");
        }
        if got == 0 {
            break;
        }
        if write(dst, &buf[..got as usize]) != got {
            fail("write dbig.tmp");
        }
        n += got as usize;
    }
    close(src);
    close(dst);
    if n != size(PROG) || size(COPY) != n {
        fail("dbig.tmp is not as long as demandbig");
    }
    if !compare {
        return n;
    }
    let (a, b) = (open(PROG, O_RDONLY), open(COPY, O_RDONLY));
    loop {
        let (x, y) = (read(a, buf), read(b, other));
        if x != y || x < 0 || buf[..x as usize] != other[..x as usize] {
            fail("dbig.tmp does not hold demandbig's bytes");
        }
        if x == 0 {
            break;
        }
    }
    close(a);
    close(b);
    n
}

fn unlink_case(bufs: &mut (Vec<u8>, Vec<u8>)) {
    let n = copy(bufs, true);
    let steps = ["d:0:3", "b:0:2", "sync", "d:3:end", "b:2:40", "edges"];
    let (mut gone, mut still) = (-1, 0);
    let (st, l) = spawn(COPY, &steps, &mut || {
        gone = unlink(COPY);
        still = open(COPY, O_RDONLY);
        if still >= 0 {
            close(still);
        }
    });
    println!(
        "test unlink: dbig.tmp ({} bytes) unlinked while it ran (unlink {}, open then {}): status {}",
        n, gone, still, st
    );
    if l.is_none() {
        fail("dbig.tmp never got to its sync step");
    }
    if gone != 0 || still >= 0 {
        fail("unlink dbig.tmp did not work");
    }
    expect("dbig.tmp after unlink", st, 0);
}

fn truncate_case(bufs: &mut (Vec<u8>, Vec<u8>)) {
    copy(bufs, false);
    let steps = ["d:0:2", "sync", "d:2:end", "b:0:10", "edges"];
    let mut left = usize::MAX;
    let (st, l) = spawn(COPY, &steps, &mut || {
        let fd = open(COPY, O_WRONLY | O_TRUNC);
        if fd < 0 {
            fail("truncate dbig.tmp");
        }
        close(fd);
        left = size(COPY);
    });
    println!(
        "test truncate: dbig.tmp truncated to {} bytes while it ran: status {} ({})",
        left,
        st,
        said(st)
    );
    if l.is_none() {
        fail("dbig.tmp never got to its sync step");
    }
    if left != 0 {
        fail("O_TRUNC left bytes in dbig.tmp");
    }
    if st != 0 && st != -1 {
        fail(format_args!(
            "dbig.tmp after truncation: status {} ({}), not 0 or -1",
            st,
            said(st)
        ));
    }
    if unlink(COPY) != 0 {
        fail("unlink dbig.tmp");
    }
}
