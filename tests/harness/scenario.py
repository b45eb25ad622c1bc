"""Scenarios and checks.

A scenario is a record: what to boot (board, boot image, kernel command
line), the images to attach (setup), what to type on the console (script)
or how to drive the machine (drive), and what must hold afterwards
(checks): lines in the output, lines that must not be there, and facts the
host computes itself (an image compared byte for byte with what the host
expects). tests/run.py runs each scenario once per configuration that can
change its outcome: per Linux version if it involves Linux, per GIC if it
exercises the interrupt controller, else once.

Every check can fail. A check that a line is absent counts only when the
run reached its end (power-off within the time limit): output cut short
proves nothing about what would have been printed. A program scenario's
own "ok"/"not ok" lines count one check each, and the runner adds that the
program finished and the machine powered off.
"""
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from harness import images, qemu

CASE = re.compile(r"^(ok|not ok) - (.*)$")


class Run:
    """A scenario's run, as its checks see it: the output and the state its
    setup returned (image paths, expected contents)"""

    def __init__(self, out, state):
        self.out = out
        self.state = state

    @property
    def text(self):
        return self.out.text

    def has(self, pattern):
        """pattern (a string, or a compiled regex) is in the output"""
        return bool(pattern.search(self.text)) if isinstance(pattern, re.Pattern) else pattern in self.text


class Check:
    def __init__(self, name, fn, detail="", needs_end=False):
        self.name, self.fn, self.detail, self.needs_end = name, fn, detail, needs_end

    def evaluate(self, run):
        """(ok, what to say when not ok)"""
        if self.needs_end and not run.out.reached_end:
            return False, "not checked: the run did not reach its end"
        try:
            if self.fn(run):
                return True, ""
            return False, self.detail(run) if callable(self.detail) else self.detail
        except Exception as e:   # a check that cannot even be computed fails, with why
            return False, f"{type(e).__name__}: {e}"


def expect(name, pattern):
    """the output holds pattern (a string, or a compiled regex)"""
    shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    return Check(name, lambda r: r.has(pattern), f"missing '{shown}'")


def absent(name, text):
    """the output does not hold text; counts only if the run reached its end"""
    return Check(name, lambda r: not r.has(text), f"found '{text}'", needs_end=True)


def holds(name, fn, detail="", needs_end=False):
    """fn(run) is true"""
    return Check(name, fn, detail, needs_end)


def same_image(name, path, want):
    """after the run, the image at path holds exactly the bytes want"""
    def detail(run):
        return f"{path} differs in 4 KiB blocks at {images.differing_blocks(images.read(path), want)}"
    return Check(name, lambda r: images.read(path) == want, detail)


def powered_off():
    return expect("PSCI power-off ends QEMU", qemu.END)


@dataclass
class Scenario:
    name: str                      # what --only selects (so does group)
    title: object                  # the report line, or (ctx) -> it
    group: str = ""
    board: Optional[str] = None    # hm.boot=BOARD (a boot-*.conf); None: boot.conf
    image: str = "default"         # "default" (what make run boots) or "test" (the test programs too)
    append: Optional[str] = None   # the whole kernel command line instead of hm.boot
    setup: Optional[Callable] = None     # (ctx) -> state dict; state["qemu"]: extra QEMU arguments
    script: object = ()            # console lines, or (state) -> lines
    drive: Optional[Callable] = None     # instead of a script: (console-machine, state, timeout, ctx) -> Output
    checks: object = ()            # Check list, or (state, ctx) -> Check list
    tap: Optional[str] = None      # a test program's name: its ok/not ok lines count, "# done NAME" must come
    local: Optional[Callable] = None     # no QEMU: (ctx) -> (passed, failed, log text), run on the host
    linux: bool = True             # its outcome can change with the Linux version
    per_gic: bool = False          # run on each GIC (else on the one the QEMU command names)
    timeout: int = 120
    log: str = ""                  # its log file (default: name.log)

    def title_for(self, ctx):
        return self.title(ctx) if callable(self.title) else self.title

    def selected(self, only):
        return not only or self.name in only or (self.group and self.group in only)


def tap(text):
    """a program's own "ok - ..." / "not ok - ..." lines: (passed, failed)"""
    passed, failed = [], []
    for line in text.splitlines():
        m = CASE.match(line.strip())
        if m:
            (passed if m.group(1) == "ok" else failed).append(m.group(2))
    return passed, failed


def execute(scn, machine, ctx):
    """run scn once: (passed, failed, output text, seconds)"""
    t0 = time.time()   # setup and checks included: writing and comparing images takes time too
    if scn.local:
        passed, failed, text = scn.local(ctx)
        return passed, failed, text, time.time() - t0
    state = scn.setup(ctx) if scn.setup else {}
    extra = list(state.get("qemu", []))
    append = state.get("append") or scn.append or (f"hm.boot={scn.board}" if scn.board else None)
    timeout = scn.timeout + state.get("extra_time", 0)
    if scn.drive:
        out = scn.drive(machine, state, timeout, ctx)
    else:
        script = scn.script(state) if callable(scn.script) else scn.script
        out = qemu.boot(machine, scn.image, extra, "".join(line + "\n" for line in script), timeout, append)
    run = Run(out, state)
    checks = scn.checks(state, ctx) if callable(scn.checks) else list(scn.checks)
    passed, failed = tap(out.text) if scn.tap else ([], [])
    if scn.tap:
        if "KERNEL PANIC" in out.text:
            failed.append(f"{scn.tap}: kernel panic")
        finished = f"# done {scn.tap[3:]}" in out.text
        (passed if finished else failed).append(
            f"{scn.tap}: the program finished" + ("" if finished or not out.timed_out else
                                                   f" (no power-off within {timeout}s)"))
        (passed if finished and out.reached_end else failed).append(
            f"{scn.tap}: the system powered off after it (init saw it exit)")
    for c in checks:
        ok, why = c.evaluate(run)
        if ok:
            passed.append(c.name)
        else:
            failed.append(f"{c.name} ({why})" if why else c.name)
    return passed, failed, out.text, time.time() - t0
