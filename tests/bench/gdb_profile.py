"""Instruction-level profile of one IPC round trip, by single-stepping QEMU
under gdb. Usage (from the repository root, after `make build/boot-test.img`):

    qemu-system-aarch64 -M virt -cpu cortex-a72 -m 512M -nic none \\
        -kernel build/hm.bin -initrd build/boot-test.img -append hm.run=ipcbench \\
        -display none -monitor none -serial null -s -S &
    gdb-multiarch -q -batch build/hm.elf -ex 'py STOP="ipc_call_fastpath"' -x tests/bench/gdb_profile.py

STOP names a kernel function and ENTRIES how often one round trip enters it
(ipc_call_fastpath: once, for call + reply, the default;
thread_switch_fastpath: twice, for the hand-off: add -ex 'py ENTRIES=2').
Prints the number of instructions executed between one entry and the one
ENTRIES entries later, by
function, then by source line (`-ex 'py LINES=1'`; what docs/benchmarks.md's
"what each instruction is for" counts).
"""
import gdb

stop = globals().get("STOP", "ipc_call_fastpath")
entries = globals().get("ENTRIES", 1)
gdb.execute("set pagination off")
gdb.execute("target remote :1234")
gdb.execute("add-symbol-file build/bin/ipcbench 0x400000 -readnow", to_string=True)
bp = gdb.Breakpoint("*" + stop)
for _ in range(3000):   # warm up: past start-up, inside the measured loop
    gdb.execute("continue", to_string=True)
bp.delete()
start = int(gdb.parse_and_eval("(long)&%s" % stop)) & 0xffffffffffffffff
by_line = globals().get("LINES", 0)
counts, lines, total, hits = {}, {}, 0, 0
while hits < entries:
    gdb.execute("stepi", to_string=True)
    pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
    hits += pc == start
    try:
        name = gdb.execute("info symbol 0x%x" % pc, to_string=True).split()[0]
    except gdb.error:
        name = "?"
    counts[name] = counts.get(name, 0) + 1
    if by_line:
        where = gdb.find_pc_line(pc)
        key = "%s:%d" % (where.symtab.filename if where.symtab else "?", where.line)
        lines[key] = lines.get(key, 0) + 1
    total += 1
print("instructions per round trip:", total)
for k, v in sorted(counts.items(), key=lambda x: -x[1]):
    print("%5d  %s" % (v, k))
for k, v in sorted(lines.items(), key=lambda x: (x[0].split(":")[0], int(x[0].split(":")[1]))):
    print("%5d  %s" % (v, k))
gdb.execute("kill")
