"""The server process (app.serve): what it does before it takes requests."""

import subprocess
import sys

SETTLE = """
import gc, sys
from openzone.app import create_app, settle_heap
from openzone.config import Settings
create_app(Settings(data_dir=sys.argv[1]))
settle_heap()
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_a_started_server_keeps_what_it_loaded_out_of_the_collectors_reach(tmp_path):
    # In a child process: freezing is for a server's whole life, not for the test process.
    out = subprocess.run([sys.executable, "-c", SETTLE, str(tmp_path)], capture_output=True, text=True, check=True)
    frozen, tracked = map(int, out.stdout.split())
    # The service models, mappers and dictionaries (hundreds of thousands of objects) are frozen: a full
    # collection during a request scans only what was made since.
    assert frozen > 100_000 and tracked < frozen // 20
