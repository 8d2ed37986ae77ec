"""The demo model's preprocessing, the contract that the gateway's TypeScript (src/imaging) reimplements.

For one axial CT slice of H x W pixels:

1. Hounsfield units: hu = stored * RescaleSlope + RescaleIntercept (float64).
2. Lung window, plain linear (NOT the DICOM PS3.3 C.11.2.1.2 "LINEAR" VOI function with its -0.5 / -1 offsets):
       v = (hu - (center - width / 2)) / width = (hu + 1350) / 1500      center -600, width 1500
3. Clamp v to [0, 1].
4. Resize H x W → 100 x 100 by bilinear interpolation with half-pixel centres ("align_corners = false", the
   convention of torch.nn.functional.interpolate(mode='bilinear', align_corners=False, antialias=False),
   TF2 tf.image.resize(method='bilinear', antialias=False) and tfjs
   tf.image.resizeBilinear(x, [100, 100], alignCorners=false, halfPixelCenters=true)), with NO antialiasing.
   Each axis on its own (aspect ratio is not kept), for output index i in 0..99 and input length n:
       scale = n / 100
       src   = max((i + 0.5) * scale - 0.5, 0)
       i0    = floor(src);  i1 = min(i0 + 1, n - 1);  f = src - i0
   out[r][c] = (1-fr)*((1-fc)*v[r0][c0] + fc*v[r0][c1]) + fr*((1-fc)*v[r1][c0] + fc*v[r1][c1])
   Rows are image rows as stored (first row = top of the image), columns as stored; no flips.
5. Replicate the one channel to 3 and lay out NHWC: tensor[n][r][c][k] = out[r][c] for k = 0, 1, 2, float32.

The numbers here are computed in float64 and rounded to float32 at the end. Compute src in float64 (plain JS
numbers do): torch's float32 index arithmetic, for one, lands up to 1.4e-5 away on a 512-pixel axis. The model then outputs the probability of "nodule" for the slice ([N, 1], sigmoid).
"""
from __future__ import annotations

import numpy as np

WINDOW_CENTER = -600.0
WINDOW_WIDTH = 1500.0
SIZE = 100
CHANNELS = 3


def window(hu: np.ndarray, center: float = WINDOW_CENTER, width: float = WINDOW_WIDTH) -> np.ndarray:
    """Steps 2-3: HU → [0, 1], float64."""
    return np.clip((np.asarray(hu, dtype=np.float64) - (center - width / 2.0)) / width, 0.0, 1.0)


def _axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scale = n_in / n_out
    src = np.maximum((np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def resize_bilinear(img: np.ndarray, out_h: int = SIZE, out_w: int = SIZE) -> np.ndarray:
    """Step 4 on a 2-D float array (half-pixel centres, no antialiasing)."""
    r0, r1, fr = _axis(img.shape[0], out_h)
    c0, c1, fc = _axis(img.shape[1], out_w)
    fr, fc = fr[:, None], fc[None, :]
    top = img[r0][:, c0] * (1 - fc) + img[r0][:, c1] * fc
    bottom = img[r1][:, c0] * (1 - fc) + img[r1][:, c1] * fc
    return top * (1 - fr) + bottom * fr


def preprocess_gray(hu: np.ndarray) -> np.ndarray:
    """Steps 2-4: one H x W HU slice → 100 x 100 float32 in [0, 1]."""
    return resize_bilinear(window(hu)).astype(np.float32)


def to_nhwc(gray: np.ndarray) -> np.ndarray:
    """Step 5: [N,100,100] or [100,100] → [N,100,100,3] float32."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim == 2:
        gray = gray[None]
    return np.repeat(gray[..., None], CHANNELS, axis=-1)


def preprocess(hu_slices) -> np.ndarray:
    """Steps 2-5 for a list/array of HU slices → NHWC float32 [N,100,100,3]."""
    return to_nhwc(np.stack([preprocess_gray(h) for h in hu_slices]))
