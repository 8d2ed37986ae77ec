/**
 * docs/configuration.md documents every key of the schema: walks src/config/schema.ts and fails naming each key
 * path that has no row. Array items are written `key[].field`. Keys added on other branches show up here at merge.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../../../src/config/schema.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

/** Every key path under `schema`, unwrapping defaults, optionals, nullables and pipes; arrays add `[]`, unions merge. */
export function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodReadonly) {
    return keyPaths(schema.unwrap() as z.ZodType, prefix);
  }
  if (schema instanceof z.ZodPipe) return keyPaths(schema.in as z.ZodType, prefix);
  if (schema instanceof z.ZodArray) return keyPaths(schema.element as z.ZodType, `${prefix}[]`);
  if (schema instanceof z.ZodUnion) return [...new Set(schema.options.flatMap((o) => keyPaths(o as z.ZodType, prefix)))];
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, value]) => {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      return [path, ...keyPaths(value, path)];
    });
  }
  return [];
}

describe('docs/configuration.md', () => {
  it('the schema walk finds nested keys, array items and union members', () => {
    const paths = keyPaths(configSchema);
    expect(paths).to.include.members(['dicom.aeTitle', 'dicom.allowedPeers[].host', 'housekeeping.retention.maxAgeDays', 'models[].configFile', 'models[].id']);
  });

  it('has a row for every configuration key', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    const missing = keyPaths(configSchema).filter((p) => !documented.has(p));
    expect(missing, `keys without a row in docs/configuration.md (add "| \`key\` | type | default | meaning |")`).to.deep.equal([]);
  });

  it('documents no key the schema does not have', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    const known = new Set(keyPaths(configSchema));
    const stale = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string).filter((p) => !known.has(p));
    expect(stale, 'rows in docs/configuration.md for keys the schema lacks').to.deep.equal([]);
  });
});
