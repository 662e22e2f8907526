"""Estimation engines: PLS path modeling, covariance-based SEM, and the resampling under the bootstrap.

``CBSEM`` loads on first use (PEP 562): the CB-SEM engine needs scipy.optimize and semopy, which a
PLS run never loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .pls import PLS, SCHEMES

if TYPE_CHECKING:
    from .cbsem import CBSEM  # lazy: for type checkers only (loaded by __getattr__)

__all__ = ["PLS", "SCHEMES", "CBSEM"]


def __getattr__(name: str) -> Any:
    if name == "CBSEM":
        from .cbsem import CBSEM  # lazy: scipy.optimize and semopy load only for the CB-SEM engine

        return CBSEM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
