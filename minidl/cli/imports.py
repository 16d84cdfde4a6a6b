"""``--import FILE.py_or_module``: run a user's code that registers their own layers.

Loading a model never imports code (a model file is data). A model that uses a custom
layer names its class; the class must be registered (``@minidl.register_module``) in
the loading process, and this option is how the command line gets there: it imports
a Python file by path, or a module by its dotted name, before the command runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path


class ImportFailed(Exception):
    """The user's file or module could not be imported; the message says why."""


def import_user_code(spec: str) -> None:
    """Import ``spec``: a path ending in ``.py``, or a module name importable from here."""
    path = Path(spec)
    if spec.endswith(".py"):
        if not path.is_file():
            raise ImportFailed(f"--import {spec}: no such file")
        name = f"minidl_user_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # dataclasses and pickling-free reprs look the module up
        try:
            module_spec.loader.exec_module(module)
        except Exception as err:  # the user's code failed: say where, not a traceback
            sys.modules.pop(name, None)
            raise ImportFailed(f"--import {spec}: running it raised {type(err).__name__}: {err}") from err
        return
    try:
        importlib.import_module(spec)
    except ImportError as err:
        raise ImportFailed(f"--import {spec}: {err} (give a .py file path or an importable module)") from err
    except Exception as err:
        raise ImportFailed(f"--import {spec}: importing it raised {type(err).__name__}: {err}") from err
