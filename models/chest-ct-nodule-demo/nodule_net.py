"""The demo nodule CNN in torch: the fixed reference architecture, and loading its weights back from model.onnx.

Input 100x100x3. Conv2D 32 3x3 ReLU, MaxPool 2x2; Conv2D 64 3x3 ReLU, MaxPool 2x2; Conv2D 128 3x3 ReLU, MaxPool 2x2;
Flatten; Dense 128 ReLU; Dense 1 sigmoid. 'valid' padding (none) and stride 1 everywhere, pooling floors odd sizes,
as in Keras: 100 → 98 → 49 → 47 → 23 → 21 → 10, so Flatten gives 10*10*128 = 12,800 features.
1,731,905 parameters, 83.2 M multiply-adds (166 MFLOP) per image.
"""
from __future__ import annotations

import torch
from torch import nn

INPUT_SIZE = 100
CHANNELS = 3


class NoduleNet(nn.Module):
    """NCHW in, one logit out (the sigmoid is applied by NhwcProbability and by the exported models).

    pool_first=True computes relu(maxpool(conv)) instead of maxpool(relu(conv)): the same numbers, bit for bit (ReLU
    is monotone, so it commutes with max), at a quarter of the ReLU work; training uses it, the exports do not.
    """

    def __init__(self, pool_first: bool = False) -> None:
        super().__init__()
        self.pool_first = pool_first
        self.conv1 = nn.Conv2d(CHANNELS, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.conv3 = nn.Conv2d(64, 128, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(10 * 10 * 128, 128)
        self.fc2 = nn.Linear(128, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in (self.conv1, self.conv2, self.conv3):
            x = torch.relu(self.pool(conv(x))) if self.pool_first else self.pool(torch.relu(conv(x)))
        x = torch.flatten(x, 1)  # torch order: C, H, W
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


class NhwcProbability(nn.Module):
    """What both exported models compute: NHWC float32 [N,100,100,3] in, probability [N,1] out."""

    def __init__(self, net: NoduleNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x.permute(0, 3, 1, 2)))


def load_from_onnx(path: str) -> NoduleNet:
    """Rebuild the torch net from the initializers of an exported model.onnx (names as torch.onnx.export wrote them)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    net = NoduleNet()
    state = {}
    for key in net.state_dict():
        name = "net." + key
        if name not in weights:
            raise KeyError(f"{path} has no initializer {name}; was it exported by export.py?")
        state[key] = torch.from_numpy(weights[name].copy())
    net.load_state_dict(state)
    return net.eval()


def parameter_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
