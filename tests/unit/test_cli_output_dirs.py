"""Commands that write reports refuse an unfit report directory before they run: a rollout or a
diff must not spend minutes and then fail to write (or write into another user's directory)."""
from __future__ import annotations

import os

import pytest

from lab import cli

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def nobodys(tmp_path):
    d = tmp_path / "nobodys"
    d.mkdir()
    os.chown(d, 65534, 65534)
    return d


def _main_exit(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out + cap.err


@pytest.mark.parametrize("argv", [
    lambda d: ["check", str(TOPOLOGIES / "intents/bag-mini.yaml"), "--name", "nolab", "--json", f"{d}/c.json"],
    lambda d: ["rollback", "--name", "nolab", "--reports", str(d)],
    lambda d: ["upgrade", "plane", "1", "--frr", "10.3", "--name", "nolab", "--reports", str(d)],
    lambda d: ["rollout", "--resume", "--name", "nolab", "--reports", str(d)],
    lambda d: ["diff", str(TOPOLOGIES / "bag-mini.yaml"), "--html", f"{d}/d.html"],
])
def test_report_directory_refused_before_the_run(nobodys, capsys, argv):
    # 'nolab' is not running: an error about the lab would mean the directory was judged too late
    code, text = _main_exit(capsys, *argv(nobodys))
    assert code == 2, text
    assert f"{nobodys}: owned by nobody" in text, text
    assert list(nobodys.iterdir()) == []
