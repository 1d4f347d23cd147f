//! xv6-rs kernel: entry.S -> start() (machine mode) -> main() (supervisor
//! mode) on every hart. Hart 0 initialises the machine; the others wait for
//! it, then every hart enters the scheduler.

#![no_std]
#![no_main]

// One module per xv6 C file, under the C file's name.
mod bio;
mod console;
mod exec;
mod file;
mod fs;
mod kalloc;
mod log;
mod memlayout;
mod pipe;
mod plic;
mod printf;
mod proc;
mod riscv;
mod sleeplock;
mod spinlock;
mod start;
mod swtch;
mod syscall;
mod sysfile;
mod sysproc;
mod trap;
mod uart;
mod virtio_disk;
mod vm;

// -- no C counterpart: lab modules and helpers --
// A reader following the C can skip these. mmio is the register access
// xv6 writes as casts in each driver; kstack measures kernel-stack depth;
// pftrace has the words for a page fault (the kill line's reason, the
// Ctrl-T trace). A lab with state of its own adds its module here.

#[cfg(feature = "cow")]
mod cow;
#[cfg(feature = "demand")]
mod demand;
mod kstack;
#[cfg(feature = "mmap")]
mod mmap;
mod mmio;
mod pftrace;
#[cfg(feature = "swap")]
mod swap;
#[cfg(feature = "zfod")]
mod zfod;

use core::sync::atomic::{AtomicBool, Ordering};

/// Failure inside the kernel. The system-call edge turns it into -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error;

core::arch::global_asm!(
    include_str!("../asm/initcode.S"),
    SYS_EXEC = const abi::syscall::SYS_EXEC,
    SYS_EXIT = const abi::syscall::SYS_EXIT,
);

static STARTED: AtomicBool = AtomicBool::new(false);

/// start() mrets here, in supervisor mode, on every hart.
#[unsafe(no_mangle)]
pub extern "C" fn main() -> ! {
    if proc::cpuid() == 0 {
        console::consoleinit();
        println!();
        println!("xv6 kernel is booting");
        println!();
        kalloc::kinit(); // physical page allocator
        vm::kvminit(); // kernel page table
        vm::kvminithart(); // paging on
        proc::procinit(); // process table
        trap::trapinit(); // trap vectors
        trap::trapinithart(); // kernel trap vector
        plic::plicinit(); // interrupt controller
        plic::plicinithart(); // device interrupts for this hart
        bio::binit(); // buffer cache
        fs::iinit(); // inode table
        file::fileinit(); // file table
        virtio_disk::virtio_disk_init(); // the disk
        #[cfg(feature = "swap")]
        swap::swapinit(); // the swap disk
        proc::userinit(); // first user process
        STARTED.store(true, Ordering::Release);
    } else {
        while !STARTED.load(Ordering::Acquire) {
            core::hint::spin_loop();
        }
        println!("hart {} starting", proc::cpuid());
        vm::kvminithart();
        trap::trapinithart();
        plic::plicinithart();
    }
    proc::scheduler()
}
