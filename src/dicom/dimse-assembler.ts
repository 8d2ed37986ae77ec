/**
 * Reassembles DIMSE messages from the PDVs of P-DATA-TF PDUs (PS3.8 §9.3.5, Annex E), for the SCP and the SCU
 * alike: command fragments are collected up to a bound and decoded; dataset fragments are handed on one at a time
 * (never held, so the SCP can stream them to disk), and only while the caller has said a dataset follows.
 * Faults come back as typed values: each association words them and chooses its abort.
 */
import { describeError } from '../errors.js';
import { decodeCommand, type DimseCommand } from './dimse-command.js';
import { decodePData } from './pdu.js';

/** Something in the peer's P-DATA that breaks PS3.7/PS3.8; the association ends with an A-ABORT. */
export type AssemblyFault =
  /** The P-DATA-TF body does not split into PDVs. */
  | { kind: 'malformed-pdata'; detail: string }
  /** A PDV on a presentation context that was not negotiated. */
  | { kind: 'unknown-context'; contextId: number }
  /** A command fragment while a message's dataset was still due. */
  | { kind: 'command-during-dataset' }
  | { kind: 'command-too-large'; maxBytes: number }
  /** The command set's fragments are all here but do not decode. */
  | { kind: 'malformed-command'; detail: string }
  /** A dataset fragment with no command before it announcing one on its context. */
  | { kind: 'dataset-without-command' };

export type AssemblyStep =
  | { kind: 'command'; contextId: number; command: DimseCommand }
  | { kind: 'dataset'; contextId: number; data: Buffer; isLast: boolean }
  | { kind: 'fault'; fault: AssemblyFault };

/** A command set is a few hundred bytes; this bounds what a peer can make us hold (both roles). */
export const MAX_COMMAND_BYTES = 64 * 1024;

export interface DimseAssemblerOptions {
  /** Largest command set accepted, all fragments together (bytes). */
  maxCommandBytes: number;
  /** Whether a presentation context was negotiated (accepted by the SCP, proposed by the SCU). */
  isKnownContext: (contextId: number) => boolean;
  /**
   * What a command fragment does while a dataset is still due: `fault` (the SCP: the C-STORE being received is
   * broken), or `end-dataset` (the SCU: it only drops response datasets, so a next response ends the one announced).
   */
  commandDuringDataset: 'fault' | 'end-dataset';
}

export class DimseAssembler {
  private commandChunks: Buffer[] = [];
  private commandBytes = 0;
  /** The context whose dataset is due, set by `expectDataset` after a command that has one. */
  private datasetContextId: number | undefined;

  constructor(private readonly options: DimseAssemblerOptions) {}

  /** Whether a message's dataset is still due (the SCP refuses A-RELEASE-RQ meanwhile). */
  get datasetDue(): boolean {
    return this.datasetContextId !== undefined;
  }

  /** Whether some fragments of a command set have arrived but not its last one. */
  get commandPending(): boolean {
    return this.commandChunks.length > 0;
  }

  /** Says that the command just read has a dataset: its fragments, on `contextId`, come next. */
  expectDataset(contextId: number): void {
    this.datasetContextId = contextId;
  }

  /**
   * The steps in one P-DATA-TF body, lazily: the caller may call `expectDataset` on a command step before the
   * next PDV is looked at (a command and its first dataset fragment often share a PDU). Ends after a fault.
   */
  *read(pdataBody: Buffer): Generator<AssemblyStep, void, undefined> {
    let pdvs;
    try {
      pdvs = decodePData(pdataBody);
    } catch (err) {
      yield fault({ kind: 'malformed-pdata', detail: describeError(err) });
      return;
    }
    for (const pdv of pdvs) {
      if (!this.options.isKnownContext(pdv.contextId)) {
        yield fault({ kind: 'unknown-context', contextId: pdv.contextId });
        return;
      }
      if (!pdv.isCommand) {
        if (this.datasetContextId !== pdv.contextId) {
          yield fault({ kind: 'dataset-without-command' });
          return;
        }
        if (pdv.isLast) this.datasetContextId = undefined;
        yield { kind: 'dataset', contextId: pdv.contextId, data: pdv.data, isLast: pdv.isLast };
        continue;
      }
      if (this.datasetContextId !== undefined) {
        if (this.options.commandDuringDataset === 'fault') {
          yield fault({ kind: 'command-during-dataset' });
          return;
        }
        this.datasetContextId = undefined;
      }
      this.commandBytes += pdv.data.length;
      if (this.commandBytes > this.options.maxCommandBytes) {
        yield fault({ kind: 'command-too-large', maxBytes: this.options.maxCommandBytes });
        return;
      }
      this.commandChunks.push(pdv.data);
      if (!pdv.isLast) continue;
      const bytes = Buffer.concat(this.commandChunks);
      this.commandChunks = [];
      this.commandBytes = 0;
      let command: DimseCommand;
      try {
        command = decodeCommand(bytes);
      } catch (err) {
        yield fault({ kind: 'malformed-command', detail: describeError(err) });
        return;
      }
      yield { kind: 'command', contextId: pdv.contextId, command };
    }
  }
}

function fault(f: AssemblyFault): AssemblyStep {
  return { kind: 'fault', fault: f };
}
