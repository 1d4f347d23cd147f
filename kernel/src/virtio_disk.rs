//! Driver for QEMU's virtio block device (virtio-mmio, modern interface).
//!
//! One request = a chain of three descriptors: the request header (read or
//! write, sector), the data buffer, and a status byte the device fills in.
//! The caller sleeps until the completion interrupt wakes it.
//!
//! Run QEMU with `-global virtio-mmio.force-legacy=false
//! -drive file=fs.img,if=none,format=raw,id=x0
//! -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0`.
//!
//! Lab `swap` adds a second disk in the next slot (`bus=virtio-mmio-bus.1`);
//! the same code drives both, each with its own rings and lock.

use crate::bio::BufGuard;
use crate::kalloc::kzalloc;
use crate::memlayout::VIRTIO0;
use crate::mmio::Mmio;
use crate::proc::{sleep, wakeup};
use crate::spinlock::Spinlock;
use abi::fs::BSIZE;
use core::sync::atomic::{fence, AtomicBool, Ordering};
use volatile::{VolatilePtr, VolatileRef};

/// The file system's disk.
pub const FSDISK: usize = 0;
/// The swap disk (lab `swap`).
#[cfg(feature = "swap")]
pub const SWAPDISK: usize = 1;

// MMIO register offsets (virtio spec, "MMIO Device Register Layout").
const MAGIC_VALUE: usize = 0x000; // 0x74726976
const VERSION: usize = 0x004; // 2 for the modern interface
const DEVICE_ID: usize = 0x008; // 2 = block device
const VENDOR_ID: usize = 0x00c; // 0x554d4551
const DEVICE_FEATURES: usize = 0x010;
const DRIVER_FEATURES: usize = 0x020;
const QUEUE_SEL: usize = 0x030;
const QUEUE_NUM_MAX: usize = 0x034;
const QUEUE_NUM: usize = 0x038;
const QUEUE_READY: usize = 0x044;
const QUEUE_NOTIFY: usize = 0x050;
const INTERRUPT_STATUS: usize = 0x060;
const INTERRUPT_ACK: usize = 0x064;
const STATUS: usize = 0x070;
const QUEUE_DESC_LOW: usize = 0x080;
const QUEUE_DESC_HIGH: usize = 0x084;
const DRIVER_DESC_LOW: usize = 0x090;
const DRIVER_DESC_HIGH: usize = 0x094;
const DEVICE_DESC_LOW: usize = 0x0a0;
const DEVICE_DESC_HIGH: usize = 0x0a4;

bitflags::bitflags! {
    /// Device status bits.
    #[derive(Clone, Copy)]
    struct Status: u32 {
        const ACKNOWLEDGE = 1;
        const DRIVER = 2;
        const DRIVER_OK = 4;
        const FEATURES_OK = 8;
    }
}

bitflags::bitflags! {
    /// Feature bits we turn off.
    #[derive(Clone, Copy)]
    struct Features: u32 {
        const BLK_RO = 1 << 5;
        const BLK_SCSI = 1 << 7;
        const BLK_CONFIG_WCE = 1 << 11;
        const BLK_MQ = 1 << 12;
        const ANY_LAYOUT = 1 << 27;
        const RING_INDIRECT_DESC = 1 << 28;
        const RING_EVENT_IDX = 1 << 29;
    }
}

/// Descriptors in the queue; must be a power of two.
const NUM: usize = 8;

const VRING_DESC_F_NEXT: u16 = 1;
const VRING_DESC_F_WRITE: u16 = 2;

const VIRTIO_BLK_T_IN: u32 = 0;
const VIRTIO_BLK_T_OUT: u32 = 1;

#[repr(C)]
struct VirtqDesc {
    addr: u64,
    len: u32,
    flags: u16,
    next: u16,
}

#[repr(C)]
struct VirtqAvail {
    flags: u16,
    /// Where the driver puts the next entry (counts up, modulo NUM).
    idx: u16,
    ring: [u16; NUM],
    unused: u16,
}

#[repr(C)]
struct VirtqUsedElem {
    id: u32,
    len: u32,
}

#[repr(C)]
struct VirtqUsed {
    flags: u16,
    /// The device bumps this as it completes requests.
    idx: u16,
    ring: [VirtqUsedElem; NUM],
}

/// The first descriptor of a request points at this header.
#[repr(C)]
#[derive(Clone, Copy)]
struct BlkReq {
    typ: u32,
    reserved: u32,
    sector: u64,
}

struct Info {
    /// The requester's busy flag, cleared when the request is done; the
    /// requester sleeps on its address until then, so it outlives the
    /// request (for the file system it is the buffer's `disk` flag).
    busy: *const AtomicBool,
    /// Device writes 0 here on success.
    status: u8,
}

struct Disk {
    /// The device's MMIO registers.
    regs: Mmio,
    /// The three rings, each in a page of its own.
    desc: *mut [VirtqDesc; NUM],
    avail: *mut VirtqAvail,
    used: *mut VirtqUsed,
    free: [bool; NUM],
    /// How far we have looked in used.ring.
    used_idx: u16,
    info: [Info; NUM],
    /// Request headers, one per possible chain head.
    ops: [BlkReq; NUM],
}

// SAFETY: the ring pointers refer to pages owned by the driver, reached
// only with the lock held; a busy pointer is used only while its requester
// sleeps waiting for it (disk_rw).
unsafe impl Send for Disk {}

impl Disk {
    const fn new(regs: Mmio) -> Disk {
        Disk {
            regs,
            desc: core::ptr::null_mut(),
            avail: core::ptr::null_mut(),
            used: core::ptr::null_mut(),
            free: [false; NUM],
            used_idx: 0,
            info: [const {
                Info {
                    busy: core::ptr::null(),
                    status: 0,
                }
            }; NUM],
            ops: [BlkReq {
                typ: 0,
                reserved: 0,
                sector: 0,
            }; NUM],
        }
    }
}

/// A virtio-mmio slot's bytes of registers, configuration space included.
const VIRTIO_SLOT: usize = 0x200;
// SAFETY: the file system disk's virtio-mmio slot, direct-mapped by kvmmake.
const VIRTIO0_REGS: Mmio = unsafe { Mmio::new(VIRTIO0, VIRTIO_SLOT) };

/// 32-bit register `r` of a virtio-mmio slot.
fn mmio(regs: &Mmio, r: usize) -> VolatilePtr<'static, u32> {
    regs.reg(r)
}

/// The file system's disk, and with `swap` the swap disk. Two whole
/// statics rather than a `#[cfg]` on the second element: rust-analyzer
/// keeps a cfg'd array element and reports a length mismatch.
#[cfg(not(feature = "swap"))]
static DISKS: [Spinlock<Disk>; 1] = [Spinlock::new("virtio_disk", Disk::new(VIRTIO0_REGS))];
#[cfg(feature = "swap")]
static DISKS: [Spinlock<Disk>; 2] = [
    Spinlock::new("virtio_disk", Disk::new(VIRTIO0_REGS)),
    Spinlock::new(
        "virtio_swap",
        // SAFETY: the swap disk's slot, direct-mapped by kvmmake in this build.
        Disk::new(unsafe { Mmio::new(crate::memlayout::VIRTIO1, VIRTIO_SLOT) }),
    ),
];

fn free_chan(disk: &Disk) -> usize {
    &disk.free as *const _ as usize
}

pub fn virtio_disk_init() {
    if !init(FSDISK) {
        panic!("could not find virtio disk");
    }
}

/// Sets up disk `dev`, or returns false if its slot holds no block device.
fn init(dev: usize) -> bool {
    let mut disk = DISKS[dev].lock();
    let regs = disk.regs;
    let reg = |r| mmio(&regs, r);
    if reg(MAGIC_VALUE).read() != 0x7472_6976
        || reg(VERSION).read() != 2
        || reg(DEVICE_ID).read() != 2
        || reg(VENDOR_ID).read() != 0x554d_4551
    {
        return false;
    }

    // Reset, then the handshake: acknowledge, driver, features.
    let mut status = Status::empty();
    reg(STATUS).write(status.bits());
    status |= Status::ACKNOWLEDGE;
    reg(STATUS).write(status.bits());
    status |= Status::DRIVER;
    reg(STATUS).write(status.bits());

    let off = Features::BLK_RO
        | Features::BLK_SCSI
        | Features::BLK_CONFIG_WCE
        | Features::BLK_MQ
        | Features::ANY_LAYOUT
        | Features::RING_EVENT_IDX
        | Features::RING_INDIRECT_DESC;
    let features = reg(DEVICE_FEATURES).read() & !off.bits();
    reg(DRIVER_FEATURES).write(features);

    status |= Status::FEATURES_OK;
    reg(STATUS).write(status.bits());
    // The device must agree to the features.
    if !Status::from_bits_truncate(reg(STATUS).read()).contains(Status::FEATURES_OK) {
        panic!("virtio disk FEATURES_OK unset");
    }

    // Queue 0.
    reg(QUEUE_SEL).write(0);
    if reg(QUEUE_READY).read() != 0 {
        panic!("virtio disk should not be ready");
    }
    let max = reg(QUEUE_NUM_MAX).read();
    if max == 0 {
        panic!("virtio disk has no queue 0");
    }
    if (max as usize) < NUM {
        panic!("virtio disk max queue too short");
    }
    let desc = kzalloc().expect("virtio disk kalloc");
    let avail = kzalloc().expect("virtio disk kalloc");
    let used = kzalloc().expect("virtio disk kalloc");
    disk.desc = desc as *mut _;
    disk.avail = avail as *mut _;
    disk.used = used as *mut _;

    reg(QUEUE_NUM).write(NUM as u32);
    reg(QUEUE_DESC_LOW).write(desc as u32);
    reg(QUEUE_DESC_HIGH).write((desc >> 32) as u32);
    reg(DRIVER_DESC_LOW).write(avail as u32);
    reg(DRIVER_DESC_HIGH).write((avail >> 32) as u32);
    reg(DEVICE_DESC_LOW).write(used as u32);
    reg(DEVICE_DESC_HIGH).write((used >> 32) as u32);
    reg(QUEUE_READY).write(1);

    disk.free = [true; NUM];

    status |= Status::DRIVER_OK;
    reg(STATUS).write(status.bits());
    // plicinit and plicinithart route the interrupt (VIRTIO0_IRQ).
    true
}

impl Disk {
    fn desc(&mut self, i: usize) -> &mut VirtqDesc {
        // SAFETY: desc points at our page of NUM descriptors; i < NUM.
        unsafe { &mut (*self.desc)[i] }
    }

    fn avail(&mut self) -> &mut VirtqAvail {
        // SAFETY: avail points at our page; the device only reads it.
        unsafe { &mut *self.avail }
    }

    fn alloc_desc(&mut self) -> Option<usize> {
        let i = self.free.iter().position(|&f| f)?;
        self.free[i] = false;
        Some(i)
    }

    fn free_desc(&mut self, i: usize) {
        if i >= NUM {
            panic!("free_desc 1");
        }
        if self.free[i] {
            panic!("free_desc 2");
        }
        *self.desc(i) = VirtqDesc {
            addr: 0,
            len: 0,
            flags: 0,
            next: 0,
        };
        self.free[i] = true;
        wakeup(free_chan(self));
    }

    /// Frees a chain of descriptors.
    fn free_chain(&mut self, mut i: usize) {
        loop {
            let flag = self.desc(i).flags;
            let nxt = self.desc(i).next as usize;
            self.free_desc(i);
            if flag & VRING_DESC_F_NEXT == 0 {
                break;
            }
            i = nxt;
        }
    }

    /// Three descriptors (they need not be contiguous), or none.
    fn alloc3_desc(&mut self) -> Option<[usize; 3]> {
        let mut idx = [0; 3];
        for i in 0..3 {
            match self.alloc_desc() {
                Some(d) => idx[i] = d,
                None => {
                    for &d in &idx[..i] {
                        self.free_desc(d);
                    }
                    return None;
                }
            }
        }
        Some(idx)
    }
}

/// Reads or writes the block held in `b`, sleeping until the disk is done.
pub fn virtio_disk_rw(b: &mut BufGuard, write: bool) {
    let sector = b.blockno() as u64 * (BSIZE / 512) as u64;
    let data = b.data.as_mut_ptr() as usize;
    disk_rw(FSDISK, sector, data, BSIZE, write, &b.buf().disk);
}

/// Reads or writes one page of the swap disk at `sector` from or into the
/// page at physical address `pa`, sleeping until the disk is done.
#[cfg(feature = "swap")]
pub fn virtio_swap_rw(sector: u64, pa: usize, write: bool) {
    let busy = AtomicBool::new(false);
    disk_rw(SWAPDISK, sector, pa, crate::riscv::PGSIZE, write, &busy);
}

/// One request to disk `dev`: `len` bytes at kernel address `data` to or
/// from `sector`. `busy` stays set while the device owns the data.
fn disk_rw(dev: usize, sector: u64, data: usize, len: usize, write: bool, busy: &AtomicBool) {
    let mut disk = DISKS[dev].lock();

    let idx = loop {
        if let Some(idx) = disk.alloc3_desc() {
            break idx;
        }
        let chan = free_chan(&disk);
        disk = sleep(chan, disk);
    };

    disk.ops[idx[0]] = BlkReq {
        typ: if write {
            VIRTIO_BLK_T_OUT
        } else {
            VIRTIO_BLK_T_IN
        },
        reserved: 0,
        sector,
    };
    let op = &disk.ops[idx[0]] as *const BlkReq as u64;
    *disk.desc(idx[0]) = VirtqDesc {
        addr: op,
        len: core::mem::size_of::<BlkReq>() as u32,
        flags: VRING_DESC_F_NEXT,
        next: idx[1] as u16,
    };
    // The device reads the data for a write, and writes it for a read.
    let data_flags = if write { 0 } else { VRING_DESC_F_WRITE };
    *disk.desc(idx[1]) = VirtqDesc {
        addr: data as u64,
        len: len as u32,
        flags: data_flags | VRING_DESC_F_NEXT,
        next: idx[2] as u16,
    };
    disk.info[idx[0]].status = 0xff; // the device writes 0 on success
    let status = &disk.info[idx[0]].status as *const u8 as u64;
    *disk.desc(idx[2]) = VirtqDesc {
        addr: status,
        len: 1,
        flags: VRING_DESC_F_WRITE,
        next: 0,
    };

    // Record the request for virtio_disk_intr.
    busy.store(true, Ordering::Release);
    disk.info[idx[0]].busy = busy;

    let avail = disk.avail();
    avail.ring[avail.idx as usize % NUM] = idx[0] as u16;
    // The ring entry must be visible before the index moves.
    fence(Ordering::SeqCst);
    avail.idx = avail.idx.wrapping_add(1);
    fence(Ordering::SeqCst);
    mmio(&disk.regs, QUEUE_NOTIFY).write(0); // queue number

    // Wait for virtio_disk_intr to say the request is done.
    while busy.load(Ordering::Acquire) {
        disk = sleep(busy as *const _ as usize, disk);
    }

    disk.info[idx[0]].busy = core::ptr::null();
    disk.free_chain(idx[0]);
}

/// Interrupt from disk `dev`: wake the owners of completed requests.
pub fn virtio_disk_intr(dev: usize) {
    let mut disk = DISKS[dev].lock();

    // Acknowledge, so the device can raise the next interrupt; more
    // completions may arrive while we are here, which is fine.
    let status = mmio(&disk.regs, INTERRUPT_STATUS).read();
    mmio(&disk.regs, INTERRUPT_ACK).write(status & 0x3);
    fence(Ordering::SeqCst);

    loop {
        // SAFETY: the used ring is in the driver's page (set at init, never
        // freed); volatile, since the device writes it by DMA.
        let used_idx = unsafe { core::ptr::read_volatile(&raw const (*disk.used).idx) };
        if disk.used_idx == used_idx {
            break;
        }
        fence(Ordering::SeqCst);
        let slot = disk.used_idx as usize % NUM;
        // SAFETY: the used ring is in the driver's page (set at init, never
        // freed), slot < NUM entries; volatile, since the device writes it.
        let id =
            unsafe { core::ptr::read_volatile(&raw const (*disk.used).ring[slot].id) } as usize;
        // The device wrote the status byte by DMA: a volatile read, so the
        // compiler cannot reuse a value it thinks it knows.
        let st = VolatileRef::from_ref(&disk.info[id].status).as_ptr().read();
        if st != 0 {
            panic!("virtio_disk_intr status");
        }
        let busy = disk.info[id].busy;
        if !busy.is_null() {
            // The disk is done with the data.
            // SAFETY: the requester sleeps in disk_rw until this flag is
            // clear, so the flag it set is still alive.
            unsafe { (*busy).store(false, Ordering::Release) };
            wakeup(busy as usize);
        }
        disk.used_idx = disk.used_idx.wrapping_add(1);
    }
}

/// Sets up the swap disk; its size in 512-byte sectors, or None if the
/// slot holds no disk (QEMU started without one).
#[cfg(feature = "swap")]
pub fn virtio_swap_init() -> Option<u64> {
    if !init(SWAPDISK) {
        return None;
    }
    // The block device's configuration space starts with its capacity.
    const CAPACITY: usize = 0x100;
    let regs = DISKS[SWAPDISK].lock().regs;
    let lo = mmio(&regs, CAPACITY).read() as u64;
    let hi = mmio(&regs, CAPACITY + 4).read() as u64;
    Some(hi << 32 | lo)
}
