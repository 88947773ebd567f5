"""lotline: a manufacturing integration hub with end-to-end traceability on GS1 EPCIS 2.0."""

__version__ = "0.1.0"

__all__ = ["__version__"]
