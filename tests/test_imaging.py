"""Image conversion lives in one light module: no pyplot behind the sliders or the file helpers."""

import subprocess
import sys

import numpy as np
import pytest

from mflib.imaging import encode_image, to_gray


@pytest.mark.parametrize("module", ["mflib.sliders", "mflib.io", "mflib.imaging", "mflib.datasets"])
def test_importing_does_not_import_pyplot(module):
    code = f"import sys, {module}; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False", f"importing {module} imports matplotlib.pyplot"


def test_to_gray_uses_bt601_weights_and_checks_shape():
    np.testing.assert_allclose(to_gray(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])),
                               [[0.299, 0.587, 0.114]])
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        to_gray(np.zeros((2, 2)))


def test_encode_image_rejects_unknown_formats():
    with pytest.raises(ValueError, match="not supported"):
        encode_image(np.zeros((2, 2)), fmt="bmp")
