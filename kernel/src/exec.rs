//! exec: replace the current process's memory with a program from the
//! file system, and set up its stack with the arguments.
//!
//! The ELF header and program headers are read from the inode and parsed
//! with xmas-elf. Anything malformed makes exec fail with -1; the old
//! image is only freed once the new one is complete.

use crate::fs::{ilock, iunlockput, namei, readi, ILocked};
use crate::log::{begin_op, end_op};
use crate::memlayout::TRAPFRAME;
use crate::proc::{myproc, proc_freepagetable, proc_pagetable, Dst};
use crate::riscv::{pg_round_up, PteFlags, PGSIZE};
use crate::vm::{copyout, uvmalloc, uvmclear, walkaddr, PageTable};
use crate::Error;
use abi::param::MAXARG;
use xmas_elf::header::{parse_header, Class};
use xmas_elf::program::{ProgramHeader64, Type};

/// ELF header size for 64-bit files, and one program header's size.
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = core::mem::size_of::<ProgramHeader64>();

/// A buffer aligned for the ELF structures parsed in place.
#[repr(C, align(8))]
struct Aligned<const N: usize>([u8; N]);

/// PTE permissions from an ELF segment's flags; R and U are always added.
fn flags2perm(ph: &ProgramHeader64) -> PteFlags {
    let mut perm = PteFlags::empty();
    if ph.flags.is_execute() {
        perm |= PteFlags::X;
    }
    if ph.flags.is_write() {
        perm |= PteFlags::W;
    }
    perm
}

/// The new image as far as `load` has built it: what exec frees if a
/// later step fails.
#[derive(Default)]
struct Image {
    pagetable: Option<PageTable>,
    sz: usize,
    /// The segments recorded to be read when first touched, not loaded.
    #[cfg(feature = "demand")]
    prog: crate::demand::Prog,
}

/// Reads exactly `buf.len()` bytes at `off`, or fails.
fn read_exact(ip: &mut ILocked, buf: &mut [u8], off: u64) -> Result<(), Error> {
    let off = u32::try_from(off).map_err(|_| Error)?;
    let n = buf.len() as u32;
    match readi(ip, Dst::Kernel(buf), off, n) {
        Ok(n) if n as usize == buf.len() => Ok(()),
        _ => Err(Error),
    }
}

/// Runs the program at `path` with arguments `argv` (each string with its
/// NUL). Returns argc, which lands in a0 for main.
pub fn exec(path: &[u8], argv: &[&[u8]]) -> Result<usize, Error> {
    let op = begin_op();
    let Some(ip) = namei(path) else {
        return Err(Error);
    };
    let mut l = ilock(ip);
    let mut img = Image::default();
    let loaded = load(&mut l, &mut img);
    iunlockput(l);
    end_op(op);
    let result = loaded.and_then(|entry| {
        let pt = img.pagetable.ok_or(Error)?;
        finish(pt, &mut img.sz, entry, path, argv)
    });
    if result.is_err() {
        if let Some(pt) = img.pagetable {
            proc_freepagetable(pt, img.sz);
        }
    }
    // The process runs the new program now, or still the old one.
    #[cfg(feature = "demand")]
    crate::demand::demandexec(img.prog, result.is_ok());
    result
}

/// Builds a new page table and loads every LOAD segment into it. Returns
/// the entry point; `img` tracks what must be freed on error.
fn load(ip: &mut ILocked, img: &mut Image) -> Result<u64, Error> {
    let mut ehdr = Aligned([0u8; EHDR_SIZE]);
    read_exact(ip, &mut ehdr.0, 0)?;
    let elf = parse_header(&ehdr.0).map_err(|_| Error)?;
    if elf.pt1.class() != Class::SixtyFour {
        return Err(Error);
    }
    let pt = proc_pagetable(myproc()).ok_or(Error)?;
    img.pagetable = Some(pt);

    let phoff = elf.pt2.ph_offset();
    for i in 0..elf.pt2.ph_count() as u64 {
        let mut buf = Aligned([0u8; PHDR_SIZE]);
        let off = phoff.checked_add(i * PHDR_SIZE as u64).ok_or(Error)?;
        read_exact(ip, &mut buf.0, off)?;
        // zero::read checks the size and alignment; ProgramHeader64 is plain
        // data (xmas-elf marks it Pod).
        let ph: &ProgramHeader64 = zero::read(&buf.0);
        if ph.get_type() != Ok(Type::Load) {
            continue;
        }
        if ph.mem_size < ph.file_size {
            return Err(Error);
        }
        let end = ph.virtual_addr.checked_add(ph.mem_size).ok_or(Error)? as usize;
        if !(ph.virtual_addr as usize).is_multiple_of(PGSIZE) || end > TRAPFRAME {
            return Err(Error);
        }
        // Recorded, to be read page by page when first touched.
        #[cfg(feature = "demand")]
        if crate::demand::demandseg(&mut img.prog, ip, ph, flags2perm(ph), &mut img.sz)? {
            continue;
        }
        img.sz = uvmalloc(pt, img.sz, end, flags2perm(ph))?;
        loadseg(pt, ph.virtual_addr as usize, ip, ph.offset, ph.file_size)?;
    }
    Ok(elf.pt2.entry_point())
}

/// Loads a segment's file bytes at `va`, which uvmalloc has mapped.
fn loadseg(pt: PageTable, va: usize, ip: &mut ILocked, offset: u64, sz: u64) -> Result<(), Error> {
    let sz = usize::try_from(sz).map_err(|_| Error)?;
    for i in (0..sz).step_by(PGSIZE) {
        // uvmalloc may have pushed the page out to make room for a later one.
        #[cfg(feature = "swap")]
        if crate::swap::swapped(pt, va + i) {
            crate::swap::makeroom(pt, va + i, 2)?;
            crate::swap::swapfault(pt, va + i, true)?;
        }
        let Some(pa) = walkaddr(pt, va + i) else {
            panic!("loadseg: address should exist");
        };
        let n = (sz - i).min(PGSIZE);
        // SAFETY: pa is a page of the new image, which no one else uses (its
        // page table is not active anywhere); va + i is page-aligned (load
        // checks vaddr), so the n <= PGSIZE bytes from pa lie inside it.
        let dst = unsafe { core::slice::from_raw_parts_mut(pa as *mut u8, n) };
        read_exact(ip, dst, offset.checked_add(i as u64).ok_or(Error)?)?;
    }
    Ok(())
}

/// Adds the guard page and stack, pushes the arguments, and commits to
/// the new image.
///
/// The new user address space, from address 0 up (as in the xv6 book's
/// figure of a process's memory):
///
/// ```text
///  0            text and data, as the ELF program headers place them
///               (rounded up to a page)
///  sz-2*PGSIZE  guard page: mapped, but PTE_U cleared, so a user access
///               faults; a stack that overflows hits it instead of
///               silently writing over the data below
///  sz-PGSIZE    the stack, one page; it grows down from sz
///  sz           the heap starts here, grown by sbrk
///  ...
///  TRAPFRAME    the trapframe page, then the trampoline at the top
/// ```
///
/// The stack's initial contents, from its top down: the argument strings
/// (each rounded down to a 16-byte boundary), then the argv array of
/// pointers to them ending with a null pointer; sp points at argv[0].
/// main(argc, argv) gets argc in a0 (exec's return value, written there
/// by the system-call return path) and argv in a1. Everything must fit in
/// the one stack page, or exec fails.
fn finish(
    pt: PageTable,
    sz: &mut usize,
    entry: u64,
    path: &[u8],
    argv: &[&[u8]],
) -> Result<usize, Error> {
    let p = myproc();
    let oldsz = p.sz();

    // Two pages at the next page boundary: an inaccessible guard, then the stack.
    *sz = pg_round_up(*sz);
    if *sz + 2 * PGSIZE > TRAPFRAME {
        return Err(Error);
    }
    *sz = uvmalloc(pt, *sz, *sz + 2 * PGSIZE, PteFlags::W)?;
    uvmclear(pt, *sz - 2 * PGSIZE);
    let mut sp = *sz;
    let stackbase = sp - PGSIZE;

    // The argument strings, then the argv array, each 16-byte aligned.
    let mut ustack = [0usize; MAXARG + 1];
    if argv.len() > MAXARG {
        return Err(Error);
    }
    for (i, &bytes) in argv.iter().enumerate() {
        sp = sp.checked_sub(bytes.len()).ok_or(Error)?;
        sp -= sp % 16; // the RISC-V ABI wants sp 16-byte aligned
        if sp < stackbase {
            return Err(Error);
        }
        copyout(pt, *sz, sp, bytes)?;
        ustack[i] = sp;
    }
    let argc = argv.len();
    ustack[argc] = 0;
    let nbytes = (argc + 1) * 8;
    sp -= nbytes;
    sp -= sp % 16;
    if sp < stackbase {
        return Err(Error);
    }
    let mut raw = [0u8; (MAXARG + 1) * 8];
    for (chunk, v) in raw.chunks_exact_mut(8).zip(ustack.iter()) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    copyout(pt, *sz, sp, &raw[..nbytes])?;

    // Name the process after the last path element, for debugging.
    let last = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    let mut d = p.data();
    p.setname(last);

    // Commit to the new image. The old one's mapped files go with it.
    #[cfg(feature = "mmap")]
    crate::mmap::mmapexit(&mut d);
    let oldpagetable = d.pagetable.replace(pt);
    d.sz = *sz;
    let tf = d.trapframe();
    // main(argc, argv): argc is the return value (a0), argv goes in a1.
    tf.a1 = sp;
    tf.epc = entry as usize;
    tf.sp = sp;
    drop(d);
    if let Some(old) = oldpagetable {
        proc_freepagetable(old, oldsz);
    }
    Ok(argc)
}
