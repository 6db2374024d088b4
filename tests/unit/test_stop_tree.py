"""`live.stop_tree`, which every end-to-end test uses to stop Airflow: it also stops a process
of the same MOGNAD_HOME that left the tree (re-parented to init when its parent died)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

from tests.support.live import stop_tree


def test_stop_tree_stops_an_orphan_of_the_same_home(tmp_path):
    pidfile = tmp_path / "orphan.pid"
    # the root starts a middle process that starts a grandchild in a new session and exits
    # at once: the grandchild is no longer in the root's tree
    (tmp_path / "middle.py").write_text(
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],"
        " start_new_session=True)\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
    )
    (tmp_path / "root.py").write_text(
        "import subprocess, sys, time\n"
        f"subprocess.run([sys.executable, {str(tmp_path / 'middle.py')!r}])\n"
        "time.sleep(300)\n"
    )
    env = {**os.environ, "MOGNAD_HOME": str(tmp_path / "home")}
    root = subprocess.Popen([sys.executable, str(tmp_path / "root.py")], env=env)
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphan = psutil.Process(int(pidfile.read_text()))
    assert orphan.pid not in {c.pid for c in psutil.Process(root.pid).children(recursive=True)}
    stop_tree(root, timeout=10)
    assert root.poll() is not None
    orphan.wait(timeout=10)
    assert not orphan.is_running()
