/**
 * The status page in real headless Chromium (Debian `chromium`, driven by playwright-core), against a gateway
 * that requires a token: the page asks for it; shows the studies dcmsend sent with their AI flags; filters
 * and sorts; prints a markup-laden accession number as text; and its Resend button delivers a dead letter
 * once a real storescp listens where the PACS was down.
 */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dcmsend, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { REPO_ROOT, freePort, listFiles, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'c0ffee00d15ea5e5ba5eba11facade42';
const auth = { authorization: `Bearer ${TOKEN}` };
/** Fits SH (16 chars); would be an <i> element if the page ever parsed values as HTML. */
const HOSTILE_ACCESSION = '<i>X&amp;Y</i>';

const sampleFiles = (name: string): string[] => {
  const dir = join(REPO_ROOT, 'sample-dicom', name);
  return readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f));
};

interface StudyJson { studyInstanceUid: string; accessionNumber: string; status: string; ai: Array<{ flagged: boolean }> }
interface OutboxJson { id: number; studyInstanceUid: string; state: string }

describe('interop: status page in headless Chromium', function () {
  this.timeout(240_000);
  let gw: TestGateway;
  let browser: Browser | undefined;
  let page: Page;
  let pacsPort: number;
  let storescp: Storescp | undefined;
  /** Script errors and console errors (a CSP violation is one): the page must have none. */
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => (await (await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { headers: auth })).json()) as T;
  const accessions = (): Promise<string[]> => page.locator('#studies-body tr[data-accession]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-accession') ?? ''));

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} missing under CI (.ci/run must apt-get install chromium)`);
      console.log(`      skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
      this.skip();
    }
    requirePeers(this, 'dcmsend', 'dcmodify', 'storescp', 'echoscu', 'cc');
    // The PACS is down (nothing on its port) and one attempt is allowed: every SR and summary becomes a dead letter.
    pacsPort = await freePort();
    gw = await startGateway({
      http: { authToken: TOKEN },
      dicom: { destinations: [{ name: 'pacs', aeTitle: 'STATUSSCP', host: '127.0.0.1', port: pacsPort, results: ['sr', 'summary'] }] },
      outbox: { maxAttempts: 1, connectTimeoutMs: 2000 },
    });
    const hostile = join(tempDir('pag-hostile-'), 'hostile.dcm');
    const copied = await run('cp', [sampleFiles('DEMO002-negative')[0] as string, hostile]);
    expect(copied.code).to.equal(0);
    // a study of its own (new Study/Series/SOP Instance UIDs) whose accession number is markup
    const modified = await run('dcmodify', ['-nb', '-gst', '-gse', '-gin', '-m', `(0008,0050)=${HOSTILE_ACCESSION}`, hostile]);
    expect(modified.code, modified.stderr).to.equal(0);
    for (const files of [sampleFiles('DEMO001-nodule'), sampleFiles('DEMO002-negative'), [hostile]]) {
      const sent = await dcmsend(gw.dicomPort, files);
      expect(sent.code, sent.stderr).to.equal(0);
    }
    await waitFor('three studies analysed and their SRs and summaries dead-lettered', async () => {
      const rows = await api<OutboxJson[]>('/api/outbox');
      return rows.length === 6 && rows.every((r) => r.state === 'dead');
    }, 180_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // 401 answers before sign-in are expected, and Chromium logs each failed fetch as a console error
    page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && pageErrors.push(m.text()));
  });
  after(async () => {
    await browser?.close();
    await storescp?.stop();
    await gw?.stop();
    runCleanups();
  });

  it('asks for the token, then shows the studies with their AI flags', async () => {
    await page.goto(`http://127.0.0.1:${gw.httpPort}/`);
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await page.locator('#auth-message').textContent()).to.contain('requires an access token');
    await page.getByLabel('Token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const nodule = page.locator('#studies-body tr[data-accession="DEMOACC001"]');
    await nodule.waitFor();
    expect(await nodule.getAttribute('data-flagged')).to.equal('yes');
    expect(await nodule.locator('.badge', { hasText: /^flagged$/ }).count()).to.equal(1);
    expect(await nodule.textContent()).to.contain('Pulmonary nodule');
    const negative = page.locator('#studies-body tr[data-accession="DEMOACC002"]');
    expect(await negative.getAttribute('data-flagged')).to.equal('no');
    expect(await negative.locator('.badge', { hasText: /^not flagged$/ }).count()).to.equal(1);
    const destination = page.locator('#destinations-body tr[data-destination="pacs"]');
    expect(await destination.textContent()).to.contain(`STATUSSCP@127.0.0.1:${pacsPort}`).and.to.contain('dead letters');
  });

  it('shows the flagged study’s summary image as a thumbnail that opens full size; the negative study shows none', async () => {
    const nodule = page.locator('#studies-body tr[data-accession="DEMOACC001"]');
    const thumb = nodule.locator('button.thumb img');
    await thumb.waitFor();
    // loaded through the token-carrying fetch: the blob decodes to the 512-px wide summary
    await waitFor('the thumbnail to load', async () => (await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)) === 512);
    expect(await thumb.evaluate((img) => (img as HTMLImageElement).getBoundingClientRect().width)).to.be.below(129);
    expect(await page.locator('#studies-body tr[data-accession="DEMOACC002"] button.thumb').count()).to.equal(0);
    await nodule.getByRole('button', { name: /^Show AI summary image: Pulmonary nodule .* full size$/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const full = dialog.locator('img');
    expect(await full.evaluate((img) => (img as HTMLImageElement).naturalWidth)).to.equal(512);
    expect(await full.evaluate((img) => (img as HTMLImageElement).getBoundingClientRect().width)).to.be.above(256);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // without the token the PNG is refused, like the rest of /api
    const path = await nodule.locator('button.thumb').getAttribute('data-summary');
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}${path}`)).status).to.equal(401);
    const png = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { headers: auth });
    expect([png.status, png.headers.get('content-type')]).to.deep.equal([200, 'image/png']);
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}${path?.replace(/\/summary\/[0-9.]+/, '/summary/1.2.3')}`, { headers: auth })).status).to.equal(404);
  });

  it('prints patient-originated text as text, never as markup', async () => {
    const row = page.locator('#studies-body tr').filter({ has: page.locator('th', { hasText: HOSTILE_ACCESSION }) });
    await row.waitFor();
    expect(await page.locator('#studies-body i').count()).to.equal(0);
  });

  it('filters by AI flag, status and accession text, and sorts by a column', async () => {
    expect((await accessions()).sort()).to.deep.equal(['DEMOACC001', 'DEMOACC002', HOSTILE_ACCESSION].sort());
    await page.getByLabel('AI-flagged only').check();
    expect(await accessions()).to.deep.equal(['DEMOACC001']);
    await page.getByLabel('AI-flagged only').uncheck();
    await page.getByLabel('Accession contains').fill('acc002');
    expect(await accessions()).to.deep.equal(['DEMOACC002']);
    await page.getByLabel('Accession contains').fill('');
    await page.getByLabel('Status', { exact: true }).selectOption('receiving');
    expect(await accessions()).to.deep.equal([]);
    expect(await page.locator('#studies-body').textContent()).to.contain('No study matches the filters');
    await page.getByLabel('Status', { exact: true }).selectOption('');

    await page.getByRole('button', { name: 'Accession' }).click();
    expect(await page.locator('#studies th[data-sort="accessionNumber"]').getAttribute('aria-sort')).to.equal('descending');
    expect(await accessions()).to.deep.equal(['DEMOACC002', 'DEMOACC001', HOSTILE_ACCESSION].sort().reverse());
    await page.getByRole('button', { name: 'Accession' }).click();
    expect(await accessions()).to.deep.equal(['DEMOACC001', 'DEMOACC002', HOSTILE_ACCESSION].sort());
  });

  it('Resend delivers a dead letter once the PACS listens again; the other dead letters stay dead', async () => {
    const studies = await api<StudyJson[]>('/api/studies');
    const noduleUid = studies.find((s) => s.accessionNumber === 'DEMOACC001')?.studyInstanceUid;
    const rows = await api<OutboxJson[]>('/api/outbox');
    const target = rows.find((r) => r.studyInstanceUid === noduleUid) as OutboxJson;
    expect(target.state).to.equal('dead');

    await page.getByLabel('State').selectOption('dead');
    const row = page.locator(`#outbox-body tr[data-outbox-id="${target.id}"]`);
    expect(await row.getAttribute('data-state')).to.equal('dead');
    expect(await page.locator('#outbox-body tr[data-state="dead"]').count()).to.equal(6);
    await page.getByLabel('State').selectOption('');

    storescp = await startStorescp('STATUSSCP', { port: pacsPort });
    await page.getByRole('button', { name: `Resend outbox item ${target.id}` }).click();
    // the page refreshes itself: wait on what it shows, not on the API
    await page.locator(`#outbox-body tr[data-outbox-id="${target.id}"][data-state="delivered"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('#status').textContent()).to.match(/queued for resend|Updated/);

    const after = await api<OutboxJson[]>('/api/outbox');
    expect(after.filter((r) => r.state === 'dead').map((r) => r.id).sort()).to.deep.equal(rows.filter((r) => r.id !== target.id).map((r) => r.id).sort());
    const received = await waitFor('storescp to hold the resent object', () => {
      const files = listFiles(storescp?.dir as string);
      return files.length > 0 ? files : undefined;
    });
    expect(received).to.have.length(1);
    const destination = page.locator('#destinations-body tr[data-destination="pacs"]');
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await waitFor('the destination to show a last delivery', async () => !(await destination.locator('td').nth(5).textContent())?.includes('\u2013'));
  });

  it('ran without script errors or blocked resources', () => {
    expect(pageErrors).to.deep.equal([]);
  });
});
