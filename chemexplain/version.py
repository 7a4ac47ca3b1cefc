"""The package version, importable without loading anything heavy."""

__version__ = "0.1.0"
