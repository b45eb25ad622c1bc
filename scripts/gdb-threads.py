# gdb: `hm-threads` lists every live thread of a stopped hm (the kernel's
# thread_live list): its process, state, priority, what it waits on and for
# whom, and its user stack (pc, lr, then the frame-pointer chain, read
# through the process's own page tables). For a hang: `make debug` (or
# QEMU with -gdb), then
#   gdb-multiarch build/hm.elf -ex 'target remote :1234' \
#       -ex 'source scripts/gdb-threads.py' -ex hm-threads
# The test harness does this when a boot runs out of time and names the
# functions with addr2line (tests/harness/hang.py).
import struct

import gdb

KERNEL_VBASE = 0xFFFF000000000000
ADDR = 0x0000FFFFFFFFF000   # a descriptor's output address bits (4 KiB granule)


def _list(head, typ, field):
    """the entries of a kernel struct list (list.h: next/prev, head not an entry)"""
    tptr = gdb.lookup_type(typ).pointer()
    off = int(gdb.parse_and_eval(f"(unsigned long)&(({typ} *)0)->{field}"))
    n = head["next"]
    while int(n) != int(head.address):
        yield gdb.Value(int(n) - off).cast(tptr)
        n = n["next"]


def _pname(t):
    p = t["proc"]
    return f'{p["name"].string()}#{int(p["o"]["koid"])}' if int(p) else "(kernel)"


def _phys64(pa):
    mem = gdb.selected_inferior().read_memory(KERNEL_VBASE + pa, 8)
    return struct.unpack("<Q", bytes(mem))[0]


def _user64(ttbr, va):
    """8 bytes at user va of the address space ttbr (4 levels, 4 KiB pages); None if unmapped"""
    table = ttbr & ADDR
    for level in range(4):
        shift = 39 - 9 * level
        desc = _phys64(table + ((va >> shift) & 511) * 8)
        if not desc & 1:
            return None
        if level == 3 or not desc & 2:   # a page, or a block (1 GiB / 2 MiB)
            return _phys64((desc & ADDR & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1)))
        table = desc & ADDR
    return None


def _frames(t, depth=12):
    tf = t["tf"]
    if not int(tf) or not int(t["proc"]):
        return []
    ttbr = int(t["proc"]["vs"]["ttbr"])
    out = [int(tf["pc"]), int(tf["x"][30])]
    fp = int(tf["x"][29])
    while fp and len(out) < depth and not fp & 7:
        try:
            prev, lr = _user64(ttbr, fp), _user64(ttbr, fp + 8)
        except gdb.MemoryError:
            break
        if prev is None or lr is None or not lr:
            break
        out.append(lr)
        if prev <= fp:   # stacks grow down: a caller's frame is above
            break
        fp = prev
    return out


def _reg(name):
    try:
        return int(gdb.parse_and_eval(f"${name}"))
    except (gdb.error, ValueError):
        return None


def _u32(va):
    try:
        return struct.unpack("<I", bytes(gdb.selected_inferior().read_memory(va, 4)))[0]
    except gdb.MemoryError:
        return None


def _timer_and_gic():
    """the timer and interrupt state: whether the next wake-up can come"""
    dl = [int(t["deadline"]) for t in _list(gdb.parse_and_eval("timeouts"), "struct timeout", "link")]
    ctl, cval = _reg("CNTV_CTL_EL0"), _reg("CNTV_CVAL_EL0")
    pctl, pcval = _reg("CNTP_CTL_EL0"), _reg("CNTP_CVAL_EL0")
    print(f"timer: programmed {int(gdb.parse_and_eval('timer_programmed')):#x}, CNTV_CTL {ctl} "
          f"(1 enabled, 2 masked, 4 condition met), CNTV_CVAL {cval if cval is None else hex(cval)}, "
          f"cpsr {_reg('cpsr') or 0:#x}, irqs taken {int(gdb.parse_and_eval('kcpu.stats.irqs'))}, "
          f"{len(dl)} timeouts, earliest {', '.join(hex(d) for d in dl[:4])}; idle since {int(gdb.parse_and_eval('idle_since')):#x}, "
          f"{int(gdb.parse_and_eval('time_freq'))} ticks/s; backstop CNTP_CTL {pctl}, CNTP_CVAL "
          f"{pcval if pcval is None else hex(pcval)}, rescues {int(gdb.parse_and_eval('kcpu.stats.timer_rescues'))}")
    if int(gdb.parse_and_eval("gic_ver")) == 2:
        d, c = int(gdb.parse_and_eval("(unsigned long)gicd")), int(gdb.parse_and_eval("(unsigned long)gicc_or_gicr"))
        regs = {"GICD_CTLR": d, "ISENABLER0": d + 0x100, "ISPENDR0": d + 0x200, "ISACTIVER0": d + 0x300,
                "ISENABLER1": d + 0x104, "ISPENDR1": d + 0x204, "ISACTIVER1": d + 0x304,
                "GICC_CTLR": c, "GICC_PMR": c + 4, "GICC_RPR": c + 0x14, "GICC_HPPIR": c + 0x18}
        vals = {k: _u32(v) for k, v in regs.items()}   # one read each
        print("gic: " + ", ".join(f"{k} {v if v is None else hex(v)}" for k, v in vals.items()))


class HmThreads(gdb.Command):
    """hm-threads: every live thread, what it runs or waits on, its user stack"""

    def __init__(self):
        super().__init__("hm-threads", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        cur = int(gdb.parse_and_eval("kcpu.current"))
        try:   # QEMU's run state before gdb stopped it (a guest paused by an I/O error says so)
            print("qemu: " + gdb.execute("monitor info status", to_string=True).strip())
        except gdb.error:
            pass
        _timer_and_gic()
        for t in _list(gdb.parse_and_eval("thread_live"), "struct thread", "live_link"):
            extra = []
            if int(t["reply_from"]):
                rf = t["reply_from"]
                extra.append(f"waits for the reply of {_pname(rf)} tid {int(rf['tid'])}")
            if int(t["reply_to"]):
                rt = t["reply_to"]
                extra.append(f"owes a reply to {_pname(rt)} tid {int(rt['tid'])}")
            if int(t["wait_obj"]):
                o = t["wait_obj"]
                extra.append(f"on object type {int(o['type'])} koid {int(o['koid'])}")
            if t["to"]["armed"]:
                extra.append("with a deadline")
            if t["in_fault"]:
                extra.append("in fault")
            sysno = int(t["tf"]["x"][8]) if int(t["tf"]) else 0
            mark = "*" if int(t) == cur else " "
            frames = " ".join(f"{a:#x}" for a in _frames(t))
            print(f"{mark}{_pname(t):14} tid {int(t['tid']):5} {str(t['state']):10} prio {int(t['prio']):3} "
                  f"syscall {sysno:2} {'; '.join(extra)}")
            if frames:
                print(f"    stack: {frames}")


HmThreads()
