//! badexec: exec of malformed ELF files must fail with -1 and leak nothing.
//!
//! The program builds a minimal valid ELF64 RISC-V executable in a buffer
//! (one LOAD segment whose code is `exit(7)`), then for each case corrupts
//! one field, writes the result to a file and execs it. A control run of the
//! unmodified image must exit with status 7: that proves every other case
//! fails because of its corruption, not because the builder is broken.
//!
//! Each exec runs in a child, so a kernel that wrongly accepts a file does
//! not take this program with it: the child exits 0 only if exec returned
//! -1, and an image that does run exits with 7 (its code is still intact)
//! or is killed (-1). Free pages are counted before and after all cases.
//! Prints `badexec: case NAME ok` per case, then `badexec: OK` or
//! `badexec: FAILED <why>`.

#![no_std]
#![no_main]

use abi::syscall::SYS_EXIT;
use core::ffi::CStr;
use ulib::layout;
use ulib::meter::countfree;
use ulib::{
    close, exec, exit, fork, mkdir, open, println, unlink, wait, write, O_CREATE, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

// The ELF fields are 64-bit.
const PGSIZE: u64 = layout::PGSIZE as u64;
const TRAMPOLINE: u64 = layout::TRAMPOLINE as u64;
const TRAPFRAME: u64 = layout::TRAPFRAME as u64;
const KERNBASE: u64 = layout::KERNBASE as u64;

/// The file the images are written to, and an empty directory to exec.
const PATH: &CStr = c"badexec.elf";
const DIR: &CStr = c"badexec.dir";

/// The exit status of the image's code (`exit(7)`).
const CONTROL_STATUS: i32 = 7;

// ELF64 layout: the file header, one program header right after it, and
// the code right after that. The code's file offset (120) is deliberately
// not page-aligned: exec only requires p_vaddr to be.
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const PH: usize = EHDR_SIZE;
const CODE_OFF: usize = EHDR_SIZE + PHDR_SIZE;

// Offsets of the fields the cases touch.
const EI_CLASS: usize = 4;
const E_PHOFF: usize = 32;
const E_PHNUM: usize = 56;
const P_OFFSET: usize = PH + 8;
const P_VADDR: usize = PH + 16;
const P_FILESZ: usize = PH + 32;
const P_MEMSZ: usize = PH + 40;

/// `addi rd, zero, imm` (the `li` pseudo-instruction for small values).
const fn addi_zero(rd: u32, imm: u32) -> u32 {
    ((imm & 0xfff) << 20) | (rd << 7) | 0x13
}
const A0: u32 = 10;
const A7: u32 = 17;
const ECALL: u32 = 0x0000_0073;
/// `li a7, SYS_EXIT; li a0, 7; ecall`.
const CODE: [u32; 3] = [
    addi_zero(A7, SYS_EXIT as u32),
    addi_zero(A0, CONTROL_STATUS as u32),
    ECALL,
];
const CODE_LEN: usize = CODE.len() * 4;

/// An ELF file under construction: `buf[..len]` is what gets written.
struct Image {
    buf: [u8; 256],
    len: usize,
}

impl Image {
    /// The valid program: text at virtual address 0, entry 0.
    fn valid() -> Image {
        let mut im = Image {
            buf: [0; 256],
            len: CODE_OFF + CODE_LEN,
        };
        // e_ident: magic, 64-bit, little-endian, version 1.
        im.put(0, &[0x7f, b'E', b'L', b'F', 2, 1, 1]);
        im.put(16, &2u16.to_le_bytes()); // e_type: executable
        im.put(18, &0xf3u16.to_le_bytes()); // e_machine: RISC-V
        im.put(20, &1u32.to_le_bytes()); // e_version
        im.put_u64(24, 0); // e_entry
        im.put_u64(E_PHOFF, PH as u64);
        im.put(52, &(EHDR_SIZE as u16).to_le_bytes()); // e_ehsize
        im.put(54, &(PHDR_SIZE as u16).to_le_bytes()); // e_phentsize
        im.put(E_PHNUM, &1u16.to_le_bytes());

        im.put(PH, &1u32.to_le_bytes()); // p_type: LOAD
        im.put(PH + 4, &5u32.to_le_bytes()); // p_flags: R X
        im.put_u64(P_OFFSET, CODE_OFF as u64);
        im.put_u64(P_VADDR, 0);
        im.put_u64(PH + 24, 0); // p_paddr
        im.put_u64(P_FILESZ, CODE_LEN as u64);
        im.put_u64(P_MEMSZ, CODE_LEN as u64);
        im.put_u64(PH + 48, PGSIZE); // p_align

        for (i, insn) in CODE.iter().enumerate() {
            im.put(CODE_OFF + 4 * i, &insn.to_le_bytes());
        }
        im
    }

    fn put(&mut self, off: usize, bytes: &[u8]) {
        self.buf[off..off + bytes.len()].copy_from_slice(bytes);
    }

    fn put_u64(&mut self, off: usize, v: u64) {
        self.put(off, &v.to_le_bytes());
    }
}

/// One corruption of the valid image.
struct Case {
    name: &'static str,
    corrupt: fn(&mut Image),
    /// Refused only for want of memory: with demand-paged exec (kernel
    /// feature `demand`) exec allocates nothing up front, so the image may
    /// run instead. Its entry (0) then lies in the zero-filled gap below
    /// the segment, and the kernel must kill it there (status -1).
    may_run: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "bad magic",
        corrupt: |im| im.put(1, b"X"),
        may_run: false,
    },
    Case {
        name: "32-bit class",
        corrupt: |im| im.put(EI_CLASS, &[1]),
        may_run: false,
    },
    Case {
        name: "phnum 0xffff",
        corrupt: |im| im.put(E_PHNUM, &0xffffu16.to_le_bytes()),
        may_run: false,
    },
    Case {
        name: "phoff beyond the file",
        corrupt: |im| im.put_u64(E_PHOFF, 1 << 20),
        may_run: false,
    },
    Case {
        // Where the second header would start is past 2^64.
        name: "phoff near 2^64",
        corrupt: |im| {
            im.put_u64(E_PHOFF, u64::MAX - 20);
            im.put(E_PHNUM, &2u16.to_le_bytes());
        },
        may_run: false,
    },
    Case {
        name: "segment file offset 2^32",
        corrupt: |im| im.put_u64(P_OFFSET, 1 << 32),
        may_run: false,
    },
    Case {
        // Fits in u32, but offset + size does not.
        name: "segment file offset 2^32-8",
        corrupt: |im| im.put_u64(P_OFFSET, (1 << 32) - 8),
        may_run: false,
    },
    Case {
        name: "filesz > memsz",
        corrupt: |im| im.put_u64(P_MEMSZ, 4),
        may_run: false,
    },
    Case {
        name: "vaddr + memsz overflows",
        corrupt: |im| {
            im.put_u64(P_VADDR, !(PGSIZE - 1)); // the last page below 2^64
            im.put_u64(P_MEMSZ, 2 * PGSIZE);
        },
        may_run: false,
    },
    Case {
        name: "unaligned vaddr",
        corrupt: |im| im.put_u64(P_VADDR, 0x10),
        may_run: false,
    },
    Case {
        // The kernel has to try to map everything from 0 to 2 GiB, which
        // is more than RAM: the allocation fails and must be undone
        // (unless it pages on demand: see may_run).
        name: "vaddr at the kernel (0x80000000)",
        corrupt: |im| im.put_u64(P_VADDR, KERNBASE),
        may_run: true,
    },
    Case {
        name: "vaddr at the trampoline",
        corrupt: |im| {
            im.put_u64(P_VADDR, TRAMPOLINE);
            im.put_u64(P_MEMSZ, PGSIZE);
        },
        may_run: false,
    },
    Case {
        name: "vaddr at the trapframe",
        corrupt: |im| {
            im.put_u64(P_VADDR, TRAPFRAME);
            im.put_u64(P_MEMSZ, PGSIZE);
        },
        may_run: false,
    },
    Case {
        name: "memsz 2^40",
        corrupt: |im| im.put_u64(P_MEMSZ, 1 << 40),
        may_run: false,
    },
    Case {
        // The headers are whole, the segment's bytes are not.
        name: "segment data beyond EOF",
        corrupt: |im| {
            im.put_u64(P_FILESZ, 2 * PGSIZE);
            im.put_u64(P_MEMSZ, 2 * PGSIZE);
        },
        may_run: false,
    },
    Case {
        name: "file ends inside the program header",
        corrupt: |im| im.len = PH + PHDR_SIZE / 2,
        may_run: false,
    },
    Case {
        name: "file ends inside the ELF header",
        corrupt: |im| im.len = EHDR_SIZE / 2,
        may_run: false,
    },
    Case {
        name: "empty file",
        corrupt: |im| im.len = 0,
        may_run: false,
    },
];

/// Ends the program with the failure line.
fn fail(why: &str) -> ! {
    println!("badexec: FAILED {}", why);
    exit(1)
}

/// Writes `im` to PATH (replacing what was there).
fn write_image(im: &Image) {
    let fd = open(PATH, O_CREATE | O_WRONLY | O_TRUNC);
    if fd < 0 {
        fail("cannot create badexec.elf");
    }
    if write(fd, &im.buf[..im.len]) != im.len as i32 {
        fail("cannot write badexec.elf");
    }
    close(fd);
}

/// Execs `path` in a child and returns the child's exit status: 0 if exec
/// returned -1, 2 if it returned anything else, otherwise whatever the
/// new image did (7 for the intact code, -1 if the kernel killed it).
fn exec_status(path: &CStr) -> i32 {
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        let r = exec(path, &[path]);
        exit(if r == -1 { 0 } else { 2 });
    }
    let mut status = 0;
    if wait(Some(&mut status)) != pid {
        fail("wait");
    }
    status
}

/// Checks that exec of `path` fails cleanly.
fn expect_refused(name: &str, path: &CStr) {
    match exec_status(path) {
        0 => println!("badexec: case {} ok", name),
        2 => {
            println!(
                "badexec: case {}: exec returned neither -1 nor success",
                name
            );
            fail(name);
        }
        s => {
            println!(
                "badexec: case {}: exec succeeded (image exited {})",
                name, s
            );
            fail(name);
        }
    }
}

/// Checks that exec of `path` fails, or that the image it starts is
/// killed (see `Case::may_run`); its intact code must never run.
fn expect_refused_or_killed(name: &str, path: &CStr) {
    match exec_status(path) {
        0 => println!("badexec: case {} ok (refused)", name),
        -1 => println!("badexec: case {} ok (ran and was killed)", name),
        s => {
            println!("badexec: case {}: status {}, wanted 0 or -1", name, s);
            fail(name);
        }
    }
}

fn main(_args: ulib::Args) {
    let free0 = countfree();

    // The control: the builder's output must be a program that runs.
    write_image(&Image::valid());
    let s = exec_status(PATH);
    if s != CONTROL_STATUS {
        println!(
            "badexec: control image exited {}, wanted {}",
            s, CONTROL_STATUS
        );
        fail("the valid control image does not run");
    }
    println!("badexec: case valid control image exits 7 ok");

    for case in CASES {
        let mut im = Image::valid();
        (case.corrupt)(&mut im);
        write_image(&im);
        if case.may_run {
            expect_refused_or_killed(case.name, PATH);
        } else {
            expect_refused(case.name, PATH);
        }
    }

    // Directories are inodes too: "." holds directory entries, a fresh
    // directory only 32 bytes of them.
    expect_refused("the current directory", c".");
    unlink(DIR); // left over from an interrupted run, if any
    if mkdir(DIR) != 0 {
        fail("mkdir");
    }
    expect_refused("an empty directory", DIR);

    if unlink(PATH) != 0 || unlink(DIR) != 0 {
        fail("cannot remove the files written");
    }

    let free1 = countfree();
    if free1 != free0 {
        println!("badexec: free pages {} before, {} after", free0, free1);
        fail("pages leaked");
    }
    println!("badexec: OK");
}
