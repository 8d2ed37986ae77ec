/** Turns the config's `models:` entries into loadable specs (absolute paths) and the set of demo models. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelSpecFile, resolveModelPaths, type ModelSpec } from '../../ai/index.js';
import type { ModelEntry } from '../../config/index.js';

/** The package root (dist/src/flows/images → ../../../..), where the shipped demo model lives. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The shipped demo model: used when the config has no `models:` key. */
export const DEFAULT_MODEL_ENTRIES: readonly ModelEntry[] = [
  { configFile: join(PACKAGE_ROOT, 'models', 'chest-ct-nodule-demo', 'model-config.json'), demo: true },
];

export function resolveModelEntries(entries: readonly ModelEntry[] | undefined): { specs: ModelSpec[]; demoModels: Set<string> } {
  const specs: ModelSpec[] = [];
  const demoModels = new Set<string>();
  for (const entry of entries ?? DEFAULT_MODEL_ENTRIES) {
    let spec: ModelSpec;
    if ('configFile' in entry) {
      const file = resolve(entry.configFile);
      spec = resolveModelPaths(loadModelSpecFile(file), dirname(file));
      if (entry.destinations !== undefined) spec = { ...spec, destinations: entry.destinations };
      if (entry.providers !== undefined) spec = { ...spec, providers: entry.providers };
    } else {
      const { demo: _demo, ...inline } = entry;
      spec = resolveModelPaths(inline, process.cwd());
    }
    if (entry.demo) demoModels.add(spec.id);
    specs.push(spec);
  }
  return { specs, demoModels };
}
