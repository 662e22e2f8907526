"""Estimation engines: PLS path modeling, covariance-based SEM, and the resampling under the bootstrap."""

from .cbsem import CBSEM
from .pls import PLS, SCHEMES

__all__ = ["PLS", "SCHEMES", "CBSEM"]
