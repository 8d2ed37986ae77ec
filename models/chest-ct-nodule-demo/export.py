#!/usr/bin/env python3
"""Export the trained demo net and check every export against torch, in numpy, from the written files alone.

Called by train.py at the end of training; alone it re-exports what train.py left in .data/ (weights.pt,
train-metrics.json):
    /usr/bin/python3 models/chest-ct-nodule-demo/export.py

Writes next to this file:
- model.onnx: opset 13, input "input" float32 [batch,100,100,3] (NHWC), output "probability" float32 [batch,1];
  the graph transposes to NCHW itself. Checked with onnx.checker and run by a small numpy interpreter of its graph.
- tfjs/model.json + tfjs/group1-shard1of1.bin: a TF.js layers model (Keras-style Sequential topology, float32
  weights), written directly (no tensorflowjs converter exists here). Checked by a numpy Keras forward pass that reads
  only those two files.
- reference/: inputs and expected outputs for the gateway's tests (see MODEL_CARD.md).
- model-config.json, metrics.json, and the metrics section of MODEL_CARD.md.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "models"))
sys.path.insert(0, HERE)

import make_synthetic_ct as synth  # noqa: E402
import preprocess  # noqa: E402
from nodule_net import NhwcProbability, NoduleNet  # noqa: E402

MODEL_ID = "chest-ct-nodule-demo"
MODEL_VERSION = "1.0.0"
OPSET = 13
TOLERANCE = 1e-5  # |probability(export) - probability(torch)|, required of every export check here
REFERENCE_COUNT = 16  # held-out slices in reference/inputs.f32
HU_REFERENCE_COUNT = 4  # raw HU slices in reference/hu_slices.i16
FINDING = {"code": "786838002", "scheme": "SCT", "meaning": "Pulmonary nodule"}


def _json_dump(obj, path: str) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


@torch.no_grad()
def torch_probabilities(net: NoduleNet, nhwc: np.ndarray) -> np.ndarray:
    """[N,100,100,3] float32 → [N] float32 probabilities from the torch model (the reference for every export)."""
    return NhwcProbability(net.eval())(torch.from_numpy(np.ascontiguousarray(nhwc, dtype=np.float32))).numpy()[:, 0]


# --- ONNX ------------------------------------------------------------------------------------------------------------

def export_onnx(net: NoduleNet, path: str) -> None:
    import onnx

    wrapper = NhwcProbability(net).eval()
    torch.onnx.export(wrapper, torch.zeros(1, 100, 100, 3), path, opset_version=OPSET, input_names=["input"],
                      output_names=["probability"], dynamic_axes={"input": {0: "batch"}, "probability": {0: "batch"}},
                      do_constant_folding=True)
    model = onnx.load(path)
    model.doc_string = ("chest-ct-nodule-demo 1.0.0: slice-level lung nodule classifier trained on SYNTHETIC data only; "
                        "not for clinical use. Input NHWC float32 [N,100,100,3]: HU, lung window (c -600, w 1500), "
                        "clamp [0,1], bilinear 100x100 (half-pixel centres), 3 equal channels. Output P(nodule) [N,1].")
    for key, value in (("model_id", MODEL_ID), ("model_version", MODEL_VERSION), ("layout", "NHWC"),
                       ("window_center", "-600"), ("window_width", "1500"), ("resize", "bilinear-half-pixel"),
                       ("training_data", "synthetic (scripts/models/make_synthetic_ct.py)"),
                       ("intended_use", "demo and tests only; not for clinical use")):
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def _conv_nchw(x, w, b, pads, strides):
    if any(pads) or any(s != 1 for s in strides):
        raise NotImplementedError("numpy ONNX runner: only stride 1, no padding")
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))  # N,C,H',W',kh,kw
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True) + b[None, :, None, None]


def _maxpool_nchw(x, k, s):
    n, c, h, w = x.shape
    ho, wo = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    win = np.lib.stride_tricks.sliding_window_view(x, k, axis=(2, 3))[:, :, ::s[0], ::s[1]][:, :, :ho, :wo]
    return win.max(axis=(4, 5))


def run_onnx_numpy(path: str, x: np.ndarray) -> np.ndarray:
    """Interpret model.onnx node by node in float64 numpy (the ops this model uses); returns the graph output."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float64)
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input if i]
        op = node.op_type
        if op == "Transpose":
            out = np.transpose(ins[0], a["perm"])
        elif op == "Conv":
            if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
                raise NotImplementedError("numpy ONNX runner: Conv group/dilation")
            out = _conv_nchw(ins[0], ins[1], ins[2], a.get("pads", [0, 0, 0, 0]), a.get("strides", [1, 1]))
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            if any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0):
                raise NotImplementedError("numpy ONNX runner: MaxPool pads/ceil_mode")
            out = _maxpool_nchw(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]))
        elif op == "Flatten":
            axis = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            out = a.get("alpha", 1.0) * A @ B + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
        elif op == "Sigmoid":
            out = 1 / (1 + np.exp(-ins[0]))
        else:
            raise NotImplementedError(f"numpy ONNX runner: op {op}")
        env[node.output[0]] = out
    return env[model.graph.output[0].name]


# --- TF.js layers model ----------------------------------------------------------------------------------------------

def _conv_layer(name: str, filters: int) -> dict:
    config = {
        "name": name, "trainable": True, "dtype": "float32", "filters": filters, "kernel_size": [3, 3],
        "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1],
        "activation": "relu", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    return {"class_name": "Conv2D", "config": config}


def _pool_layer(name: str) -> dict:
    return {"class_name": "MaxPooling2D", "config": {"name": name, "trainable": True, "dtype": "float32",
                                                      "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
                                                      "data_format": "channels_last"}}


def _dense_layer(name: str, units: int, activation: str) -> dict:
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


def keras_weights(net: NoduleNet) -> list[tuple[str, np.ndarray]]:
    """(tfjs weight name, float32 array in Keras layout), in the order of the manifest.

    Conv kernels: torch OIHW → Keras HWIO. Dense kernels: torch [out, in] → Keras [in, out]. torch flattens the
    last feature map as (C, H, W) and Keras as (H, W, C), so the rows of the first Dense kernel are reordered from
    c*100 + h*10 + w to h*1280 + w*128 + c.
    """
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    out = []
    for i in (1, 2, 3):
        out.append((f"conv{i}/kernel", sd[f"conv{i}.weight"].transpose(2, 3, 1, 0)))
        out.append((f"conv{i}/bias", sd[f"conv{i}.bias"]))
    w1 = sd["fc1.weight"]  # [128, 12800], input index c*100 + h*10 + w
    out.append(("dense1/kernel", w1.reshape(128, 128, 10, 10).transpose(2, 3, 1, 0).reshape(12800, 128)))
    out.append(("dense1/bias", sd["fc1.bias"]))
    out.append(("output/kernel", sd["fc2.weight"].T))
    out.append(("output/bias", sd["fc2.bias"]))
    return [(n, np.ascontiguousarray(a, dtype="<f4")) for n, a in out]


def export_tfjs(net: NoduleNet, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 100, 100, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input"}},
        _conv_layer("conv1", 32), _pool_layer("pool1"),
        _conv_layer("conv2", 64), _pool_layer("pool2"),
        _conv_layer("conv3", 128), _pool_layer("pool3"),
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                             "data_format": "channels_last"}},
        _dense_layer("dense1", 128, "relu"),
        _dense_layer("output", 1, "sigmoid"),
    ]
    weights = keras_weights(net)
    shard = "group1-shard1of1.bin"
    with open(os.path.join(folder, shard), "wb") as f:
        for _, arr in weights:
            f.write(arr.tobytes())
    model_json = {
        "format": "layers-model",
        "generatedBy": f"torch {torch.__version__}",
        "convertedBy": "pacs-ai-gateway models/chest-ct-nodule-demo/export.py",
        "modelTopology": {
            "class_name": "Sequential",
            "config": {"name": MODEL_ID.replace("-", "_"), "layers": layers},
            "backend": "tensorflow",
        },
        "weightsManifest": [{"paths": [shard], "weights": [
            {"name": n, "shape": list(a.shape), "dtype": "float32"} for n, a in weights]}],
    }
    _json_dump(model_json, os.path.join(folder, "model.json"))


def run_tfjs_numpy(folder: str, x: np.ndarray) -> np.ndarray:
    """Keras forward pass (NHWC, float64) driven only by tfjs/model.json and its weight shards."""
    with open(os.path.join(folder, "model.json")) as f:
        model_json = json.load(f)
    weights, offset_blob = {}, b""
    for group in model_json["weightsManifest"]:
        for p in group["paths"]:
            with open(os.path.join(folder, p), "rb") as f:
                offset_blob += f.read()
        off = 0
        for spec in group["weights"]:
            if spec["dtype"] != "float32":
                raise ValueError(f"unexpected dtype {spec['dtype']}")
            n = int(np.prod(spec["shape"]))
            weights[spec["name"]] = np.frombuffer(offset_blob, "<f4", n, off).reshape(spec["shape"]).astype(np.float64)
            off += 4 * n
        if off != len(offset_blob):
            raise ValueError(f"weights use {off} bytes, shards hold {len(offset_blob)}")
        offset_blob = b""
    act = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "linear": lambda v: v}
    h = x.astype(np.float64)
    for layer in model_json["modelTopology"]["config"]["layers"]:
        cls, cfg = layer["class_name"], layer["config"]
        if cls == "InputLayer":
            if list(h.shape[1:]) != cfg["batch_input_shape"][1:]:
                raise ValueError(f"input shape {h.shape} vs {cfg['batch_input_shape']}")
        elif cls == "Conv2D":
            assert cfg["padding"] == "valid" and cfg["strides"] == [1, 1] and cfg["data_format"] == "channels_last"
            k, b = weights[cfg["name"] + "/kernel"], weights[cfg["name"] + "/bias"]
            win = np.lib.stride_tricks.sliding_window_view(h, k.shape[:2], axis=(1, 2))  # N,H',W',C,kh,kw
            h = act[cfg["activation"]](np.einsum("nhwcij,ijco->nhwo", win, k, optimize=True) + b)
        elif cls == "MaxPooling2D":
            assert cfg["padding"] == "valid" and cfg["pool_size"] == cfg["strides"] == [2, 2]
            n, hh, ww, c = h.shape
            h = h[:, : hh // 2 * 2, : ww // 2 * 2].reshape(n, hh // 2, 2, ww // 2, 2, c).max(axis=(2, 4))
        elif cls == "Flatten":
            h = h.reshape(h.shape[0], -1)  # NHWC → H, W, C order, as Keras
        elif cls == "Dense":
            h = act[cfg["activation"]](h @ weights[cfg["name"] + "/kernel"] + weights[cfg["name"] + "/bias"])
        else:
            raise ValueError(f"unexpected layer {cls}")
    return h


# --- reference data, config, card ------------------------------------------------------------------------------------

def _nodule_json(n: synth.Nodule) -> dict:
    return {"diameter_mm": round(n.diameter_mm, 2), "hu": round(n.hu, 1), "x_mm": round(n.x, 2), "y_mm": round(n.y, 2)}


def write_reference(net: NoduleNet, test: dict, pte: np.ndarray, threshold: float, folder: str) -> dict:
    os.makedirs(folder, exist_ok=True)
    nhwc = preprocess.to_nhwc(test["x"][:REFERENCE_COUNT])
    probs = torch_probabilities(net, nhwc)
    nhwc.astype("<f4").tofile(os.path.join(folder, "inputs.f32"))
    _json_dump({
        "description": "Held-out synthetic slices (seed 2, slices 0..15), preprocessed; probabilities from torch.",
        "inputFile": "inputs.f32", "inputShape": list(nhwc.shape), "inputDtype": "float32", "byteOrder": "little",
        "layout": "NHWC", "shape": [len(probs), 1], "probabilities": [float(p) for p in probs],
        "labels": [int(v) for v in test["y"][:REFERENCE_COUNT]], "threshold": threshold, "tolerance": TOLERANCE,
        "seed": synth.TEST_SEED, "slices": list(range(REFERENCE_COUNT)),
    }, os.path.join(folder, "outputs.json"))

    # Raw HU slices: the first two negatives and two positives after the reference block that the model gets right
    # with a margin of 0.2 from the threshold, so the end-to-end test also shows the decision.
    chosen = {0: [], 1: []}
    for i in range(REFERENCE_COUNT, len(pte)):
        label = int(test["y"][i])
        if len(chosen[label]) < HU_REFERENCE_COUNT // 2 and (pte[i] - threshold) * (1 if label else -1) > 0.2:
            chosen[label].append(i)
    picks = sorted(chosen[0] + chosen[1])
    slices, meta = [], []
    for i in picks:
        hu, label, nodules = synth.make_slice(synth.TEST_SEED, i)
        slices.append(hu)
        meta.append({"seed": synth.TEST_SEED, "slice": i, "label": label, "nodules": [_nodule_json(n) for n in nodules]})
    hu_stack = np.stack(slices).astype("<i2")
    gray = np.stack([preprocess.preprocess_gray(h) for h in slices])
    probs = torch_probabilities(net, preprocess.to_nhwc(gray))
    for m, p, g in zip(meta, probs, gray):
        m["probability"] = float(p)
        m["preprocessedMean"] = float(g.astype(np.float64).mean())
    hu_stack.tofile(os.path.join(folder, "hu_slices.i16"))
    gray.astype("<f4").tofile(os.path.join(folder, "hu_slices_preprocessed.f32"))
    _json_dump({
        "description": "Raw synthetic CT slices in Hounsfield units (no rescale needed) with the probability that "
                       "preprocess.py + the model give; for an end-to-end check of the gateway's own preprocessing.",
        "file": "hu_slices.i16", "dtype": "int16", "byteOrder": "little", "units": "HU",
        "shape": list(hu_stack.shape), "rows": int(hu_stack.shape[1]), "columns": int(hu_stack.shape[2]),
        "pixelSpacingMm": [synth.PIXEL_MM, synth.PIXEL_MM],
        "preprocessedFile": "hu_slices_preprocessed.f32", "preprocessedShape": [len(picks), 100, 100],
        "preprocessedDtype": "float32",
        "preprocessing": {"window": {"center": preprocess.WINDOW_CENTER, "width": preprocess.WINDOW_WIDTH},
                          "formula": "clamp((hu - (center - width/2)) / width, 0, 1)",
                          "resize": "bilinear, half-pixel centres (align_corners=false), no antialiasing",
                          "channels": 3, "layout": "NHWC"},
        "tolerance": {"preprocessedPixel": 1e-5, "probability": 1e-3,
                      "note": "1e-3 leaves room for another resize; the formula in preprocess.py lands within ~1e-5"},
        "threshold": threshold, "slices": meta,
    }, os.path.join(folder, "hu_slices.json"))
    return {"hu_slices": picks}


def model_config(threshold: float) -> dict:
    return {
        "id": MODEL_ID, "version": MODEL_VERSION, "format": "onnx",
        "path": "model.onnx", "tfjsPath": "tfjs/model.json",
        "appliesTo": {"modalities": ["CT"], "bodyParts": ["CHEST", "LUNG", ""],
                      "sopClasses": ["1.2.840.10008.5.1.4.1.1.2"]},
        "input": {"width": 100, "height": 100, "channels": 3, "layout": "NHWC",
                  "window": {"center": -600, "width": 1500}, "normalize": {"min": 0, "max": 1}, "resize": "bilinear"},
        "output": {"labels": ["nodule"], "threshold": threshold},
        "finding": dict(FINDING),
    }


def _card_metrics(metrics: dict) -> str:
    t, v, t5 = metrics["test"], metrics["validation"], metrics["test_at_0.5"]
    rows = [
        "| set | n (pos/neg) | AUC | threshold | sensitivity | specificity | accuracy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    sets = [("validation (seed 1, held back)", v), ("**test (seed 2, held out)**", t)]
    if t5["threshold"] != t["threshold"]:
        sets.append(("test at 0.5", t5))
    for name, m in sets:
        rows.append(f"| {name} | {m['n']} ({m['positives']}/{m['negatives']}) | {m['auc']:.4f} | {m['threshold']} "
                    f"| {m['sensitivity']:.4f} ({m['tp']}/{m['positives']}) "
                    f"| {m['specificity']:.4f} ({m['tn']}/{m['negatives']}) | {m['accuracy']:.4f} |")
    rows += ["", "Test sensitivity at the threshold by the largest nodule on the slice:", "",
             "| largest nodule | n | sensitivity |", "| --- | --- | --- |"]
    for band, s in metrics["test_sensitivity_by_largest_nodule_mm"].items():
        sens = "–" if s["sensitivity"] is None else f"{s['sensitivity']:.3f}"
        rows.append(f"| {band} mm | {s['n']} | {sens} |")
    rows += ["", f"Kept epoch {metrics['kept_epoch']} of {metrics['training']['epochs']} (lowest validation loss). "
             f"Versions: torch {metrics['versions']['torch']}, numpy {metrics['versions']['numpy']}, "
             f"Python {metrics['versions']['python']}."]
    return "\n".join(rows)


def update_card(metrics: dict, path: str) -> None:
    begin, end = "<!-- metrics:begin (written by export.py) -->", "<!-- metrics:end -->"
    if not os.path.exists(path):
        return
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        raise ValueError(f"{path} lacks the metrics markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + _card_metrics(metrics) + "\n" + end + tail)


def export_all(net: NoduleNet, test: dict, pte: np.ndarray, metrics: dict, out: str) -> None:
    net = net.eval()
    threshold = metrics["threshold"]
    onnx_path = os.path.join(out, "model.onnx")
    tfjs_dir = os.path.join(out, "tfjs")
    export_onnx(net, onnx_path)
    export_tfjs(net, tfjs_dir)
    picks = write_reference(net, test, pte, threshold, os.path.join(out, "reference"))

    # Every export against torch, from the written files only.
    check = preprocess.to_nhwc(test["x"][:64])
    ref = torch_probabilities(net, check).astype(np.float64)
    d_onnx = float(np.abs(run_onnx_numpy(onnx_path, check)[:, 0] - ref).max())
    d_tfjs = float(np.abs(run_tfjs_numpy(tfjs_dir, check)[:, 0] - ref).max())
    print(f"max |Δp| over 64 held-out slices: onnx(numpy) {d_onnx:.2e}, tfjs(numpy) {d_tfjs:.2e}", flush=True)
    if max(d_onnx, d_tfjs) > TOLERANCE:
        raise SystemExit(f"export mismatch above {TOLERANCE}: onnx {d_onnx}, tfjs {d_tfjs}")
    metrics = dict(metrics, export_check={"slices": 64, "max_abs_diff_onnx_numpy": d_onnx,
                                          "max_abs_diff_tfjs_numpy": d_tfjs, "tolerance": TOLERANCE}, reference=picks)
    _json_dump(model_config(threshold), os.path.join(out, "model-config.json"))
    _json_dump(metrics, os.path.join(out, "metrics.json"))
    update_card(metrics, os.path.join(out, "MODEL_CARD.md"))
    for rel in ("model.onnx", "tfjs/model.json", "tfjs/group1-shard1of1.bin", "reference/inputs.f32",
                "reference/hu_slices.i16", "reference/hu_slices_preprocessed.f32"):
        print(f"{rel}: {os.path.getsize(os.path.join(out, rel)):,} bytes")


def main() -> None:
    import train

    data_dir = os.path.join(HERE, ".data")
    with open(os.path.join(data_dir, "train-metrics.json")) as f:
        metrics = json.load(f)
    net = NoduleNet()
    net.load_state_dict(torch.load(os.path.join(data_dir, "weights.pt")))
    count = int(metrics["data"]["test"]["slices"].split("..")[1]) + 1
    test = train.build_dataset(synth.TEST_SEED, count, 2, data_dir)
    pte = train.predict(net, test["x"])
    export_all(net, test, pte, metrics, HERE)


if __name__ == "__main__":
    main()
