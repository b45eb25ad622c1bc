"""Character devices in the driver containers, driven by Linux's own drivers
and reached through vfs (hm/chr.h), typed into the shell as a person would:
the PL031 RTC (hwclock against the host's clock, then set and read back),
virtio-rng through hw_random (64 KiB read twice with hexdump, judged by a
chi-square test on the host), virtio-keyboard through evdev (keys sent from
QEMU's monitor arrive in evtest; with nothing typed evtest sleeps to its
timeout), the i6300esb watchdog (keep-alives and the magic close hold it off;
left armed, it resets the board: QEMU, run with -no-reboot, then ends)."""
import datetime
import re
import time

from harness import images, qemu
from harness.scenario import Scenario, holds

DEVICES = ["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-rng-device",
           "-device", "virtio-keyboard-device", "-device", "i6300esb"]
HEX = re.compile(r"^([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2}){1,16}) *\|")


def setup(ctx):
    return {"qemu": DEVICES, "seen": {}}


def hexdump_bytes(text):
    """the bytes a hexdump -C listing shows ('*' repeats the line before)"""
    out, last = bytearray(), b""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "*" and i + 1 < len(lines):
            m = re.match(r"^([0-9a-f]{8})$", lines[i + 1].strip()) or HEX.match(lines[i + 1])
            if m:
                while len(out) < int(m.group(1), 16):
                    out += last
            continue
        m = HEX.match(line)
        if m:
            last = bytes(int(h, 16) for h in m.group(2).split())
            out += last
    return bytes(out)


def chi_square(data):
    n = len(data)
    counts = [0] * 256
    for b in data:
        counts[b] += 1
    e = n / 256
    return sum((c - e) ** 2 / e for c in counts)


def step(c, seen, key, line, timeout=60):
    """type a line; keep what it printed (up to the next prompt)"""
    start = c.seen
    ok = c.type(line, timeout=timeout)
    seen[key] = c.out[start:c.seen]
    return ok


def kstat_syscalls(text):
    m = re.search(r"syscalls=(\d+)", text)
    return int(m.group(1)) if m else None


def drive(machine, st, timeout, ctx):
    seen = st["seen"]
    c = qemu.Console(machine, "default", st["qemu"], images.disk_dir(ctx.build))
    ok = seen["boot"] = c.wait("hm# ", timeout)
    ok = ok and step(c, seen, "hwclock", "hwclock")
    seen["host_utc"] = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    ok = ok and step(c, seen, "set", 'hwclock --set "2031-02-03 04:05:06"')
    ok = ok and step(c, seen, "readback", "hwclock")
    ok = ok and step(c, seen, "rng1", "hexdump -C -n 65536 /dev/hwrng", 180)
    ok = ok and step(c, seen, "rng2", "hexdump -C -n 65536 /dev/hwrng", 180)
    # keys from the monitor while evtest waits
    if ok:
        start = c.seen
        c.send(b"evtest /dev/input/event0 8\n")
        ok = c.wait("Testing ...", 30)
        for key in ("a", "b"):
            seen["monitor_" + key] = c.monitor(f"sendkey {key}") if ok else ""
            time.sleep(0.5)
        ok = ok and c.wait("hm# ", 30)
        seen["evtest"] = c.out[start:c.seen]
    # nothing typed: evtest sleeps until its timeout (syscalls counted
    # against the same time spent in sleep)
    ok = ok and step(c, seen, "k0", "kstat") and step(c, seen, "sleep", "sleep 3000") and step(c, seen, "k1", "kstat")
    ok = ok and step(c, seen, "idle", "evtest /dev/input/event0 3") and step(c, seen, "k2", "kstat")
    ok = ok and step(c, seen, "wd_close", "watchdog /dev/watchdog --timeout 2 --keepalive 3 --close", 60)
    ok = ok and step(c, seen, "wd_after", "sleep 5000") and step(c, seen, "alive", "hwclock")
    ok = ok and step(c, seen, "lsdev", "lsdev")
    ok = ok and step(c, seen, "ls", "ls /dev") and step(c, seen, "ls_input", "ls /dev/input")
    if ok:
        ok = step(c, seen, "wd_armed", "watchdog /dev/watchdog --timeout 5")
        seen["armed_at"] = time.time()
        ok = ok and step(c, seen, "wd_dmesg", "dmesg")
        start = c.seen
        c.send(b"sleep 30000\n")
        seen["reset"] = not c.wait("hm# ", 40)
        seen["reset_after"] = time.time() - seen["armed_at"]
    out = c.finish(20)
    seen["qemu_ended"] = not out.timed_out
    return out


def checks(st, ctx):
    seen = st["seen"]

    def rtc_near_host(r):
        m = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", seen.get("hwclock", ""))
        if not m:
            return False
        got = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        return abs((got - seen["host_utc"]).total_seconds()) <= 2

    def rng():
        return hexdump_bytes(seen.get("rng1", "")), hexdump_bytes(seen.get("rng2", ""))

    def keys(r):
        ev = re.findall(r"type 1 \(EV_KEY\), code (\d+), value (\d+)", seen.get("evtest", ""))
        return [(int(a), int(b)) for a, b in ev] == [(30, 1), (30, 0), (48, 1), (48, 0)]

    def idle(r):
        a, b, c = (kstat_syscalls(seen.get(k, "")) for k in ("k0", "k1", "k2"))
        if None in (a, b, c):
            return False
        slept, polled = b - a, c - b
        st["idle_detail"] = f"3 s of sleep: {slept} syscalls; 3 s in evtest: {polled}"
        return polled <= slept * 2 + 2000

    return [
        holds("the board with the four character devices boots to the shell", lambda r: seen.get("boot")),
        holds("hwclock prints the PL031's time, the host's UTC within 2 s", rtc_near_host),
        holds("hwclock --set, then hwclock reads back the time set",
              lambda r: re.search(r"2031-02-03 04:05:0[6-9]", seen.get("readback", "")) is not None),
        holds("hexdump reads 64 KiB from /dev/hwrng, twice", lambda r: all(len(b) == 65536 for b in rng())),
        holds("the bytes are not constant", lambda r: len(set(rng()[0])) > 200),
        holds("the two reads differ", lambda r: rng()[0] != rng()[1]),
        holds("chi-square of byte frequencies (255 degrees of freedom) below 330.5 (p = 0.001), both reads",
              lambda r: all(len(b) == 65536 and chi_square(b) < 330.5 for b in rng())),
        holds("evtest names the device (EVIOCGNAME)", lambda r: 'Input device name: "QEMU Virtio Keyboard"' in seen.get("evtest", "")),
        holds("keys sent from QEMU's monitor arrive in order: a press, a release, b press, b release", keys),
        holds("evtest with nothing typed ends at its timeout with no events",
              lambda r: "evtest: 3 s passed, 0 events" in seen.get("idle", "")),
        holds("and sleeps meanwhile: no more system calls than twice a shell sleep's (+2000)", idle),
        holds("keep-alives hold the watchdog off, the magic close stops it",
              lambda r: "watchdog: keep-alive 3 of 3" in seen.get("wd_close", "")
              and "watchdog: stopped (magic close)" in seen.get("wd_close", "")),
        holds("the board lives on after the magic close (5 s later hwclock answers)",
              lambda r: re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", seen.get("alive", "")) is not None),
        holds("lsdev lists the character devices with driver, container and node",
              lambda r: all(re.search(p, seen.get("lsdev", "")) for p in
                            (r"pl031@9010000 +arm,pl031 +rtc +rtc-pl031 +ldc0 +rtc0 ",
                             r"virtio,mmio +input +virtio_input +ldc0 +input/event0 ",
                             r"virtio,mmio +rng +virtio_rng +ldc0 +hwrng ",
                             r"pci8086,25ab +watchdog +i6300esb +ldc1 +watchdog\+1 "))),
        holds("ls /dev shows them, input/ as a directory",
              lambda r: all(n in seen.get("ls", "") for n in ("rtc0", "hwrng", "watchdog", "input/"))
              and "event0" in seen.get("ls_input", "")),
        holds("closed without the magic character, Linux's watchdog core says so (ldc1's log)",
              lambda r: "watchdog did not stop!" in seen.get("wd_dmesg", "")),
        holds("left armed without the magic close, the watchdog resets the board (QEMU ends, -no-reboot)",
              lambda r: "closed without the magic character" in seen.get("wd_armed", "") and seen.get("reset")
              and seen.get("qemu_ended") and qemu.END not in r.text[-2000:]),
    ]


SCENARIOS = [Scenario(name="chardev", group="chardev", title="qemu character devices (rtc, hwrng, evdev, watchdog)",
                      setup=setup, drive=drive, checks=checks, timeout=400, log="chardev.log")]
