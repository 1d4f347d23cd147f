# The first user program. userinit copies these bytes to address 0 of the
# first process; they run in user mode and exec("/init", ["/init", 0]).
# Only PC-relative addressing, so it runs wherever it is copied.
.section .initcode, "a"
.globl initcode_start
.globl initcode_end
.align 4
initcode_start:
        la a0, 2f
        la a1, 3f
        li a7, {SYS_EXEC}
        ecall
1:
        li a7, {SYS_EXIT}
        ecall
        j 1b
2:
        .string "/init"
.align 3
3:
        .dword 2b - initcode_start
        .dword 0
initcode_end:
