"""A loopback Backblaze B2 native-API server (v1-v4) for tests, demos and benchmarks.

Public API::

    EmulatorOptions   how to run it (address, storage, master key, buckets, faults…)
    EmulatorServer    run it on a background thread: start()/stop(), base_url, stats(),
                      set_faults(), set_test_mode(), expire_tokens()
    serve_forever     run it in the foreground until SIGINT/SIGTERM
    parse_fault       parse a ``--fault`` spec into a FaultRule
    FaultRule         one injected fault

The emulator imports nothing from the rest of syncd (checked by import-linter) and
shares no code with syncd's B2 client.
"""

from syncd.emulator.faults import FaultRule, parse_fault
from syncd.emulator.options import EmulatorOptions
from syncd.emulator.server import EmulatorServer, serve_forever

__all__ = ["EmulatorOptions", "EmulatorServer", "FaultRule", "parse_fault", "serve_forever"]
