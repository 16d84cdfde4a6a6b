"""The examples in the engine's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import minidl.autodiff

MODULES = ["minidl.autodiff"] + [f"minidl.autodiff.{m.name}"
                                 for m in pkgutil.iter_modules(minidl.autodiff.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
