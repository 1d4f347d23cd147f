//! Kernel context switch (swtch.S) and the registers it saves.

/// Callee-saved registers of a kernel thread, plus where to resume (ra)
/// and its stack. Layout fixed by swtch.S.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub ra: usize,
    pub sp: usize,
    pub s: [usize; 12],
}

impl Context {
    pub const fn zero() -> Self {
        Context {
            ra: 0,
            sp: 0,
            s: [0; 12],
        }
    }
}

static_assertions::assert_eq_size!(Context, [u8; 112]);

core::arch::global_asm!(include_str!("../asm/swtch.S"));

extern "C" {
    /// Saves the current registers in `old`, loads `new`'s, and returns
    /// into `new`'s thread.
    pub fn swtch(old: *mut Context, new: *const Context);
}
