//! fsck against images built with mkfs's library, then damaged one way at a
//! time: each damage must give exactly its expected line, and an undamaged
//! image none.

use std::process::Command;

use abi::fs::{bblock, iblock, Dinode, Dirent, Superblock, BPB, BSIZE, IPB, ROOTINO};
use abi::stat::T_FILE;
use mkfs::fsck::{check, replay};
use mkfs::{build, Entry, Image, LAYOUT};

/// Inode numbers of the sample image (mkfs hands them out in order).
const A: u32 = 2;
const B: u32 = 3;
const D: u32 = 4;
const X: u32 = 5;

fn entry(name: &str, len: usize) -> Entry {
    Entry {
        path: name.into(),
        name: name.as_bytes().to_vec(),
        contents: (0..len).map(|i| (i * 7 + len) as u8).collect(),
    }
}

/// `/a` (2 blocks), `/b` (14 blocks, so it has an indirect block), and a
/// directory `/d` holding `/d/x`; `extra` may add more before the bitmap is written.
fn sample_with(extra: impl FnOnce(&mut Image)) -> Vec<u8> {
    let mut img = build(&LAYOUT, &[entry("a", 2000), entry("b", 14 * BSIZE)]).unwrap();
    let d = img.mkdir(ROOTINO, b"d").unwrap();
    let x = img.ialloc(T_FILE).unwrap();
    img.dirlink(d, b"x", x).unwrap();
    img.iappend(x, b"hello").unwrap();
    assert_eq!((d, x), (D, X));
    extra(&mut img);
    img.balloc(img.freeblock());
    img.bytes().to_vec()
}

fn sample() -> Vec<u8> {
    sample_with(|_| {})
}

fn sb(img: &[u8]) -> Superblock {
    Superblock::from_bytes(&img[BSIZE..])
}

fn inode_off(img: &[u8], inum: u32) -> usize {
    iblock(inum, &sb(img)) as usize * BSIZE + (inum as usize % IPB) * 64
}

fn inode(img: &[u8], inum: u32) -> Dinode {
    let off = inode_off(img, inum);
    Dinode::from_bytes(&img[off..off + 64])
}

fn set_inode(img: &mut [u8], inum: u32, din: &Dinode) {
    let off = inode_off(img, inum);
    img[off..off + 64].copy_from_slice(&din.to_bytes());
}

fn set_bit(img: &mut [u8], b: u32, on: bool) {
    let byte = bblock(b, &sb(img)) as usize * BSIZE + (b as usize % BPB) / 8;
    let mask = 1 << (b % 8);
    if on {
        img[byte] |= mask;
    } else {
        img[byte] &= !mask;
    }
}

/// Offset of the entry named `name` in directory `dir` (direct blocks only).
fn dirent_off(img: &[u8], dir: u32, name: &[u8]) -> usize {
    let din = inode(img, dir);
    for off in (0..din.size as usize).step_by(16) {
        let at = din.addrs[off / BSIZE] as usize * BSIZE + off % BSIZE;
        let de = Dirent::from_bytes(&img[at..at + 16]);
        if de.inum != 0 && de.name() == name {
            return at;
        }
    }
    panic!("no entry {name:?}");
}

fn problems(img: &[u8]) -> Vec<String> {
    let r = check(img, false);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    r.problems
}

#[test]
fn fresh_image_is_clean() {
    let img = sample();
    let r = check(&img, false);
    assert!(r.clean(), "{:?}", r.problems);
    assert!(r.warnings.is_empty() && r.notes.is_empty());
    // root, a, b, d, x; a 2 blocks, b 14 + indirect, root 2, d 1, x 1.
    assert_eq!(r.inodes, 5);
    assert_eq!(r.blocks, 2 + 15 + 2 + 1 + 1);
    assert_eq!(r.logged, 0);
}

#[test]
fn leaked_block() {
    let mut img = sample();
    let free = sb(&img).size - 10;
    set_bit(&mut img, free, true);
    assert_eq!(
        problems(&img),
        [format!(
            "block {free}: marked in use in the bitmap, but no inode uses it (leaked)"
        )]
    );
    // A run of them is one line.
    set_bit(&mut img, free + 1, true);
    set_bit(&mut img, free + 2, true);
    assert_eq!(
        problems(&img),
        [format!(
            "blocks {free}-{}: marked in use in the bitmap, but no inode uses it (leaked)",
            free + 2
        )]
    );
}

#[test]
fn doubly_used_block() {
    let mut img = sample();
    let shared = inode(&img, A).addrs[1];
    let mut b = inode(&img, B);
    // b's own block 3 is given up (and freed), so only the sharing is wrong.
    set_bit(&mut img, b.addrs[3], false);
    b.addrs[3] = shared;
    set_inode(&mut img, B, &b);
    assert_eq!(
        problems(&img),
        [format!(
            "block {shared} is used twice: by inode 2 (/a) as block 1 and by inode 3 (/b) as block 3"
        )]
    );
}

#[test]
fn wrong_link_count() {
    let mut img = sample();
    let mut a = inode(&img, A);
    a.nlink = 2;
    set_inode(&mut img, A, &a);
    assert_eq!(
        problems(&img),
        ["inode 2 (/a): link count 2, but 1 directory entry names it"]
    );
    // A directory counts its parent's entry and each child's `..`, not its own `.`.
    let mut d = inode(&img, D);
    d.nlink = 2;
    set_inode(&mut img, D, &d);
    a.nlink = 1;
    set_inode(&mut img, A, &a);
    assert_eq!(
        problems(&img),
        ["inode 4 (/d): link count 2, but 1 directory entry names it"]
    );
}

#[test]
fn dangling_entry() {
    // Inode 150 was never allocated.
    let img = sample_with(|img| img.dirlink(ROOTINO, b"ghost", 150).unwrap());
    assert_eq!(
        problems(&img),
        ["/ghost: entry points at inode 150, which is free (dangling entry)"]
    );
}

#[test]
fn orphan_inode() {
    let mut img = sample();
    let off = dirent_off(&img, D, b"x");
    img[off..off + 16].fill(0);
    assert_eq!(
        problems(&img),
        ["inode 5: allocated file (size 5, nlink 1) but no directory entry names it (orphan)"]
    );
}

#[test]
fn bad_dot_dot() {
    let mut img = sample();
    let off = dirent_off(&img, D, b"..");
    img[off..off + 2].copy_from_slice(&(D as u16).to_le_bytes());
    let p = problems(&img);
    assert!(
        p.contains(
            &"/d: entry 1 should be \"..\" naming inode 1, but is \"..\" naming inode 4".into()
        ),
        "{p:?}"
    );
    // The link counts follow from it: root lost one `..`, d gained one.
    assert!(p.contains(&"inode 1 (/): link count 2, but 1 directory entry names it".into()));
    assert!(p.contains(&"inode 4 (/d): link count 1, but 2 directory entries name it".into()));
    assert_eq!(p.len(), 3, "{p:?}");
}

#[test]
fn block_outside_data_area() {
    let mut img = sample();
    let mut a = inode(&img, A);
    let old = a.addrs[1];
    set_bit(&mut img, old, false);
    a.addrs[1] = 3; // a log block
    set_inode(&mut img, A, &a);
    let ds = LAYOUT.nmeta;
    assert_eq!(
        problems(&img),
        [format!(
            "inode 2 (/a): block 1 is block 3, outside the data blocks [{ds}, 2000)"
        )]
    );
}

#[test]
fn used_block_free_in_bitmap() {
    let mut img = sample();
    let b = inode(&img, X).addrs[0];
    set_bit(&mut img, b, false);
    assert_eq!(
        problems(&img),
        [format!(
            "block {b}: used by inode 5 (/d/x) as block 0, but free in the bitmap"
        )]
    );
}

#[test]
fn metadata_free_in_bitmap() {
    let mut img = sample();
    set_bit(&mut img, 3, false);
    set_bit(&mut img, 4, false);
    assert_eq!(
        problems(&img),
        ["blocks 3-4: free in the bitmap, but the log is metadata; the kernel could hand it out"]
    );
}

#[test]
fn size_against_blocks() {
    let mut img = sample();
    let mut a = inode(&img, A);
    a.size = 5000; // 5 blocks, a has 2
    set_inode(&mut img, A, &a);
    assert_eq!(
        problems(&img),
        ["inode 2 (/a): size 5000 needs 5 blocks, but 3 of them are missing (first: block 2)"]
    );
    // Blocks past the end are harmless (xv6 leaves them when a write's
    // copy from user memory fails): a warning, not a problem.
    a.size = 1000;
    set_inode(&mut img, A, &a);
    let r = check(&img, false);
    assert!(r.clean(), "{:?}", r.problems);
    let b1 = a.addrs[1];
    assert_eq!(
        r.warnings,
        [format!(
            "inode 2 (/a): size 1000, yet it holds block 1 ({b1}) past the end (a write that failed part way leaves these)"
        )]
    );
}

#[test]
fn directory_linked_twice() {
    let img = sample_with(|img| img.dirlink(ROOTINO, b"d2", D).unwrap());
    let p = problems(&img);
    assert!(
        p.contains(
            &"/d2: a second name for directory inode 4 (also /d); xv6 never links directories"
                .into()
        ),
        "{p:?}"
    );
}

/// The sample as it is on disk, with a committed but uninstalled
/// transaction in the log that adds `/new`: what a crash right after the
/// commit point leaves.
fn crashed() -> (Vec<u8>, Vec<u8>, usize) {
    let before = sample();
    let after = sample_with(|img| {
        let n = img.ialloc(T_FILE).unwrap();
        img.dirlink(ROOTINO, b"new", n).unwrap();
        img.iappend(n, &[9; 1500]).unwrap();
    });
    let changed: Vec<u32> = (0..2000u32)
        .filter(|&b| {
            let r = b as usize * BSIZE..(b as usize + 1) * BSIZE;
            before[r.clone()] != after[r]
        })
        .collect();
    // New inode's block, root's, two data blocks and the bitmap.
    assert!(changed.len() >= 4 && changed.len() < 29, "{changed:?}");
    let mut img = before;
    let s = sb(&img);
    let head = s.logstart as usize * BSIZE;
    img[head..head + 4].copy_from_slice(&(changed.len() as u32).to_le_bytes());
    for (i, &b) in changed.iter().enumerate() {
        img[head + 4 + 4 * i..head + 8 + 4 * i].copy_from_slice(&b.to_le_bytes());
        let to = (s.logstart as usize + 1 + i) * BSIZE;
        let from = b as usize * BSIZE;
        img[to..to + BSIZE].copy_from_slice(&after[from..from + BSIZE]);
    }
    (img, after, changed.len())
}

#[test]
fn committed_log_reported_without_replay() {
    let (img, _, n) = crashed();
    // The homes still hold the consistent old state: only the log is named.
    assert_eq!(
        problems(&img),
        [format!(
            "log: holds a committed transaction of {n} blocks not yet installed \
             (the kernel installs it at boot; --replay checks the result)"
        )]
    );
}

#[test]
fn replay_installs_the_log() {
    let (mut img, after, n) = crashed();
    let r = check(&img, true);
    assert!(r.clean(), "{:?}", r.problems);
    assert_eq!(r.logged, n);
    assert_eq!(r.inodes, 6);
    assert_eq!(
        r.notes,
        [format!(
            "log: replayed a committed transaction of {n} blocks (in memory; the image is unchanged)"
        )]
    );
    // Replayed, the image is the new state outside the log, and the log is empty.
    assert_eq!(replay(&mut img).unwrap(), n);
    let s = sb(&img);
    let log = s.logstart as usize * BSIZE..(s.logstart + s.nlog) as usize * BSIZE;
    assert_eq!(img[..log.start], after[..log.start]);
    assert_eq!(img[log.end..], after[log.end..]);
    assert_eq!(img[log.start..log.start + 4], [0; 4]);
    assert_eq!(replay(&mut img).unwrap(), 0);
}

#[test]
fn torn_commit_is_caught_after_replay() {
    // Header written but one logged block still stale (a commit that wrote
    // the header first): after replay the image is inconsistent.
    let (mut img, _, _) = crashed();
    let s = sb(&img);
    let first_logged = (s.logstart as usize + 1) * BSIZE;
    img[first_logged..first_logged + BSIZE].fill(0);
    assert!(!check(&img, true).clean());
}

#[test]
fn bad_log_header() {
    let mut img = sample();
    let head = sb(&img).logstart as usize * BSIZE;
    img[head..head + 4].copy_from_slice(&100u32.to_le_bytes());
    assert_eq!(
        problems(&img),
        ["log: header counts 100 blocks, more than the log holds (29)"]
    );
    img[head..head + 8].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(
        problems(&img),
        ["log: header names block 1, outside the inode, bitmap and data blocks [32, 2000)"]
    );
}

fn run(bin: &str, args: &[&std::path::Path]) -> std::process::Output {
    Command::new(bin).args(args).output().expect("run")
}

#[test]
fn command_line() {
    let dir = std::env::temp_dir().join(format!("fsck-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("README");
    std::fs::write(&file, b"some text\n").unwrap();
    let image = dir.join("fs.img");
    let mkfs = run(env!("CARGO_BIN_EXE_mkfs"), &[&image, &file]);
    assert!(mkfs.status.success());

    let fsck = env!("CARGO_BIN_EXE_fsck");
    let out = run(fsck, &[&image]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text,
        format!(
            "{}: clean (2 inodes, 2 data blocks in use)\n",
            image.display()
        )
    );

    let mut img = std::fs::read(&image).unwrap();
    set_bit(&mut img, 1500, true);
    std::fs::write(&image, &img).unwrap();
    let out = run(fsck, &[&image]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text,
        format!(
            "block 1500: marked in use in the bitmap, but no inode uses it (leaked)\n{}: 1 problem\n",
            image.display()
        )
    );
    assert_eq!(run(fsck, &[]).status.code(), Some(2));
    assert_eq!(
        run(fsck, &[&dir.join("missing.img")]).status.code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
