"""The typer application every verb module registers on, and the root options (``--version``)."""
from __future__ import annotations

import typer

from lab.cli.views import out


class Interrupted(Exception):
    """Ctrl-C seen inside a command.  Typer turns KeyboardInterrupt into a silent exit 130 (click into
    "Aborted!"), so main() would never print its hint; this carries it past them."""


class _Group(typer.core.TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


def _plain_flags() -> None:
    """Show boolean flags as ``--json``, not ``--json <bool>``.

    Recent typer prints a type for every option, which makes a flag look as if it took a value
    (``--json true``).  Older typer has no such hook; then there is nothing to do."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "plain_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.plain_flags = True
    option.display_type_rich = display_type_rich


_plain_flags()

# A bug's traceback stays (it is what a bug report needs) but without every frame's locals: a plan
# object's repr fills screens.  Input errors never get here: they are validated into LabError.
app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  context_settings={"help_option_names": ["-h", "--help"]},     # sub-commands inherit it
                  help="Emulate a BAG super-spine design with real FRR routers in network namespaces.")


def _version(show: bool) -> None:
    """The installed distribution's version, so a bug report names what was actually run."""
    if not show:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("baglab")
    except PackageNotFoundError:
        v = "unknown (not installed; run scripts/install-deps.sh)"
    out.print(f"baglab {v}", markup=False)
    raise typer.Exit()


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="print the installed baglab version and exit")):
    """Emulate a BAG super-spine design with real FRR routers in network namespaces."""


def sub_app(name: str, help: str) -> typer.Typer:
    """A verb group (``baglab fault ...``) registered on the root app."""
    group = typer.Typer(no_args_is_help=True, help=help)
    app.add_typer(group, name=name)
    return group
