# The trampoline: the first and last instructions of every trap from user
# mode, and the reason for this page's odd placement.
#
# A RISC-V trap does not change page tables: the hart jumps to stvec with
# satp still holding the user page table, which does not map the kernel.
# So the code at stvec must be mapped in the user page table, and it must
# keep running when it loads the kernel's page table into satp. Both hold
# because this page is mapped at the same virtual address (TRAMPOLINE,
# the top page) in the kernel's page table and in every user one, without
# PTE_U, so user code cannot touch it. The same is true in reverse on the
# way out (userret).
#
# The trap also gives us no free register: every one of the 32 belongs
# to the user program and must be saved before we use it. sscratch is
# the one spare: uservec parks a0 there, loads the address of the
# process's trapframe (TRAPFRAME, the page just below, mapped in the user
# page table only, also without PTE_U), and saves the registers into it.
# The trapframe also holds what the kernel side needs, written by
# usertrapret before the last return to user space: the kernel page
# table (kernel_satp), the top of this process's kernel stack
# (kernel_sp), usertrap's address (kernel_trap) and the hart id
# (kernel_hartid, for tp). uservec loads them, switches satp, and jumps
# to usertrap, which never returns here: the way back is usertrapret,
# which calls userret in this page with the user page table.
#
# {TRAPFRAME} is filled in by global_asm!. Offsets into struct TrapFrame
# are pinned by static assertions in proc.rs.
.section trampsec
.globl trampoline
trampoline:
.align 4
.globl uservec
uservec:
        # Trap from user mode; still on the user page table. Stash a0 so we
        # have a register for the trapframe address.
        csrw sscratch, a0
        li a0, {TRAPFRAME}

        sd ra, 40(a0)
        sd sp, 48(a0)
        sd gp, 56(a0)
        sd tp, 64(a0)
        sd t0, 72(a0)
        sd t1, 80(a0)
        sd t2, 88(a0)
        sd s0, 96(a0)
        sd s1, 104(a0)
        sd a1, 120(a0)
        sd a2, 128(a0)
        sd a3, 136(a0)
        sd a4, 144(a0)
        sd a5, 152(a0)
        sd a6, 160(a0)
        sd a7, 168(a0)
        sd s2, 176(a0)
        sd s3, 184(a0)
        sd s4, 192(a0)
        sd s5, 200(a0)
        sd s6, 208(a0)
        sd s7, 216(a0)
        sd s8, 224(a0)
        sd s9, 232(a0)
        sd s10, 240(a0)
        sd s11, 248(a0)
        sd t3, 256(a0)
        sd t4, 264(a0)
        sd t5, 272(a0)
        sd t6, 280(a0)

        # The user's a0, saved above in sscratch.
        csrr t0, sscratch
        sd t0, 112(a0)

        # kernel_sp, kernel_hartid, kernel_trap (usertrap), kernel_satp.
        ld sp, 8(a0)
        ld tp, 32(a0)
        ld t0, 16(a0)
        ld t1, 0(a0)

        # Switch to the kernel page table; fence before so no user-side
        # accesses are pending, and after so no stale user entries remain.
        sfence.vma zero, zero
        csrw satp, t1
        sfence.vma zero, zero

        jr t0

.globl userret
userret:
        # userret(satp): called by usertrapret with the user page table in a0.
        sfence.vma zero, zero
        csrw satp, a0
        sfence.vma zero, zero

        li a0, {TRAPFRAME}

        ld ra, 40(a0)
        ld sp, 48(a0)
        ld gp, 56(a0)
        ld tp, 64(a0)
        ld t0, 72(a0)
        ld t1, 80(a0)
        ld t2, 88(a0)
        ld s0, 96(a0)
        ld s1, 104(a0)
        ld a1, 120(a0)
        ld a2, 128(a0)
        ld a3, 136(a0)
        ld a4, 144(a0)
        ld a5, 152(a0)
        ld a6, 160(a0)
        ld a7, 168(a0)
        ld s2, 176(a0)
        ld s3, 184(a0)
        ld s4, 192(a0)
        ld s5, 200(a0)
        ld s6, 208(a0)
        ld s7, 216(a0)
        ld s8, 224(a0)
        ld s9, 232(a0)
        ld s10, 240(a0)
        ld s11, 248(a0)
        ld t3, 256(a0)
        ld t4, 264(a0)
        ld t5, 272(a0)
        ld t6, 280(a0)

        # Last, the user's a0.
        ld a0, 112(a0)

        # Return to user mode at sepc, with the mode and interrupt state
        # that usertrapret put in sstatus.
        sret
