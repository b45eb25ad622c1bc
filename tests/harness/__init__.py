"""The test harness: QEMU and its console (qemu.py), disk images
(images.py), checks and scenarios (scenario.py), the report (report.py).
Scenarios themselves are in tests/scenarios/; tests/run.py runs them."""
