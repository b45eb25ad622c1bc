"""When a boot runs out of time: before QEMU is killed, gdb lists every
thread of the stopped hm (scripts/gdb-threads.py, through QEMU's gdb stub
on a socket) and addr2line names the functions on each user stack, so a
rare hang in a long run leaves its state in the log instead of silence."""
import os
import re
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stub():
    """(QEMU arguments for a gdb stub on a fresh socket, the socket's path)"""
    d = tempfile.mkdtemp(prefix="hm-gdb-")
    path = os.path.join(d, "gdb.sock")
    return ["-gdb", f"unix:{path},server=on,wait=off"], path


def forget(path):
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def _program(build, name, linux):
    """the ELF a process was spawned from: build/bin/NAME (ldc: ldc-VERSION)"""
    for cand in ([f"{name}-{linux}"] if linux else []) + [name]:
        p = os.path.join(build, "bin", cand)
        if os.path.isfile(p):
            return p
    return None


def _names(elf, addrs):
    """addr2line: function (file:line) of each address; a return address
    names the instruction after its call, so look one back"""
    look = [addrs[0]] + [max(a - 4, 0) for a in addrs[1:]]   # the first is the pc itself
    out = subprocess.run(["addr2line", "-f", "-s", "-e", elf] + [f"{a:#x}" for a in look],
                         capture_output=True, text=True, timeout=30).stdout.split("\n")
    return [f"{out[2 * i]} ({out[2 * i + 1]})" if 2 * i + 1 < len(out) else "?" for i in range(len(addrs))]


def dump(build, path, linux=None):
    """the threads of the hm behind the gdb stub at path, as text ("" if gdb
    cannot); never raises: a report must not break the run it describes"""
    try:
        return _dump(build, path, linux)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return f"(no thread list: {e})\n"


def _dump(build, path, linux):
    if not shutil.which("gdb-multiarch") or not os.path.exists(path):
        return ""
    cmd = ["gdb-multiarch", "-batch", "-nx", os.path.join(build, "hm.elf"), "-ex", f"target remote {path}",
           "-ex", f"source {os.path.join(ROOT, 'scripts', 'gdb-threads.py')}", "-ex", "hm-threads"]
    try:
        raw = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL).stdout
    except subprocess.TimeoutExpired:
        return "(gdb did not answer within 60 s)\n"
    lines, proc = [], None
    for line in raw.split("\n"):
        m = re.match(r"[ *](\S+?)#\d+ ", line)
        if m:
            proc = m.group(1)
        s = re.match(r"    stack: (.*)", line)
        if s and proc:
            elf = _program(build, proc, linux) if shutil.which("addr2line") else None
            addrs = [int(a, 16) for a in s.group(1).split()]
            if elf:
                lines += [f"      {a:#x} {n}" for a, n in zip(addrs, _names(elf, addrs))]
                continue
        lines.append(line)
    return "\n".join(lines)
