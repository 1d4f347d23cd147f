//! Counting free physical pages from user space: usertests' own count
//! (it checks that no test leaked pages), also used by the programs that
//! show what the labs save (lazydemo, cowdemo, bench) and the tests that
//! check it exactly (zfodtest, demandtest).

use crate::{close, exit, fork, pipe, println, read, sbrk, wait, write};
use core::ptr::{read_volatile, write_volatile};

const PGSIZE: usize = 4096;

extern "C" {
    /// The end of the program's image: text, rodata, data, bss (user.ld).
    static end: u8;
}

/// Touches every page of the calling program's image. Under demand paging
/// (kernel feature `demand`) a program page costs memory only from its
/// first touch on, so a page first touched between two counts (the code
/// that runs a test, say) would look like a page the kernel lost. Both
/// counting functions call this first; where exec loaded the whole image
/// it only reads pages that are there.
pub fn resident() {
    // Only the symbol's address is taken (no unsafe needed for that).
    let top = &raw const end as usize;
    // Page 0 holds _start, so it is resident already (and a load through
    // address 0 would be a null dereference).
    for a in (PGSIZE..top).step_by(PGSIZE) {
        // SAFETY: [0, end) is this program's own image, all of it
        // readable (text too: R X), and a read changes nothing.
        unsafe { read_volatile(a as *const u8) };
    }
}

/// Counts the free physical pages. Where the kernel pages to a swap disk
/// it asks the kernel (see below). Otherwise a child takes one page at a time with
/// sbrk until it gets no more, writing a byte into each so the page really
/// exists even on a lazy kernel (where the end comes as the kernel killing
/// the child), and sends one byte per page down a pipe. Its failure lines
/// are usertests', word for word, since usertests counts with this.
pub fn countfree() -> i32 {
    resident();
    // With a swap disk, taking every page would only push other pages
    // out, and program pages the kernel drops (their file holds them)
    // would count as free until they come back: the kernel's own figures
    // say exactly how many pages no process holds, in memory or out.
    if let Some(st) = crate::swapstat().filter(|st| st.slots > 0) {
        return (st.free as i64 - st.used as i64) as i32;
    }
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        println!("pipe() failed in countfree()");
        exit(1);
    }
    let pid = fork();
    if pid < 0 {
        println!("fork failed in countfree()");
        exit(1);
    }
    if pid == 0 {
        close(fds[0]);
        loop {
            let a = sbrk(PGSIZE as i32);
            if a as usize == usize::MAX {
                break;
            }
            // SAFETY: sbrk just gave us this page; its last byte is ours.
            unsafe { write_volatile(a.add(PGSIZE - 1), 1) };
            if write(fds[1], b"x") != 1 {
                println!("write() failed in countfree()");
                exit(1);
            }
        }
        exit(0);
    }
    close(fds[1]);
    // One byte per page; read them in chunks, not one system call each.
    let mut n = 0;
    let mut c = [0u8; 512];
    loop {
        let cc = read(fds[0], &mut c);
        if cc < 0 {
            println!("read() failed in countfree()");
            exit(1);
        }
        if cc == 0 {
            break;
        }
        n += cc;
    }
    close(fds[0]);
    wait(None);
    n
}

/// Waits until child `pid` has exited (or there are no children left).
pub fn reap(pid: i32) {
    loop {
        let w = wait(None);
        if w == pid || w < 0 {
            return;
        }
    }
}

/// A helper process that counts free pages on request. It is forked
/// before the demo grows its memory, so the counting child it forks is
/// small and the same size every time: what the demo's own steps cost is
/// not mixed with the cost of copying the demo for each count.
pub struct Meter {
    pid: i32,
    req: i32,
    resp: i32,
}

impl Meter {
    pub fn start() -> Meter {
        // The caller's later steps must not fault in program pages of
        // their own; the helper (a fork) then starts resident too.
        resident();
        let mut req = [0i32; 2];
        let mut resp = [0i32; 2];
        if pipe(&mut req) < 0 || pipe(&mut resp) < 0 {
            println!("meter: pipe() failed");
            exit(1);
        }
        let pid = fork();
        if pid < 0 {
            println!("meter: fork failed");
            exit(1);
        }
        if pid == 0 {
            close(req[1]);
            close(resp[0]);
            let mut c = [0u8; 1];
            while read(req[0], &mut c) == 1 && c[0] == b'?' {
                let n = countfree();
                if write(resp[1], &n.to_ne_bytes()) != 4 {
                    exit(1);
                }
            }
            exit(0);
        }
        close(req[0]);
        close(resp[1]);
        Meter {
            pid,
            req: req[1],
            resp: resp[0],
        }
    }

    /// The number of free physical pages right now.
    pub fn free_pages(&self) -> i32 {
        let mut n = [0u8; 4];
        if write(self.req, b"?") != 1 || read(self.resp, &mut n) != 4 {
            println!("meter: the page counter failed");
            exit(1);
        }
        i32::from_ne_bytes(n)
    }

    /// Tells the helper to exit and waits for it.
    pub fn stop(self) {
        write(self.req, b"q");
        close(self.req);
        close(self.resp);
        reap(self.pid);
    }
}

/// What one last-level page table maps.
const SPAN: usize = 512 * PGSIZE;

/// The last-level page tables that heap [brk, top) needs besides the one
/// mapping the program's last page below it: one per 2 MiB span it
/// reaches into.
pub fn tables(brk: usize, top: usize) -> i32 {
    ((top - 1) / SPAN - (brk - 1) / SPAN) as i32
}

/// The free pages, exactly, from `count`: countfree run in a child whose
/// heap starts at `brk`. countfree gives the pages the child could fill,
/// but the child also used a last-level page table per 2 MiB of that heap
/// (it stays below 1 GiB, so no other level): those are added back. When
/// its heap ended at a 2 MiB boundary, one page more may have been free
/// (too few for that page and a new table); a recount while a pipe holds
/// one page tells. Err holds the two counts if they make no sense.
pub fn exact(count: &dyn Fn() -> i32, brk: usize) -> Result<i32, (i32, i32)> {
    let n = count();
    let top = brk + n as usize * PGSIZE;
    let free = n + tables(brk, top);
    if !top.is_multiple_of(SPAN) {
        return Ok(free);
    }
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        println!("meter: pipe() failed");
        exit(1);
    }
    let again = count();
    close(fds[0]);
    close(fds[1]);
    match n - again {
        0 => Ok(free + 1),
        1 => Ok(free),
        _ => Err((n, again)),
    }
}
