"""Export pygrad models to ONNX.

    import pygrad as pg
    pg.onnx.export(model, pg.randn(8, 4), "model.onnx")

The model runs once on the example input while every op is recorded; each recorded op becomes
one ONNX node (or a small fixed pattern), parameters and constants become initializers, and the
batch dimension stays symbolic. Needs the ``onnx`` extra: ``pip install "pygrad[onnx]"``.
"""
from .converters import register_converter, supported_ops
from .export import export

__all__ = ["export", "register_converter", "supported_ops"]
