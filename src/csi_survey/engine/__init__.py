"""Estimation engines: PLS path modeling (and, later, covariance-based SEM)."""

from .cbsem import CBSEM
from .pls import PLS, SCHEMES

__all__ = ["PLS", "SCHEMES", "CBSEM"]
