//! Host checks that every number and layout matches C xv6 (docs/design.md §3).

use crate::fcntl::*;
use crate::fs::*;
use crate::param::*;
use crate::stat::*;
use crate::syscall::*;
use core::mem::{offset_of, size_of};

#[test]
fn syscall_numbers_match_xv6() {
    let table = [
        (SYS_FORK, 1),
        (SYS_EXIT, 2),
        (SYS_WAIT, 3),
        (SYS_PIPE, 4),
        (SYS_READ, 5),
        (SYS_KILL, 6),
        (SYS_EXEC, 7),
        (SYS_FSTAT, 8),
        (SYS_CHDIR, 9),
        (SYS_DUP, 10),
        (SYS_GETPID, 11),
        (SYS_SBRK, 12),
        (SYS_SLEEP, 13),
        (SYS_UPTIME, 14),
        (SYS_OPEN, 15),
        (SYS_WRITE, 16),
        (SYS_MKNOD, 17),
        (SYS_UNLINK, 18),
        (SYS_LINK, 19),
        (SYS_MKDIR, 20),
        (SYS_CLOSE, 21),
        (SYS_MMAP, 22),
        (SYS_MUNMAP, 23),
        (SYS_SWAPSTAT, 24),
    ];
    for (got, want) in table {
        assert_eq!(got, want);
    }
}

#[test]
fn parameters_match_xv6() {
    assert_eq!(
        (NPROC, NCPU, NOFILE, NFILE, NINODE, NDEV),
        (64, 8, 16, 100, 50, 10)
    );
    assert_eq!((MAXOPBLOCKS, LOGSIZE, NBUF), (10, 30, 30));
    assert_eq!((FSSIZE, MAXPATH, MAXARG, ROOTDEV), (2000, 128, 32, 1));
}

#[test]
fn open_flags_and_types_match_xv6() {
    assert_eq!((O_RDONLY, O_WRONLY, O_RDWR), (0, 1, 2));
    assert_eq!((O_CREATE, O_TRUNC), (0x200, 0x400));
    assert_eq!((T_DIR, T_FILE, T_DEVICE), (1, 2, 3));
    assert_eq!(CONSOLE, 1);
    // The course's mmap lab.
    assert_eq!((PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC), (0, 1, 2, 4));
    assert_eq!((MAP_SHARED, MAP_PRIVATE), (1, 2));
}

#[test]
fn stat_layout() {
    assert_eq!(size_of::<Stat>(), 24);
    assert_eq!(offset_of!(Stat, dev), 0);
    assert_eq!(offset_of!(Stat, ino), 4);
    assert_eq!(offset_of!(Stat, typ), 8);
    assert_eq!(offset_of!(Stat, nlink), 10);
    assert_eq!(offset_of!(Stat, size), 16);
}

#[test]
fn disk_layout_constants() {
    assert_eq!((BSIZE, FSMAGIC, ROOTINO), (1024, 0x10203040, 1));
    assert_eq!((NDIRECT, NINDIRECT, MAXFILE), (12, 256, 268));
    assert_eq!((IPB, BPB, DIRSIZ), (16, 8192, 14));
    assert_eq!(size_of::<Superblock>(), 32);
    assert_eq!(size_of::<Dinode>(), 64);
    assert_eq!(size_of::<Dirent>(), 16);
    assert_eq!(offset_of!(Dinode, size), 8);
    assert_eq!(offset_of!(Dinode, addrs), 12);
    assert_eq!(offset_of!(Dirent, name), 2);
}

#[test]
fn block_helpers() {
    let sb = Superblock {
        inodestart: 32,
        bmapstart: 45,
        ..Default::default()
    };
    assert_eq!(iblock(0, &sb), 32);
    assert_eq!(iblock(15, &sb), 32);
    assert_eq!(iblock(16, &sb), 33);
    assert_eq!(bblock(0, &sb), 45);
    assert_eq!(bblock(8191, &sb), 45);
    assert_eq!(bblock(8192, &sb), 46);
}

#[test]
fn encodings_round_trip_little_endian() {
    let sb = Superblock {
        magic: FSMAGIC,
        size: 2000,
        nblocks: 1954,
        ninodes: 200,
        nlog: 30,
        logstart: 2,
        inodestart: 32,
        bmapstart: 45,
    };
    let b = sb.to_bytes();
    assert_eq!(&b[0..4], &[0x40, 0x30, 0x20, 0x10]);
    assert_eq!(Superblock::from_bytes(&b), sb);

    let mut di = Dinode {
        typ: T_FILE,
        nlink: 1,
        size: 5000,
        ..Default::default()
    };
    di.addrs[0] = 46;
    di.addrs[NDIRECT] = 99;
    let b = di.to_bytes();
    assert_eq!(&b[0..2], &[2, 0]);
    assert_eq!(&b[12..16], &[46, 0, 0, 0]);
    assert_eq!(&b[60..64], &[99, 0, 0, 0]);
    assert_eq!(Dinode::from_bytes(&b), di);

    let de = Dirent::new(7, b"README").unwrap();
    let b = de.to_bytes();
    assert_eq!(&b[0..2], &[7, 0]);
    assert_eq!(&b[2..8], b"README");
    assert_eq!(Dirent::from_bytes(&b).name(), b"README");
    assert!(Dirent::new(1, b"fifteen-chars!!").is_none());
    assert_eq!(Dirent::new(1, b"fourteen-chars").unwrap().name().len(), 14);
}
