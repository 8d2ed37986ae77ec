/** The WASM codecs of dcmjs-codecs (libjpeg-turbo, CharLS, OpenJPEG) behind one call per frame, loaded once. */
import dcmjsCodecs from 'dcmjs-codecs';
import { TransferSyntax } from '../dicom/index.js';

const { NativeCodecs, Context } = dcmjsCodecs;

type DecoderName = 'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000';

/**
 * Which WASM decoder reads which transfer syntax. dcmjs-codecs' Transcoder has no entry for JPEG extended (.51) or
 * JPEG lossless process 14 with any predictor (.57), but its libjpeg-turbo decoder reads both: 12-bit DCT and
 * lossless predictors 1–7 (tested in test/interop/imaging-decode.test.ts against dcmdjpeg).
 */
const DECODERS: ReadonlyMap<string, DecoderName> = new Map([
  [TransferSyntax.JpegBaseline, 'decodeJpeg'],
  [TransferSyntax.JpegExtended, 'decodeJpeg'],
  [TransferSyntax.JpegLossless, 'decodeJpeg'],
  [TransferSyntax.JpegLosslessSV1, 'decodeJpeg'],
  [TransferSyntax.JpegLsLossless, 'decodeJpegLs'],
  [TransferSyntax.JpegLsNearLossless, 'decodeJpegLs'],
  [TransferSyntax.Jpeg2000Lossless, 'decodeJpeg2000'],
  [TransferSyntax.Jpeg2000, 'decodeJpeg2000'],
]);

/** Whether a WASM decoder here reads this transfer syntax (RLE and the native syntaxes are decoded elsewhere). */
export function hasCodecFor(transferSyntaxUid: string): boolean {
  return DECODERS.has(transferSyntaxUid);
}

export interface FrameDescription {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
}

/** Decoded samples (little-endian words) and the description the codec reports for them. */
export type CodecResult = { kind: 'ok'; bytes: Uint8Array; decoded: FrameDescription } | { kind: 'failed'; reason: string };

let loading: Promise<void> | undefined;
let needsReload = false;

/**
 * Loads the 4 MB WASM module the first time, and again after a decoder trapped (a WASM RuntimeError can leave the
 * module's heap half-updated; a fresh instance is cheaper than doubt). Rejects if the module cannot load.
 */
export function loadCodecs(): Promise<void> {
  if (needsReload && NativeCodecs.isInitialized()) {
    needsReload = false;
    NativeCodecs.release();
    loading = undefined;
  }
  loading ??= NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false }).catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** Decodes one compressed frame; `loadCodecs()` must have resolved. Never throws. */
export function decodeFrameWithCodec(transferSyntaxUid: string, frame: Uint8Array, description: FrameDescription): CodecResult {
  const decoder = DECODERS.get(transferSyntaxUid);
  if (decoder === undefined) return { kind: 'failed', reason: `no codec for transfer syntax ${transferSyntaxUid}` };
  try {
    const context = new Context({
      width: description.columns,
      height: description.rows,
      bitsAllocated: description.bitsAllocated,
      bitsStored: description.bitsStored,
      samplesPerPixel: description.samplesPerPixel,
      pixelRepresentation: description.pixelRepresentation,
      planarConfiguration: description.planarConfiguration,
      photometricInterpretation: description.photometricInterpretation,
    });
    context.setEncodedBuffer(frame);
    // libjpeg converts YCbCr to RGB only when asked; the colour space in the JPEG stream decides (T.81, JFIF).
    const out = NativeCodecs[decoder](context, decoder === 'decodeJpeg' ? { convertColorspaceToRgb: description.samplesPerPixel === 3 } : {});
    const bytes = out.getDecodedBuffer();
    if (bytes === undefined) return { kind: 'failed', reason: `${decoder} returned no pixels` };
    return {
      kind: 'ok',
      bytes,
      decoded: {
        rows: out.getHeight() ?? description.rows,
        columns: out.getWidth() ?? description.columns,
        samplesPerPixel: out.getSamplesPerPixel() ?? description.samplesPerPixel,
        bitsAllocated: out.getBitsAllocated() ?? description.bitsAllocated,
        bitsStored: out.getBitsStored() ?? description.bitsStored,
        pixelRepresentation: out.getPixelRepresentation() ?? description.pixelRepresentation,
        planarConfiguration: out.getPlanarConfiguration() ?? 0,
        photometricInterpretation: out.getPhotometricInterpretation() ?? description.photometricInterpretation,
      },
    };
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) needsReload = true;
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'failed', reason: `${decoder} failed: ${message.trim()}` };
  }
}
