/**
 * What `check-config` says about a valid configuration beyond "OK": for each DICOM destination, which result objects
 * it receives, in words, with the `reportSr` alias and a KOS sent without its SR pointed out.
 */
import type { GatewayConfig, ResultObject } from './schema.js';

const MEANING: Record<ResultObject, string> = {
  sr: 'the AI result SR (TID 1500)',
  kos: 'a Key Object Selection of the key slices and the SR',
  summary: 'a summary image (Secondary Capture) with the finding drawn on the top slice',
  'report-sr': "the report's findings as an SR",
};

/** One line per destination and one per remark, for a config that passed validation. */
export function explainConfig(config: Pick<GatewayConfig, 'dicom'>): string[] {
  return config.dicom.destinations.flatMap((d, i) => {
    const at = `dicom.destinations.${i} (${d.name})`;
    const lines = [`${at} receives: ${d.results.map((r) => `${r} (${MEANING[r]})`).join(', ')}`];
    if (d.results.includes('report-sr')) lines.push(`  reportSr: true is the same as adding 'report-sr' to results; either spelling works`);
    if (d.results.includes('kos') && !d.results.includes('sr')) lines.push(`  note: the KOS references the AI SR, which this destination does not receive; add 'sr' unless the PACS refuses SRs`);
    return lines;
  });
}
