#!/usr/bin/python3
"""Writes N synthetic CT Image Storage instances (512x512, 16-bit signed, Explicit VR LE) of one study/series.

Usage: /usr/bin/python3 bench/gen_ct.py OUT_DIR N [SEED]
Deterministic for a given seed: UIDs are 2.25 UIDs derived from the seed, pixels a phantom plus noise
(so files are realistic in size and do not compress to nothing). Used by the ingest tests and bench:ingest.
"""
import hashlib
import os
import sys

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian


def uid(*parts):
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[-256:256, -256:256]
    body = ((xx / 200.0) ** 2 + (yy / 150.0) ** 2) <= 1
    lungs = (((xx + 90) / 70.0) ** 2 + (yy / 100.0) ** 2 <= 1) | (((xx - 90) / 70.0) ** 2 + (yy / 100.0) ** 2 <= 1)
    study, series = uid("study", seed), uid("series", seed)
    for i in range(n):
        hu = np.full((512, 512), -1000.0)
        hu[body] = 40.0
        hu[lungs] = -850.0
        hu += rng.normal(0, 20, hu.shape)
        pixels = np.clip(hu + 1024, 0, 4095).astype(np.int16)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = uid("instance", seed, i)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = f"BENCH^SEED{seed}", f"BENCH{seed}", "", "O"
        ds.AccessionNumber, ds.StudyID, ds.StudyDate, ds.StudyTime = f"BENCH{seed:04d}", "1", "20260101", "120000"
        ds.ReferringPhysicianName, ds.Modality, ds.BodyPartExamined = "", "CT", "CHEST"
        ds.PatientPosition = "HFS"
        ds.SeriesNumber, ds.InstanceNumber, ds.AcquisitionNumber = 1, i + 1, 1
        ds.Manufacturer, ds.KVP, ds.SliceThickness = "pacs-ai-gateway synthetic", "120", "1.0"
        ds.ImagePositionPatient = [-256, -256, float(i)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = uid("for", seed), ""
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns, ds.PixelSpacing = 512, 512, [0.7, 0.7]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "-1024", "1", "HU"
        ds.WindowCenter, ds.WindowWidth = "-600", "1500"
        ds.PixelData = pixels.tobytes()
        ds.save_as(os.path.join(out, f"ct{i + 1:04d}.dcm"), write_like_original=False)


if __name__ == "__main__":
    main()
