//! Processes: the process table, per-CPU state, the scheduler, sleep and
//! wakeup, fork/exit/wait/kill (xv6's `proc.c` and `proc.h`).
//!
//! Locking, as in xv6:
//! - `p.lock` guards the fields in `ProcState` (state, chan, xstate, pid).
//!   It is also held across `swtch` into and out of the scheduler.
//! - `p.killed` is an atomic flag, read without the lock: every trap
//!   checks it on the way back to user space. `kill` sets it with the lock
//!   held, with the state change that wakes a sleeper.
//! - `WAIT_LOCK` guards every process's parent link; take it before any
//!   `p.lock`. It keeps a parent's wakeup from being missed in `wait`.
//! - `ProcData` is private to the process: only the process itself uses it,
//!   except while the slot is being set up (allocproc/fork, before anyone
//!   else can see it) or torn down (freeproc, once it is a zombie).

use crate::file::{fileclose, filedup, File};
use crate::fs::{idup, iput, namei, Inode};
use crate::kalloc::{kalloc, kfree};
use crate::log::{begin_op, end_op};
use crate::memlayout::{kstack, KSTACK_PAGES, KSTACK_SIZE, TRAMPOLINE, TRAPFRAME};
use crate::riscv::{intr_get, intr_off, intr_on, r_tp, PteFlags, PGSIZE};
use crate::spinlock::{Spinlock, SpinlockGuard};
use crate::swtch::{swtch, Context};
use crate::trap::usertrapret;
use crate::vm::{
    copyin, copyout, kvmmap, mappages, trampoline_addr, uvmcopy, uvmcreate, uvmdealloc, uvmfirst,
    uvmfree, uvmunmap, PageTable,
};
use crate::Error;
use abi::param::{NCPU, NOFILE, NPROC, ROOTDEV};
use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};

/// Registers saved by the trampoline on a trap from user space, in the
/// page mapped at TRAPFRAME. The first five fields are set by the kernel
/// for uservec to use. Offsets are fixed: trampoline.S uses them.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct TrapFrame {
    /// Kernel page table (satp value).
    pub kernel_satp: usize,
    /// Top of this process's kernel stack.
    pub kernel_sp: usize,
    /// Address of usertrap().
    pub kernel_trap: usize,
    /// Saved user program counter.
    pub epc: usize,
    /// Hart id, to put back in tp.
    pub kernel_hartid: usize,
    pub ra: usize,
    pub sp: usize,
    pub gp: usize,
    pub tp: usize,
    pub t0: usize,
    pub t1: usize,
    pub t2: usize,
    pub s0: usize,
    pub s1: usize,
    pub a0: usize,
    pub a1: usize,
    pub a2: usize,
    pub a3: usize,
    pub a4: usize,
    pub a5: usize,
    pub a6: usize,
    pub a7: usize,
    pub s2: usize,
    pub s3: usize,
    pub s4: usize,
    pub s5: usize,
    pub s6: usize,
    pub s7: usize,
    pub s8: usize,
    pub s9: usize,
    pub s10: usize,
    pub s11: usize,
    pub t3: usize,
    pub t4: usize,
    pub t5: usize,
    pub t6: usize,
}

static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, epc), 24);
static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, kernel_hartid), 32);
static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, ra), 40);
static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, a0), 112);
static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, a7), 168);
static_assertions::const_assert_eq!(core::mem::offset_of!(TrapFrame, t6), 280);

/// Per-CPU state. Only its own hart uses an entry, with interrupts off,
/// as in xv6; the fields are still atomics (Relaxed: plain loads and
/// stores on RISC-V) so that a slip of that rule, say a thread that moved
/// harts, is a wrong value and never a data race.
pub struct Cpu {
    /// Slot in PROCS of the process running on this CPU, or NOPROC.
    proc: AtomicUsize,
    /// swtch() here to enter the scheduler.
    context: UnsafeCell<Context>,
    /// Depth of push_off() nesting.
    pub noff: AtomicI32,
    /// Were interrupts enabled before the outermost push_off()?
    pub intena: AtomicBool,
}

/// `Cpu::proc` when the CPU runs no process.
const NOPROC: usize = usize::MAX;

// SAFETY: the other fields are atomics; `context` is reached only as a raw
// pointer handed to swtch, by the scheduler thread of this entry's hart
// and by `sched` on that hart (see their SAFETY comments), never through
// a reference.
unsafe impl Sync for Cpu {}

static CPUS: [Cpu; NCPU] = [const {
    Cpu {
        proc: AtomicUsize::new(NOPROC),
        context: UnsafeCell::new(Context::zero()),
        noff: AtomicI32::new(0),
        intena: AtomicBool::new(false),
    }
}; NCPU];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProcStateKind {
    Unused,
    Used,
    Sleeping,
    Runnable,
    Running,
    Zombie,
}

/// The fields guarded by `p.lock`.
pub struct ProcState {
    pub state: ProcStateKind,
    /// If sleeping, the channel (an address) it sleeps on.
    pub chan: usize,
    /// Exit status for the parent's wait.
    pub xstate: i32,
    pub pid: i32,
}

/// Fields private to the process (see the module comment), reached
/// through `Proc::data()`.
pub struct ProcData {
    /// Size of user memory in bytes.
    pub sz: usize,
    pub pagetable: Option<PageTable>,
    /// The trapframe page (a kernel pointer to it).
    pub trapframe: *mut TrapFrame,
    pub ofile: [Option<&'static File>; NOFILE],
    pub cwd: Option<&'static Inode>,
    /// Mapped files (lab `mmap`).
    #[cfg(feature = "mmap")]
    pub vmas: [Option<crate::mmap::Vma>; crate::mmap::NVMA],
    /// The program's pages not read yet (lab `demand`).
    #[cfg(feature = "demand")]
    pub prog: crate::demand::Prog,
}

impl ProcData {
    #[inline]
    pub fn pagetable(&self) -> PageTable {
        self.pagetable.expect("no page table")
    }

    /// The trapframe page; borrowing it from `&mut self` keeps it exclusive.
    pub fn trapframe(&mut self) -> &mut TrapFrame {
        // SAFETY: allocproc set the pointer to a page this slot owns until
        // freeproc; Rust code reaches it only through this method, and the
        // borrow of self (behind the one ProcDataGuard) makes it exclusive.
        // The trampoline uses the page only on the way into and out of
        // user space, when no kernel code of this process is running.
        unsafe { &mut *self.trapframe }
    }
}

pub struct Proc {
    pub lock: Spinlock<ProcState>,
    /// Registers saved by swtch; touched only by swtch itself, by allocproc
    /// and by the scheduler, never while the process runs on another hart.
    context: UnsafeCell<Context>,
    data: UnsafeCell<ProcData>,
    /// 1 while a `ProcDataGuard` for this slot is alive. A word rather
    /// than a bool: RISC-V swaps only words and doublewords in one
    /// instruction, and every trap takes the guard a few times.
    data_busy: AtomicU32,
    /// Process name, for debugging. Outside ProcData, under a lock of its
    /// own held only to copy it, so that procdump can read it at any time.
    name: Spinlock<[u8; 16]>,
    /// Set by `kill` (or `setkilled`): the process exits the next time it
    /// heads to user space. An atomic, not in `ProcState`, so that the
    /// check on every trap's way out (`killed`) takes no lock.
    killed: AtomicBool,
    /// Lab `swap`: the process's clock hand, pinned pages, and whether
    /// other processes may take its pages now.
    #[cfg(feature = "swap")]
    pub swap: crate::swap::ProcSwap,
}

// SAFETY: the fields that are not Sync by themselves are the two
// UnsafeCells: `data` is reached only through a ProcDataGuard, and the
// data_busy flag lets one exist at a time; `context` only as a raw
// pointer, by allocproc (slot locked and not runnable), by swtch from the
// scheduler (holding p.lock) and by sched (the process itself, holding
// p.lock), so never from two harts at once.
unsafe impl Sync for Proc {}

/// Exclusive access to a process's private fields, for as long as it lives.
pub struct ProcDataGuard<'a> {
    p: &'a Proc,
}

impl core::ops::Deref for ProcDataGuard<'_> {
    type Target = ProcData;
    fn deref(&self) -> &ProcData {
        // SAFETY: the guard owns the data_busy flag, so no other reference
        // to the data exists.
        unsafe { &*self.p.data.get() }
    }
}

impl core::ops::DerefMut for ProcDataGuard<'_> {
    fn deref_mut(&mut self) -> &mut ProcData {
        // SAFETY: the guard owns the data_busy flag, so no other guard and
        // no other reference to the data exist; &mut self makes this the
        // guard's only borrow.
        unsafe { &mut *self.p.data.get() }
    }
}

impl Drop for ProcDataGuard<'_> {
    fn drop(&mut self) {
        self.p.data_busy.store(0, Ordering::Release);
    }
}

/// A process name, copied out for printing.
#[derive(Clone, Copy)]
pub struct ProcName(pub [u8; 16]);

impl core::fmt::Display for ProcName {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(self.0.len());
        f.write_str(core::str::from_utf8(&self.0[..len]).unwrap_or("?"))
    }
}

impl Proc {
    const fn new() -> Self {
        Proc {
            lock: Spinlock::new(
                "proc",
                ProcState {
                    state: ProcStateKind::Unused,
                    chan: 0,
                    xstate: 0,
                    pid: 0,
                },
            ),
            context: UnsafeCell::new(Context::zero()),
            data: UnsafeCell::new(ProcData {
                sz: 0,
                pagetable: None,
                trapframe: ptr::null_mut(),
                ofile: [None; NOFILE],
                cwd: None,
                #[cfg(feature = "mmap")]
                vmas: [None; crate::mmap::NVMA],
                #[cfg(feature = "demand")]
                prog: crate::demand::Prog::EMPTY,
            }),
            data_busy: AtomicU32::new(0),
            name: Spinlock::new("name", [0; 16]),
            killed: AtomicBool::new(false),
            #[cfg(feature = "swap")]
            swap: crate::swap::ProcSwap::new(),
        }
    }

    /// The process's private fields. Only the process itself, or code that
    /// owns the slot (see the module comment), uses them; the guard makes
    /// a second, overlapping use a loud panic instead of silent aliasing.
    /// Hold it only as long as needed, and never across a call that takes
    /// it again (sleeping with it is fine: no one else takes a live
    /// process's data).
    #[inline]
    pub fn data(&self) -> ProcDataGuard<'_> {
        if self.data_busy.swap(1, Ordering::Acquire) != 0 {
            panic!("proc data in use twice");
        }
        ProcDataGuard { p: self }
    }

    pub fn pagetable(&self) -> PageTable {
        self.data().pagetable()
    }

    /// Size of user memory.
    pub fn sz(&self) -> usize {
        self.data().sz
    }

    /// Where swtch saves and loads this process's registers.
    fn context(&self) -> *mut Context {
        self.context.get()
    }

    /// Virtual address of this slot's kernel stack (fixed at boot).
    pub fn kstack(&'static self) -> usize {
        kstack(self.index())
    }

    pub fn index(&'static self) -> usize {
        (self as *const Proc as usize - PROCS.as_ptr() as usize) / core::mem::size_of::<Proc>()
    }

    pub fn name(&self) -> ProcName {
        ProcName(*self.name.lock())
    }

    /// Names the process (a copy of `name`, truncated).
    pub fn setname(&self, name: &[u8]) {
        safestrcpy(&mut *self.name.lock(), name);
    }
}

static PROCS: [Proc; NPROC] = [const { Proc::new() }; NPROC];

/// Parent links, indexed like PROCS; this lock is xv6's `wait_lock`.
static WAIT_LOCK: Spinlock<[Option<usize>; NPROC]> = Spinlock::new("wait_lock", [None; NPROC]);

static INITPROC: spin::Once<&'static Proc> = spin::Once::new();
static NEXTPID: AtomicI32 = AtomicI32::new(1);

/// Allocates a page for each process's kernel stack and maps it high in
/// the kernel's address space, each followed by an invalid guard page.
pub fn proc_mapstacks(kpgtbl: PageTable) {
    for i in 0..NPROC {
        for page in 0..KSTACK_PAGES {
            let pa = kalloc().expect("kalloc");
            let va = kstack(i) + page * PGSIZE;
            kvmmap(kpgtbl, va, pa, PGSIZE, PteFlags::R | PteFlags::W);
        }
    }
}

/// The process table needs no set-up at run time: every slot starts out
/// initialised, and its kernel stack address follows from its index.
pub fn procinit() {}

/// This hart's id. Interrupts must be off so we cannot move to another hart
/// between reading it and using it.
pub fn cpuid() -> usize {
    r_tp()
}

/// This hart's Cpu. Interrupts must be off while it is used, so the
/// thread cannot move to another hart meanwhile; the functions that use
/// it call each other (the scheduler takes locks, whose push_off uses the
/// Cpu too), which shared references to atomics allow.
pub fn mycpu() -> &'static Cpu {
    &CPUS[cpuid()]
}

/// The process running on this hart, if any.
pub fn try_myproc() -> Option<&'static Proc> {
    // Interrupts off between reading tp and the Cpu's slot, or a timer
    // could move this thread to another hart in between. xv6 uses
    // push_off here; nothing in between takes a lock, so saving and
    // restoring the interrupt bit does the same for half the cost (22
    // instructions instead of 48; this runs twice on every trap).
    let on = intr_get();
    intr_off();
    let slot = mycpu().proc.load(Ordering::Relaxed);
    if on {
        intr_on();
    }
    PROCS.get(slot)
}

/// The current process; panics on a hart with no process.
pub fn myproc() -> &'static Proc {
    try_myproc().expect("myproc")
}

fn allocpid() -> i32 {
    NEXTPID.fetch_add(1, Ordering::Relaxed)
}

/// Finds an unused slot and makes it ready to run in the kernel: pid,
/// trapframe page, page table (trampoline + trapframe), and a context that
/// starts in forkret. Returns with the slot's lock held.
fn allocproc() -> Option<(&'static Proc, SpinlockGuard<'static, ProcState>)> {
    for p in PROCS.iter() {
        let mut st = p.lock.lock();
        if st.state != ProcStateKind::Unused {
            continue;
        }
        st.pid = allocpid();
        st.state = ProcStateKind::Used;
        crate::kstack::kstack_paint(p);
        // The clock starts at the bottom of the new process, which has
        // nothing pinned.
        #[cfg(feature = "swap")]
        p.swap.reset();
        let Some(tf) = kalloc() else {
            freeproc(p, &mut st);
            return None;
        };
        p.data().trapframe = tf as *mut TrapFrame;
        let Some(pt) = proc_pagetable(p) else {
            freeproc(p, &mut st);
            return None;
        };
        p.data().pagetable = Some(pt);
        let mut context = Context::zero();
        context.ra = forkret as *const () as usize;
        context.sp = p.kstack() + KSTACK_SIZE;
        // SAFETY: the slot is Used and locked by us, not running anywhere,
        // so nothing else reads or writes its saved context.
        unsafe { *p.context() = context };
        return Some((p, st));
    }
    None
}

/// Frees a slot and everything hanging from it. Its lock must be held.
fn freeproc(p: &'static Proc, st: &mut ProcState) {
    let mut d = p.data();
    crate::kstack::kstack_measure(p, p.name().0);
    if !d.trapframe.is_null() {
        // SAFETY: allocproc's page, used only by this slot: the pointer is
        // cleared below, and the TRAPFRAME mapping goes unused (the process
        // runs no more) until proc_freepagetable removes it.
        unsafe { kfree(d.trapframe as usize) };
    }
    d.trapframe = ptr::null_mut();
    if let Some(pt) = d.pagetable.take() {
        proc_freepagetable(pt, d.sz);
    }
    d.sz = 0;
    p.setname(b"");
    st.pid = 0;
    st.chan = 0;
    p.killed.store(false, Ordering::Release);
    st.xstate = 0;
    st.state = ProcStateKind::Unused;
}

/// A user page table with no user memory yet, only the trampoline and the
/// process's trapframe page.
pub fn proc_pagetable(p: &Proc) -> Option<PageTable> {
    let pagetable = uvmcreate()?;
    // The trampoline is supervisor-only (no PTE_U); it runs on the way in and out.
    if mappages(
        pagetable,
        TRAMPOLINE,
        PGSIZE,
        trampoline_addr(),
        PteFlags::R | PteFlags::X,
    )
    .is_err()
    {
        uvmfree(pagetable, 0);
        return None;
    }
    if mappages(
        pagetable,
        TRAPFRAME,
        PGSIZE,
        p.data().trapframe as usize,
        PteFlags::R | PteFlags::W,
    )
    .is_err()
    {
        uvmunmap(pagetable, TRAMPOLINE, 1, false);
        uvmfree(pagetable, 0);
        return None;
    }
    Some(pagetable)
}

/// Frees a user page table and the user memory it maps.
pub fn proc_freepagetable(pagetable: PageTable, sz: usize) {
    uvmunmap(pagetable, TRAMPOLINE, 1, false);
    uvmunmap(pagetable, TRAPFRAME, 1, false);
    uvmfree(pagetable, sz);
}

extern "C" {
    static initcode_start: u8;
    static initcode_end: u8;
}

/// Sets up the first process, which runs initcode.
pub fn userinit() {
    let (p, mut st) = allocproc().expect("userinit");
    INITPROC.call_once(|| p);
    let start = &raw const initcode_start;
    let len = &raw const initcode_end as usize - start as usize;
    // SAFETY: the linker places initcode_start..initcode_end in rodata.
    let code = unsafe { core::slice::from_raw_parts(start, len) };
    let mut d = p.data();
    uvmfirst(d.pagetable(), code);
    d.sz = PGSIZE;
    let tf = d.trapframe();
    tf.epc = 0;
    tf.sp = PGSIZE;
    p.setname(b"initcode");
    d.cwd = namei(b"/");
    st.state = ProcStateKind::Runnable;
}

/// Copies a name into a fixed-size, NUL-terminated buffer, truncating.
pub fn safestrcpy(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len() - 1);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
}

/// Grows or shrinks user memory by `n` bytes.
pub fn growproc(n: isize) -> Result<(), Error> {
    let p = myproc();
    let mut d = p.data();
    let mut sz = d.sz;
    if n > 0 {
        let newsz = sz.checked_add(n as usize).ok_or(Error)?;
        // User memory must stay below the trapframe.
        if newsz > TRAPFRAME {
            return Err(Error);
        }
        // And below the mapped files.
        #[cfg(feature = "mmap")]
        if newsz > crate::mmap::mmapfloor(&d) {
            return Err(Error);
        }
        #[cfg(not(feature = "lazy"))]
        crate::vm::uvmalloc(d.pagetable(), sz, newsz, PteFlags::W)?;
        sz = newsz;
    } else if n < 0 {
        let newsz = sz.checked_sub(n.unsigned_abs()).ok_or(Error)?;
        sz = uvmdealloc(d.pagetable(), sz, newsz);
        // Program pages given back are not read from the file again.
        #[cfg(feature = "demand")]
        crate::demand::demandshrink(&mut d.prog, sz);
    }
    d.sz = sz;
    Ok(())
}

/// Creates a child that is a copy of the current process. Returns the
/// child's pid to the parent; the child returns 0 from the system call.
pub fn fork() -> Result<i32, Error> {
    let p = myproc();
    // The copy runs under the child's lock, where nothing can be evicted:
    // make room for it now.
    #[cfg(feature = "swap")]
    crate::swap::forkroom(p.pagetable(), p.sz());
    let (np, mut nst) = allocproc().ok_or(Error)?;
    let (mut d, mut nd) = (p.data(), np.data());
    if uvmcopy(d.pagetable(), nd.pagetable(), d.sz).is_err() {
        drop(nd);
        freeproc(np, &mut nst);
        return Err(Error);
    }
    nd.sz = d.sz;
    #[cfg(feature = "mmap")]
    if crate::mmap::mmapfork(&d, &mut nd).is_err() {
        drop(nd);
        freeproc(np, &mut nst);
        return Err(Error);
    }
    // Lab swap: the clock visits the child's areas too.
    #[cfg(all(feature = "mmap", feature = "swap"))]
    np.swap.setfloor(crate::mmap::mmapfloor(&nd));
    *nd.trapframe() = *d.trapframe();
    // The child sees fork return 0.
    nd.trapframe().a0 = 0;
    for (nf, f) in nd.ofile.iter_mut().zip(d.ofile.iter()) {
        *nf = f.map(filedup);
    }
    nd.cwd = d.cwd.map(idup);
    #[cfg(feature = "demand")]
    crate::demand::demandfork(&d.prog, &mut nd.prog);
    np.setname(&p.name().0);
    let pid = nst.pid;
    // The child may run on another hart as soon as it is runnable.
    drop((d, nd));
    drop(nst);

    WAIT_LOCK.lock()[np.index()] = Some(p.index());

    np.lock.lock().state = ProcStateKind::Runnable;
    Ok(pid)
}

/// Hands `p`'s children to init. Caller holds the wait lock.
fn reparent(p: &'static Proc, parents: &mut [Option<usize>; NPROC]) {
    let init = *INITPROC.get().expect("initproc");
    for parent in parents.iter_mut() {
        if *parent == Some(p.index()) {
            *parent = Some(init.index());
            wakeup(init as *const Proc as usize);
        }
    }
}

/// Ends the current process. It stays a zombie until its parent waits.
pub fn exit(status: i32) -> ! {
    let p = myproc();
    if INITPROC.get().is_some_and(|&init| ptr::eq(init, p)) {
        panic!("init exiting");
    }
    let mut d = p.data();
    // Stored-to pages of shared mappings go back to their files.
    #[cfg(feature = "mmap")]
    crate::mmap::mmapexit(&mut d);
    for f in d.ofile.iter_mut() {
        if let Some(file) = f.take() {
            fileclose(file);
        }
    }
    let op = begin_op();
    if let Some(cwd) = d.cwd.take() {
        iput(cwd);
    }
    end_op(op);
    #[cfg(feature = "demand")]
    crate::demand::demandfree(&mut d.prog);
    // Give back the user memory now rather than in the parent's freeproc
    // (xv6 waits for that): the parent may need pages before it gets
    // there, e.g. wait's copyout of the status into a copy-on-write page
    // while this zombie still holds the rest of memory. Running in the
    // kernel, we no longer use the user page table.
    if let Some(pt) = d.pagetable.take() {
        proc_freepagetable(pt, d.sz);
    }
    d.sz = 0;
    // The parent's freeproc takes the data next.
    drop(d);

    let mut parents = WAIT_LOCK.lock();
    reparent(p, &mut parents);
    // The parent may be sleeping in wait().
    if let Some(pp) = parents[p.index()] {
        wakeup(&PROCS[pp] as *const Proc as usize);
    }
    let mut st = p.lock.lock();
    st.xstate = status;
    st.state = ProcStateKind::Zombie;
    drop(parents);

    // Jump into the scheduler, never to return. The scheduler releases
    // our lock, so the guard must not run its release here.
    let st = sched(st);
    core::mem::forget(st);
    panic!("zombie exit");
}

/// Waits for a child to exit; copies its status to user address `addr`
/// (unless 0) and returns its pid. Fails if there are no children.
pub fn wait(addr: usize) -> Result<i32, Error> {
    let p = myproc();
    let mut parents = WAIT_LOCK.lock();
    loop {
        let mut havekids = false;
        for (i, pp) in PROCS.iter().enumerate() {
            if parents[i] != Some(p.index()) {
                continue;
            }
            // Holding the child's lock: it may still be on its way out of exit().
            let mut st = pp.lock.lock();
            havekids = true;
            if st.state == ProcStateKind::Zombie {
                let pid = st.pid;
                if addr != 0
                    && copyout(p.pagetable(), p.sz(), addr, &st.xstate.to_le_bytes()).is_err()
                {
                    return Err(Error);
                }
                freeproc(pp, &mut st);
                parents[i] = None;
                return Ok(pid);
            }
        }
        if !havekids || killed(p) {
            return Err(Error);
        }
        // Lab swap: waiting here, it holds no page (wait's status is pinned).
        #[cfg(feature = "swap")]
        let _quiet = crate::swap::quiet();
        parents = sleep(p as *const Proc as usize, parents);
    }
}

/// Each CPU's scheduler loop, entered from main and never left. Picks a
/// runnable process, swtch()es to it, and gets control back when it gives
/// up the CPU (yield, sleep, exit).
///
/// Switching threads goes through this loop: a process never switches
/// straight to another one. Its kernel thread calls `sched`, which
/// swtch()es to this hart's scheduler thread (its own stack, `Cpu::
/// context`), and the scheduler then swtch()es to the next process. So
/// each hart runs one scheduler thread, and there is always a stack to
/// stand on between two processes.
///
/// `p.lock` is held across the switch, in both directions, and is
/// released by the thread on the other side: the scheduler takes it and
/// sets Running, and the process, back in `sched` (or, the first time, in
/// `forkret`), lets it go; a process giving up the hart takes it, sets
/// its new state (Runnable, Sleeping, Zombie), and the scheduler lets it
/// go after its swtch returns. That closes a window: without the lock, a
/// process marked Runnable while its registers were still being saved
/// could be picked up by another hart's scheduler and run on the same
/// kernel stack at once. The lock also keeps the state and the switch one
/// step for `sleep` (see there).
pub fn scheduler() -> ! {
    // The scheduler thread never leaves this hart: only this hart's sched
    // switches to its context.
    let c = mycpu();
    c.proc.store(NOPROC, Ordering::Relaxed);
    loop {
        // Take any interrupt that is pending (the last process may have
        // run with interrupts off), then scan with them off: an interrupt
        // that arrives during the scan stays pending, so the wfi below
        // returns at once instead of sleeping through a wakeup that
        // made a process runnable behind the scan.
        intr_on();
        intr_off();
        let mut found = false;
        for p in PROCS.iter() {
            if let Some(mut st) = runnable(p) {
                // The process releases its lock and re-acquires it before
                // switching back to us.
                st.state = ProcStateKind::Running;
                c.proc.store(p.index(), Ordering::Relaxed);
                // SAFETY: c.context is this hart's scheduler context, used
                // only by this thread and by sched on this hart, which
                // cannot run until we switch away; p's context was saved
                // by allocproc or its last sched, and holding p.lock, with
                // p Runnable, no other hart switches to it.
                unsafe { swtch(c.context.get(), p.context()) };
                // It is done running for now.
                c.proc.store(NOPROC, Ordering::Relaxed);
                found = true;
                drop(st);
            }
        }
        if !found {
            // A process that is runnable now was made so behind the scan,
            // by another hart (this one's interrupts are off); the next
            // interrupt, the timer's at the latest, brings this hart back
            // to it. On one hart that cannot happen, so there the count
            // that procdump prints must stay 0: anything else is the idle
            // loop sleeping through a wakeup.
            if PROCS.iter().any(|p| runnable(p).is_some()) {
                IDLE_RUNNABLE.fetch_add(1, Ordering::Relaxed);
            }
            // Nothing to run: wait for an interrupt instead of spinning.
            // wfi wakes on a pending enabled interrupt even while sstatus.SIE
            // is clear; the intr_on at the top of the loop then takes it.
            // SAFETY: wfi only pauses the hart until an interrupt arrives.
            unsafe { core::arch::asm!("wfi") };
        }
    }
}

/// `p`'s lock, held, if the scheduler may run it: it is Runnable.
fn runnable(p: &'static Proc) -> Option<SpinlockGuard<'static, ProcState>> {
    let st = p.lock.lock();
    // Lab swap: not while another process is taking one of its pages.
    #[cfg(feature = "swap")]
    if p.swap.frozen() {
        return None;
    }
    (st.state == ProcStateKind::Runnable).then_some(st)
}

/// Times the scheduler, with nothing to run in its scan, found a process
/// runnable as it was about to wait for an interrupt (see `scheduler`).
static IDLE_RUNNABLE: AtomicUsize = AtomicUsize::new(0);

/// Switches to this CPU's scheduler. The caller holds only `p.lock` (given
/// as `st`) and has already changed the process's state. Interrupt-enable
/// state belongs to the kernel thread, so it is saved and restored here.
pub fn sched(st: SpinlockGuard<'static, ProcState>) -> SpinlockGuard<'static, ProcState> {
    let p = myproc();
    let c = mycpu();
    if !p.lock.holding() {
        panic!("sched p->lock");
    }
    if c.noff.load(Ordering::Relaxed) != 1 {
        panic!("sched locks");
    }
    if st.state == ProcStateKind::Running {
        panic!("sched running");
    }
    if intr_get() {
        panic!("sched interruptible");
    }
    let intena = c.intena.load(Ordering::Relaxed);
    // SAFETY: this hart's scheduler context was saved by its swtch to us
    // and nothing else touches it until we switch back; our own context
    // is ours to save into (we hold p.lock, so no hart switches to us).
    unsafe { swtch(p.context(), c.context.get()) };
    // We may be on another hart now: its Cpu, not `c`.
    mycpu().intena.store(intena, Ordering::Relaxed);
    st
}

/// Gives up the CPU for one scheduling round.
pub fn r#yield() {
    let p = myproc();
    let mut st = p.lock.lock();
    st.state = ProcStateKind::Runnable;
    let st = sched(st);
    drop(st);
}

static FIRST: AtomicBool = AtomicBool::new(true);

/// A new process's first scheduling lands here (via allocproc's context).
extern "C" fn forkret() {
    // Still holding p.lock from the scheduler; its guard lives on there.
    // SAFETY: this hart holds p.lock, taken by the scheduler before it
    // switched here. The scheduler's guard stays in its frame and, when
    // this process next switches back, releases the acquisition the
    // process holds then (its yield, sleep or exit), so no acquisition is
    // released twice.
    unsafe { myproc().lock.force_unlock() };
    if FIRST.swap(false, Ordering::AcqRel) {
        // The file system must be set up from a process context, since it
        // sleeps, so it cannot run from main().
        crate::fs::fsinit(ROOTDEV);
    }
    usertrapret();
}

/// Atomically releases `guard`'s lock and sleeps on `chan`; re-acquires the
/// lock when woken and returns the new guard.
///
/// `chan` is any number both sides agree on, usually the address of the
/// thing waited for (a pipe, a buffer, a child's parent). The caller
/// waits for a condition that another thread makes true and then
/// announces with `wakeup(chan)`, and `guard` is the lock that protects
/// the condition. Why the lock must come in: a sleeper checks the
/// condition (false), and a waker makes it true and calls wakeup. If the
/// wakeup fell between the check and the moment the sleeper is marked
/// Sleeping, it would find no one asleep, and the sleeper would sleep
/// for ever: a lost wakeup. So the sleeper checks under `guard`'s lock,
/// and this function takes `p.lock` before it lets `guard` go; the waker
/// changes the condition under `guard`'s lock and `wakeup` takes each
/// `p.lock` to look at its state. Either the wakeup comes before the
/// check (which then sees the condition true) or after the state is
/// Sleeping (and wakes it). Callers sleep in a loop, checking the
/// condition again on each return: a wakeup wakes every sleeper on the
/// channel and another may have used up the condition first, and `kill`
/// wakes a sleeper whatever its condition.
pub fn sleep<T>(chan: usize, guard: SpinlockGuard<'_, T>) -> SpinlockGuard<'_, T> {
    let p = myproc();
    // Holding p.lock, no wakeup can slip in between releasing `guard` and
    // marking ourselves asleep: wakeup takes p.lock too.
    let mut st = p.lock.lock();
    let lk = guard.lock_ref();
    drop(guard);
    st.chan = chan;
    st.state = ProcStateKind::Sleeping;
    let mut st = sched(st);
    st.chan = 0;
    drop(st);
    lk.lock()
}

/// Wakes every process sleeping on `chan`. Must be called without any p.lock held.
pub fn wakeup(chan: usize) {
    let me = try_myproc();
    for p in PROCS.iter() {
        if me.is_some_and(|m| ptr::eq(m, p)) {
            continue;
        }
        let mut st = p.lock.lock();
        if st.state == ProcStateKind::Sleeping && st.chan == chan {
            st.state = ProcStateKind::Runnable;
        }
    }
}

/// Marks process `pid` killed; it exits the next time it heads to user
/// space. Fails if there is no such process.
pub fn kill(pid: i32) -> Result<(), Error> {
    for p in PROCS.iter() {
        let mut st = p.lock.lock();
        if st.pid == pid && st.state != ProcStateKind::Unused {
            p.killed.store(true, Ordering::Release);
            if st.state == ProcStateKind::Sleeping {
                // Wake it so it notices.
                st.state = ProcStateKind::Runnable;
            }
            return Ok(());
        }
    }
    Err(Error)
}

pub fn setkilled(p: &Proc) {
    p.killed.store(true, Ordering::Release);
}

pub fn killed(p: &Proc) -> bool {
    p.killed.load(Ordering::Acquire)
}

/// Where `either_copyout` copies to: a virtual address in the current
/// process's user memory, or a kernel buffer. xv6 passes a flag and an
/// address; a kernel buffer here is a slice, so a user address can never
/// be taken for a kernel one.
pub enum Dst<'a> {
    User(usize),
    Kernel(&'a mut [u8]),
}

/// Where `either_copyin` copies from; see `Dst`.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    User(usize),
    Kernel(&'a [u8]),
}

impl Dst<'_> {
    /// The destination `off` bytes further on.
    pub fn at(&mut self, off: usize) -> Dst<'_> {
        match self {
            Dst::User(va) => Dst::User(*va + off),
            Dst::Kernel(buf) => Dst::Kernel(buf.get_mut(off..).unwrap_or_default()),
        }
    }
}

impl Src<'_> {
    /// The source `off` bytes further on.
    pub fn at(&self, off: usize) -> Src<'_> {
        match *self {
            Src::User(va) => Src::User(va + off),
            Src::Kernel(buf) => Src::Kernel(buf.get(off..).unwrap_or_default()),
        }
    }
}

/// Copies `src` to a user or kernel destination. A kernel buffer shorter
/// than `src` fails, as a bad user address does.
pub fn either_copyout(dst: Dst, src: &[u8]) -> Result<(), Error> {
    match dst {
        Dst::User(va) => {
            let p = myproc();
            copyout(p.pagetable(), p.sz(), va, src)
        }
        Dst::Kernel(buf) => {
            buf.get_mut(..src.len()).ok_or(Error)?.copy_from_slice(src);
            Ok(())
        }
    }
}

/// Fills `dst` from a user or kernel source.
pub fn either_copyin(dst: &mut [u8], src: Src) -> Result<(), Error> {
    match src {
        Src::User(va) => {
            let p = myproc();
            copyin(p.pagetable(), p.sz(), dst, va)
        }
        Src::Kernel(buf) => {
            dst.copy_from_slice(buf.get(..dst.len()).ok_or(Error)?);
            Ok(())
        }
    }
}

/// Lab swap: freezes the process in slot `i` so that another process can
/// take one of its pages, if it is stopped where it holds no page of its
/// own (`swap::quiet`) and is not running: then no hart has its PTEs in a
/// TLB (each entry to the kernel flushes it) and its kernel code is not
/// in the middle of using a page. The scheduler leaves it alone until
/// `ProcSwap::thaw`. Returns it with its page table and size, which
/// cannot change while it is frozen.
#[cfg(feature = "swap")]
pub fn swapfreeze(i: usize) -> Option<(&'static Proc, PageTable, usize)> {
    let p = &PROCS[i];
    let st = p.lock.lock();
    let stopped = matches!(st.state, ProcStateKind::Sleeping | ProcStateKind::Runnable);
    // Frozen under its lock: the scheduler looks under it too.
    if !stopped || !p.swap.freeze() {
        return None;
    }
    drop(st);
    // Not held at a quiet point; taken only to read two fields.
    if p.data_busy.swap(1, Ordering::Acquire) != 0 {
        p.swap.thaw();
        return None;
    }
    let d = ProcDataGuard { p };
    let (pt, sz) = (d.pagetable, d.sz);
    drop(d);
    match pt {
        Some(pt) => Some((p, pt, sz)),
        None => {
            p.swap.thaw();
            None
        }
    }
}

/// Lab swap: the process in slot `i` and the hart it runs on, if it is
/// running (see `swap::stop`).
#[cfg(feature = "swap")]
pub fn swaphart(i: usize) -> Option<(&'static Proc, usize)> {
    // Most slots run on no hart: the evictor's scan learns that without
    // taking their locks a second time (swapfreeze has just taken them).
    let hart = CPUS
        .iter()
        .position(|c| c.proc.load(Ordering::Relaxed) == i)?;
    let p = &PROCS[i];
    let st = p.lock.lock();
    // The scheduler sets and clears Cpu::proc under this lock, and a
    // process leaves Running only under it, so the pair is consistent.
    let running =
        st.state == ProcStateKind::Running && CPUS[hart].proc.load(Ordering::Relaxed) == i;
    drop(st);
    running.then_some((p, hart))
}

/// Prints the process table on Ctrl-P. It waits for no lock, so that it
/// works even when the machine is stuck: a slot whose lock stays taken
/// for a while is shown as such.
pub fn procdump() {
    crate::println!();
    for p in PROCS.iter() {
        // Locks are held briefly (the scheduler's scan takes each in
        // turn), so a few tries tell a busy lock from a stuck one.
        let Some(st) = (0..1000).find_map(|_| p.lock.try_lock()) else {
            crate::println!("? locked  {}", p.name());
            continue;
        };
        let (state, pid) = (st.state, st.pid);
        drop(st);
        if state == ProcStateKind::Unused {
            continue;
        }
        let state = match state {
            ProcStateKind::Unused => "unused",
            ProcStateKind::Used => "used",
            ProcStateKind::Sleeping => "sleep ",
            ProcStateKind::Runnable => "runble",
            ProcStateKind::Running => "run   ",
            ProcStateKind::Zombie => "zombie",
        };
        crate::println!("{} {} {}", pid, state, p.name());
    }
    crate::kstack::kstack_report();
    crate::println!(
        "idle: {} times a hart went idle with a process runnable",
        IDLE_RUNNABLE.load(Ordering::Relaxed)
    );
}
