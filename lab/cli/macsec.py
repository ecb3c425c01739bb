"""``baglab macsec rotate``: the MACsec key chain of a running lab moved to a new key."""
from __future__ import annotations

from lab.session import open_lab
from lab.cli.app import sub_app
from lab.cli.common import NameOpt
from lab.cli.views import err

macsec_app = sub_app("macsec", "MACsec key chain of a running lab.")


@macsec_app.command("rotate")
def macsec_rotate(name: str = NameOpt):
    """Add a key to the chain and move every protected port to it without dropping a frame."""
    from lab.macsec import secy

    with open_lab(name) as s:
        kid = secy.rotate(s.paths, s.plan)
    err.print(f"every protected port now transmits with key {kid} (AN {kid % 4})")
