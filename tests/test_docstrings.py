"""The Examples sections of mflib's docstrings run and print what they claim."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import mflib

MODULES = sorted(m.name for m in pkgutil.iter_modules(mflib.__path__, "mflib.")
                 if not m.name.startswith("mflib._"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
