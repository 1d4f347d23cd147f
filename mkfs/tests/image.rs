//! Builds real images with the `mkfs` binary and reads them back using only
//! the kernel's layout types, the way the kernel itself would see them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use abi::fs::{
    bblock, iblock, Dinode, Dirent, Superblock, BPB, BSIZE, DIRSIZ, FSMAGIC, IPB, MAXFILE, NDIRECT,
    ROOTINO,
};
use abi::stat::{T_DIR, T_FILE};

/// A scratch directory that is removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        // Tests run in parallel threads, so the pid alone is not unique.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mkfs-test-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        fs::write(&p, contents).unwrap();
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn mkfs(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mkfs"))
        .args(args)
        .output()
        .expect("run mkfs")
}

/// Bytes that differ from block to block, so a misplaced block shows up.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Read-only view of an image.
struct Disk {
    img: Vec<u8>,
    sb: Superblock,
}

impl Disk {
    fn open(path: &Path) -> Self {
        let img = fs::read(path).unwrap();
        assert_eq!(img.len(), 2000 * BSIZE, "image must be FSSIZE blocks");
        let sb = Superblock::from_bytes(&img[BSIZE..2 * BSIZE]);
        Disk { img, sb }
    }

    fn block(&self, b: u32) -> &[u8] {
        let off = b as usize * BSIZE;
        &self.img[off..off + BSIZE]
    }

    fn inode(&self, inum: u32) -> Dinode {
        let off = (inum as usize % IPB) * 64;
        Dinode::from_bytes(&self.block(iblock(inum, &self.sb))[off..off + 64])
    }

    /// Every block an inode owns: its data blocks, and the indirect block if any.
    fn blocks_of(&self, din: &Dinode) -> (Vec<u32>, Option<u32>) {
        let n = (din.size as usize).div_ceil(BSIZE);
        assert!(n <= MAXFILE);
        let mut data = Vec::new();
        for i in 0..n {
            let b = if i < NDIRECT {
                din.addrs[i]
            } else {
                let ind = self.block(din.addrs[NDIRECT]);
                let o = (i - NDIRECT) * 4;
                u32::from_le_bytes(ind[o..o + 4].try_into().unwrap())
            };
            assert_ne!(b, 0, "block {i} of a {}-byte file is unmapped", din.size);
            data.push(b);
        }
        let ind = (din.addrs[NDIRECT] != 0).then_some(din.addrs[NDIRECT]);
        (data, ind)
    }

    fn read(&self, inum: u32) -> Vec<u8> {
        let din = self.inode(inum);
        let mut out = Vec::new();
        for b in self.blocks_of(&din).0 {
            out.extend_from_slice(self.block(b));
        }
        out.truncate(din.size as usize);
        out
    }

    fn root_entries(&self) -> Vec<(u16, Vec<u8>)> {
        self.read(ROOTINO)
            .chunks(16)
            .map(Dirent::from_bytes)
            .filter(|d| d.inum != 0)
            .map(|d| (d.inum, d.name().to_vec()))
            .collect()
    }

    fn bit(&self, b: u32) -> bool {
        let byte = self.block(bblock(b, &self.sb))[(b as usize % BPB) / 8];
        byte & (1 << (b % 8)) != 0
    }
}

/// Files used by several tests: name on the host, contents.
fn sample(dir: &TempDir) -> Vec<(PathBuf, Vec<u8>)> {
    let readme = b"xv6 is a re-implementation of Dennis Ritchie's and Ken Thompson's Unix\n";
    let files = [
        ("README", readme.to_vec()),
        ("_cat", pattern(3000, 1)),
        // 12 direct blocks plus three more through the indirect block.
        ("_big", pattern(NDIRECT * BSIZE + 2 * BSIZE + 100, 2)),
        ("_empty", Vec::new()),
        ("_abcdefghijklmn", b"fourteen".to_vec()),
    ];
    files
        .into_iter()
        .map(|(n, c)| (dir.file(n, &c), c))
        .collect()
}

fn build_sample(dir: &TempDir) -> (Disk, Vec<(PathBuf, Vec<u8>)>) {
    let files = sample(dir);
    let img = dir.path("fs.img");
    let mut args: Vec<&Path> = vec![&img];
    args.extend(files.iter().map(|(p, _)| p.as_path()));
    let out = mkfs(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (Disk::open(&img), files)
}

#[test]
fn superblock_fields() {
    let dir = TempDir::new();
    let (disk, _) = build_sample(&dir);
    let sb = disk.sb;
    assert_eq!(sb.magic, FSMAGIC);
    assert_eq!(sb.size, 2000);
    assert_eq!(sb.ninodes, 200);
    assert_eq!(sb.nlog, 30);
    assert_eq!(sb.logstart, 2);
    assert_eq!(sb.inodestart, 32);
    assert_eq!(sb.bmapstart, 45);
    assert_eq!(sb.nblocks, 1954);
    // Regions follow one another with nothing left over.
    assert_eq!(sb.inodestart, sb.logstart + sb.nlog);
    assert_eq!(sb.bmapstart, sb.inodestart + 200 / IPB as u32 + 1);
    assert_eq!(sb.size - sb.nblocks, sb.bmapstart + 1);
    // The rest of block 1 and all of block 0 stay zero.
    assert!(disk.block(1)[32..].iter().all(|&b| b == 0));
    assert!(disk.block(0).iter().all(|&b| b == 0));
}

#[test]
fn root_directory_and_file_contents() {
    let dir = TempDir::new();
    let (disk, files) = build_sample(&dir);

    let root = disk.inode(ROOTINO);
    assert_eq!(root.typ, T_DIR);
    assert_eq!(root.nlink, 1);
    assert_eq!(root.size as usize, BSIZE, "7 entries pad to one block");

    let names: Vec<&[u8]> = vec![
        b".",
        b"..",
        b"README",
        b"cat",
        b"big",
        b"empty",
        b"abcdefghijklmn",
    ];
    let entries = disk.root_entries();
    let got: Vec<&[u8]> = entries.iter().map(|(_, n)| n.as_slice()).collect();
    assert_eq!(got, names);
    assert_eq!(entries[0].0 as u32, ROOTINO);
    assert_eq!(entries[1].0 as u32, ROOTINO);
    // A 14-byte name fills the slot with no terminating NUL.
    let raw = disk.read(ROOTINO);
    assert_eq!(&raw[6 * 16 + 2..7 * 16], b"abcdefghijklmn");
    assert_eq!(DIRSIZ, 14);

    for (i, (path, contents)) in files.iter().enumerate() {
        let inum = entries[i + 2].0 as u32;
        assert_eq!(inum, i as u32 + 2, "inodes are handed out in order");
        let din = disk.inode(inum);
        assert_eq!(din.typ, T_FILE, "{}", path.display());
        assert_eq!(din.nlink, 1);
        assert_eq!(din.size as usize, contents.len());
        assert_eq!(&disk.read(inum), contents, "{}", path.display());
    }
}

#[test]
fn large_file_uses_indirect_block() {
    let dir = TempDir::new();
    let (disk, files) = build_sample(&dir);
    let big = disk.inode(4);
    assert_eq!(big.size as usize, files[2].1.len());
    assert!(big.addrs.iter().all(|&a| a != 0));
    let (data, ind) = disk.blocks_of(&big);
    assert_eq!(data.len(), NDIRECT + 3);
    let ind = ind.expect("indirect block");
    // Allocation order: 12 direct blocks, then the indirect block, then the rest.
    assert_eq!(ind, data[NDIRECT - 1] + 1);
    assert_eq!(data[NDIRECT], ind + 1);
    // Unused indirect slots are zero.
    assert!(disk.block(ind)[3 * 4..].iter().all(|&b| b == 0));
    assert_eq!(disk.read(4), files[2].1);
    // Small files have no indirect block.
    assert_eq!(disk.inode(3).addrs[NDIRECT], 0);
    assert_eq!(disk.inode(5).addrs, [0; NDIRECT + 1]);
}

#[test]
fn bitmap_marks_exactly_used_blocks() {
    let dir = TempDir::new();
    let (disk, _) = build_sample(&dir);
    let sb = disk.sb;
    let nmeta = sb.size - sb.nblocks;

    // Every block some inode owns, found by walking the inodes.
    let mut owned = BTreeSet::new();
    for inum in 1..sb.ninodes {
        let din = disk.inode(inum);
        if din.typ == 0 {
            continue;
        }
        let (data, ind) = disk.blocks_of(&din);
        for b in data.into_iter().chain(ind) {
            assert!(b >= nmeta && b < sb.size, "block {b} outside the data area");
            assert!(owned.insert(b), "block {b} owned twice");
        }
    }
    // Data blocks are handed out contiguously from the first one.
    let used = nmeta + owned.len() as u32;
    assert_eq!(
        owned.iter().copied().collect::<Vec<_>>(),
        (nmeta..used).collect::<Vec<_>>()
    );
    // root 1 + README 1 + cat 3 + big 15+1 + empty 0 + 14-byte 1.
    assert_eq!(used, nmeta + 22);

    for b in 0..sb.size {
        assert_eq!(disk.bit(b), b < used, "bitmap bit for block {b}");
    }
    // Bits beyond the disk's end stay clear too.
    let bm = disk.block(sb.bmapstart);
    assert!(bm[(used as usize).div_ceil(8)..].iter().all(|&b| b == 0));
}

#[test]
fn prints_xv6_summary() {
    let dir = TempDir::new();
    let img = dir.path("fs.img");
    let readme = dir.file("README", &pattern(2500, 3));
    let out = mkfs(&[&img, &readme]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "nmeta 46 (boot, super, log blocks 30 inode blocks 13, bitmap blocks 1) blocks 1954 total 2000"
    );
    // Root directory 1 block + README 3 blocks after the 46 metadata blocks.
    assert_eq!(lines[1], "balloc: first 50 blocks have been allocated");
    assert_eq!(lines[2], "balloc: write bitmap block at sector 45");
}

#[test]
fn no_files_gives_empty_root() {
    let dir = TempDir::new();
    let img = dir.path("fs.img");
    let out = mkfs(&[&img]);
    assert!(out.status.success());
    let disk = Disk::open(&img);
    assert_eq!(
        disk.root_entries(),
        vec![(1, b".".to_vec()), (1, b"..".to_vec())]
    );
    assert_eq!(disk.inode(ROOTINO).size as usize, BSIZE);
    assert_eq!(disk.inode(2).typ, 0, "no other inode is in use");
    for b in 0..disk.sb.size {
        assert_eq!(disk.bit(b), b <= 46, "bitmap bit for block {b}");
    }
}

#[test]
fn fifteen_byte_name_refused() {
    let dir = TempDir::new();
    let img = dir.path("fs.img");
    let ok = dir.file("README", b"hi\n");
    let long = dir.file("abcdefghijklmno", b"too long\n");
    let out = mkfs(&[&img, &ok, &long]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("abcdefghijklmno"), "stderr: {err}");
    assert!(err.contains("at most 14"), "stderr: {err}");
    assert!(out.stdout.is_empty());
    assert!(!img.exists(), "no image is written on error");

    // The library reports the same thing as a typed error.
    let r = mkfs::run(&[img.clone(), long]);
    assert!(matches!(r, Err(mkfs::Error::NameTooLong { .. })));
    assert!(!img.exists());
}

#[test]
fn too_large_file_refused() {
    let dir = TempDir::new();
    let img = dir.path("fs.img");
    let fits = dir.file("_max", &vec![1; MAXFILE * BSIZE]);
    assert!(mkfs(&[&img, &fits]).status.success());
    assert_eq!(Disk::open(&img).read(2).len(), MAXFILE * BSIZE);

    let img2 = dir.path("fs2.img");
    let big = dir.file("_huge", &vec![1; MAXFILE * BSIZE + 1]);
    let out = mkfs(&[&img2, &big]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("_huge"));
    assert!(!img2.exists());
}

#[test]
fn bad_command_lines() {
    let out = mkfs(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: mkfs fs.img files..."));

    let dir = TempDir::new();
    let img = dir.path("fs.img");
    let missing = dir.path("nosuchfile");
    let out = mkfs(&[&img, &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuchfile"));
    assert!(!img.exists());

    // Two inputs that would get the same name.
    let a = dir.file("cat", b"a");
    let b = dir.file("_cat", b"b");
    let out = mkfs(&[&img, &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!img.exists());

    // The output's directory does not exist.
    let out = mkfs(&[&dir.path("no/such/dir/fs.img"), &a]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fs.img"));
}

#[test]
fn root_size_is_whole_blocks() {
    // 2 + 62 entries fill exactly one block; one more spills into a second.
    for (nfiles, want) in [(62, BSIZE), (63, 2 * BSIZE), (100, 2 * BSIZE)] {
        let dir = TempDir::new();
        let img = dir.path("fs.img");
        let files: Vec<PathBuf> = (0..nfiles)
            .map(|i| dir.file(&format!("f{i}"), &pattern(i, i as u32)))
            .collect();
        let mut args: Vec<&Path> = vec![&img];
        args.extend(files.iter().map(|p| p.as_path()));
        assert!(mkfs(&args).status.success());
        let disk = Disk::open(&img);
        let root = disk.inode(ROOTINO);
        assert_eq!(root.size as usize, want, "{nfiles} files");
        // Every block inside the size is mapped (blocks_of checks that).
        assert_eq!(disk.blocks_of(&root).0.len(), want / BSIZE);
        let entries = disk.root_entries();
        assert_eq!(entries.len(), nfiles + 2);
        for (i, (inum, name)) in entries[2..].iter().enumerate() {
            assert_eq!(name, format!("f{i}").as_bytes());
            assert_eq!(disk.read(*inum as u32), pattern(i, i as u32));
        }
    }
}
