/**
 * End to end with Orthanc as the PACS and a destination that lists `sr`, `kos` and `summary`: the routed study comes
 * back with the SR, the KOS and the summary image in the same study; the KOS and the summary pass dciodvfy with
 * zero errors; Orthanc's own rendering of the summary (its preview PNG) shows the text bands; the status page's API
 * serves the summary as PNG (the same picture); Orthanc routing the study back causes no second analysis.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { autoRoutingOrthanc, sendThroughOrthanc, startGatewayBehindOrthanc, type RoutedPair } from '../helpers/orthanc-routing.js';
import { requirePeers, run } from '../helpers/peers.js';
import { decodePng } from '../helpers/png.js';

const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');

interface Tags { Modality: string; StudyInstanceUID: string; SOPClassUID: string; SOPInstanceUID: string }

describe('e2e: SR, KOS and summary image reach Orthanc in the same study', function () {
  this.timeout(180_000);
  let pair: RoutedPair;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'dciodvfy', 'cc');
    pair = await startGatewayBehindOrthanc(autoRoutingOrthanc, ['sr', 'kos', 'summary']);
  });
  after(async () => {
    await pair?.stop();
    runCleanups();
  });

  it('delivers the three objects, each valid, and the summary renders with its text', async () => {
    const { gw, orthanc } = pair;
    const study = await sendThroughOrthanc(pair, SAMPLE, 'DEMOACC001');
    expect(study.ai[0]?.flagged).to.equal(true);
    const byModality = await waitFor('Orthanc to hold 16 images, the SR, the KOS and the summary', async () => {
      const studies = await orthanc.getJson<Array<{ ID: string; MainDicomTags: Record<string, string> }>>('/studies?expand');
      const id = studies.find((s) => s.MainDicomTags.StudyInstanceUID === study.studyInstanceUid)?.ID;
      if (id === undefined) return undefined;
      const instances = await orthanc.getJson<Array<{ ID: string }>>(`/studies/${id}/instances`);
      if (instances.length !== 19) return undefined;
      const out: Record<string, { id: string; tags: Tags }> = {};
      for (const inst of instances) {
        const tags = await orthanc.getJson<Tags>(`/instances/${inst.ID}/simplified-tags`);
        if (tags.Modality !== 'CT') out[tags.Modality] = { id: inst.ID, tags };
      }
      return out;
    }, 60_000);
    expect(Object.keys(byModality).sort()).to.deep.equal(['KO', 'OT', 'SR']);
    expect(byModality.KO?.tags.SOPClassUID).to.equal('1.2.840.10008.5.1.4.1.1.88.59');
    expect(byModality.OT?.tags.SOPClassUID).to.equal('1.2.840.10008.5.1.4.1.1.7');
    for (const o of Object.values(byModality)) expect(o.tags.StudyInstanceUID).to.equal(study.studyInstanceUid);

    // dciodvfy on the bytes Orthanc stored
    const dir = tempDir('pag-e2e-kos-');
    for (const modality of ['KO', 'OT']) {
      const file = join(dir, `${modality}.dcm`);
      writeFileSync(file, Buffer.from(await (await fetch(orthanc.url(`/instances/${byModality[modality]?.id}/file`))).arrayBuffer()));
      const v = await run('dciodvfy', [file]);
      const lines = `${v.stdout}\n${v.stderr}`.split('\n');
      expect(lines.filter((l) => l.startsWith('Error')), `${modality}: ${v.stderr}`).to.deep.equal([]);
    }

    // Orthanc's rendering: the bands above and below the slice hold white text on black
    const preview = decodePng(new Uint8Array(await (await fetch(orthanc.url(`/instances/${byModality.OT?.id}/preview`), { headers: { accept: 'image/png' } })).arrayBuffer()));
    expect(preview.width).to.equal(512);
    const whiteIn = (y0: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < preview.width; x++) if (preview.rgb.subarray((y * preview.width + x) * 3, (y * preview.width + x) * 3 + 3).every((v) => v === 255)) n += 1;
      return n / ((y1 - y0) * preview.width);
    };
    expect(whiteIn(8, 36), 'headline band').to.be.above(0.1);
    expect(whiteIn(preview.height - 64, preview.height - 8), 'disclaimer band').to.be.above(0.1);
    const redRow = (y: number): boolean => {
      for (let x = 0; x < preview.width; x++) {
        const i = (y * preview.width + x) * 3;
        if (preview.rgb[i] !== 176 || preview.rgb[i + 1] !== 0 || preview.rgb[i + 2] !== 0) return false;
      }
      return true;
    };
    expect(Array.from({ length: 80 }, (_, k) => preview.height - 1 - k).filter(redRow).length, 'rows of the disclaimer band, red edge to edge').to.be.above(4);

    // the region the occlusion map found on the top slice is outlined in yellow (SummaryColours.outline)
    let yellow = 0;
    for (let i = 0; i < preview.rgb.length; i += 3) if (preview.rgb[i] === 255 && preview.rgb[i + 1] === 255 && preview.rgb[i + 2] === 0) yellow += 1;
    expect(yellow, 'outline pixels in Orthanc\'s preview').to.be.above(40);

    // the status page's PNG of the summary is the same picture Orthanc renders
    const views = await gw.getJson<Array<{ studyInstanceUid: string; ai: Array<{ summaryImage: string | null }> }>>('/api/studies');
    const path = views.body.find((s) => s.studyInstanceUid === study.studyInstanceUid)?.ai[0]?.summaryImage;
    expect(path).to.equal(`/api/studies/${study.studyInstanceUid}/summary/${byModality.OT?.tags.SOPInstanceUID}.png`);
    const ours = decodePng(new Uint8Array(await (await fetch(`http://127.0.0.1:${gw.httpPort}${path}`)).arrayBuffer()));
    expect(Buffer.from(ours.rgb).equals(Buffer.from(preview.rgb))).to.equal(true);

    // Orthanc routes the study back with our three objects: indexed, not analysed again, nothing sent twice
    await waitFor('the routed-back objects to be indexed', async () => {
      const s = (await gw.getJson<Array<{ studyInstanceUid: string; instanceCount: number }>>('/api/studies')).body.find((x) => x.studyInstanceUid === study.studyInstanceUid);
      return s !== undefined && s.instanceCount === 19;
    }, 60_000);
    const later = await sendThroughOrthanc(pair, join(REPO_ROOT, 'sample-dicom', 'DEMO002-negative'), 'DEMOACC002');
    expect(later.studyInstanceUid).to.not.equal(study.studyInstanceUid);
    const db = new Database(join(gw.dataDir, 'gateway.sqlite'), { readonly: true });
    const jobs = db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE study_instance_uid = ?').get(study.studyInstanceUid) as { n: number };
    const rows = db.prepare('SELECT state FROM outbox WHERE study_instance_uid = ?').all(study.studyInstanceUid) as Array<{ state: string }>;
    db.close();
    expect(jobs.n, 'analysis jobs').to.equal(1);
    expect(rows.map((r) => r.state)).to.deep.equal(['delivered', 'delivered', 'delivered']);
  });
});
