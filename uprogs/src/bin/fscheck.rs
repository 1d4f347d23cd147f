//! fscheck [DIR]: verifies what fsstress guarantees, after a crash and the
//! log's recovery, in DIR (default /fss): every name holds a complete
//! version or record sequence of the file it belongs to, never a torn or
//! mixed one (formats in stressfmt.rs). Only reads.
//!
//! - pN/fK, pN/lK, pN/dJ/fK: one whole version whose header names fK in
//!   that directory, and exactly as long as the header says;
//! - t (a version being written): empty or a prefix of one version of a
//!   file of its directory;
//! - pN/a: whole records of pN/a numbered 0, 1, 2, ...;
//! - nothing else.
//!
//! Prints one `fscheck: PATH: ...` line per problem, then `fscheck: OK ...`
//! or `fscheck: FAILED ...`.

#![no_std]
#![no_main]

extern crate alloc;

// Shared with the other program, which uses the other half of it.
#[allow(dead_code)]
#[path = "../stressfmt.rs"]
mod stressfmt;

use alloc::vec::Vec;
use stressfmt::{first_bad, key, Header, FILE_MAGIC, HEADER, RECORD_MAGIC};
use ulib::fs::Dirent;
use ulib::{close, fstat, open, println, read, Args, CStr, Stat, O_RDONLY, T_DIR, T_FILE};

ulib::entry!(main);

#[derive(Default)]
struct Tally {
    problems: usize,
    files: usize,
    records: usize,
    partial: usize,
}

fn text(b: &[u8]) -> &str {
    core::str::from_utf8(b).unwrap_or("?")
}

impl Tally {
    fn bad(&mut self, path: &[u8], why: core::fmt::Arguments) {
        self.problems += 1;
        println!("fscheck: {}: {}", text(path), why);
    }
}

/// The whole file, or None if it cannot be opened as a plain file.
fn slurp(path: &[u8]) -> Option<(i16, Vec<u8>)> {
    let mut p = path.to_vec();
    p.push(0);
    let fd = open(CStr::from_bytes_with_nul(&p).ok()?, O_RDONLY);
    if fd < 0 {
        return None;
    }
    let mut st = Stat::default();
    if fstat(fd, &mut st) < 0 {
        close(fd);
        return None;
    }
    let mut data = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = read(fd, &mut chunk);
        if n <= 0 {
            break;
        }
        data.extend_from_slice(&chunk[..n as usize]);
    }
    close(fd);
    if data.len() as u64 != st.size && st.typ != T_DIR {
        return None;
    }
    Some((st.typ, data))
}

/// Names in a directory, `.` and `..` left out.
fn entries(data: &[u8]) -> Vec<Vec<u8>> {
    data.chunks_exact(16)
        .map(Dirent::from_bytes)
        .filter(|d| d.inum != 0 && d.name() != b"." && d.name() != b"..")
        .map(|d| d.name().to_vec())
        .collect()
}

/// `rel` with its last name replaced by `fK`: the home a version must name.
fn home_of(rel: &[u8], k: u8) -> Vec<u8> {
    let cut = rel.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
    [&rel[..cut], &[b'f', k][..]].concat()
}

/// A version that must be whole: header for `home`, length exact, body right.
fn whole(t: &mut Tally, path: &[u8], data: &[u8], home: &[u8]) {
    let Some(h) = Header::parse(data) else {
        return t.bad(
            path,
            format_args!("{} bytes, too short for a header", data.len()),
        );
    };
    if h.magic != FILE_MAGIC || h.home() != home {
        return t.bad(
            path,
            format_args!("header is not a version of {}", text(home)),
        );
    }
    if h.len as usize != data.len() {
        return t.bad(
            path,
            format_args!(
                "version {} is {} bytes, header says {} (torn)",
                h.version,
                data.len(),
                h.len
            ),
        );
    }
    if let Some(off) = first_bad(key(home, h.version), &data[HEADER..]) {
        return t.bad(
            path,
            format_args!(
                "version {}: wrong byte at offset {} (mixed)",
                h.version, off
            ),
        );
    }
    t.files += 1;
}

/// A version being written: empty, or a prefix of a version of a file in
/// this directory (each write that made it was committed whole).
fn prefix(t: &mut Tally, path: &[u8], rel: &[u8], data: &[u8]) {
    if data.is_empty() {
        t.partial += 1;
        return;
    }
    let Some(h) = Header::parse(data) else {
        // fsstress writes the whole header in its first write.
        return t.bad(path, format_args!("{} bytes: a torn header", data.len()));
    };
    let home = h.home();
    let ok_home = home.len() >= 2
        && home[home.len() - 2] == b'f'
        && home_of(rel, home[home.len() - 1]) == home;
    if h.magic != FILE_MAGIC || !ok_home {
        return t.bad(
            path,
            format_args!("header is not a version of a file beside it"),
        );
    }
    if data.len() > h.len as usize {
        return t.bad(
            path,
            format_args!("{} bytes, more than its header's {}", data.len(), h.len),
        );
    }
    if let Some(off) = first_bad(key(home, h.version), &data[HEADER..]) {
        return t.bad(
            path,
            format_args!(
                "version {}: wrong byte at offset {} (mixed)",
                h.version, off
            ),
        );
    }
    t.partial += 1;
}

/// Whole records of `home`, numbered from 0, up to the end of the file.
fn records(t: &mut Tally, path: &[u8], home: &[u8], data: &[u8]) {
    let mut off = 0;
    let mut seq = 0;
    while off < data.len() {
        let rest = &data[off..];
        let Some(h) = Header::parse(rest) else {
            return t.bad(path, format_args!("record {} at {}: torn header", seq, off));
        };
        if h.magic != RECORD_MAGIC || h.home() != home || h.version != seq {
            return t.bad(
                path,
                format_args!("at offset {}: not record {} of {}", off, seq, text(home)),
            );
        }
        let len = h.len as usize;
        if len < HEADER || len > rest.len() {
            return t.bad(
                path,
                format_args!(
                    "record {} at {}: {} bytes, header says {} (torn)",
                    seq,
                    off,
                    rest.len(),
                    len
                ),
            );
        }
        if let Some(bad) = first_bad(key(home, seq), &rest[HEADER..len]) {
            return t.bad(
                path,
                format_args!("record {}: wrong byte at offset {} (mixed)", seq, off + bad),
            );
        }
        off += len;
        seq += 1;
        t.records += 1;
    }
}

/// Checks directory `path` (`rel` below the top); `depth` 0 is the top,
/// 1 a process's directory, 2 one of its subdirectories.
fn check_dir(t: &mut Tally, path: &[u8], rel: &[u8], depth: usize) {
    let Some((T_DIR, data)) = slurp(path) else {
        return t.bad(path, format_args!("cannot be read as a directory"));
    };
    for name in entries(&data) {
        let sub = [path, b"/", &name].concat();
        let subrel = if rel.is_empty() {
            name.clone()
        } else {
            [rel, b"/", &name].concat()
        };
        let digit = name.len() == 2 && name[1].is_ascii_digit();
        let kind = (depth, name.first().copied().unwrap_or(0), digit);
        if matches!(kind, (0, b'p', true) | (1, b'd', true)) {
            check_dir(t, &sub, &subrel, depth + 1);
            continue;
        }
        let Some((typ, data)) = slurp(&sub) else {
            t.bad(&sub, format_args!("cannot be opened and read whole"));
            continue;
        };
        if typ != T_FILE {
            t.bad(&sub, format_args!("type {}, not a file", typ));
            continue;
        }
        match (depth, name.as_slice()) {
            (1 | 2, [b'f', k]) if k.is_ascii_digit() => {
                whole(t, &sub, &data, &home_of(&subrel, *k))
            }
            (1, [b'l', k]) if k.is_ascii_digit() => whole(t, &sub, &data, &home_of(&subrel, *k)),
            (1 | 2, b"t") => prefix(t, &sub, &subrel, &data),
            (1, b"a") => records(t, &sub, &subrel, &data),
            _ => t.bad(&sub, format_args!("unexpected name")),
        }
    }
}

fn main(args: Args) {
    let top = args.get(1).map_or(&b"/fss"[..], |a| a.to_bytes());
    let mut t = Tally::default();
    if slurp(top).is_none() {
        // The crash came before fsstress made its directory.
        println!("fscheck: OK: {} absent", text(top));
        return;
    }
    check_dir(&mut t, top, b"", 0);
    if t.problems == 0 {
        println!(
            "fscheck: OK: {} files, {} records, {} partly written",
            t.files, t.records, t.partial
        );
    } else {
        println!("fscheck: FAILED: {} problems", t.problems);
        ulib::exit(1);
    }
}
