/** Floating-point operations per image, counted from a model's layers (1 multiply-add = 2 FLOPs). */

/** What the count needs from one layer: its class, output shape (batch first) and kernel shape, if any. */
export interface LayerShape {
  className: string;
  outputShape: ReadonlyArray<number | null>;
  kernelShape?: readonly number[];
}

/** Layers whose kernel is applied once per output position: Keras kernels end in the output channels. */
const KERNEL_LAYERS = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'Dense']);

/**
 * Counts multiply-adds of convolution and dense layers only (as the research numbers do): per output position,
 * the kernel's full size. Conv2D 3×3×3→32 on a 98×98 output: 98·98·3·3·3·32 = 8.3 M. Pooling, activations and
 * biases are under 1 % here and left out. Returns FLOPs (2 × MACs) per image.
 */
export function countFlopsPerImage(layers: readonly LayerShape[]): number {
  let macs = 0;
  for (const layer of layers) {
    if (!KERNEL_LAYERS.has(layer.className) || layer.kernelShape === undefined) continue;
    // Positions: every output dim between batch and channels (H×W for Conv2D, 1 for Dense).
    const positions = layer.outputShape.slice(1, -1).reduce<number>((acc, d) => acc * (d ?? 1), 1);
    const kernel = layer.kernelShape.reduce((acc, d) => acc * d, 1);
    // Depthwise kernels are [kh, kw, in, multiplier]: one multiply per element, which the product already is.
    macs += positions * kernel;
  }
  return 2 * macs;
}
