/** Public API of the pixel pipeline: decode any stored image to stored values, then preprocess it for a model. */
export { decodeFrames, type DecodeOptions } from './decode-frames.js';

export {
  type DecodeResult,
  type DecodedImage,
  type ImageMeta,
  type StoredPixelArray,
  type UndecodableCause,
  type VoiLutFunction,
} from './types.js';
export { type ModalityRescale } from './modality-lut.js';
export { type VoiWindow, type WindowPreset } from './voi-window.js';
export { type ResizeAxis, type ResizeOptions } from './resize.js';
export { type PreprocessOptions, type TensorSpec } from './to-tensor.js';
export { type PreparedSlices } from './slice-prep.js';
export { inputToImagePoints, type SourceGrid } from './input-to-image.js';
export { SlicePreparer } from './slice-prep-pool.js';
export { encodePngRgb } from './png.js';
