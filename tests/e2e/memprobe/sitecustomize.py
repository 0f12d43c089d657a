"""Test-only probe of what a Streamlit server process still holds (the memory e2e test).

Put on ``PYTHONPATH`` of the server under test, it answers SIGUSR1 by writing, after a full
garbage collection, the lengths of every live pandas DataFrame, Series and Index to
``$HCCDASH_TEST_MEMPROBE`` (JSON). (numpy arrays are not tracked by the garbage collector;
the frames that hold them are.) RSS alone cannot
tell a cohort still held from memory the allocator has not handed back.
"""

import gc
import json
import os
import signal


def _probe(signum, frame):
    gc.collect()
    import pandas as pd

    kinds = (pd.DataFrame, pd.Series, pd.Index)
    lengths = [len(obj) for obj in gc.get_objects() if isinstance(obj, kinds)]
    path = os.environ["HCCDASH_TEST_MEMPROBE"]
    with open(path + ".part", "w", encoding="utf-8") as fh:
        json.dump({"lengths": lengths}, fh)
    os.replace(path + ".part", path)


if os.environ.get("HCCDASH_TEST_MEMPROBE"):
    signal.signal(signal.SIGUSR1, _probe)
