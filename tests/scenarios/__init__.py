"""Every scenario make test runs, in the order it runs them (registered by
the modules below; tests/harness/scenario.py says what a scenario is)."""
from scenarios import boot, chardev, faults, faultstress, fuzz, lineedit, linux, nvme, programs, shared_disk, shell, smmu, source, stall, standby, twin, twin_crash, ufs, virtio_pci

ALL = source.SCENARIOS + linux.SCENARIOS + boot.SCENARIOS + shell.SCENARIOS + lineedit.SCENARIOS + chardev.SCENARIOS + ufs.SCENARIOS + nvme.SCENARIOS + virtio_pci.SCENARIOS + smmu.SCENARIOS + fuzz.SCENARIOS + faults.SCENARIOS + standby.SCENARIOS + stall.SCENARIOS + faultstress.SCENARIOS + \
    shared_disk.SCENARIOS + twin.SCENARIOS + twin_crash.SCENARIOS + programs.SCENARIOS
