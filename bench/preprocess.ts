/**
 * bench:preprocess — decode + modality LUT + lung window + resize of 512×512 16-bit CT slices to the demo model's
 * 100×100×3 NHWC input, per transfer syntax, side by side in one run with a reference doing the same work:
 * pydicom + numpy (the model card's formula, vectorised) for uncompressed and RLE, where pydicom has a decoder;
 * DCMTK `dcmj2pnm` / `dcml2pnm` (decode, window, scale to 100×100; one process per file, start-up included) for
 * JPEG lossless and JPEG-LS, which Debian's pydicom cannot decode.
 * Files are read into memory first: disk I/O is not timed on either side.
 * Usage: npm run bench:preprocess [-- --count N --seconds S]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrames, type DecodedImage, type TensorSpec } from '../src/imaging/index.js';
import { preprocessForModel, tensorSize } from '../src/imaging/to-tensor.js';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg('--count', 64);
const SECONDS = arg('--seconds', 2);
const PY = '/usr/bin/python3';

/** The demo model's input (models/chest-ct-nodule-demo/model-config.json). */
const SPEC: TensorSpec = { width: 100, height: 100, channels: 3, layout: 'NHWC', window: { center: -600, width: 1500 }, normalize: { min: 0, max: 1 } };

interface Variant {
  label: string;
  dir: string;
  encode?: [string, string[]];
  /** pydicom + numpy, or a DCMTK renderer (dcmj2pnm for JPEG, dcml2pnm for JPEG-LS). */
  reference: 'pydicom' | 'dcmj2pnm' | 'dcml2pnm';
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString() ?? r.status}`);
}

function names(): string[] {
  return Array.from({ length: COUNT }, (_, i) => `ct${String(i + 1).padStart(4, '0')}.dcm`);
}

/** Generates the CT slices once (bench/gen_ct.py, seed 42) and each compressed copy once, cached in the temp dir. */
function prepare(): Variant[] {
  const root = join(tmpdir(), `pag-bench-preprocess-${COUNT}`);
  const source = join(root, 'explicit-le');
  const variants: Variant[] = [
    { label: 'Explicit VR LE', dir: source, reference: 'pydicom' },
    { label: 'RLE Lossless', dir: join(root, 'rle'), encode: ['dcmcrle', []], reference: 'pydicom' },
    { label: 'JPEG Lossless SV1 (.70)', dir: join(root, 'jpeg-ll'), encode: ['dcmcjpeg', []], reference: 'dcmj2pnm' },
    { label: 'JPEG-LS Lossless (.80)', dir: join(root, 'jpeg-ls'), encode: ['dcmcjpls', []], reference: 'dcml2pnm' },
  ];
  if (!names().every((n) => existsSync(join(source, n)))) {
    mkdirSync(source, { recursive: true });
    sh(PY, [join(REPO_ROOT, 'bench/gen_ct.py'), source, String(COUNT), '42']);
  }
  for (const v of variants) {
    if (v.encode === undefined) continue;
    mkdirSync(v.dir, { recursive: true });
    for (const n of names()) if (!existsSync(join(v.dir, n))) sh(v.encode[0], [...v.encode[1], join(source, n), join(v.dir, n)]);
  }
  return variants;
}

/** Runs `pass` (one pass over all slices) until `SECONDS` have passed, after one warm-up pass; slices/s. */
async function rate(pass: () => Promise<void> | void): Promise<number> {
  await pass();
  let passes = 0;
  const start = performance.now();
  do {
    await pass();
    passes++;
  } while (performance.now() - start < SECONDS * 1000);
  return (passes * COUNT) / ((performance.now() - start) / 1000);
}

async function ours(files: Buffer[]): Promise<{ total: number; decode: number; preprocess: number }> {
  const size = tensorSize(SPEC);
  const batch = new Float32Array(size * files.length);
  const decoded: DecodedImage[] = [];
  const decodeOne = async (f: Buffer): Promise<DecodedImage> => {
    const r = await decodeFrames(f);
    if (r.kind !== 'decoded') throw new Error(`undecodable: ${r.reason}`);
    return r;
  };
  const total = await rate(async () => {
    for (let i = 0; i < files.length; i++) preprocessForModel(await decodeOne(files[i] as Buffer), SPEC, { out: batch, offset: i * size });
  });
  const decode = await rate(async () => {
    decoded.length = 0;
    for (const f of files) decoded.push(await decodeOne(f));
  });
  const preprocess = await rate(() => {
    decoded.forEach((d, i) => preprocessForModel(d, SPEC, { out: batch, offset: i * size }));
  });
  return { total, decode, preprocess };
}

/** pydicom + numpy, the model card's preprocessing, vectorised; prints slices/s. */
const PYDICOM_REFERENCE = String.raw`
import io, sys, time
import numpy as np, pydicom
files = [open(p, 'rb').read() for p in sys.argv[2:]]
seconds = float(sys.argv[1])
def axis(n_in, n_out):
    src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    return i0, np.minimum(i0 + 1, n_in - 1), src - i0
r0, r1, fr = axis(512, 100); c0, c1, fc = axis(512, 100)
fr, fc = fr[:, None], fc[None, :]
def one(b):
    ds = pydicom.dcmread(io.BytesIO(b))
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    v = np.clip((hu + 1350.0) / 1500.0, 0.0, 1.0)
    top = v[r0][:, c0] * (1 - fc) + v[r0][:, c1] * fc
    bottom = v[r1][:, c0] * (1 - fc) + v[r1][:, c1] * fc
    g = (top * (1 - fr) + bottom * fr).astype(np.float32)
    return np.repeat(g[..., None], 3, axis=-1)
for b in files: one(b)
n, t0 = 0, time.perf_counter()
while True:
    for b in files: one(b)
    n += len(files)
    if time.perf_counter() - t0 >= seconds: break
print(n / (time.perf_counter() - t0))
`;

function pydicomRate(paths: string[]): number {
  const r = spawnSync(PY, ['-c', PYDICOM_REFERENCE, String(SECONDS), ...paths], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pydicom reference failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** dcmj2pnm/dcml2pnm: decode, lung window (+Ww centre width), scale to 100×100 (+Sxv/+Syv), 8-bit PGM; one process a file. */
function dcmtkRate(tool: string, paths: string[]): number {
  const start = performance.now();
  for (const p of paths) sh(tool, ['+Ww', '-600', '1500', '+Sxv', '100', '+Syv', '100', p, '/dev/null']);
  return paths.length / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const variants = prepare();
  console.log(`bench:preprocess — ${COUNT} CT slices 512×512 int16 → ${SPEC.width}×${SPEC.height}×${SPEC.channels} ${SPEC.layout} float32, lung window`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]?.toFixed(1)}, ≥ ${SECONDS} s per measurement, in-memory files\n`);
  const rows: string[][] = [['transfer syntax', 'ours slices/s', 'decode only', 'window+resize only', 'reference', 'reference slices/s', 'ours / reference']];
  for (const v of variants) {
    const paths = names().map((n) => join(v.dir, n));
    const files = paths.map((p) => readFileSync(p));
    const o = await ours(files);
    const refRate = v.reference === 'pydicom' ? pydicomRate(paths) : dcmtkRate(v.reference, paths);
    const refName = v.reference === 'pydicom' ? 'pydicom 2.3 + numpy' : `${v.reference} (process per file)`;
    rows.push([v.label, o.total.toFixed(0), o.decode.toFixed(0), o.preprocess.toFixed(0), refName, refRate.toFixed(0), `${(o.total / refRate).toFixed(2)}×`]);
    console.log(`  ${v.label}: ${o.total.toFixed(0)} slices/s; ${refName}: ${refRate.toFixed(0)}`);
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  console.log('');
  rows.splice(1, 0, widths.map((w) => '-'.repeat(w)));
  for (const r of rows) console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`);
  rows.splice(1, 1);
  const uncompressed = Number(rows[1]?.[1]);
  console.log(`\ntarget ≥ 300 slices/s uncompressed, decode + window + resize: ${uncompressed >= 300 ? 'met' : 'NOT met'} (${uncompressed.toFixed(0)})`);
}

await main();
