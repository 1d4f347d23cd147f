//! ls: list files. For a directory, one line per entry; otherwise one line
//! for the file itself. Each line is the name padded to DIRSIZ columns,
//! then type, inode number and size.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use ulib::fs::{Dirent, DIRSIZ};
use ulib::{
    close, exit, fstat, open, print, read, stat, Args, CStr, Out, Stat, O_RDONLY, T_DEVICE, T_DIR,
    T_FILE,
};

ulib::entry!(main);

/// The C version assembles entry paths in a 512-byte array; longer
/// directory paths are refused with the same message.
const PATHBUF: usize = 512;
const DIRENT_SIZE: usize = core::mem::size_of::<Dirent>();

/// Appends the last component of `path`, blank-padded to DIRSIZ columns
/// (a name that long or longer is shown whole, without padding).
fn fmtname(out: &mut Out, path: &[u8]) {
    let start = path.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
    let name = &path[start..];
    out.bytes(name);
    for _ in name.len()..DIRSIZ {
        out.str(" ");
    }
}

fn ls(path: &CStr) {
    let fd = open(path, O_RDONLY);
    if fd < 0 {
        Out::new(2)
            .str("ls: cannot open ")
            .bytes(path.to_bytes())
            .str("\n");
        return;
    }

    let mut st = Stat::default();
    if fstat(fd, &mut st) < 0 {
        Out::new(2)
            .str("ls: cannot stat ")
            .bytes(path.to_bytes())
            .str("\n");
        close(fd);
        return;
    }

    match st.typ {
        T_DEVICE | T_FILE => {
            // The C format reads the inode number as an int and the size
            // as an unsigned int; the casts reproduce what it prints.
            let mut out = Out::new(1);
            fmtname(&mut out, path.to_bytes());
            out.fmt(format_args!(
                " {} {} {}\n",
                st.typ, st.ino as i32, st.size as u32
            ));
        }
        T_DIR => ls_dir(fd, path.to_bytes()),
        _ => {}
    }
    close(fd);
}

/// Lists the entries of the directory open on `fd`, whose path is `path`.
fn ls_dir(fd: i32, path: &[u8]) {
    if path.len() + 1 + DIRSIZ + 1 > PATHBUF {
        print!("ls: path too long\n");
        return;
    }
    // "path/" followed by the entry name and its terminating NUL.
    let mut buf: Vec<u8> = Vec::with_capacity(path.len() + 1 + DIRSIZ + 1);
    buf.extend_from_slice(path);
    buf.push(b'/');
    let prefix = buf.len();

    let mut de = [0u8; DIRENT_SIZE];
    while read(fd, &mut de) == DIRENT_SIZE as i32 {
        let de = Dirent::from_bytes(&de);
        if de.inum == 0 {
            continue;
        }
        buf.truncate(prefix);
        buf.extend_from_slice(de.name());
        buf.push(0);
        let Ok(name) = CStr::from_bytes_with_nul(&buf) else {
            continue;
        };

        let mut st = Stat::default();
        if stat(name, &mut st) < 0 {
            Out::new(1)
                .str("ls: cannot stat ")
                .bytes(name.to_bytes())
                .str("\n");
            continue;
        }
        // Here C prints the size with %d: a signed int.
        let mut out = Out::new(1);
        fmtname(&mut out, name.to_bytes());
        out.fmt(format_args!(
            " {} {} {}\n",
            st.typ, st.ino as i32, st.size as u32 as i32
        ));
    }
}

fn main(args: Args) {
    if args.len() < 2 {
        ls(c".");
        exit(0);
    }
    for path in args.iter().skip(1) {
        ls(path);
    }
    exit(0);
}
