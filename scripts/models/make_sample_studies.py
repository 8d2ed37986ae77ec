#!/usr/bin/env python3
"""Write the two synthetic sample CT studies in sample-dicom/ and check them with the demo model.

    /usr/bin/python3 scripts/models/make_sample_studies.py          # writes sample-dicom/, then checks
    /usr/bin/python3 scripts/models/make_sample_studies.py --check  # only checks what is there

Each study is one axial series of 16 slices, 512 x 512, 2.5 mm thick at 2.5 mm spacing, rendered from one
synthetic patient (make_synthetic_ct.ChestPhantom, seeded) so anatomy runs on from slice to slice:
- DEMO001 / DEMOACC001 (DEMO^NODULE): a 20 mm nodule (+20 HU) centred between slices 8 and 9 of 16;
- DEMO002 / DEMOACC002 (DEMO^NEGATIVE): no nodule (vessels only).

Encoding: CT Image Storage, RLE Lossless (1.2.840.10008.1.2.5; pydicom's encoder) to keep the folder small;
unsigned 12-bit stored values with RescaleIntercept -1024, RescaleSlope 1 (HU = stored - 1024). UIDs are
2.25.<first 128 bits of sha256("pacs-ai-gateway/sample-dicom/" + name)>, so every run writes the same UIDs.
The bytes are the same on every run too (fixed dates, no "now").

Then every file must pass dciodvfy (dicom3tools) and dcmdump (DCMTK) without an error or a warning.
The check decodes every file with pydicom, preprocesses it as the model card says and runs the committed
model.onnx (weights loaded into torch): every slice of the negative study must score below the threshold in
model-config.json, and every slice of the positive study whose nodule cut is at least 10 mm across above it.
The scores go to sample-dicom/expected.json for the gateway's end-to-end tests.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID, RLELossless

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL_DIR = os.path.join(REPO, "models", "chest-ct-nodule-demo")
OUT = os.path.join(REPO, "sample-dicom")
sys.path.insert(0, HERE)
sys.path.insert(0, MODEL_DIR)

import make_synthetic_ct as synth  # noqa: E402

SAMPLE_SEED = 3  # neither the training (1) nor the test (2) seed
SLICES = 16
SLICE_MM = 2.5
TABLE_Z0 = -140.0  # patient z of the middle of the stack
MIN_CUT_MM = 10.0  # positive-study slices with a nodule cut at least this wide must be flagged

STUDIES = [
    {"key": "DEMO001-nodule", "phantom": 0, "nodule": {"diameter_mm": 20.0, "hu": 20.0},
     "PatientName": "DEMO^NODULE", "PatientID": "DEMO001", "AccessionNumber": "DEMOACC001",
     "PatientBirthDate": "19580301", "PatientSex": "M", "PatientAge": "065Y", "StudyID": "DEMO1",
     "StudyTime": "101500"},
    {"key": "DEMO002-negative", "phantom": 1, "nodule": None,
     "PatientName": "DEMO^NEGATIVE", "PatientID": "DEMO002", "AccessionNumber": "DEMOACC002",
     "PatientBirthDate": "19620712", "PatientSex": "F", "PatientAge": "061Y", "StudyID": "DEMO2",
     "StudyTime": "111500"},
]
STUDY_DATE = "20240115"


def uid(name: str) -> str:
    digest = hashlib.sha256(("pacs-ai-gateway/sample-dicom/" + name).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def slice_z(k: int) -> float:
    """Phantom z (mm) of slice k (0-based); instance 1 is the most superior slice (highest z), as head-first."""
    return ((SLICES - 1) / 2 - k) * SLICE_MM


def render_study(study: dict) -> tuple[list[np.ndarray], list[float]]:
    """HU slices and, per slice, the width (mm) of the nodule's cut (0 where none)."""
    rng = np.random.default_rng([SAMPLE_SEED, study["phantom"]])
    zs = [slice_z(k) for k in range(SLICES)]
    phantom = synth.ChestPhantom(rng, z_range=(min(zs), max(zs)))
    nod = None
    if study["nodule"]:
        # Centred half-way between the two middle slices, so two slices show it nearly full size.
        nod = phantom.add_nodule(0.0, **study["nodule"])
        if nod is None:
            raise SystemExit(f"{study['key']}: no room for the nodule in phantom {study['phantom']}")
    hu, cuts = [], []
    for z in zs:
        hu.append(phantom.render(z))
        r = nod.diameter_mm / 2 if nod else 0.0
        cuts.append(2 * math.sqrt(r * r - (z - nod.z) ** 2) if nod and abs(z - nod.z) < r else 0.0)
    return hu, cuts


def build_dataset(study: dict, k: int, hu: np.ndarray) -> FileDataset:
    key = study["key"]
    sop_uid = uid(f"{key}/instance/{k + 1}")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "PYDICOM " + pydicom.__version__
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False

    # SOP Common
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate, ds.InstanceCreationTime = STUDY_DATE, study["StudyTime"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    # General Study / Patient / Patient Study
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = STUDY_DATE
    ds.StudyTime = study["StudyTime"]
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = study["StudyTime"][:2] + "1600"
    ds.AccessionNumber = study["AccessionNumber"]
    ds.Modality = "CT"
    ds.Manufacturer = "pacs-ai-gateway"
    ds.InstitutionName = "Synthetic Demo Hospital"
    ds.ReferringPhysicianName = ""
    ds.StationName = "SYNTHCT"
    ds.StudyDescription = "CT CHEST (synthetic demo)"
    ds.SeriesDescription = "AXIAL 2.5 mm LUNG (synthetic)"
    ds.ManufacturerModelName = "make_sample_studies.py"
    ds.PatientName = study["PatientName"]
    ds.PatientID = study["PatientID"]
    ds.PatientBirthDate = study["PatientBirthDate"]
    ds.PatientSex = study["PatientSex"]
    ds.PatientAge = study["PatientAge"]
    ds.PatientIdentityRemoved = "NO"
    # CT Image / acquisition
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = f"{SLICE_MM:.1f}"
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.SoftwareVersions = "synthetic 1.0"
    ds.ReconstructionDiameter = f"{synth.FOV_MM:.0f}"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "150"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "200"
    ds.Exposure = "100"
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "HFS"
    # Series / instance identification
    ds.StudyInstanceUID = uid(f"{key}/study")
    ds.SeriesInstanceUID = uid(f"{key}/series/1")
    ds.StudyID = study["StudyID"]
    ds.SeriesNumber = "1"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(k + 1)
    # Image Plane
    z = TABLE_Z0 + slice_z(k)
    x0 = y0 = -(synth.MATRIX - 1) / 2 * synth.PIXEL_MM  # centre of the first pixel; FOV centred on the isocentre
    ds.ImagePositionPatient = [f"{x0:.6f}", f"{y0:.6f}", f"{z:.2f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = uid(f"{key}/frame-of-reference")
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = f"{z:.2f}"
    # Image Pixel
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = synth.MATRIX
    ds.PixelSpacing = [f"{synth.PIXEL_MM:.6f}", f"{synth.PIXEL_MM:.6f}"]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.BurnedInAnnotation = "NO"
    ds.WindowCenter = ["-600", "40"]
    ds.WindowWidth = ["1500", "400"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenterWidthExplanation = ["LUNG", "MEDIASTINUM"]
    ds.LossyImageCompression = "00"

    stored = (hu.astype(np.int32) + 1024).astype(np.uint16)
    assert stored.max() < 4096
    ds.compress(RLELossless, stored)
    return ds


def write_studies() -> list[dict]:
    index = []
    for study in STUDIES:
        folder = os.path.join(OUT, study["key"])
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if old.endswith(".dcm"):
                os.remove(os.path.join(folder, old))
        hu, cuts = render_study(study)
        for k, slice_hu in enumerate(hu):
            ds = build_dataset(study, k, slice_hu)
            ds.save_as(os.path.join(folder, f"CT{k + 1:04d}.dcm"), write_like_original=False)
        index.append({"key": study["key"], "cuts": cuts})
        print(f"{study['key']}: {SLICES} slices written to {folder}")
    return index


def check(write_expected: bool) -> None:
    import torch
    import preprocess
    from nodule_net import NhwcProbability, load_from_onnx

    with open(os.path.join(MODEL_DIR, "model-config.json")) as f:
        threshold = json.load(f)["output"]["threshold"]
    net = NhwcProbability(load_from_onnx(os.path.join(MODEL_DIR, "model.onnx")))
    expected = {"model": "chest-ct-nodule-demo 1.0.0", "threshold": threshold, "studies": []}
    failures = []
    for study in STUDIES:
        _, cuts = render_study(study)
        folder = os.path.join(OUT, study["key"])
        files = sorted(f for f in os.listdir(folder) if f.endswith(".dcm"))
        rows = []
        for name in files:
            ds = pydicom.dcmread(os.path.join(folder, name))
            k = int(ds.InstanceNumber) - 1
            hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            with torch.no_grad():
                p = float(net(torch.from_numpy(preprocess.preprocess([hu])))[0, 0])
            rows.append({"file": f"{study['key']}/{name}", "instanceNumber": k + 1,
                         "sopInstanceUid": ds.SOPInstanceUID, "noduleCutMm": round(cuts[k], 2),
                         "probability": round(p, 6), "flagged": p >= threshold})
            if study["nodule"] is None and p >= threshold:
                failures.append(f"{name} of {study['key']}: p={p:.4f} ≥ {threshold} without a nodule")
            if study["nodule"] and cuts[k] >= MIN_CUT_MM and p < threshold:
                failures.append(f"{name} of {study['key']}: p={p:.4f} < {threshold} with a {cuts[k]:.1f} mm cut")
        print(f"{study['key']} ({study['AccessionNumber']}):")
        for r in rows:
            print(f"  #{r['instanceNumber']:2d}  cut {r['noduleCutMm']:5.1f} mm  p={r['probability']:.4f}"
                  f"{'  FLAGGED' if r['flagged'] else ''}")
        ds0 = pydicom.dcmread(os.path.join(folder, files[0]), stop_before_pixels=True)
        expected["studies"].append({
            "folder": study["key"], "patientId": study["PatientID"], "accessionNumber": study["AccessionNumber"],
            "studyInstanceUid": ds0.StudyInstanceUID, "seriesInstanceUid": ds0.SeriesInstanceUID,
            "hasNodule": study["nodule"] is not None,
            "expectedStudyResult": "nodule" if any(r["flagged"] for r in rows) else "no nodule",
            "maxProbability": max(r["probability"] for r in rows), "slices": rows})
    if write_expected:
        with open(os.path.join(OUT, "expected.json"), "w") as f:
            json.dump(expected, f, indent=2)
            f.write("\n")
    if failures:
        raise SystemExit("sample studies fail the model check:\n  " + "\n  ".join(failures))
    print("model check passed")


def validate_with_tools() -> None:
    """dciodvfy (dicom3tools) and dcmdump (DCMTK) on every file: no error, no warning, or exit non-zero."""
    import shutil
    import subprocess

    missing = [t for t in ("dciodvfy", "dcmdump") if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"{', '.join(missing)} not found: apt-get install -y dicom3tools dcmtk")
    problems, count = [], 0
    for study in STUDIES:
        folder = os.path.join(OUT, study["key"])
        for name in sorted(f for f in os.listdir(folder) if f.endswith(".dcm")):
            path = os.path.join(folder, name)
            count += 1
            r = subprocess.run(["dciodvfy", path], capture_output=True, text=True)
            # dciodvfy names the IOD on its first line, then one line per error or warning.
            for line in (r.stdout + r.stderr).splitlines():
                if line.strip() and line.strip() != "CTImage":
                    problems.append(f"dciodvfy {study['key']}/{name}: {line.strip()}")
            r = subprocess.run(["dcmdump", "-q", path], capture_output=True, text=True)
            if r.returncode != 0 or r.stderr.strip():
                problems.append(f"dcmdump {study['key']}/{name}: rc {r.returncode} {r.stderr.strip()}")
    if problems:
        raise SystemExit("DICOM validation failed:\n  " + "\n  ".join(problems))
    print(f"dciodvfy and dcmdump: {count} files, no errors or warnings")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only check the files that are there")
    args = ap.parse_args()
    if not args.check:
        write_studies()
    validate_with_tools()
    check(write_expected=not args.check)


if __name__ == "__main__":
    main()
