"""The shell's line editor, tokenizer and hexdump, typed as a person types:
raw bytes on the console (arrow keys as the terminal's escape sequences,
Tab, Backspace, Ctrl keys, CR), a burst per step. Tab completion of
commands, paths and dd's if=; history (Up/Down, repeats and empty lines not
kept, the line being typed kept); editing inside the line; unknown escape
sequences consumed; quoted arguments; hexdump -C compared byte for byte with
the host's util-linux hexdump -C of the same bytes. The native driver board
(boot-ndc.conf): no Linux, so it runs once. Each step is followed by a
marker command (ls /mN), and its checks read only what the step printed."""
import hashlib
import os
import re
import subprocess

from harness import images, qemu
from harness.scenario import Scenario, absent, expect, holds

SIZE = 1 << 20
ESC = b"\x1b"
UP, DOWN, RIGHT, LEFT = ESC + b"[A", ESC + b"[B", ESC + b"[C", ESC + b"[D"


def disk_bytes():
    """random, with text, runs of equal 16-byte lines (hexdump's "*") and a
    short last line in the first 300 bytes"""
    d = bytearray(images.random_bytes(SIZE, 41))
    d[0:40] = b"hm lineedit: hexdump -C of a /tmp file\n\t"
    d[48:112] = bytes(64)           # four equal lines: one printed, then "*"
    d[112:160] = b"A" * 48          # three more
    d[200:296] = bytes(range(0x20, 0x80))
    return bytes(d)


# (name, bytes typed); each ends its line(s) with CR, as a terminal's Enter
STEPS = [
    ("path", b"ls /de\t\r"),                                  # unique directory: "ls /dev/"
    ("command", b"lsd\t\r"),                                  # unique command: "lsdev "
    ("command list", b"l\t\t\r"),                             # "ls" is common to ls and lsdev; 2nd Tab lists
    ("path list", b"sha256sum /tmp/d\t\t1\r"),                # "/tmp/data" common, lists data1 data2
    ("dd operand", b"dd if=/dev/ze\tof=/tmp/z bs=16 count=3\r"),
    ("up", b"kstat\r" + UP + b"\r"),
    ("repeats", b"lsdev\rhelp\rhelp\r\r" + ESC + b"OA" + ESC + b"OA\r"),
    ("down", b"lsde" + UP + DOWN + DOWN + b"v\r"),
    ("insert", b"hp" + LEFT + b"el\r"),
    ("backspace", b"lsdXev" + LEFT + LEFT + b"\x7f\r"),
    ("right", b"lsev" + LEFT * 3 + RIGHT + b"d\r"),
    ("home delete", b"xkstat" + ESC + b"[1~" + ESC + b"[3~\r"),
    ("ctrl-a", b"elp\x01h\r"),
    ("ctrl-u", b"frobnicate\x15kstat\r"),
    ("ctrl-c", b"frobnicate\x03kstat\r"),
    ("unknown", ESC + b"[15~" + ESC + b"[1;5P" + ESC + b"OP" + ESC + b"[2~" + ESC + b"[200~kstat" + ESC
     + b"[201~" + ESC + b"[Z\r" + LEFT + RIGHT + ESC + b"[99;99X" + ESC + b"x\r"),
    ("quotes", b"dd \"if=/dev/zero\" 'of=/tmp/q' count=1\r"),
    ("quoted space", b"ls \"/no such\"\r"),
    ("quote joined", b"sha256sum /tmp/da\"ta\"1\r"),
    ("unterminated", b"ls \"/dev\r"),
    ("hexdump", b"hexdump -C /tmp/h\r"),
    ("hexdump quoted", b"hexdump -C \"/tmp/h\"\r"),
    ("hexdump -n", b"hexdump -C -n 100 /tmp/h\r"),
    ("hexdump zero", b"hexdump -C -n 40 /dev/zero\r"),
    ("hexdump disk", b"hexdump -C -n 1000 /dev/vda\r"),
    ("hexdump two", b"hexdump -C /tmp/h /tmp/data1\r"),
    ("hexdump none", b"hexdump -C -n 0 /tmp/h\r"),
    ("hexdump missing", b"hexdump -C /tmp/missing\r"),
]
# typed as lines before the steps: the files the steps use
PREPARE = ["dd if=/dev/vda of=/tmp/h bs=300 count=1",
           "dd if=/dev/vda of=/tmp/data1 bs=100 count=1 skip=5",
           "dd if=/dev/vda of=/tmp/data2 bs=100 count=1 skip=6"]


def setup(ctx):
    d = images.disk_dir(ctx.build)
    data = disk_bytes()
    path = images.write(os.path.join(d, "lineedit.img"), data)
    return {"qemu": images.virtio_disk(path), "dir": d, "data": data, "seen": {}}


def step(c, i, data, timeout):
    """type data, then the marker ls /mI; what the step printed (from its
    echo to the marker's prompt), or None if the marker never came"""
    start = c.seen
    c.send(data + f"ls /m{i}\n".encode())
    ok = c.wait(f"sh: ls: /m{i}: No such file or directory", timeout) and c.wait("hm# ", timeout)
    with c.lock:
        text = c.out[start:]
    cut = text.rfind(f"hm# ls /m{i}")
    return text[:cut].replace("\r\n", "\n") if ok and cut >= 0 else None


def drive(machine, st, timeout, ctx):
    seen = st["seen"]
    c = qemu.Console(machine, "default", st["qemu"], st["dir"], append="hm.boot=boot-ndc.conf")
    ok = seen["boot"] = c.wait("hm# ", timeout)
    for line in PREPARE:
        ok = ok and c.type(line)
    for i, (name, data) in enumerate(STEPS):
        if ok:
            seen[name] = step(c, i, data, 30)
            ok = seen[name] is not None
    if ok:
        c.type("poweroff", prompt=qemu.END)
    return c.finish(timeout)


def host_hexdump(st, args, *blobs):
    """util-linux's hexdump -C ARGS of files holding blobs, run on the host"""
    paths = []
    for k, b in enumerate(blobs):
        paths.append(images.write(os.path.join(st["dir"], f"lineedit-hd{k}.bin"), b))
    return subprocess.run(["hexdump", "-C", *args, *paths], capture_output=True, check=True).stdout.decode()


def output(seen, name):
    """what step name printed after the echo of its (first) line"""
    s = seen.get(name)
    if s is None:
        raise RuntimeError(f"step '{name}' did not finish")
    return s.split("\n", 1)[1] if "\n" in s else ""


def checks(st, ctx):
    seen, data = st["seen"], st["data"]
    h, d1 = data[:300], data[500:600]
    d1_hash = f"{hashlib.sha256(d1).hexdigest()}  /tmp/data1"

    def shown(name):
        return lambda r: f"step '{name}' printed {(seen.get(name) or '')[:400]!r}"

    def has(title, name, *texts):
        """step name printed each of texts"""
        return holds(title, lambda r: all(t in (seen.get(name) or "") for t in texts), shown(name))

    def count(title, name, text, n):
        return holds(title, lambda r: (seen.get(name) or "").count(text) == n,
                     lambda r: f"{(seen.get(name) or '').count(text)} times {text!r} in {(seen.get(name) or '')[:400]!r}")

    def same(name, *host):
        def detail(r):
            got, want = output(seen, name).split("\n"), host_hexdump(st, *host).split("\n")
            k = next(i for i in range(max(len(got), len(want))) if got[i:i + 1] != want[i:i + 1])
            return f"line {k + 1}: hm printed {got[k:k + 1]}, util-linux {want[k:k + 1]}"
        return holds(f"{name}: the same text as the host's util-linux hexdump -C",
                     lambda r: output(seen, name) == host_hexdump(st, *host), detail)

    return [
        holds("the native driver board boots to the shell", lambda r: seen.get("boot")),
        holds("Tab completes a unique directory (ls /de -> ls /dev/) and ls /dev runs",
              lambda r: seen["path"].startswith("ls /dev/\n") and re.search(r"^vda +1048576$", seen["path"], re.M)
              and "sh: ls" not in seen["path"], shown("path")),
        has("Tab completes a unique command (lsd -> lsdev) and it runs", "command", "lsdev \n", "COMPATIBLE"),
        holds("Tab completes the commands' common prefix (l -> ls), a second Tab lists them, Enter runs the line",
              lambda r: re.search(r"\nls +lsdev\n", seen["command list"]) and re.search(r"^dev/$", seen["command list"], re.M),
              shown("command list")),
        holds("Tab completes a path's common prefix (/tmp/d -> /tmp/data), a second Tab lists the names",
              lambda r: re.search(r"\ndata1 +data2\n", seen["path list"]) and d1_hash in seen["path list"],
              shown("path list")),
        has("Tab completes the path after dd's if= (and a space after the file)", "dd operand",
            "3+0 records in\n3+0 records out\n48 bytes copied"),
        count("Up recalls the last line (kstat runs twice)", "up", "syscalls=", 2),
        holds("Up (ESC O A) skips a repeated and an empty line (lsdev, help, help, '', Up, Up runs lsdev)",
              lambda r: seen["repeats"].count("COMPATIBLE") == 2 and seen["repeats"].count("commands:") == 2,
              lambda r: f"lsdev ran {seen['repeats'].count('COMPATIBLE')} times, help {seen['repeats'].count('commands:')}"),
        has("Down after Up brings back the line being typed (lsde + v -> lsdev)", "down", "COMPATIBLE"),
        has("Left then typing inserts inside the line (hp -> help)", "insert", "commands:"),
        has("Backspace inside the line (lsdXev, Left, Left, Backspace -> lsdev)", "backspace", "COMPATIBLE"),
        has("Right moves the cursor (lsev, 3x Left, Right, d -> lsdev)", "right", "COMPATIBLE"),
        has("Home (ESC[1~) and Delete (ESC[3~) (xkstat -> kstat)", "home delete", "syscalls="),
        has("Ctrl-A goes to the line start (elp -> help)", "ctrl-a", "commands:"),
        has("Ctrl-U drops what was typed before the cursor", "ctrl-u", "syscalls="),
        has("Ctrl-C drops the line, the next one runs", "ctrl-c", "^C\n", "syscalls="),
        holds("unknown escape sequences (F1, F5, Insert, Shift-Tab, Alt-x, paste marks) are consumed, never inserted",
              lambda r: seen["unknown"].startswith("kstat\n") and seen["unknown"].count("syscalls=") == 1,
              shown("unknown")),
        absent("no step's line was taken for an unknown command (an arrow key as '[A', a dropped line)",
               "command not found"),
        has("quotes: dd \"if=/dev/zero\" 'of=/tmp/q' count=1 gets its operands without the quotes", "quotes",
            "1+0 records in\n1+0 records out\n512 bytes copied"),
        has("quotes: \"/no such\" is one argument, space included", "quoted space",
            "sh: ls: /no such: No such file or directory"),
        has("quotes join the text around them (/tmp/da\"ta\"1 is /tmp/data1)", "quote joined", d1_hash),
        holds("an unterminated quote is an error message",
              lambda r: output(seen, "unterminated") == "sh: unterminated quote\n", shown("unterminated")),
        same("hexdump", [], h),
        same("hexdump quoted", [], h),
        same("hexdump -n", ["-n", "100"], h),
        same("hexdump zero", ["-n", "40"], bytes(40)),
        same("hexdump disk", ["-n", "1000"], data),
        same("hexdump two", [], h, d1),
        holds("hexdump -n 0 prints nothing, as util-linux", lambda r: output(seen, "hexdump none") == "",
              shown("hexdump none")),
        holds("hexdump of a missing file: sh: hexdump: PATH: reason",
              lambda r: output(seen, "hexdump missing") == "sh: hexdump: /tmp/missing: No such file or directory\n",
              shown("hexdump missing")),
        expect("PSCI power-off ends QEMU", qemu.END),
    ]


SCENARIOS = [Scenario(name="lineedit",
                      title="qemu shell line editing (keys, history, Tab completion, quotes, hexdump -C; native driver board)",
                      setup=setup, drive=drive, checks=checks, linux=False, log="lineedit.log")]
