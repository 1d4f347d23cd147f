//! Lab `swap`: paging to a swap disk, so a process can use more memory
//! than the machine has.
//!
//! When free memory runs short, the process that wants a page first
//! pushes a page out to the swap disk (the second virtio disk): the clock
//! algorithm picks one not used lately, of this process or of any other
//! (global replacement, `evictone`), its contents go to a free slot, and
//! its PTE keeps the slot number with V clear and SWAP set. A fault on
//! that PTE reads the page back (`swapin`).
//!
//! Taking another process's page is the hard part. xv6 has no lock on a
//! page table: a process changes its own, in the kernel, and a hart
//! flushes its TLB whenever it enters or leaves user mode. So a page of
//! another process may go only while that process (1) is not running:
//! then no hart has its PTEs in a TLB; and (2) is stopped where it holds
//! none of its pages: not in the middle of a fault, a copy, fork, exit or
//! munmap. Processes mark such places themselves (`quiet`): in user
//! space, asleep in sleep(), wait(), on a pipe or the console, or giving
//! up the hart at the user boundary. The evictor freezes such a process
//! (`proc::swapfreeze`: the scheduler leaves it alone) for the whole
//! eviction, disk write included, so nothing in it changes until its PTE
//! says where the page went; the part of its buffer that its system call
//! is copying stays pinned (`pin`). A process running in user space on
//! another hart is first stopped (`stop`): an interrupt to its hart
//! brings it into the kernel, which flushes that hart's TLB (this is the
//! shootdown), and it gives up the hart there. The caller's own pages may
//! go too, as only its own code could be using them, and `makeroom`'s
//! callers hold none they would miss. Lock order: the evictor holds no
//! lock; it takes the victim's process lock only to check and freeze it,
//! then the slot lock, then the swap disk's.
//!
//! Each slot has a count of its holders: PTEs of swapped-out pages (fork
//! shares a slot instead of reading the page back) and resident copies (a
//! page read back keeps its slot, so evicting it again unchanged, PTE D
//! still clear, needs no write). A page of zeros is not written: its slot
//! is only marked (ZERO) and it comes back as a fresh zeroed page; it
//! still takes a slot, so memory plus swap stays the limit, as xv6's sbrk
//! expects. Pages shared under `cow` are skipped. A page its file holds
//! (a program page under `demand`, a mapped file's under `mmap`, both
//! unchanged since read) is dropped, not written (`FILE_SLOT`).

#[cfg(feature = "cow")]
use crate::cow::krefcount;
use crate::kalloc::{kalloc, kzalloc};
use crate::memlayout::{
    clint_mtimecmp, CLINT, CLINT_MTIME, CLINT_SIZE, KERNBASE, PHYSTOP, TRAPFRAME, VIRTIO1,
};
use crate::mmio::Mmio;
use crate::pftrace::{Fault, Why};
use crate::proc::{killed, myproc, sleep, swapfreeze, swaphart, Proc};
use crate::riscv::{pg_round_down, Pte, PteFlags, PGSIZE};
use crate::spinlock::{holding_spinlock, Spinlock};
use crate::trap::{ticks_chan, TICKS};
use crate::virtio_disk::{virtio_swap_init, virtio_swap_rw};
use crate::vm::{walk, PageTable, PteSlot};
use crate::Error;
use abi::param::{NCPU, NPROC};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// Most slots we count: 512 MiB of swap; a larger disk is used that far.
const NSLOT: usize = 512 * 1024 * 1024 / PGSIZE;

/// Free pages `makeroom` keeps for the kernel's own allocations (page
/// tables, a trapframe, pipes), which never evict: they happen where a
/// process may hold its pages, or under a spin lock.
const RESERVE: usize = 32;

/// Pages on kalloc's free list: kpush and kpop count them, under the
/// list's lock. makeroom keeps RESERVE of them free for the kernel.
pub static NFREE: AtomicUsize = AtomicUsize::new(0);

/// How many pages are free.
fn kfreepages() -> usize {
    NFREE.load(Ordering::Relaxed)
}

/// A page out on the swap disk has a PTE with V clear and PTE_SWAP set,
/// holding its slot where a present page's PTE holds the page number.
impl Pte {
    /// An entry for a page out on the swap disk in `slot`.
    pub const fn swapped(slot: usize, flags: PteFlags) -> Pte {
        Pte((slot << 10) | flags.difference(PteFlags::V).union(PteFlags::SWAP).bits())
    }
    pub fn is_swapped(self) -> bool {
        self.flags().contains(PteFlags::SWAP)
    }
    /// The swap slot of a swapped-out page.
    pub fn slot(self) -> usize {
        self.0 >> 10
    }
}

/// Holders of each slot (swapped-out PTEs and a resident copy); 0 = free.
/// Atomics without a lock: only a holder adds one, so a count never rises
/// from zero except in `slotalloc`, under its lock.
static REFS: [AtomicU8; NSLOT] = [const { AtomicU8::new(0) }; NSLOT];

/// Slots whose page is all zeros: marked, not written.
static ZERO: [AtomicU64; NSLOT / 64] = [const { AtomicU64::new(0) }; NSLOT / 64];

fn zero_slot(slot: usize) -> bool {
    ZERO[slot / 64].load(Ordering::Acquire) & (1 << (slot % 64)) != 0
}

fn set_zero(slot: usize, zero: bool) {
    let bit = 1 << (slot % 64);
    if zero {
        ZERO[slot / 64].fetch_or(bit, Ordering::AcqRel);
    } else {
        ZERO[slot / 64].fetch_and(!bit, Ordering::AcqRel);
    }
}

/// For each physical page, 1 + the slot holding a copy of its contents,
/// IN_FILE if its contents are in a file, or 0 for none. The copy is one
/// of the slot's holders.
static COPY: [AtomicU32; (PHYSTOP - KERNBASE) / PGSIZE] =
    [const { AtomicU32::new(0) }; (PHYSTOP - KERNBASE) / PGSIZE];

/// A process's part of lab swap (`Proc::swap`).
pub struct ProcSwap {
    /// The clock hand: the user address its next scan starts at.
    hand: AtomicUsize,
    /// `[from, to)`: the pages its system call is copying into or out of
    /// (`pin`); the clock passes them by.
    pin: [AtomicUsize; 2],
    /// Stopped where it holds no page of its own (`quiet`): while it is
    /// not running, other processes may take its pages.
    quiet: AtomicBool,
    /// Another process is taking one of its pages: the scheduler leaves it
    /// alone (`proc::swapfreeze`).
    frozen: AtomicBool,
    /// Another process waits for it to stop at its next user boundary, so
    /// that it can freeze it (`stop`).
    wanted: AtomicBool,
    /// Lab mmap: where its mapped files begin (the lowest area, or
    /// TRAPFRAME for none). The clock goes over `[floor, TRAPFRAME)`
    /// after the pages below sz; the process sets it when its areas
    /// change, so an evictor reads it without its ProcData.
    #[cfg(feature = "mmap")]
    floor: AtomicUsize,
}

impl ProcSwap {
    pub const fn new() -> ProcSwap {
        ProcSwap {
            hand: AtomicUsize::new(0),
            pin: [const { AtomicUsize::new(0) }; 2],
            quiet: AtomicBool::new(false),
            frozen: AtomicBool::new(false),
            wanted: AtomicBool::new(false),
            #[cfg(feature = "mmap")]
            floor: AtomicUsize::new(TRAPFRAME),
        }
    }

    /// A fresh process: the hand at its bottom, nothing pinned, not quiet.
    pub fn reset(&self) {
        self.hand.store(0, Ordering::Relaxed);
        self.pin[1].store(0, Ordering::Relaxed);
        self.quiet.store(false, Ordering::Relaxed);
        self.frozen.store(false, Ordering::Relaxed);
        self.wanted.store(false, Ordering::Relaxed);
        #[cfg(feature = "mmap")]
        self.floor.store(TRAPFRAME, Ordering::Relaxed);
    }

    /// Lab mmap: its areas now begin at `floor` (see the field).
    #[cfg(feature = "mmap")]
    pub fn setfloor(&self, floor: usize) {
        self.floor.store(floor, Ordering::Relaxed);
    }

    /// Where the clock's round goes on after the pages below sz.
    #[cfg(feature = "mmap")]
    fn floor(&self) -> usize {
        self.floor.load(Ordering::Relaxed)
    }
    #[cfg(not(feature = "mmap"))]
    fn floor(&self) -> usize {
        TRAPFRAME
    }

    /// Whether the scheduler must leave it alone: frozen, or stopped at
    /// the user boundary for a process that wants it (`stop`).
    pub fn frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire)
            || (self.wanted.load(Ordering::Acquire) && self.quiet.load(Ordering::Acquire))
    }

    /// Whether another process waits for it to stop (`stop`): it gives up
    /// its hart at its next user boundary.
    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::Acquire)
    }

    /// Freezes a quiet process that no one else has frozen; the caller
    /// holds its lock and has seen it stopped.
    pub fn freeze(&self) -> bool {
        self.quiet.load(Ordering::Acquire) && !self.frozen.swap(true, Ordering::AcqRel)
    }

    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::Release);
    }

    /// Back to user space (usertrapret): quiet until its next trap.
    pub fn touser(&self) {
        self.quiet.store(true, Ordering::Release);
    }

    /// Into the kernel from user space (usertrap).
    pub fn fromuser(&self) {
        self.quiet.store(false, Ordering::Release);
    }

    fn pinned(&self, va: usize) -> bool {
        self.pin[0].load(Ordering::Relaxed) <= va && va < self.pin[1].load(Ordering::Relaxed)
    }
}

/// The calling process is quiet until the guard drops: about to sleep (or
/// give up the hart) where it holds no page of its own, so that others may
/// take its pages meanwhile.
pub fn quiet() -> Quiet {
    myproc().swap.quiet.store(true, Ordering::Release);
    Quiet
}

/// The mark of `quiet`, taken away on drop.
#[must_use]
pub struct Quiet;

impl Drop for Quiet {
    fn drop(&mut self) {
        myproc().swap.quiet.store(false, Ordering::Release);
    }
}

struct Slots {
    /// Slots on the swap disk (0: no swap disk).
    nslot: usize,
    /// Where the search for a free slot starts.
    next: usize,
}

static SLOTS: Spinlock<Slots> = Spinlock::new("swap", Slots { nslot: 0, next: 0 });

/// Figures for `swapstat`: evictions, pages written, pages read back,
/// slots in use.
static SWAPOUTS: AtomicUsize = AtomicUsize::new(0);
static WRITES: AtomicUsize = AtomicUsize::new(0);
static SWAPINS: AtomicUsize = AtomicUsize::new(0);
/// Of SWAPOUTS, the pages dropped because a file holds them.
static DROPS: AtomicUsize = AtomicUsize::new(0);
static USED: AtomicUsize = AtomicUsize::new(0);
/// PTEs that name FILE_SLOT: pages out in their files.
static INFILE: AtomicUsize = AtomicUsize::new(0);

/// Finds the swap disk and says how large it is.
pub fn swapinit() {
    let Some(sectors) = virtio_swap_init() else {
        crate::println!("swap: no swap disk; pages stay in memory");
        return;
    };
    let nslot = (sectors as usize * 512 / PGSIZE).min(NSLOT);
    SLOTS.lock().nslot = nslot;
    crate::println!("swap: {} MiB on the swap disk", (nslot * PGSIZE) >> 20);
}

fn copy_of(pa: usize) -> &'static AtomicU32 {
    &COPY[(pa - KERNBASE) / PGSIZE]
}

/// COPY's mark for a page read from a file: a program page (`demand`)
/// or a page of a mapped file (`mmap`). While it is unchanged, the clock
/// drops it instead of writing it (`swapout`), and its next fault reads
/// it from the file again, as the first one did.
const IN_FILE: u32 = u32::MAX;

/// The slot a swapped-out PTE names when its page was dropped because its
/// file holds it: past every real slot. Such a PTE goes through the same
/// paths as any swapped-out one (fork shares it, exit lets it go, a
/// fault brings the page back), and INFILE counts them.
const FILE_SLOT: usize = NSLOT;

/// The slot a COPY entry names, if it names one.
fn copy_slot(c: u32) -> Option<usize> {
    (c != 0 && c != IN_FILE).then(|| c as usize - 1)
}

/// demand's or mmap's fault: the page at `pa` was just read from a file.
#[cfg(any(feature = "demand", feature = "mmap"))]
pub fn fromfile(pa: usize) {
    copy_of(pa).store(IN_FILE, Ordering::Release);
}

/// fork shares the page a PTE maps (cow): if that PTE says it was
/// written, its file no longer holds its bytes, whatever the other PTE
/// (which starts without D) says later.
#[cfg(feature = "cow")]
pub fn swapshare(pte: Pte) {
    if pte.flags().contains(PteFlags::D) {
        let _ = copy_of(pte.pa()).compare_exchange(IN_FILE, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

/// The swap disk's first sector of `slot`.
fn sector(slot: usize) -> u64 {
    (slot * (PGSIZE / 512)) as u64
}

fn slotalloc() -> Option<usize> {
    let mut s = SLOTS.lock();
    for i in 0..s.nslot {
        let slot = (s.next + i) % s.nslot;
        if REFS[slot].load(Ordering::Acquire) == 0 {
            REFS[slot].store(1, Ordering::Release);
            s.next = slot + 1;
            USED.fetch_add(1, Ordering::Relaxed);
            return Some(slot);
        }
    }
    None
}

/// Another holder of `slot` (fork's child, for a swapped-out page).
fn slotdup(slot: usize) {
    if slot == FILE_SLOT {
        INFILE.fetch_add(1, Ordering::Relaxed);
        return;
    }
    REFS[slot].fetch_add(1, Ordering::AcqRel);
}

/// Drops a holder of `slot`; the last one frees it.
pub fn slotput(slot: usize) {
    if slot == FILE_SLOT {
        INFILE.fetch_sub(1, Ordering::Relaxed);
        return;
    }
    match REFS[slot].fetch_sub(1, Ordering::AcqRel) {
        0 => panic!("slotput: free slot"),
        1 => {
            USED.fetch_sub(1, Ordering::Relaxed);
        }
        _ => {}
    }
}

/// kfree's hook: a page given back lets go of its swap copy.
pub fn swapforget(pa: usize) {
    if let Some(s) = copy_slot(copy_of(pa).swap(0, Ordering::AcqRel)) {
        slotput(s);
    }
}

/// fork's copy of a swapped-out page: the child's PTE at `va` in `new`
/// names the same slot, and the first of the two to touch it reads its
/// own copy back.
pub fn swapcopy(pte: Pte, new: PageTable, va: usize) -> Result<(), Error> {
    let slot = walk(new, va, true).ok_or(Error)?;
    slotdup(pte.slot());
    slot.set(pte);
    Ok(())
}

/// Whether the clock may take the page `pte` maps: a user page, present,
/// not the zero page of `zfod` (it frees nothing), and under `cow` not
/// shared (another page table would still map it).
fn evictable(pte: Pte) -> bool {
    let f = pte.flags();
    if !f.contains(PteFlags::V | PteFlags::U) || !pte.is_leaf() {
        return false;
    }
    #[cfg(feature = "zfod")]
    if pte.pa() == crate::zfod::zero_page() {
        return false;
    }
    #[cfg(feature = "cow")]
    if krefcount(pte.pa()) > 1 {
        return false;
    }
    true
}

/// Unchanged since it was read back from a slot that still holds it.
fn clean(pte: Pte) -> bool {
    !pte.flags().contains(PteFlags::D) && copy_of(pte.pa()).load(Ordering::Acquire) != 0
}

/// Unchanged since it was read from its file.
fn infile(pte: Pte) -> bool {
    !pte.flags().contains(PteFlags::D) && copy_of(pte.pa()).load(Ordering::Acquire) == IN_FILE
}

/// How much address space the clock's round over `q` covers: the pages
/// below `limit`, then its mapped files (`ProcSwap::floor`).
fn span(q: &Proc, limit: usize) -> usize {
    pg_round_down(limit) + (TRAPFRAME - q.swap.floor().max(pg_round_down(limit)))
}

/// Pages not used lately that the clock looks at past a dirty one, for a
/// clean one to take instead (which costs no write). A whole revolution
/// would find one if any exists, but costs a walk of every page when
/// none does (a process writing all its memory).
const LOOKAHEAD: usize = 16;

/// The clock: from this process's hand, over the pages of `pt` below
/// `limit` and then those of its mapped files (from `ProcSwap::floor` to
/// the trapframe), clearing A as it passes. The first page not used since
/// the last pass wins if it is clean, or if no clean one follows it among
/// the next LOOKAHEAD such pages. Of a mapped file it takes only pages
/// unchanged since they were read (dropped, not written): a stored-to
/// page of a shared one goes back to its file at munmap or exit, from
/// memory, and a private one stays too, for simplicity. Page-table pages
/// that do not exist are passed over whole.
///
/// `budget` is how much address space the hand may still scan in this
/// round of evictions (`makeroom`'s round for a fault: one revolution, look ahead
/// included). So a round does not come round again to take a page whose
/// A bit it cleared, a page used lately. Without that limit a process
/// with fewer pages than one instruction needs (say its code page and its
/// stack page) evicts one to bring back the other, forever; with it, the
/// page just used stays, the fault dips into the reserve, and the
/// instruction completes (or, with no memory left at all, the process is
/// killed). Pages the look ahead passed are looked at again by the next
/// eviction of the round; a process that small has too few candidates for
/// the look ahead to end before the budget does.
fn victim(
    q: &Proc,
    pt: PageTable,
    limit: usize,
    budget: &mut usize,
    clean_only: bool,
) -> Option<&'static PteSlot> {
    let heap = pg_round_down(limit);
    // exec's new page table may reach past the old areas' floor.
    let floor = q.swap.floor().max(heap);
    if heap == 0 && floor == TRAPFRAME {
        return None;
    }
    let hand = &q.swap.hand;
    let mut va = hand.load(Ordering::Relaxed);
    // The first dirty candidate, and how many candidates came after it.
    let mut dirty: Option<(&'static PteSlot, usize, usize)> = None;
    let mut passed = 0;
    let found = loop {
        if passed >= *budget {
            break dirty.map(|(slot, at, _)| (slot, at));
        }
        // Past the heap: on to the mapped files; past them, round again.
        if heap <= va && va < floor {
            va = floor;
        }
        if va >= TRAPFRAME {
            va = if heap > 0 { 0 } else { floor };
        }
        let Some(slot) = walk(pt, va, false) else {
            let next = next_table(va);
            passed += next - va;
            va = next;
            continue;
        };
        let here = va;
        va += PGSIZE;
        passed += PGSIZE;
        let pte = slot.get();
        if !evictable(pte) || q.swap.pinned(here) || (here >= heap && !infile(pte)) {
            continue;
        }
        if pte.flags().contains(PteFlags::A) {
            // Used lately: a second chance. No TLB holds a stale copy:
            // the process is in the kernel or frozen (see `makeroom`).
            slot.set(Pte(pte.0 & !PteFlags::A.bits()));
            continue;
        }
        if clean(pte) {
            break Some((slot, here));
        }
        if clean_only {
            continue;
        }
        match dirty {
            None => dirty = Some((slot, here, 0)),
            Some((d, at, seen)) if seen + 1 >= LOOKAHEAD => break Some((d, at)),
            Some((d, at, seen)) => dirty = Some((d, at, seen + 1)),
        }
    };
    *budget = budget.saturating_sub(passed);
    let (slot, at) = found?;
    hand.store(at + PGSIZE, Ordering::Relaxed);
    Some(slot)
}

/// Whether the page at `pa` holds only zeros (checked before writing it:
/// much of a process's memory is untouched heap, bss and stack).
fn zeros(pa: usize) -> bool {
    // SAFETY: pa is a page mapped by this process (in the kernel) or by a
    // frozen one: no one writes it meanwhile (see the module comment).
    let words = unsafe { core::slice::from_raw_parts(pa as *const u64, PGSIZE / 8) };
    words.iter().all(|&w| w == 0)
}

/// Lets go of every swap copy that is its slot's only holder: a copy
/// only saves a write when its page goes out again unchanged, and the swap
/// disk is full. Any process's copies, not only ours: dropping one changes
/// no page table, and a process that evicts its page takes the copy's
/// hold first (`swapout`), so the two cannot both have it.
fn dropcopies() {
    for copy in COPY.iter() {
        let c = copy.load(Ordering::Acquire);
        if let Some(s) = copy_slot(c) {
            if REFS[s].load(Ordering::Acquire) == 1
                && copy
                    .compare_exchange(c, 0, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                slotput(s);
            }
        }
    }
}

/// What one level-0 page-table page maps: 2 MiB.
const TABLE_SPAN: usize = 512 * PGSIZE;

/// The first address past `va`'s level-0 table: where a scan goes on
/// when `walk` finds no table for `va` (none of its pages exist).
fn next_table(va: usize) -> usize {
    (va | (TABLE_SPAN - 1)) + 1
}

/// Why nothing could be evicted.
enum NoRoom {
    /// No page of the process may go.
    NoVictim,
    /// The swap disk is full (or absent).
    NoSlot,
}

/// Evicts one page of `pt` below `limit` to the swap disk, with the
/// clock's `budget` (see `victim`); sleeps while the disk writes it.
fn swapout(
    q: &Proc,
    pt: PageTable,
    limit: usize,
    budget: &mut usize,
    clean_only: bool,
) -> Result<(), NoRoom> {
    let slot = victim(q, pt, limit, budget, clean_only).ok_or(NoRoom::NoVictim)?;
    let pte = slot.get();
    let pa = pte.pa();
    // Take the copy's hold on its slot, if the page still has a copy
    // (`dropcopies` may have let it go): from here on it is ours.
    let c = copy_of(pa).swap(0, Ordering::AcqRel);
    let unchanged = !pte.flags().contains(PteFlags::D);
    let copy = copy_slot(c);
    let s = match copy {
        // Its file holds it: no write, no slot; its fault reads the file.
        None if c == IN_FILE && unchanged => {
            slotdup(FILE_SLOT);
            DROPS.fetch_add(1, Ordering::Relaxed);
            FILE_SLOT
        }
        // The slot already holds these bytes.
        Some(s) if unchanged => s,
        // Rewrite our copy's slot: no one else holds it.
        Some(s) if REFS[s].load(Ordering::Acquire) == 1 => {
            writeslot(s, pa);
            s
        }
        _ => {
            // A child's swapped-out page still names the copy's slot: it
            // keeps the old contents, and we take a new one.
            if let Some(s) = copy {
                slotput(s);
            }
            let s = match slotalloc() {
                Some(s) => s,
                // The disk is full: take back the slots that only keep
                // copies of pages still in memory.
                None => {
                    dropcopies();
                    slotalloc().ok_or(NoRoom::NoSlot)?
                }
            };
            writeslot(s, pa);
            s
        }
    };
    let flags = pte.flags() - PteFlags::A - PteFlags::D;
    slot.set(Pte::swapped(s, flags));
    // SAFETY: the entry now names the slot, not pa: this table's
    // reference to the page is gone (the page's contents are on disk).
    unsafe { crate::kalloc::kfree(pa) };
    SWAPOUTS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Writes the page at `pa` to slot `s`; a page of zeros (never written,
/// or written back to zeros) is only marked.
fn writeslot(s: usize, pa: usize) {
    let zero = zeros(pa);
    set_zero(s, zero);
    if !zero {
        virtio_swap_rw(sector(s), pa, true);
        WRITES.fetch_add(1, Ordering::Relaxed);
    }
}

/// Before an allocation for this process: while fewer than RESERVE pages
/// are free, evicts pages not used lately, its own (of `pt` below `limit`)
/// or any quiet process's (`evictone`). Its own pages get `laps`
/// revolutions of the clock for the whole round (see `victim`): one for a
/// fault, which an instruction waits on; two for growing memory, which is
/// not in the middle of one, so a page whose A bit the first lap cleared
/// may go in the second. The caller must hold no page of `pt` it would
/// miss (or have it pinned); under a spin lock (no sleeping for the disk)
/// this does nothing and the allocation dips into the reserve. Fails if
/// the reserve is all that is left: then a fault may still dip into it
/// (it needs the page to finish an instruction), but an eager `sbrk` must
/// fail, as memory plus swap is full.
pub fn makeroom(pt: PageTable, limit: usize, laps: usize) -> Result<(), Error> {
    if holding_spinlock() {
        return Ok(());
    }
    let allowance = laps * span(myproc(), limit);
    let mut budget = allowance;
    // Revolutions of the global clock that found no page: each clears the
    // A bits it passes, so growing memory (two laps) looks once more
    // before it fails, as it does over its own pages.
    let mut empty = 0;
    let mut waited = 0;
    while kfreepages() < RESERVE {
        let Err(why) = evictone(pt, limit, &mut budget) else {
            continue;
        };
        empty += 1;
        if matches!(why, NoRoom::NoVictim) && empty < laps {
            continue;
        }
        // Growing memory, and every page that might go belongs to a process
        // stopped in the middle of the kernel (preempted in a fault or a
        // copy, or asleep on the disk while it evicts): they come free as
        // those processes reach a quiet point. Wait for that, a tick at a
        // time, before failing; a fault (one lap) cannot wait, it dips
        // into the reserve instead.
        if matches!(why, NoRoom::NoVictim) && laps > 1 && waited < GROW_WAIT && !killed(myproc()) {
            waited += 1;
            empty = 0;
            budget = allowance;
            onetick();
            continue;
        }
        let nslot = SLOTS.lock().nslot;
        // No swap disk: the kernel works as xv6 does, to the last page.
        if nslot == 0 {
            return Ok(());
        }
        // What is left of the reserve is the last a fault can have; say
        // why there is no more.
        if kfreepages() == 0 {
            let pid = myproc().lock.lock().pid;
            match why {
                NoRoom::NoSlot => {
                    crate::println!("swap: pid {pid}: out of memory and out of swap space")
                }
                NoRoom::NoVictim => {
                    crate::println!("swap: pid {pid}: out of memory, and every page is in use")
                }
            }
        }
        return Err(Error);
    }
    Ok(())
}

/// Ticks a process growing its memory waits, at most, for pages it may
/// take (`makeroom`).
const GROW_WAIT: u32 = 20;

/// Sleeps until the next timer tick.
fn onetick() {
    let mut ticks = TICKS.lock();
    let t0 = *ticks;
    while *ticks == t0 {
        ticks = sleep(ticks_chan(), ticks);
    }
}

/// The slot of the process whose pages went last: the next round of the
/// global clock starts there.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How much address space the hand of the process at NEXT has gone over
/// since the global hand came to it.
static ROUND: AtomicUsize = AtomicUsize::new(0);

/// The global clock: evicts one page of some process, trying each slot of
/// the process table in turn from NEXT, each with its own hand. The caller
/// itself is in the kernel, holding none of its pages it would miss: its
/// pages of `pt` below `limit` may go, within its `budget` for the round.
/// Another process may lose a page only if it is quiet and not running
/// (`proc::swapfreeze`), or running in user space, where we stop it first
/// (`stop`); it stays frozen, off every hart, until the page is on the
/// disk and its PTE says so. Each gets one revolution of its own. Says
/// whether the page was the caller's own.
fn evictone(pt: PageTable, limit: usize, budget: &mut usize) -> Result<bool, NoRoom> {
    let me = myproc();
    let start = NEXT.load(Ordering::Relaxed);
    for k in (start..start + NPROC).map(|k| k % NPROC) {
        // What the eviction did, how much address space the hand went
        // over for it, and the whole of the process's round.
        let (r, passed, whole) = if me.index() == k {
            let left = *budget;
            let r = swapout(me, pt, limit, budget, false);
            (r, left - *budget, span(me, limit))
        } else if let Some(((q, qpt, qsz), stopped)) = swapfreeze(k)
            .map(|f| (f, false))
            .or_else(|| stop(k).map(|f| (f, true)))
        {
            // A process we stopped (it was running) loses only a page that
            // needs no write: it waits, frozen, for as long as the eviction
            // takes, and a write could keep it off its hart for a while.
            let whole = span(q, qsz);
            let mut left = whole;
            let r = swapout(q, qpt, qsz, &mut left, stopped);
            q.swap.thaw();
            (r, whole - left, whole)
        } else {
            continue;
        };
        match r {
            Ok(()) => {
                // The global hand stays with this process until its hand
                // has gone round all of its pages once, from wherever it
                // was when the global hand came: so the clock goes over all
                // the pages of all the processes in turn, and a page is
                // taken only if its process has not used it for a whole
                // revolution of the global hand.
                let round = passed
                    + if k == start {
                        ROUND.load(Ordering::Relaxed)
                    } else {
                        0
                    };
                let done = round >= whole;
                NEXT.store(if done { k + 1 } else { k }, Ordering::Relaxed);
                ROUND.store(if done { 0 } else { round }, Ordering::Relaxed);
                return Ok(me.index() == k);
            }
            Err(NoRoom::NoSlot) => return Err(NoRoom::NoSlot),
            Err(NoRoom::NoVictim) => {}
        }
    }
    Err(NoRoom::NoVictim)
}

/// Stops process `k`, running on another hart, at its next user boundary,
/// and freezes it there (`proc::swapfreeze`). This is the shootdown that
/// global replacement needs: a hart running `k` may hold `k`'s PTEs in its
/// TLB, and only that hart can flush them. So we ask (`wanted`), kick the
/// hart with an interrupt (`kick`), and wait: the interrupt brings the
/// process into the kernel through uservec, whose satp switch flushes the
/// TLB, and usertrap, seeing it wanted, gives up the hart as at a timer
/// tick, quiet. The scheduler then leaves it alone (`ProcSwap::frozen`).
/// Only a process running in user space is stopped (it is quiet there,
/// see `ProcSwap::touser`): one in the kernel may be using its pages, and
/// would stop only on its way back. Fails if `k` is not running in user
/// space or has not stopped within STOP_WAIT.
// Not inlined: evictone's frame is on the stack under every eviction's
// disk write, and this one's locals are dead by then.
#[inline(never)]
fn stop(k: usize) -> Option<(&'static Proc, PageTable, usize)> {
    let (q, hart) = swaphart(k)?;
    // Running in the kernel, it may be using its pages (and stop only on
    // its way back, whenever that is): not this time.
    if !q.swap.quiet.load(Ordering::Acquire) {
        return None;
    }
    q.swap.wanted.store(true, Ordering::Release);
    kick(hart);
    let deadline = mtime() + STOP_WAIT;
    let frozen = loop {
        if let Some(f) = swapfreeze(k) {
            break Some(f);
        }
        if mtime() > deadline {
            break None;
        }
        // Not on its lock all the time: its hart needs it to stop.
        for _ in 0..64 {
            core::hint::spin_loop();
        }
    };
    q.swap.wanted.store(false, Ordering::Release);
    frozen
}

/// How long `stop` waits, in CLINT time: a twentieth of a timer tick.
const STOP_WAIT: u64 = 50_000;

/// The CLINT, mapped for supervisor mode by `swapmap`: each hart's
/// machine software interrupt bit (msip), the timer registers.
// SAFETY: the CLINT's registers, mapped at their physical addresses in
// the kernel's page table (`swapmap`) before any hart uses them.
static CLINT_REGS: Mmio = unsafe { Mmio::new(CLINT, CLINT_SIZE) };

/// The time now, in the CLINT's cycles.
fn mtime() -> u64 {
    CLINT_REGS.reg(CLINT_MTIME - CLINT).read()
}

/// Interrupts `hart`. Supervisor mode cannot interrupt another hart
/// itself: it raises the hart's machine software interrupt, and
/// `swapvec` turns that into a supervisor software interrupt, as
/// timervec does with a tick.
fn kick(hart: usize) {
    CLINT_REGS.reg::<u32>(4 * hart).write(1);
}

/// For devintr: whether a supervisor software interrupt is a timer tick,
/// and not only another hart's kick. timervec moves this hart's mtimecmp
/// on at each tick, so a tick came if it has moved since the last time
/// this hart looked.
pub fn ticked() -> bool {
    static SEEN: [AtomicU64; NCPU] = [const { AtomicU64::new(0) }; NCPU];
    let hart = crate::proc::cpuid();
    let cmp: u64 = CLINT_REGS.reg(clint_mtimecmp(hart) - CLINT).read();
    SEEN[hart].swap(cmp, Ordering::Relaxed) != cmp
}

/// Maps the swap disk's registers and the CLINT into the kernel's page
/// table (kvmmake).
pub fn swapmap(kpgtbl: PageTable) {
    let rw = PteFlags::R | PteFlags::W;
    crate::vm::kvmmap(kpgtbl, VIRTIO1, VIRTIO1, PGSIZE, rw);
    crate::vm::kvmmap(kpgtbl, CLINT, CLINT, CLINT_SIZE, rw);
}

/// mie.MSIE: machine software interrupts (kicks) enabled.
pub const MIE_MSIE: usize = 1 << 3;

extern "C" {
    /// The machine-mode trap vector under lab swap (start.rs installs it).
    pub fn swapvec();
}

// Machine mode: a software interrupt is a `kick` from another hart: clear
// this hart's msip and raise a supervisor software interrupt. Anything
// else is a timer interrupt, for timervec. mscratch holds the hart's
// timervec scratch row, whose first two words are free until timervec.
core::arch::global_asm!(
    ".globl swapvec",
    ".align 4",
    "swapvec:",
    "    csrrw a0, mscratch, a0",
    "    sd a1, 0(a0)",
    "    csrr a1, mcause",
    // Drop the interrupt bit; a machine software interrupt is cause 3.
    "    slli a1, a1, 1",
    "    addi a1, a1, -6",
    "    bnez a1, 1f",
    "    sd a2, 8(a0)",
    "    csrr a1, mhartid",
    "    slli a1, a1, 2",
    "    li a2, {clint}",
    "    add a1, a1, a2",
    "    sw zero, 0(a1)",
    "    li a1, 2",
    "    csrs sip, a1",
    "    ld a2, 8(a0)",
    "    ld a1, 0(a0)",
    "    csrrw a0, mscratch, a0",
    "    mret",
    "1:",
    "    ld a1, 0(a0)",
    "    csrrw a0, mscratch, a0",
    "    j timervec",
    clint = const CLINT,
);

/// Pages fork's copy allocates for each resident page: none under cow,
/// where the child shares them.
#[cfg(not(feature = "cow"))]
const COPY_PAGES: usize = 1;
#[cfg(feature = "cow")]
const COPY_PAGES: usize = 0;

/// Before fork, which copies the page table under the child's lock:
/// room for the child's page tables and, without `cow`, for a copy of
/// every resident page (each one evicted also leaves one less to copy).
pub fn forkroom(pt: PageTable, sz: usize) {
    // Plenty free for any copy: no need to count.
    if kfreepages() > 2 * (sz / PGSIZE) + 64 + RESERVE {
        return;
    }
    // The root, the trapframe and the trampoline's tables, a table page
    // per 2 MiB in use, and the copies.
    let mut need = 5 + RESERVE;
    let mut va = 0;
    while va < sz {
        match walk(pt, va, false) {
            None => va = next_table(va),
            Some(slot) => {
                if va.is_multiple_of(TABLE_SPAN) {
                    need += 1;
                }
                if slot.get().is_valid() {
                    need += COPY_PAGES;
                }
                va += PGSIZE;
            }
        }
    }
    // The global clock, as for growing memory: two revolutions of our own
    // pages (nothing here is in the middle of an instruction, so pages
    // used lately may go too, see `victim`), and any quiet process's. A
    // page of ours that goes is also one less to copy.
    let allowance = 2 * span(myproc(), sz);
    let mut budget = allowance;
    let mut waited = 0;
    while !holding_spinlock() && kfreepages() < need {
        match evictone(pt, sz, &mut budget) {
            Ok(true) => need -= COPY_PAGES,
            Ok(false) => {}
            // Every page that might go is held by a process in the middle
            // of the kernel (or running): wait a tick at a time for one to
            // reach a quiet point, as `makeroom` does, then let fork try.
            Err(NoRoom::NoVictim) if waited < GROW_WAIT && !killed(myproc()) => {
                waited += 1;
                budget = allowance;
                onetick();
            }
            Err(_) => return,
        }
    }
}

/// Whether the page at `va` of `pt` is out on the swap disk.
pub fn swapped(pt: PageTable, va: usize) -> bool {
    walk(pt, va, false).is_some_and(|slot| slot.get().is_swapped())
}

/// Before a fault looks at page `va0` of `pt`: a page dropped because its
/// file holds it becomes as it was before its first fault, so that the
/// fault's arm for its lab (demand's, mmap's) reads it from the file again.
pub fn fileback(pt: PageTable, va0: usize) {
    if let Some(slot) = walk(pt, va0, false) {
        let pte = slot.get();
        if pte.is_swapped() && pte.slot() == FILE_SLOT {
            slot.set(Pte(0));
            slotput(FILE_SLOT);
        }
    }
}

/// A fault on a page out on the swap disk (`swapped`): reads it back.
pub fn swapfault(pt: PageTable, va0: usize, write: bool) -> Result<Fault, Why> {
    let slot = walk(pt, va0, false).ok_or(Why::Unclaimed)?;
    swapin(slot, write)
}

/// Reads the swapped-out page behind `slot` back into a fresh page. For a
/// `write` the slot is let go at once (its copy would be stale at the
/// store); otherwise it stays as the page's copy. Sleeps for the disk, so
/// it refuses under a spin lock; read, write and wait fault their buffers
/// in first (`vm::uvmprefault`), so that refuses only what they missed.
fn swapin(slot: &PteSlot, write: bool) -> Result<Fault, Why> {
    if holding_spinlock() {
        return Err(Why::Busy);
    }
    let pte = slot.get();
    let s = pte.slot();
    let zero = zero_slot(s);
    let mem = if zero { kzalloc() } else { kalloc() }.ok_or(Why::NoMemory)?;
    if !zero {
        virtio_swap_rw(sector(s), mem, false);
    }
    if write {
        slotput(s);
    } else {
        // The PTE's hold on the slot passes to the page's copy.
        copy_of(mem).store(s as u32 + 1, Ordering::Release);
    }
    // Mapped as just used, so the clock does not take it straight back.
    let flags = (pte.flags() - PteFlags::SWAP) | PteFlags::V | PteFlags::A;
    slot.set(Pte::new(mem, flags));
    SWAPINS.fetch_add(1, Ordering::Relaxed);
    Ok(Fault::SwapIn {
        slot: s,
        zeros: zero,
    })
}

/// The pages of `[from, to)` of the calling process stay in memory until
/// the guard is dropped: the clock passes them by. A system call pins the
/// part of its buffer that its next copy uses (`vm::uvmprefault`), so that
/// reading back one page of it never evicts another before the copy,
/// which runs where a page cannot be read back (under a spin lock).
pub fn pin(from: usize, to: usize) -> Pinned {
    let pin = &myproc().swap.pin;
    pin[0].store(pg_round_down(from), Ordering::Relaxed);
    pin[1].store(to, Ordering::Relaxed);
    Pinned
}

/// The pin of `pin`, released on drop.
#[must_use]
pub struct Pinned;

impl Drop for Pinned {
    fn drop(&mut self) {
        myproc().swap.pin[1].store(0, Ordering::Relaxed);
    }
}

/// swapstat(st): copies five figures to `uint64 st[5]`: evictions, pages
/// written, pages read back, slots in use (not counting those that only
/// keep a copy of a page in memory), free pages of memory. Returns
/// the number of slots on the swap disk.
pub fn sys_swapstat() -> Result<usize, Error> {
    let addr = crate::syscall::argaddr(0);
    // How many words the caller's array holds: 0 (programs written for
    // the first version of the call) means 5; a sixth gets DROPS.
    let words = match crate::syscall::argaddr(1) {
        0 => 5,
        n => n.min(6),
    };
    // A slot whose only holder is the copy of a page in memory is not in
    // use for this count: the kernel lets it go when it needs the room.
    let copies = COPY
        .iter()
        .filter_map(|c| copy_slot(c.load(Ordering::Relaxed)))
        .filter(|&s| REFS[s].load(Ordering::Relaxed) == 1)
        .count();
    let st = [
        SWAPOUTS.load(Ordering::Relaxed) as u64,
        WRITES.load(Ordering::Relaxed) as u64,
        SWAPINS.load(Ordering::Relaxed) as u64,
        (USED.load(Ordering::Relaxed) + INFILE.load(Ordering::Relaxed)).saturating_sub(copies)
            as u64,
        kfreepages() as u64,
        DROPS.load(Ordering::Relaxed) as u64,
    ];
    let mut bytes = [0u8; 48];
    for (chunk, v) in bytes.chunks_exact_mut(8).zip(st) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    let p = myproc();
    crate::vm::copyout(p.pagetable(), p.sz(), addr, &bytes[..words * 8])?;
    Ok(SLOTS.lock().nslot)
}
