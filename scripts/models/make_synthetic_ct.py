#!/usr/bin/env python3
"""Deterministic synthetic chest-CT-like axial slices in Hounsfield units (HU).

The demo nodule model (models/chest-ct-nodule-demo) is trained and tested only on these images, and the sample
studies in sample-dicom/ are rendered by the same code, so the three always agree.

Geometry. 512 x 512 pixels over a 360 mm field of view (0.703125 mm per pixel). Pixel (row, col) has its centre at
x = (col - 255.5) * 0.703125 mm (towards the patient's left, image right) and
y = (row - 255.5) * 0.703125 mm (towards posterior, image down), as in DICOM LPS with
ImageOrientationPatient 1\\0\\0\\0\\1\\0. z is the slice position in mm.

What a slice holds (HU before noise):
- air outside the body: -1000, noise-free (keeps RLE-compressed sample studies small);
- body: an ellipse of soft tissue (40 HU) under a subcutaneous fat ring (-100 HU), with a heart/mediastinum
  (40 HU) between the lungs;
- two lung fields: about -860 HU, denser towards posterior, with smooth texture;
- vessels: 3-D tubes (radius 0.4-2.4 mm, 40 HU) cut by the slice plane, so they show as round dots when they run
  through the plane and as lines when they run in it; every slice has them, positives and negatives alike;
- bone: a vertebra (cortex ~700 HU, cancellous ~250 HU, spinal canal), posterior elements, a sternum and 7-9 rib
  cross-sections per side;
- Gaussian noise, sigma 8-20 HU, inside the body;
- positives only: 1-3 nodules, lobulated spheres of in-plane diameter 3-30 mm (uniform) and density -100..+100 HU
  (uniform), entirely inside a lung with at least 1.5 mm of lung around them.

Determinism: slice i of a data set with seed S is drawn from numpy.random.default_rng([S, i]) and is positive when
i is odd, so a data set is the same on every machine and every part of it can be rebuilt alone. The demo model is
trained on seed 1 (slices 0..N-1, the last 10 % held back for validation) and tested on seed 2.

Command line (writes preview PNGs, or the raw HU slices as .npy, for a look):
    /usr/bin/python3 scripts/models/make_synthetic_ct.py --seed 2 --count 8 --png /tmp/ct-preview
"""
from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

MATRIX = 512
FOV_MM = 360.0
PIXEL_MM = FOV_MM / MATRIX  # 0.703125

HU_AIR = -1000.0
HU_FAT = -100.0
HU_SOFT = 40.0
HU_BLOOD = 40.0
HU_CORTEX = 700.0
HU_CANCELLOUS = 250.0
HU_MIN, HU_MAX = -1024, 3071

NODULE_DIAMETER_MM = (3.0, 30.0)
NODULE_HU = (-100.0, 100.0)

TRAIN_SEED = 1
TEST_SEED = 2

_coords = (np.arange(MATRIX, dtype=np.float64) - (MATRIX - 1) / 2.0) * PIXEL_MM
_X, _Y = np.meshgrid(_coords, _coords)  # _X[row, col] = x of col, _Y[row, col] = y of row


def mm_to_px(x_mm: float, y_mm: float) -> tuple[float, float]:
    """(row, col) of the point (x, y) in mm, fractional."""
    return y_mm / PIXEL_MM + (MATRIX - 1) / 2.0, x_mm / PIXEL_MM + (MATRIX - 1) / 2.0


def _smooth_field(rng: np.random.Generator, grid: int, sigma_hu: float) -> np.ndarray:
    """Low-frequency texture: a grid x grid random field upsampled (cubic) to the matrix, unit std times sigma."""
    coarse = rng.standard_normal((grid, grid))
    fine = ndimage.zoom(coarse, MATRIX / grid, order=3, mode="reflect")[:MATRIX, :MATRIX]
    return fine / (fine.std() + 1e-9) * sigma_hu


def _edge(signed_dist_mm: np.ndarray, width_mm: float = PIXEL_MM) -> np.ndarray:
    """Partial-volume fraction for a signed distance (negative inside): 1 inside, 0 outside, linear over width_mm."""
    return np.clip(0.5 - signed_dist_mm / width_mm, 0.0, 1.0)


def _ellipse_dist(cx, cy, a, b, X=_X, Y=_Y):
    """Approximate signed distance (mm) to an axis-aligned ellipse boundary (negative inside)."""
    r = np.sqrt(((X - cx) / a) ** 2 + ((Y - cy) / b) ** 2)
    return (r - 1.0) * min(a, b)


def _box(cx: float, cy: float, half_x: float, half_y: float) -> tuple[slice, slice]:
    """Row and column slices of the pixels within half_x/half_y mm (plus 2 pixels) of (cx, cy)."""
    r0, c0 = mm_to_px(cx - half_x, cy - half_y)
    r1, c1 = mm_to_px(cx + half_x, cy + half_y)
    return (slice(max(0, int(r0) - 2), min(MATRIX, int(r1) + 3)), slice(max(0, int(c0) - 2), min(MATRIX, int(c1) + 3)))


def _paint_ellipse(hu: np.ndarray, cx: float, cy: float, a: float, b: float, value: float) -> None:
    """Blend value into hu inside the ellipse, with a one-pixel partial-volume edge; works on the bounding box."""
    box = _box(cx, cy, a, b)
    frac = _edge(_ellipse_dist(cx, cy, a, b, _X[box], _Y[box]))
    hu[box] = hu[box] * (1 - frac) + value * frac


@dataclass
class Lung:
    cx: float
    cy: float
    a: float
    b: float
    harmonics: list  # (k, amplitude, phase)


@dataclass
class Vessel:
    p0: np.ndarray  # (x, y, z) mm
    p1: np.ndarray
    radius: float


@dataclass
class Nodule:
    x: float
    y: float
    z: float
    diameter_mm: float
    hu: float
    harmonics: list = field(default_factory=list)

    @property
    def lobulation(self) -> float:
        return sum(abs(a) for _, a, _ in self.harmonics)


class ChestPhantom:
    """One synthetic patient: anatomy drawn once, rendered at any z (mm) by render(z)."""

    def __init__(self, rng: np.random.Generator, z_range: tuple[float, float] = (0.0, 0.0)):
        self.rng = rng
        self.z_range = z_range
        self.body_a = rng.uniform(150, 172)
        self.body_b = rng.uniform(105, 125)
        self.body_cy = rng.uniform(-5, 10)
        self.fat_mm = rng.uniform(8, 20)
        self.noise_sigma = rng.uniform(8, 20)
        inner_a = self.body_a - self.fat_mm
        inner_b = self.body_b - self.fat_mm
        self.inner = (inner_a, inner_b)

        # Lungs: lateral edge 18-26 mm inside the fat ring (chest wall and ribs live there).
        self.lungs = []
        lung_cx = rng.uniform(62, 78)
        for side in (-1.0, 1.0):
            cx = side * (lung_cx + rng.uniform(-3, 3))
            wall = rng.uniform(18, 26)
            a = min(rng.uniform(50, 66), inner_a - wall - abs(cx))
            b = min(rng.uniform(72, 92), inner_b - wall - 4)
            cy = self.body_cy + rng.uniform(-6, 2)
            harm = [(k, rng.uniform(0, 0.04), rng.uniform(0, 2 * math.pi)) for k in (2, 3, 4)]
            self.lungs.append(Lung(cx, cy, a, b, harm))
        self.lung_texture_sigma = rng.uniform(8, 20)
        self.lung_base = rng.uniform(-880, -830)
        self.lung_gradient = rng.uniform(20, 70)  # HU denser from anterior to posterior edge

        # Mediastinum and heart (anterior, shifted to the patient's left).
        self.heart = (rng.uniform(5, 25), self.body_cy - rng.uniform(10, 30), rng.uniform(42, 58), rng.uniform(38, 50))
        self.mediastinum_half_width = rng.uniform(18, 26)

        # Spine at the posterior midline.
        self.vert_r = rng.uniform(15, 19)
        self.vert_cy = self.body_cy + inner_b - rng.uniform(38, 46)
        # Ribs: on an ellipse just outside the lungs.
        self.ribs = []
        for side in (-1.0, 1.0):
            n = int(rng.integers(7, 10))
            angles = np.linspace(-0.55 * math.pi, 0.45 * math.pi, n) + rng.uniform(-0.08, 0.08, n)
            for t in angles:
                # t = 0 is lateral, negative anterior, positive posterior
                ra = inner_a - rng.uniform(7, 11)
                rb = inner_b - rng.uniform(7, 11)
                self.ribs.append((side * ra * math.cos(t), self.body_cy + rb * math.sin(t),
                                  rng.uniform(4.5, 7.0), rng.uniform(3.0, 4.5), float(t)))
        self.sternum = (rng.uniform(-3, 3), self.body_cy - inner_b + rng.uniform(8, 12), rng.uniform(12, 17),
                        rng.uniform(4, 6))

        self.vessels = self._draw_vessels()
        self.nodules: list[Nodule] = []

    # --- anatomy -----------------------------------------------------------------------------------------------
    def lung_mask(self, z: float) -> np.ndarray:
        """Boolean lung mask at z (both lungs), before vessels and nodules."""
        scale = 1.0 - 0.0015 * abs(z - 0.5 * (self.z_range[0] + self.z_range[1]))
        mask = np.zeros((MATRIX, MATRIX), dtype=bool)
        for lung in self.lungs:
            grow = 1.0 + sum(amp for _, amp, _ in lung.harmonics)
            box = _box(lung.cx, lung.cy, lung.a * scale * grow, lung.b * scale * grow)
            dx = (_X[box] - lung.cx) / (lung.a * scale)
            dy = (_Y[box] - lung.cy) / (lung.b * scale)
            theta = np.arctan2(dy, dx)
            r = np.sqrt(dx * dx + dy * dy)
            bound = 1.0 + sum(amp * np.cos(k * theta + ph) for k, amp, ph in lung.harmonics)
            mask[box] |= r < bound
        hx, hy, ha, hb = self.heart
        mask &= _ellipse_dist(hx, hy, ha, hb) > 2.0
        mask &= np.abs(_X) > self.mediastinum_half_width
        mask &= _ellipse_dist(0.0, self.vert_cy, self.vert_r + 14, self.vert_r + 22) > 0
        return mask

    def _random_lung_point(self, mask: np.ndarray, min_depth_mm: float = 0.0):
        depth = ndimage.distance_transform_edt(mask) * PIXEL_MM if min_depth_mm > 0 else None
        ok = mask if depth is None else depth >= min_depth_mm
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return None
        k = idx[int(self.rng.integers(idx.size))]
        row, col = divmod(int(k), MATRIX)
        return _coords[col], _coords[row]

    def _draw_vessels(self) -> list[Vessel]:
        rng = self.rng
        z0, z1 = self.z_range
        zc = 0.5 * (z0 + z1)
        mask = self.lung_mask(zc)
        idx = np.flatnonzero(mask)
        vessels = []
        extent = (z1 - z0) + 40.0
        n = int(rng.integers(45, 110) * extent / 40.0)
        for _ in range(n):
            k = idx[int(rng.integers(idx.size))]
            row, col = divmod(int(k), MATRIX)
            x, y = _coords[col], _coords[row]
            z = rng.uniform(z0 - 20, z1 + 20)
            lung = min(self.lungs, key=lambda L: abs(L.cx - x))
            # Closer to the hilum (medial, mid) → thicker.
            hilum = np.array([np.sign(lung.cx) * (self.mediastinum_half_width + 8), lung.cy])
            prox = max(0.0, 1.0 - np.hypot(x - hilum[0], y - hilum[1]) / (1.3 * lung.b))
            radius = rng.uniform(0.4, 0.9) + 1.5 * prox * rng.uniform(0.3, 1.0)
            # Direction: mostly radial from the hilum in-plane, or through-plane.
            elev = rng.uniform(-1, 1)
            elev = math.copysign(abs(elev) ** 0.6, elev)  # favour steep vessels (dots)
            az = math.atan2(y - hilum[1], x - hilum[0]) + rng.normal(0, 0.5)
            h = math.sqrt(max(0.0, 1 - elev * elev))
            d = np.array([h * math.cos(az), h * math.sin(az), elev])
            length = rng.uniform(12, 60)
            p = np.array([x, y, z])
            vessels.append(Vessel(p - 0.5 * length * d, p + 0.5 * length * d, radius))
        return vessels

    def add_nodule(self, z: float, diameter_mm: float | None = None, hu: float | None = None,
                   z_offset_mm: float = 0.0) -> Nodule | None:
        """Place a nodule centred in the plane z + z_offset_mm, wholly inside a lung at that plane; None if no room."""
        rng = self.rng
        d = rng.uniform(*NODULE_DIAMETER_MM) if diameter_mm is None else diameter_mm
        value = rng.uniform(*NODULE_HU) if hu is None else hu
        nh = int(rng.integers(0, 4))
        harm = [(int(k), rng.uniform(0.03, 0.12), rng.uniform(0, 2 * math.pi))
                for k in rng.choice(np.arange(2, 7), size=nh, replace=False)]
        nod = Nodule(0.0, 0.0, z + z_offset_mm, d, value, harm)
        mask = self.lung_mask(nod.z)
        for other in self.nodules:  # keep nodules apart
            mask &= np.hypot(_X - other.x, _Y - other.y) > other.diameter_mm / 2 * 1.3 + d / 2 + 3
        pt = self._random_lung_point(mask, d / 2 * (1 + nod.lobulation) + 1.5)
        if pt is None:
            return None
        nod.x, nod.y = float(pt[0]), float(pt[1])
        self.nodules.append(nod)
        return nod

    # --- rendering ---------------------------------------------------------------------------------------------
    def _vessel_fraction(self, z: float) -> np.ndarray:
        frac = np.zeros((MATRIX, MATRIX))
        for v in self.vessels:
            d = v.p1 - v.p0
            # Part of the segment within radius of the plane.
            if abs(d[2]) > 1e-9:
                t_a = (z - v.radius - v.p0[2]) / d[2]
                t_b = (z + v.radius - v.p0[2]) / d[2]
                t0, t1 = max(0.0, min(t_a, t_b)), min(1.0, max(t_a, t_b))
            else:
                if abs(z - v.p0[2]) > v.radius:
                    continue
                t0, t1 = 0.0, 1.0
            if t0 > t1:
                continue
            pa, pb = v.p0 + t0 * d, v.p0 + t1 * d
            pad = v.radius + 2 * PIXEL_MM
            r0, c0 = mm_to_px(min(pa[0], pb[0]) - pad, min(pa[1], pb[1]) - pad)
            r1, c1 = mm_to_px(max(pa[0], pb[0]) + pad, max(pa[1], pb[1]) + pad)
            r0, c0 = max(0, int(r0)), max(0, int(c0))
            r1, c1 = min(MATRIX, int(r1) + 2), min(MATRIX, int(c1) + 2)
            if r0 >= r1 or c0 >= c1:
                continue
            X, Y = _X[r0:r1, c0:c1], _Y[r0:r1, c0:c1]
            # 3-D distance from (X, Y, z) to the segment.
            wx, wy, wz = X - v.p0[0], Y - v.p0[1], z - v.p0[2]
            t = np.clip((wx * d[0] + wy * d[1] + wz * d[2]) / float(d @ d), 0.0, 1.0)
            dist = np.sqrt((wx - t * d[0]) ** 2 + (wy - t * d[1]) ** 2 + (wz - t * d[2]) ** 2)
            np.maximum(frac[r0:r1, c0:c1], _edge(dist - v.radius), out=frac[r0:r1, c0:c1])
        return frac

    def _nodule_fraction(self, nod: Nodule, z: float):
        """(box, partial-volume fraction within box) of the nodule's cut at z, or None."""
        R = nod.diameter_mm / 2
        dz = z - nod.z
        if abs(dz) >= R:
            return None
        r_eff = math.sqrt(R * R - dz * dz)
        half = r_eff * (1 + nod.lobulation) + 2
        box = _box(nod.x, nod.y, half, half)
        X, Y = _X[box] - nod.x, _Y[box] - nod.y
        theta = np.arctan2(Y, X)
        bound = r_eff * (1.0 + sum(a * np.cos(k * theta + p) for k, a, p in nod.harmonics))
        return box, _edge(np.hypot(X, Y) - bound, 0.8)

    def render(self, z: float = 0.0) -> np.ndarray:
        """The slice at z as int16 HU, 512 x 512."""
        rng = np.random.default_rng(self.rng.integers(2**63))  # per-slice noise, deterministic
        hu = np.full((MATRIX, MATRIX), HU_AIR)
        body = _edge(_ellipse_dist(0.0, self.body_cy, self.body_a, self.body_b))
        inner = _edge(_ellipse_dist(0.0, self.body_cy, *self.inner))
        hu = hu * (1 - body) + HU_FAT * body
        hu = hu * (1 - inner) + HU_SOFT * inner

        # Lungs with texture and a posterior density gradient, then vessels clipped to the lungs.
        lung = self.lung_mask(z).astype(np.float64)
        lung = ndimage.uniform_filter(lung, 3)  # soft pleural edge
        y_rel = (_Y - (self.body_cy - 90)) / 180
        parenchyma = self.lung_base + self.lung_gradient * np.clip(y_rel, 0, 1) + _smooth_field(rng, 24, self.lung_texture_sigma)
        vfrac = self._vessel_fraction(z) * (lung > 0.5)
        parenchyma = parenchyma * (1 - vfrac) + HU_BLOOD * vfrac
        for nod in self.nodules:
            cut = self._nodule_fraction(nod, z)
            if cut is not None:
                box, nf = cut
                inner_tex = nod.hu + 15 * rng.standard_normal(nf.shape)
                parenchyma[box] = parenchyma[box] * (1 - nf) + inner_tex * nf
        hu = hu * (1 - lung) + parenchyma * lung

        # Bone.
        vy = self.vert_cy
        _paint_ellipse(hu, 0.0, vy, self.vert_r, self.vert_r * 0.9, HU_CORTEX)
        _paint_ellipse(hu, 0.0, vy, self.vert_r - 2.5, self.vert_r * 0.9 - 2.5, HU_CANCELLOUS)
        canal_y = vy + self.vert_r * 0.9 + 9
        _paint_ellipse(hu, 0.0, canal_y, 13, 10, HU_CORTEX * 0.85)  # neural arch
        _paint_ellipse(hu, 0.0, canal_y + 17, 4, 10, HU_CORTEX * 0.85)  # spinous process
        _paint_ellipse(hu, 0.0, canal_y, 7.5, 6.5, 15.0)  # spinal canal
        for (rx, ry, ra, rb, _t) in self.ribs:
            _paint_ellipse(hu, rx, ry, ra, rb, HU_CORTEX)
            _paint_ellipse(hu, rx, ry, ra - 1.5, rb - 1.5, HU_CANCELLOUS)
        sx, sy, sa, sb = self.sternum
        _paint_ellipse(hu, sx, sy, sa, sb, HU_CORTEX * 0.8)

        hu = hu + rng.standard_normal(hu.shape) * self.noise_sigma * (body > 0.5)
        return np.clip(np.rint(hu), HU_MIN, HU_MAX).astype(np.int16)


def make_slice(seed: int, index: int) -> tuple[np.ndarray, int, list[Nodule]]:
    """Slice `index` of the data set `seed`: (HU int16 512x512, label 0/1, nodules). Odd indices are positive."""
    rng = np.random.default_rng([seed, index])
    phantom = ChestPhantom(rng)
    label = index % 2
    if label:
        for _ in range(int(rng.integers(1, 4))):
            phantom.add_nodule(0.0)
        if not phantom.nodules:  # the lungs had no room for the drawn size: retry smaller until one fits
            d = NODULE_DIAMETER_MM[1]
            while not phantom.nodules and d >= NODULE_DIAMETER_MM[0]:
                d *= 0.8
                phantom.add_nodule(0.0, diameter_mm=max(d, NODULE_DIAMETER_MM[0]))
    return phantom.render(0.0), label, list(phantom.nodules)


def _write_png(path: str, hu: np.ndarray) -> None:
    from PIL import Image  # preview only
    img = np.clip((hu.astype(np.float64) + 1350.0) / 1500.0, 0, 1) * 255
    Image.fromarray(img.astype(np.uint8)).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=TEST_SEED)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--png", help="folder for lung-window PNG previews")
    ap.add_argument("--npy", help="folder for raw int16 HU slices (.npy)")
    args = ap.parse_args()
    for i in range(args.start, args.start + args.count):
        hu, label, nodules = make_slice(args.seed, i)
        desc = ", ".join(f"{n.diameter_mm:.1f} mm {n.hu:+.0f} HU" for n in nodules) or "no nodule"
        print(f"seed {args.seed} slice {i}: label {label}: {desc}")
        for folder, ext in ((args.png, "png"), (args.npy, "npy")):
            if folder:
                os.makedirs(folder, exist_ok=True)
                path = os.path.join(folder, f"s{args.seed}-{i:05d}-{label}.{ext}")
                _write_png(path, hu) if ext == "png" else np.save(path, hu)


if __name__ == "__main__":
    main()
