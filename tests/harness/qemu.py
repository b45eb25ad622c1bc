"""QEMU for the tests: a machine booted with a boot image, its console fed
from a script or typed into line by line, its monitor on a socket."""
import os
import re
import socket
import subprocess
import threading
import time

from harness import hang

END = "hm: power off"   # what the kernel prints when PSCI powers the machine off


class Machine:
    """How to boot: the QEMU command (binary and -M ...), hm.bin and the
    boot images of one Linux version ({"default": path, "test": path})."""

    def __init__(self, qemu, build, images):
        self.qemu, self.build, self.images = qemu, build, images

    def command(self, image, extra, append=None, monitor="none"):
        cmd = self.qemu.split() + ["-kernel", f"{self.build}/hm.bin", "-initrd", self.images[image],
                                   "-display", "none", "-monitor", monitor, "-serial", "stdio", "-no-reboot"]
        if append:
            cmd += ["-append", append]
        return cmd + extra

    def linux(self, image):
        """the Linux version the image's containers run (build/linux-V/...), or None"""
        m = re.search(r"linux-([0-9.]+)/", self.images.get(image, ""))
        return m.group(1) if m else None


def _hang_report(machine, image, sock, t0):
    """what every thread was doing when the time ran out (harness/hang.py)"""
    secs = time.time() - t0
    text = hang.dump(machine.build, sock, machine.linux(image))
    return f"\n(threads when the time ran out, {secs:.0f} s after QEMU started)\n{text}\n" if text else ""


class Output:
    """What a boot printed, and whether it ran to its end (power-off, not
    cut short by the time limit)."""

    def __init__(self, text, timed_out, secs):
        self.text = text.replace("\r\n", "\n")
        self.timed_out = timed_out
        self.secs = secs

    @property
    def reached_end(self):
        return not self.timed_out and END in self.text


def boot(machine, image, extra, script, timeout, append=None):
    """boot, type the script (all of it at once: the shell reads lines as it
    needs them), wait for power-off or the time limit"""
    gdb, sock = hang.stub()
    cmd = machine.command(image, extra + gdb, append)
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate((script or "").encode(), timeout=timeout)
        text, timed_out = out.decode(errors="replace"), False
    except subprocess.TimeoutExpired:
        report = _hang_report(machine, image, sock, t0)
        p.kill()
        out, _ = p.communicate()
        text = out.decode(errors="replace") + f"\n(timed out after {timeout}s)" + report
        timed_out = True
    finally:
        hang.forget(sock)
    return Output(text, timed_out, time.time() - t0)


class Console:
    """QEMU with the console on a pipe and the human monitor on a socket:
    a test types, waits for output, and drives the machine (block_resize)"""

    def __init__(self, machine, image, extra, tmpdir, append=None):
        self.sock = os.path.join(tmpdir, "monitor.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        gdb, self.gdb_sock = hang.stub()
        self.machine, self.image = machine, image
        cmd = machine.command(image, extra + gdb, append, monitor=f"unix:{self.sock},server=on,wait=off")
        self.t0 = time.time()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out, self.seen = "", 0
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for chunk in iter(lambda: self.p.stdout.read1(4096), b""):
            with self.lock:
                self.out += chunk.decode(errors="replace").replace("\r\n", "\n")

    def wait(self, text, timeout):
        """True once text appears after what earlier waits consumed"""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                i = self.out.find(text, self.seen)
                if i >= 0:
                    self.seen = i + len(text)
                    return True
            if self.p.poll() is not None:
                time.sleep(0.2)
                with self.lock:
                    return text in self.out[self.seen:]
            time.sleep(0.05)
        return False

    def type(self, line, prompt="hm# ", timeout=30):
        """type a shell command; True once the next prompt shows"""
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        return self.wait(prompt, timeout)

    def send(self, data):
        """write raw bytes to the console (keys as a terminal sends them:
        escape sequences, Tab, Backspace, CR), all at once"""
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def monitor(self, command):
        """one human-monitor command; its answer"""
        with socket.socket(socket.AF_UNIX) as m:
            m.connect(self.sock)
            m.settimeout(10)
            got = b""

            def until(done):
                nonlocal got
                try:
                    while not done(got):
                        data = m.recv(4096)
                        if not data:
                            return
                        got += data
                except socket.timeout:
                    pass
            until(lambda g: b"(qemu)" in g)   # the banner and first prompt
            start = len(got)
            m.sendall((command + "\n").encode())
            until(lambda g: g[start:].count(b"(qemu)") >= 1 and g[start:].rstrip().endswith(b"(qemu)")
                  and command.encode() in g[start:])
            return got.decode(errors="replace")

    def finish(self, timeout):
        """wait for QEMU to end (killed at the limit); the whole output"""
        timed_out = False
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            report = _hang_report(self.machine, self.image, self.gdb_sock, self.t0)
            self.p.kill()
            self.p.wait()
            timed_out = True
        hang.forget(self.gdb_sock)
        self.reader.join(5)
        return Output(self.out + (f"\n(timed out after {timeout}s){report}" if timed_out else ""), timed_out,
                      time.time() - self.t0)
