# QEMU's -kernel loads the kernel at 0x80000000 and every hart jumps here in
# machine mode. Give each hart its own 4 KiB boot stack, then call start().
.section .text.entry
.globl _entry
_entry:
        # sp = stack0 + (hartid + 1) * 4096
        la sp, stack0
        csrr a1, mhartid
        addi a1, a1, 1
        slli a1, a1, 12
        add sp, sp, a1
        call start
1:
        j 1b

# One boot stack per possible hart (NCPU = 8).
.section .bss.stack0
.align 4
.globl stack0
stack0:
        .space 4096 * 8
