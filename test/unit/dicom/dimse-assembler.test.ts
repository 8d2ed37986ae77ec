import { expect } from 'chai';
import { DimseAssembler, type AssemblyStep, type DimseAssemblerOptions } from '../../../src/dicom/dimse-assembler.js';
import { CommandField, NO_DATASET, encodeCommand, type DimseCommand } from '../../../src/dicom/dimse-command.js';
import { STORE_RQ } from '../../helpers/raw-dicom.js';

const ECHO_RSP: DimseCommand = { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: 1, status: 0, dataSetType: NO_DATASET };

interface TestPdv {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Buffer;
}

/** A P-DATA-TF body (without its 6-byte PDU header) holding these PDVs (PS3.8 §9.3.5.1). */
function pdata(...pdvs: TestPdv[]): Buffer {
  return Buffer.concat(
    pdvs.map((p) => {
      const h = Buffer.alloc(6);
      h.writeUInt32BE(2 + p.data.length, 0);
      h.writeUInt8(p.contextId, 4);
      h.writeUInt8((p.isCommand ? 1 : 0) | (p.isLast ? 2 : 0), 5);
      return Buffer.concat([h, p.data]);
    }),
  );
}
const cmd = (contextId: number, data: Buffer, isLast = true): TestPdv => ({ contextId, isCommand: true, isLast, data });
const ds = (contextId: number, data: Buffer, isLast = true): TestPdv => ({ contextId, isCommand: false, isLast, data });

function assembler(over: Partial<DimseAssemblerOptions> = {}): DimseAssembler {
  return new DimseAssembler({ maxCommandBytes: 64 * 1024, isKnownContext: (id) => id === 1 || id === 3, commandDuringDataset: 'fault', ...over });
}

/** Reads one body, calling expectDataset after each command that announces a dataset, as both associations do. */
function read(a: DimseAssembler, body: Buffer): AssemblyStep[] {
  const steps: AssemblyStep[] = [];
  for (const step of a.read(body)) {
    steps.push(step);
    if (step.kind === 'command' && step.command.dataSetType !== NO_DATASET) a.expectDataset(step.contextId);
  }
  return steps;
}
const kinds = (steps: AssemblyStep[]): string[] => steps.map((s) => (s.kind === 'fault' ? `fault:${s.fault.kind}` : s.kind));

describe('dicom/dimse-assembler', () => {
  it('joins a command split over PDVs and PDUs, then hands on its dataset fragments one by one', () => {
    const a = assembler();
    const bytes = encodeCommand(STORE_RQ);
    expect(read(a, pdata(cmd(1, bytes.subarray(0, 10), false)))).to.deep.equal([]);
    const steps = read(a, pdata(cmd(1, bytes.subarray(10)), ds(1, Buffer.from('abcd'), false), ds(1, Buffer.from('ef'))));
    expect(steps).to.deep.equal([
      { kind: 'command', contextId: 1, command: STORE_RQ },
      { kind: 'dataset', contextId: 1, data: Buffer.from('abcd'), isLast: false },
      { kind: 'dataset', contextId: 1, data: Buffer.from('ef'), isLast: true },
    ]);
    expect(a.datasetDue).to.equal(false);
    expect(kinds(read(a, pdata(cmd(3, encodeCommand(ECHO_RSP)))))).to.deep.equal(['command']);
  });

  it('refuses a PDV on a context that was not negotiated', () => {
    const steps = read(assembler(), pdata(cmd(5, encodeCommand(ECHO_RSP))));
    expect(steps).to.deep.equal([{ kind: 'fault', fault: { kind: 'unknown-context', contextId: 5 } }]);
  });

  it('refuses a command set larger than the limit before holding it, counting all its fragments', () => {
    const a = assembler({ maxCommandBytes: 100 });
    expect(read(a, pdata(cmd(1, Buffer.alloc(60), false)))).to.deep.equal([]);
    expect(read(a, pdata(cmd(1, Buffer.alloc(60), false)))).to.deep.equal([{ kind: 'fault', fault: { kind: 'command-too-large', maxBytes: 100 } }]);
  });

  it('refuses dataset fragments with no command announcing them, or on another context than the command', () => {
    expect(kinds(read(assembler(), pdata(ds(1, Buffer.alloc(2)))))).to.deep.equal(['fault:dataset-without-command']);
    expect(kinds(read(assembler(), pdata(cmd(1, encodeCommand(STORE_RQ)), ds(3, Buffer.alloc(2)))))).to.deep.equal(['command', 'fault:dataset-without-command']);
    expect(kinds(read(assembler(), pdata(cmd(1, encodeCommand(ECHO_RSP)), ds(1, Buffer.alloc(2)))))).to.deep.equal(['command', 'fault:dataset-without-command']);
  });

  it('faults a command inside a dataset (SCP), or lets it end the dataset (SCU: response datasets are dropped)', () => {
    const body = pdata(cmd(1, encodeCommand(STORE_RQ)), ds(1, Buffer.alloc(2), false), cmd(1, encodeCommand(ECHO_RSP)));
    expect(kinds(read(assembler(), body))).to.deep.equal(['command', 'dataset', 'fault:command-during-dataset']);
    const scu = assembler({ commandDuringDataset: 'end-dataset' });
    expect(kinds(read(scu, body))).to.deep.equal(['command', 'dataset', 'command']);
    expect(scu.datasetDue).to.equal(false);
  });

  it('reports a command set that does not decode, and a body that does not split into PDVs', () => {
    const malformed = read(assembler(), pdata(cmd(1, Buffer.from([0, 0, 0, 1]))));
    expect(kinds(malformed)).to.deep.equal(['fault:malformed-command']);
    const truncated = pdata(cmd(1, encodeCommand(ECHO_RSP))).subarray(0, 4);
    const steps = read(assembler(), truncated);
    expect(kinds(steps)).to.deep.equal(['fault:malformed-pdata']);
    expect(steps[0]?.kind === 'fault' && steps[0].fault.kind === 'malformed-pdata' && steps[0].fault.detail).to.match(/P-DATA-TF/);
  });

  it('stops at the first fault: later PDVs of the PDU are not looked at', () => {
    const steps = read(assembler(), pdata(ds(1, Buffer.alloc(2)), cmd(1, encodeCommand(ECHO_RSP))));
    expect(kinds(steps)).to.deep.equal(['fault:dataset-without-command']);
  });
});
