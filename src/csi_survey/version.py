"""The version of csi-survey (stamped into run.json, manifests and reports)."""

__version__ = "0.1.0"
