"""torch.utils's layout: ``pygrad.utils.data`` holds the data-loading names."""


def __getattr__(name):
    # submodules load on first use, so `import pygrad.utils` stays light
    import importlib
    if name == "data":
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pygrad.utils' has no attribute {name!r}")
