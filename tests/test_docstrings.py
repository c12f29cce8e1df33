"""The Examples sections of mflib's docstrings run and print what they claim."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import mflib

MODULES = sorted(m.name for m in pkgutil.walk_packages(mflib.__path__, "mflib.")
                 if not any(part.startswith("_") for part in m.name.split(".")))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
