/**
 * Reading naturalized dcmjs datasets, which arrive as `unknown`, into typed values. Every failure is a
 * GW_ERR_DATASET_UNREADABLE naming the attribute path, so a parser error says where the dataset went wrong.
 */
import { GatewayError } from '../../errors.js';

/** A naturalized dcmjs dataset or sequence item: attribute keywords to values. */
export type Naturalized = Record<string, unknown>;

/** The error every SR parser throws on input it cannot read. */
export function malformed(path: string, what: string): GatewayError {
  return new GatewayError(
    'GW_ERR_DATASET_UNREADABLE',
    `SR dataset ${path}: ${what}; the object is not a DICOM SR this gateway can read (damaged, or written by another template)`,
    { context: { field: path } },
  );
}

export function isRecord(value: unknown): value is Naturalized {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown, path: string): Naturalized {
  if (!isRecord(value)) throw malformed(path, 'expected a dataset item');
  return value;
}

/** The items of a sequence attribute; missing or empty gives `[]`. */
export function sequence(item: Naturalized, key: string, path: string): Naturalized[] {
  const value = item[key];
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => asRecord(v, `${path}.${key}[${i}]`));
}

/** The only item of a sequence that must hold exactly one. */
export function single(item: Naturalized, key: string, path: string): Naturalized {
  const items = sequence(item, key, path);
  const first = items[0];
  if (items.length !== 1 || first === undefined) throw malformed(`${path}.${key}`, `expected exactly one item, found ${items.length}`);
  return first;
}

/** A single-valued string attribute, trimmed of DICOM padding; undefined when absent or empty. */
export function optionalString(item: Naturalized, key: string, path: string): string | undefined {
  let value = item[key];
  if (Array.isArray(value)) {
    if (value.length > 1) throw malformed(`${path}.${key}`, `expected one value, found ${value.length}`);
    value = value[0];
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw malformed(`${path}.${key}`, 'expected a string value');
  const trimmed = value.replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return trimmed === '' ? undefined : trimmed;
}

export function requiredString(item: Naturalized, key: string, path: string): string {
  const value = optionalString(item, key, path);
  if (value === undefined) throw malformed(`${path}.${key}`, 'required value is missing');
  return value;
}

/** A single-valued numeric attribute (DS, IS, FD): dcmjs gives numbers, or strings for raw values. */
export function optionalNumber(item: Naturalized, key: string, path: string): number | undefined {
  let value = item[key];
  if (Array.isArray(value)) {
    if (value.length > 1) throw malformed(`${path}.${key}`, `expected one value, found ${value.length}`);
    value = value[0];
  }
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(n)) throw malformed(`${path}.${key}`, 'expected a finite number');
  return n;
}

/** A multi-valued numeric attribute (e.g. Referenced Frame Number). */
export function numberList(item: Naturalized, key: string, path: string): number[] {
  const value = item[key];
  if (value === undefined || value === null || value === '') return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
    if (!Number.isFinite(n)) throw malformed(`${path}.${key}[${i}]`, 'expected a number');
    return n;
  });
}
