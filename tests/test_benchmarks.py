"""`make bench` is not part of `make test`, so what it runs is tried here once, cheaply, to keep it runnable."""

import subprocess

from benchmarks import cold_start
from benchmarks.drop_file_memory import measure as drop_file_memory


def test_every_handlers_first_invocation_runs_from_the_deployment_package(tmp_path):
    code_dir = cold_start.unpacked_package(tmp_path)
    failed = {}
    for name, code in cold_start.FIRST_INVOCATION.items():
        try:
            cold_start._time_once(code, code_dir)
        except subprocess.CalledProcessError as error:
            failed[name] = error.returncode
    assert failed == {}


def test_the_drop_function_memory_is_measured_against_an_embedded_aws():
    measured = drop_file_memory(sizes=(0, 1000), runs=1)
    assert set(measured) == {"stream-0", "whole-0", "stream-1000", "whole-1000"}
    assert all(sample["peak_mib"] > 10 for sample in measured.values())
