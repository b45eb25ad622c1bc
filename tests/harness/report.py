"""The report: one line per scenario run (with its time), the failed checks
under it, its log in build/test-logs/, and the closing "N passed, M
failed" line. The time of every run also goes to build/test-logs/times.txt
(docs/testing.md, "Where the time goes")."""
import os
import sys


def _hang_summary(out, tail=20):
    """for a boot that ran out of time, in the report itself (a CI run's
    logs do not outlive its clone): the console's last lines and the
    threads that were not parked (harness/hang.py)"""
    console, _, threads = out.partition("(threads when the time ran out")
    lines = [f"     | {x}" for x in console.rstrip().split("\n")[-tail:]]
    if threads:
        lines.append("     # (threads when the time ran out" + threads.split("\n")[0])
    keep = False
    for x in threads.strip().split("\n"):
        if not x.startswith("      "):   # a thread's line; its stack lines follow
            keep = "T_PARKED" not in x and not x.startswith("[Inferior")
        if keep and x.strip():
            lines.append(f"     # {x}")
    return "\n".join(lines)


class Report:
    def __init__(self, logdir, verbose=False):
        self.logdir, self.verbose = logdir, verbose
        self.passed = self.failed = 0
        self.times = []
        os.makedirs(logdir, exist_ok=True)

    def add(self, title, passed, failed, out, logname, secs):
        self.passed += len(passed)
        self.failed += len(failed)
        path = os.path.join(self.logdir, logname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(out)
        self.times.append((secs, title))
        status = "ok" if not failed else "FAIL"
        print(f"{status:4} {title}: {len(passed)} passed, {len(failed)} failed ({secs:.1f} s)")
        for f_ in failed:
            print(f"     not ok - {f_}")
        if failed or self.verbose:
            print(f"     log: {path}")
        if failed and "(timed out after" in out:
            print(_hang_summary(out))
        sys.stdout.flush()

    def close(self):
        """write the times, print the closing line; the exit status"""
        with open(os.path.join(self.logdir, "times.txt"), "w") as f:
            total = sum(t for t, _ in self.times)
            f.write(f"{total:8.1f} s  all {len(self.times)} runs\n")
            for secs, title in sorted(self.times, reverse=True):
                f.write(f"{secs:8.1f} s  {title}\n")
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed or self.passed == 0 else 0
