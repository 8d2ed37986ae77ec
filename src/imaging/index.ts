/** Public API of the pixel pipeline: decode any stored image to stored values, then preprocess it for a model. */
export { decodeFrames, type DecodeOptions } from './decode-frames.js';
export { loadCodecs } from './codecs.js';
export {
  UNDECODABLE_CAUSES,
  VOI_LUT_FUNCTIONS,
  type DecodeResult,
  type DecodedImage,
  type ImageMeta,
  type StoredPixelArray,
  type UndecodableCause,
  type VoiLutFunction,
} from './types.js';
export { applyModalityLut, modalityRescale, modalityRange, type ModalityRescale } from './modality-lut.js';
export { applyVoiWindow, resolveWindow, voiToUnit, windowAffine, type VoiWindow, type WindowPreset } from './voi-window.js';
export { bilinearAxis, resizeBilinear, type ResizeAxis, type ResizeOptions } from './resize.js';
export { preprocessBatch, preprocessForModel, tensorSize, type PreprocessOptions, type TensorSpec } from './to-tensor.js';
export { prepareSlices, type PreparedSlices } from './slice-prep.js';
export { inputToImageAxis, inputToImagePoints, type SourceGrid } from './input-to-image.js';
export { SlicePreparer } from './slice-prep-pool.js';
export { encodePngRgb, crc32 } from './png.js';
