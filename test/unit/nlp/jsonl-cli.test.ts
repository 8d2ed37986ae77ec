import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { runNlpJsonl } from '../../../src/nlp/index.js';

async function run(lines: string[]): Promise<{ out: Array<Record<string, unknown>>; summary: unknown }> {
  const input = Readable.from([lines.join('\n')]);
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  const summary = await runNlpJsonl(input, output, { ner: null });
  output.end();
  const text = Buffer.concat(chunks).toString('utf8');
  return { out: text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), summary };
}

describe('nlp/jsonl-cli (pacs-ai-gateway nlp --jsonl)', () => {
  it('writes one {id, findings, targets} line per input line, in order', async () => {
    const { out, summary } = await run([
      JSON.stringify({ id: 'a1', text: 'Small left pleural effusion. No pneumothorax.', targets: ['pneumothorax', 'pleural effusion'] }),
      JSON.stringify({ id: 2, text: '双肺未见结节。' }),
    ]);
    expect(summary).to.deep.equal({ lines: 2, ok: 2, errors: 0 });
    expect(out[0]?.id).to.equal('a1');
    const findings = out[0]?.findings as Array<Record<string, unknown>>;
    expect(findings.map((f) => [f.concept, f.code, f.scheme, f.certainty, f.laterality])).to.deep.equal([
      ['pleural-effusion', '60046008', 'SCT', 'present', 'left'], ['pneumothorax', '36118008', 'SCT', 'absent', null],
    ]);
    expect(findings[0]?.span).to.deep.equal([11, 27]);
    expect(out[0]?.targets).to.deep.equal([
      { term: 'pneumothorax', certainty: 'absent', span: [32, 44] },
      { term: 'pleural effusion', certainty: 'present', span: [11, 27] },
    ]);
    expect(out[1]).to.deep.include({ id: 2, targets: [] });
    expect((out[1]?.findings as Array<Record<string, unknown>>)[0]).to.include({ concept: 'lung-nodule', certainty: 'absent' });
  });

  it('answers a bad line with {id?, error} and goes on', async () => {
    const { out, summary } = await run([
      '{not json',
      JSON.stringify({ id: 'x', text: 42 }),
      JSON.stringify([1, 2]),
      JSON.stringify({ id: 'y', text: 'No effusion.', targets: 'effusion' }),
      JSON.stringify({ id: { bad: true }, text: 'ok' }),
      '',
      JSON.stringify({ id: 'z', text: 'Cardiomegaly.' }),
    ]);
    expect(summary).to.deep.equal({ lines: 6, ok: 1, errors: 5 });
    expect(out).to.have.length(6);
    expect(out[0]).to.have.keys(['error']);
    expect(out[0]?.error).to.match(/^not JSON/u);
    expect(out[1]).to.deep.equal({ id: 'x', error: '"text" must be a string' });
    expect(out[2]?.error).to.match(/JSON object/u);
    expect(out[3]).to.deep.equal({ id: 'y', error: '"targets" must be an array of strings' });
    expect(out[4]?.error).to.match(/"id" must be/u);
    expect(out[5]).to.include({ id: 'z' });
    expect((out[5]?.findings as unknown[]).length).to.equal(1);
  });

  it('rejects an over-long line without reading it as JSON', async () => {
    const input = Readable.from([`${JSON.stringify({ id: 'big', text: 'x'.repeat(200) })}\n`]);
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const summary = await runNlpJsonl(input, output, { ner: null, maxLineChars: 100 });
    expect(summary).to.deep.equal({ lines: 1, ok: 0, errors: 1 });
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).to.deep.equal({ error: 'line longer than 100 characters' });
  });
});
