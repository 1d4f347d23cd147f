//! fsstress [SEED [OPS [PROCS]]]: a file-system workload for crash tests.
//!
//! PROCS processes (default 4) each work in their own directory
//! /fss/pN, doing OPS random operations (default 200; 0 runs until the
//! machine is stopped): new versions of files, appends, hard links,
//! unlinks, directories made, filled and removed.
//!
//! Everything is written so that, after a crash at any moment and the
//! log's recovery, each name holds a complete version (see stressfmt.rs):
//! - a new version is written to `t`, closed, then moved over `fK` by
//!   unlink + link + unlink, so `fK` is absent, old or new, never partial;
//! - an append is one record in one write of at most MAXWRITE bytes, which
//!   the kernel commits as one transaction;
//! - no file is unlinked while open (xv6 would leave an orphan inode).
//!
//! `fscheck` verifies the result. Prints `fsstress: started ...`, then
//! `fsstress: OK` when all processes finish, or `fsstress: FAILED ...`.

#![no_std]
#![no_main]

extern crate alloc;

// Shared with the other program, which uses the other half of it.
#[allow(dead_code)]
#[path = "../stressfmt.rs"]
mod stressfmt;

use alloc::vec::Vec;
use stressfmt::{make, FILE_MAGIC, HEADER, MAX_RECORD, RECORD_MAGIC};
use ulib::{
    atoi, chdir, close, exit, fork, link, mkdir, open, println, unlink, wait, write, Args, CStr,
    O_CREATE, O_WRONLY,
};

ulib::entry!(main);

/// Files f0..f3 (and links l0..l3) per process; f0 and f1 may need the
/// indirect block.
const NFILES: usize = 4;
/// Directories d0, d1 per process, each with files f0..f2.
const NDIRS: usize = 2;
const DIR_FILES: usize = 3;
/// An append file is started over past this size.
const APPEND_MAX: usize = 12 * 1024;

/// xorshift64*, seeded through splitmix64 so that nearby seeds differ.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in lo..=hi.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

struct Worker {
    /// "pN", the prefix of every home name.
    me: [u8; 2],
    rng: Rng,
    /// Next version number for each file, top-level then per directory.
    versions: [u32; NFILES + NDIRS * DIR_FILES],
    dir_made: [bool; NDIRS],
    /// The append file, kept open between appends.
    afd: i32,
    aseq: u32,
    alen: usize,
    buf: Vec<u8>,
}

fn fail(me: &[u8; 2], what: &str, path: &[u8]) -> ! {
    println!(
        "fsstress: FAILED {}: {} {}",
        core::str::from_utf8(me).unwrap_or("?"),
        what,
        core::str::from_utf8(path).unwrap_or("?")
    );
    exit(1)
}

/// `parts` joined, NUL-terminated, for the system calls.
fn path(parts: &[&[u8]]) -> Vec<u8> {
    let mut p: Vec<u8> = parts.concat();
    p.push(0);
    p
}

fn c(p: &[u8]) -> &CStr {
    CStr::from_bytes_with_nul(p).unwrap_or(c"?")
}

fn digit(n: usize) -> [u8; 1] {
    [b'0' + n as u8]
}

impl Worker {
    /// Writes a new version of `dir`/fK through `dir`/t, then moves it over.
    fn new_version(&mut self, dir: Option<usize>, k: usize, max: usize) {
        let d = dir.map(|j| [b'd', b'0' + j as u8, b'/']);
        let prefix: &[u8] = d.as_ref().map_or(&[], |d| &d[..]);
        let fk = [b'f', b'0' + k as u8];
        let slot = dir.map_or(k, |j| NFILES + j * DIR_FILES + k);
        let version = self.versions[slot];
        self.versions[slot] += 1;
        let home = [&self.me[..], b"/", prefix, &fk].concat();
        let len = self.rng.range(HEADER, max);
        let mut buf = core::mem::take(&mut self.buf);
        make(&mut buf, FILE_MAGIC, &home, version, len);

        let t = path(&[prefix, b"t"]);
        let f = path(&[prefix, &fk]);
        unlink(c(&t));
        let fd = open(c(&t), O_CREATE | O_WRONLY);
        if fd < 0 {
            fail(&self.me, "create", &t);
        }
        // Several writes of random size; the first holds the whole header.
        let mut off = 0;
        while off < len {
            let n = self.rng.range(HEADER, 5000).min(len - off);
            if write(fd, &buf[off..off + n]) != n as i32 {
                fail(&self.me, "write", &t);
            }
            off += n;
        }
        close(fd);
        unlink(c(&f));
        if link(c(&t), c(&f)) < 0 {
            fail(&self.me, "link to", &f);
        }
        if unlink(c(&t)) < 0 {
            fail(&self.me, "unlink", &t);
        }
        self.buf = buf;
    }

    fn append(&mut self) {
        if self.afd < 0 {
            self.afd = open(c"a", O_CREATE | O_WRONLY);
            if self.afd < 0 {
                fail(&self.me, "create", b"a");
            }
        }
        let home = [&self.me[..], b"/a"].concat();
        let len = self.rng.range(HEADER, MAX_RECORD);
        let mut buf = core::mem::take(&mut self.buf);
        make(&mut buf, RECORD_MAGIC, &home, self.aseq, len);
        if write(self.afd, &buf) != len as i32 {
            fail(&self.me, "append to", b"a");
        }
        self.buf = buf;
        self.aseq += 1;
        self.alen += len;
        if self.alen > APPEND_MAX {
            // Start over: closed first, so the unlink frees it at once.
            close(self.afd);
            self.afd = -1;
            if unlink(c"a") < 0 {
                fail(&self.me, "unlink", b"a");
            }
            self.aseq = 0;
            self.alen = 0;
        }
    }

    fn remove_dir(&mut self, j: usize) {
        if !self.dir_made[j] {
            return;
        }
        let d = [b'd', b'0' + j as u8];
        for k in 0..DIR_FILES {
            unlink(c(&path(&[&d, b"/f", &digit(k)])));
        }
        unlink(c(&path(&[&d, b"/t"])));
        if unlink(c(&path(&[&d]))) < 0 {
            fail(&self.me, "unlink directory", &d);
        }
        self.dir_made[j] = false;
    }

    fn step(&mut self) {
        let k = self.rng.range(0, NFILES - 1);
        let fk = path(&[b"f", &digit(k)]);
        let lk = path(&[b"l", &digit(k)]);
        match self.rng.range(0, 99) {
            0..=34 => {
                let max = if k < 2 { 13 * 1024 } else { 6 * 1024 };
                self.new_version(None, k, max);
            }
            35..=54 => self.append(),
            55..=64 => {
                // A second name for the current version (fK may be absent).
                unlink(c(&lk));
                link(c(&fk), c(&lk));
            }
            65..=74 => {
                let which = if self.rng.range(0, 1) == 0 { &fk } else { &lk };
                unlink(c(which));
            }
            75..=89 => {
                let j = self.rng.range(0, NDIRS - 1);
                if !self.dir_made[j] {
                    let d = path(&[b"d", &digit(j)]);
                    if mkdir(c(&d)) < 0 {
                        fail(&self.me, "mkdir", &d);
                    }
                    self.dir_made[j] = true;
                }
                let i = self.rng.range(0, DIR_FILES - 1);
                self.new_version(Some(j), i, 2048);
            }
            _ => {
                let j = self.rng.range(0, NDIRS - 1);
                self.remove_dir(j);
            }
        }
    }
}

fn worker(n: usize, seed: u64, ops: usize) -> ! {
    let me = [b'p', b'0' + n as u8];
    let dir = path(&[b"/fss/", &me]);
    if mkdir(c(&dir)) < 0 || chdir(c(&dir)) < 0 {
        fail(&me, "mkdir", &dir);
    }
    let mut w = Worker {
        me,
        rng: Rng::new(seed.wrapping_mul(1000).wrapping_add(n as u64)),
        versions: [0; NFILES + NDIRS * DIR_FILES],
        dir_made: [false; NDIRS],
        afd: -1,
        aseq: 0,
        alen: 0,
        buf: Vec::new(),
    };
    let mut done = 0;
    while ops == 0 || done < ops {
        w.step();
        done += 1;
    }
    exit(0)
}

fn main(args: Args) {
    let num =
        |i: usize, default: usize| args.get(i).map_or(default, |a| atoi(a.to_bytes()) as usize);
    let seed = num(1, 1) as u64;
    let ops = num(2, 200);
    let procs = num(3, 4).clamp(1, 8);
    // A fresh tree each run: the checker knows nothing of older ones.
    if mkdir(c"/fss") < 0 {
        println!("fsstress: FAILED: /fss exists or cannot be made");
        exit(1);
    }
    for n in 0..procs {
        match fork() {
            0 => worker(n, seed, ops),
            pid if pid < 0 => {
                println!("fsstress: FAILED: fork");
                exit(1);
            }
            _ => {}
        }
    }
    println!(
        "fsstress: started seed {} ops {} procs {}",
        seed, ops, procs
    );
    let mut ok = true;
    for _ in 0..procs {
        let mut status = 0;
        wait(Some(&mut status));
        ok &= status == 0;
    }
    if ok {
        println!("fsstress: OK");
    } else {
        println!("fsstress: FAILED");
        exit(1);
    }
}
