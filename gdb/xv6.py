# gdb helpers for xv6-rs, loaded by the generated .gdbinit.
#
#   break NAME       (and tbreak, b) NAME may be an xv6 name (uvmcopy, sys_sbrk, kalloc):
#                    it stands for the kernel function of that name in
#                    whichever module has it (kernel::vm::uvmcopy)
#   xv6names [NAME]  which full names a short name stands for
#   procs            the process table: slot, pid, state, sz, name
#   vmprint [PID]    a process's page table, as the course's vmprint
#                    prints it, plus va and flags; no PID: this hart's
#                    process
#
# Rust functions are named by path, so gdb knows uvmcopy only as
# kernel::vm::uvmcopy and has no setting that matches the last part
# alone. So `break` is replaced by a command that turns a short name into
# the full one and makes the breakpoint with gdb's Python API; everything
# else it passes on as written. Page tables are read from physical memory,
# which the kernel maps at the same addresses: stop in the kernel first.

import glob
import os
import re

import gdb

# Short name -> full names: every module-level fn in kernel/src (one
# module per file; main.rs is the crate root), and every kernel function
# in the debug info (which misses those that were only inlined). Methods
# ({impl#N}), closures and generic instances are left out.
NAMES = {}
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernel", "src")
SRC_FN_RE = re.compile(
    r'^(?:pub(?:\([a-z]+\))? )?(?:const )?(?:unsafe )?(?:extern "C" )?fn ([a-z_][a-z0-9_]*)', re.M
)
FN_RE = re.compile(r"\bfn (kernel(?:::[A-Za-z_][A-Za-z0-9_]*)+)\(")


def load_names():
    names = set()
    for f in sorted(glob.glob(os.path.join(SRC, "*.rs"))):
        mod = os.path.basename(f)[:-3]
        path = "kernel" if mod == "main" else f"kernel::{mod}"
        with open(f) as fh:
            names.update(f"{path}::{n}" for n in SRC_FN_RE.findall(fh.read()))
    out = gdb.execute("info functions -q ^kernel::", to_string=True)
    names.update(FN_RE.findall(out))
    NAMES.clear()
    for full in sorted(names):
        NAMES.setdefault(full.rsplit("::", 1)[1], []).append(full)


def resolve(word):
    """The full names `word` may stand for; [] if it is none of ours."""
    if "::" in word or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word):
        return []
    if not NAMES:
        load_names()
    return NAMES.get(word, [])


def split_cond(arg):
    """LOCATION [thread N] [if COND] -> (location, thread, cond)."""
    cond = None
    m = re.search(r"(^|\s)if(\s|\()", arg)
    if m:
        cond = arg[m.end(1) + 2 :].strip()
        arg = arg[: m.start()].strip()
    thread = None
    m = re.search(r"(^|\s)thread\s+(\d+)\s*$", arg)
    if m:
        thread = int(m.group(2))
        arg = arg[: m.start()].strip()
    return arg, thread, cond


class Break(gdb.Command):
    """Set a breakpoint: break [LOCATION] [thread N] [if COND].
LOCATION may be an xv6 function name (uvmcopy, sys_sbrk, usertrap): it
means the kernel function of that name in whichever module has it, with
every place it was inlined. A name in several modules lists them; pick
one by full name (break kernel::uart::reg). Other locations (file:line,
*ADDR, full names) mean what they mean to gdb."""

    temporary = False

    def __init__(self, name="break"):
        super().__init__(name, gdb.COMMAND_BREAKPOINTS, gdb.COMPLETE_LOCATION)

    def invoke(self, arg, from_tty):
        try:
            self.make(arg)
        except gdb.error as e:
            raise gdb.GdbError(str(e)) from None

    def make(self, arg):
        loc, thread, cond = split_cond(arg.strip())
        words = loc.split(None, 1)
        if words:
            full = resolve(words[0])
            if len(full) > 1:
                print(f"{words[0]} is in {len(full)} modules; break on one of:")
                for f in full:
                    print(f"  {f}")
                return
            if full:
                loc = " ".join([full[0]] + words[1:])
                try:
                    gdb.decode_line(full[0])
                except gdb.error:
                    raise gdb.GdbError(
                        f"{words[0]} ({full[0]}) has no code in this kernel:"
                        " left out by this FEATURES set, or optimised away"
                    ) from None
        if not loc:
            # As gdb's own break with no location: the selected frame's pc.
            loc = f"*{gdb.selected_frame().pc():#x}"
        if gdb.parameter("breakpoint pending") is not True:
            gdb.decode_line(loc)  # not found: its error, and no breakpoint
        bp = gdb.Breakpoint(loc, temporary=self.temporary)
        if thread is not None:
            bp.thread = thread
        if cond:
            bp.condition = cond


class Tbreak(Break):
    """As break, for one stop only."""

    temporary = True

    def __init__(self):
        super().__init__("tbreak")


class Xv6Names(gdb.Command):
    """xv6names [NAME]: the full kernel function names NAME stands for;
without NAME, the short names that are in more than one module."""

    def __init__(self):
        super().__init__("xv6names", gdb.COMMAND_SUPPORT)

    def invoke(self, arg, from_tty):
        load_names()
        arg = arg.strip()
        if arg:
            full = NAMES.get(arg, [])
            print("\n".join(full) if full else f"no kernel function named {arg}")
            return
        for short, full in sorted(NAMES.items()):
            if len(full) > 1:
                print(f"{short}: {', '.join(full)}")
        print(f"{len(NAMES)} short names")


# ---- process table ----

NPROC = 64


def some(v):
    """The payload of a Rust Option as an int, or None."""
    s = str(v)
    if s.endswith("::None") or s == "None":
        return None
    m = re.search(r"Some\((?:[^()]*\()?(0x[0-9a-f]+|\d+)", s)
    return int(m.group(1), 0) if m else None


def proc_slot(i):
    p = gdb.parse_and_eval(f"kernel::proc::PROCS[{i}]")
    st = p["lock"]["data"]["value"]
    d = p["data"]["value"]
    raw = p["name"]["data"]["value"]  # a Spinlock of its own
    name = bytes(int(raw[j]) for j in range(16)).split(b"\0")[0]
    return {
        "slot": i,
        "addr": int(p.address),
        "pid": int(st["pid"]),
        "state": str(st["state"]).rsplit("::", 1)[-1],
        "sz": int(d["sz"]),
        "name": name.decode(errors="replace"),
        "pagetable": some(d["pagetable"]),
    }


def live_procs():
    return [p for p in map(proc_slot, range(NPROC)) if p["state"] != "Unused"]


class Procs(gdb.Command):
    """procs: the process table (slots in use): slot, pid, state, sz, name,
page table."""

    def __init__(self):
        super().__init__("procs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print(f"{'slot':>4} {'pid':>4} {'state':<9} {'sz':>10} {'name':<16} pagetable")
        for p in live_procs():
            pt = f"{p['pagetable']:#x}" if p["pagetable"] else "-"
            print(
                f"{p['slot']:>4} {p['pid']:>4} {p['state']:<9} {p['sz']:#10x} {p['name']:<16} {pt}"
            )


# ---- page tables ----

# PTE bits (kernel/src/riscv.rs): COW and SWAP are the RSW bits 8 and 9.
FLAGS = [
    (0, "V"),
    (1, "R"),
    (2, "W"),
    (3, "X"),
    (4, "U"),
    (5, "G"),
    (6, "A"),
    (7, "D"),
    (8, "COW"),
    (9, "SWAP"),
]
KERNBASE = 0x8000_0000
PGSIZE = 4096


def flags(pte):
    return " ".join(n for b, n in FLAGS if pte >> b & 1)


def read_table(pa):
    mem = gdb.selected_inferior().read_memory(pa, PGSIZE).tobytes()
    return [int.from_bytes(mem[i : i + 8], "little") for i in range(0, PGSIZE, 8)]


def refcount(pa):
    """The page's reference count under lab cow, else None."""
    try:
        v = gdb.parse_and_eval(f"kernel::cow::REFCNT[{(pa - KERNBASE) // PGSIZE}]")
    except gdb.error:
        return None
    return int(v["v"]["value"]) if "v" in [f.name for f in v.type.fields()] else int(v)


def current_pid():
    hart = int(gdb.parse_and_eval("$tp"))
    cpu = gdb.parse_and_eval(f"kernel::proc::CPUS[{hart}]")
    slot = int(cpu["proc"]["v"]["value"])  # an AtomicUsize; NOPROC when idle
    for p in live_procs():
        if p["slot"] == slot:
            return p["pid"]
    raise gdb.GdbError(f"hart {hart} runs no process; give a pid (see procs)")


class Vmprint(gdb.Command):
    """vmprint [PID]: the page table of process PID (default: the one on
this hart): `page table PA`, then a line per valid entry, one `..` per
level: index, pte, pa; leaves add va and flags (COW, SWAP are the RSW
bits). Ends with the pages mapped, shared (count > 1, lab cow) and COW."""

    def __init__(self):
        super().__init__("vmprint", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        pid = int(arg, 0) if arg.strip() else current_pid()
        p = next((p for p in live_procs() if p["pid"] == pid), None)
        if p is None or not p["pagetable"]:
            raise gdb.GdbError(f"no process with pid {pid} and a page table")
        root = p["pagetable"]
        print(f"page table {root:#018x} (pid {pid}, {p['name']}, sz {p['sz']:#x})")
        self.counts = {"mapped": 0, "shared": 0, "cow": 0, "swapped": 0}
        self.walk(root, 2, 0)
        c = self.counts
        print(
            f"{c['mapped']} pages mapped, {c['shared']} shared, {c['cow']} COW"
            + (f", {c['swapped']} swapped out" if c["swapped"] else "")
        )

    def walk(self, pa, level, va):
        for i, pte in enumerate(read_table(pa)):
            if not pte & 0x201:  # neither V nor SWAP
                continue
            child = (pte >> 10) << 12
            cva = va | i << (12 + 9 * level)
            dots = " ".join([".."] * (3 - level))
            line = f" {dots}{i}: pte {pte:#018x} pa {child:#018x}"
            if pte & 1 and not pte & 0xE and level > 0:
                print(line)
                self.walk(child, level - 1, cva)
                continue
            if not pte & 1:  # swapped out: the pa field is a slot
                self.counts["swapped"] += 1
                print(f" {dots}{i}: pte {pte:#018x} slot {pte >> 10} va {cva:#x} [{flags(pte)}]")
                continue
            self.counts["mapped"] += 1
            n = refcount(child) if KERNBASE <= child < KERNBASE + (128 << 20) else None
            if n is not None and n > 1:
                self.counts["shared"] += 1
            if pte & 0x100:
                self.counts["cow"] += 1
            ref = f" ref {n}" if n is not None else ""
            print(f"{line} va {cva:#x} [{flags(pte)}]{ref}")


Break()
Tbreak()
Xv6Names()
Procs()
Vmprint()
