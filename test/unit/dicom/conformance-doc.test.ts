/**
 * docs/conformance.md against the code: the statuses the SCP can return, the transfer syntaxes it accepts, the PDU
 * sizes, the implementation identity and the storage SOP class table. A change to any of them without the statement
 * fails here. The status set is read from the source the way a reviewer would grep it: every `Status.X` the SCP, the
 * DIMSE response builder and the C-STORE handler use, and every DICOM status of the error table.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideContext } from '../../../src/dicom/association-policy.js';
import { Status } from '../../../src/dicom/dimse-command.js';
import { MAX_CONTROL_PDU_BYTES } from '../../../src/dicom/scp-association.js';
import { SCU_DEFAULTS } from '../../../src/dicom/scu.js';
import { STORAGE_SOP_CLASSES } from '../../../src/dicom/storage-sop-classes.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, STORAGE_TRANSFER_SYNTAXES, TransferSyntax, VERIFICATION_SOP_CLASS } from '../../../src/dicom/uids.js';
import { configSchema } from '../../../src/config/schema.js';
import { ERROR_CODES } from '../../../src/errors.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs/conformance.md'), 'utf8');

/** The text from the heading that starts with `heading` to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '').startsWith(heading));
  if (start < 0) throw new Error(`docs/conformance.md has no heading "${heading}"`);
  const level = (/^#+/.exec(lines[start] as string) as RegExpExecArray)[0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && (/^#+/.exec(l) as RegExpExecArray)[0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Table rows (split into trimmed cells) of a section, header and separator rows left out. */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** Every status the SCP can put in a response, from the source. */
function statusesInCode(): Set<string> {
  const statusNames = Status as Record<string, number>;
  const found = new Set<string>();
  for (const file of ['src/dicom/scp-association.ts', 'src/dicom/dimse-command.ts', 'src/flows/images/store-instance.ts']) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/\bStatus\.(\w+)/g)) {
      const value = statusNames[m[1] as string];
      if (value === undefined) throw new Error(`${file} uses Status.${m[1]}, which dimse-command.ts does not define`);
      found.add(hex(value));
    }
  }
  for (const entry of Object.values(ERROR_CODES)) if (entry.dicomStatus !== null) found.add(hex(entry.dicomStatus));
  return found;
}

describe('docs/conformance.md matches the code', () => {
  it('lists exactly the statuses the SCP can return', () => {
    const listed = rows(section('3.4 SOP specific conformance'))
      .map((cells) => /^`([0-9A-F]{4})`/.exec(cells[0] as string)?.[1])
      .filter((s): s is string => s !== undefined);
    expect(new Set(listed).size, 'each status listed once').to.equal(listed.length);
    expect([...listed].sort()).to.deep.equal([...statusesInCode()].sort());
  });

  it('lists exactly the storage transfer syntaxes accepted', () => {
    const listed = rows(section('3.3 Transfer syntaxes accepted')).flatMap((cells) => /^`([0-9.]+)`$/.exec(cells[1] ?? '')?.[1] ?? []);
    expect([...listed].sort()).to.deep.equal([...STORAGE_TRANSFER_SYNTAXES].sort());
  });

  it('names the transfer syntaxes Verification is accepted in', () => {
    const names = new Map(rows(section('3.3 Transfer syntaxes accepted')).map((cells) => [cells[0] as string, /`([0-9.]+)`/.exec(cells[1] ?? '')?.[1]]));
    const row = rows(section('3.2 Presentation contexts accepted')).find((cells) => (cells[0] as string).includes(`\`${VERIFICATION_SOP_CLASS}\``));
    const listed = (row?.[1] ?? '').split(', ').map((n) => names.get(n));
    const accepted = Object.values(TransferSyntax).filter((ts) => decideContext({ id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [ts] }).result === 0);
    expect([...listed].sort()).to.deep.equal([...accepted].sort());
  });

  it('states the PDU sizes the code announces and enforces', () => {
    const scp = rows(section('3.1 Association acceptance policy'));
    const rqRow = scp.find((c) => c[0] === 'Maximum PDU received, A-ASSOCIATE-RQ')?.[1] ?? '';
    expect(rqRow).to.include(`${MAX_CONTROL_PDU_BYTES} bytes`);
    const acRow = scp.find((c) => c[0] === 'Maximum PDU received, after A-ASSOCIATE-AC')?.[1] ?? '';
    const defaults = configSchema.parse({});
    expect(acRow).to.include(`default ${defaults.dicom.maxPduBytes}`);
    const range = /\((\d+)–(\d+)\)/.exec(acRow);
    expect(range, 'the range of dicom.maxPduBytes').to.not.equal(null);
    const [min, max] = [Number(range?.[1]), Number(range?.[2])];
    const accepts = (n: number): boolean => configSchema.safeParse({ dicom: { maxPduBytes: n } }).success;
    expect([accepts(min - 1), accepts(min), accepts(max), accepts(max + 1)]).to.deep.equal([false, true, true, false]);
    expect(acRow).to.include(`below ${MAX_CONTROL_PDU_BYTES} too`);
    const scu = rows(section('4.1 Association initiation policy')).find((c) => c[0] === 'Maximum PDU received')?.[1] ?? '';
    expect(scu).to.include(`${SCU_DEFAULTS.maxPduBytes} bytes`);
  });

  it('gives our implementation class UID and version name', () => {
    const impl = rows(section('2. Implementation'));
    expect(impl.find((c) => c[0] === 'Implementation Class UID')?.[1]).to.equal(`\`${IMPLEMENTATION_CLASS_UID}\``);
    expect(impl.find((c) => c[0] === 'Implementation Version Name')?.[1]).to.equal(`\`${IMPLEMENTATION_VERSION_NAME}\``);
  });

  it('lists every storage SOP class of the generated table, with the counts stated in 3.2', () => {
    const listed = rows(section('Appendix: storage SOP classes accepted'))
      .slice(1)
      .map(([name, uid, retired]) => ({ uid: (uid ?? '').replace(/`/g, ''), name, retired: retired === 'retired' }));
    expect(listed).to.deep.equal(STORAGE_SOP_CLASSES.map((c) => ({ ...c })));
    const retired = STORAGE_SOP_CLASSES.filter((c) => c.retired).length;
    expect(section('3.2 Presentation contexts accepted')).to.include(
      `each of the ${STORAGE_SOP_CLASSES.length} storage SOP classes of the [appendix](#appendix-storage-sop-classes-accepted-by-the-scp) (${STORAGE_SOP_CLASSES.length - retired} of PS3.4 Table B.5-1, ${retired} retired)`,
    );
  });

  it('names as refused only classes the SCP does refuse', () => {
    const text = section('3.2 Presentation contexts accepted');
    const refusedPart = text.slice(text.indexOf('This includes classes'), text.indexOf('A context whose transfer syntaxes'));
    // [as the statement writes it, the UID it stands for]
    const named: Array<[string, string]> = [
      ['`1.2.840.10008.5.1.4.34.6.1`', '1.2.840.10008.5.1.4.34.6.1'],
      ['`.34.8`', '1.2.840.10008.5.1.4.34.8'],
      ['`.34.9`', '1.2.840.10008.5.1.4.34.9'],
      ['`1.2.840.10008.5.1.4.1.1.201.2`', '1.2.840.10008.5.1.4.1.1.201.2'],
    ];
    for (const [written, uid] of named) {
      expect(refusedPart, written).to.include(written);
      expect(decideContext({ id: 1, abstractSyntax: uid, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] }).result, uid).to.equal(3);
    }
  });
});
