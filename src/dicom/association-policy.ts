/**
 * Who may associate, and which presentation contexts we accept. Pure functions: testable without a socket.
 */
import type { AllowedPeer } from '../config/index.js';
import { AddressAllowList, normalizeAddress, type AeTitle } from '../net/index.js';
import { identityMatches, type TlsPeerIdentity } from '../tls/index.js';
import { PresentationResult, RejectReason, RejectResult, RejectSource, type AssociateRj, type AssociateRq, type ContextDecision } from './pdu.js';
import { APPLICATION_CONTEXT_NAME, STORAGE_TRANSFER_SYNTAXES, TransferSyntax, VERIFICATION_SOP_CLASS, isStorageSopClass } from './uids.js';

export interface AdmissionState {
  /** Association slots taken now, counting the one asking (connections past their peer's share take none). */
  openAssociations: number;
  maxAssociations: number;
  /** Set when the asking connection came while its address already held its share of slots. */
  overPeerLimit?: { peer: string; maxAssociationsPerPeer: number };
  /** Why new work is refused right now (disk below watermark, shutting down); undefined when open. */
  refusing?: string;
}

export type AdmissionDecision =
  | { kind: 'accept'; contexts: ContextDecision[] }
  | { kind: 'reject'; rj: AssociateRj; reason: string };

export class AssociationPolicy {
  private readonly peers: ReadonlyArray<{ aeTitle: string; hosts: AddressAllowList; clientCertName: string | undefined }>;

  constructor(
    private readonly ourAeTitle: AeTitle,
    allowedPeers: ReadonlyArray<AllowedPeer>,
  ) {
    this.peers = allowedPeers.map((p) => ({ aeTitle: p.aeTitle, hosts: new AddressAllowList([p.host], 'dicom.allowedPeers'), clientCertName: p.clientCertName }));
  }

  /** Whether any configured peer may connect from this address (checked before any PDU is read). */
  addressAllowed(address: string): boolean {
    return this.peers.some((p) => p.hosts.allows(address));
  }

  /** `tlsPeer` is the peer's certificate on a TLS connection; entries with clientCertName admit only a verified match. */
  decide(rq: AssociateRq, peerAddress: string, state: AdmissionState, tlsPeer?: TlsPeerIdentity): AdmissionDecision {
    const addr = normalizeAddress(peerAddress);
    // bit 0 = protocol version 1, the only one defined (PS3.8 §9.3.2)
    if ((rq.protocolVersion & 0x0001) === 0) {
      return reject(RejectSource.ServiceProviderAcse, RejectReason.ProtocolVersionNotSupported, `protocol version ${rq.protocolVersion} not supported`);
    }
    if (rq.applicationContext !== APPLICATION_CONTEXT_NAME) {
      return reject(RejectSource.ServiceUser, RejectReason.ApplicationContextNotSupported, `application context ${rq.applicationContext} not supported`);
    }
    if (rq.calledAeTitle !== this.ourAeTitle) {
      return reject(RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized, `called AE title "${rq.calledAeTitle}" is not ours ("${this.ourAeTitle}")`);
    }
    const aeAndHost = this.peers.filter((p) => (p.aeTitle === '*' || p.aeTitle === rq.callingAeTitle) && p.hosts.allows(addr));
    const peer = aeAndHost.find((p) => p.clientCertName === undefined || identityMatches(tlsPeer, p.clientCertName));
    if (peer === undefined) {
      const aeKnown = this.peers.some((p) => p.aeTitle === '*' || p.aeTitle === rq.callingAeTitle);
      const why =
        aeAndHost.length > 0
          ? `calling AE title "${rq.callingAeTitle}" from ${addr} needs a client certificate named ${aeAndHost.map((p) => `"${p.clientCertName as string}"`).join(' or ')} (dicom.allowedPeers); ${certWords(tlsPeer)}`
          : aeKnown
            ? `calling AE title "${rq.callingAeTitle}" is not allowed from ${addr} (dicom.allowedPeers)`
            : `calling AE title "${rq.callingAeTitle}" is not in dicom.allowedPeers`;
      return reject(RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized, why);
    }
    if (state.refusing !== undefined) {
      return { kind: 'reject', rj: { result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.TemporaryCongestion }, reason: state.refusing };
    }
    // One address, even an allowed one, cannot take every slot (PS3.8 Table 9-21: transient, local limit exceeded).
    if (state.overPeerLimit !== undefined) {
      const { peer: over, maxAssociationsPerPeer } = state.overPeerLimit;
      return {
        kind: 'reject',
        rj: { result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.LocalLimitExceeded },
        reason: `too many open associations from ${over} (dicom.maxAssociationsPerPeer = ${maxAssociationsPerPeer})`,
      };
    }
    if (state.openAssociations > state.maxAssociations) {
      return {
        kind: 'reject',
        rj: { result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.LocalLimitExceeded },
        reason: `too many open associations (dicom.maxAssociations = ${state.maxAssociations})`,
      };
    }
    return { kind: 'accept', contexts: rq.contexts.map(decideContext) };
  }
}

/**
 * Accept Verification in Implicit or Explicit LE, and each storage SOP class of the generated table
 * (`storage-sop-classes.ts`: PS3.4 Table B.5-1 plus retired storage classes) in the peer's first supported transfer
 * syntax. Anything else, UPS and RT machine verification included, gets result 3 (PS3.8 Table 9-18).
 */
export function decideContext(ctx: { id: number; abstractSyntax: string; transferSyntaxes: string[] }): ContextDecision {
  const fallbackTs = ctx.transferSyntaxes[0] ?? TransferSyntax.ImplicitVRLittleEndian;
  if (ctx.abstractSyntax === VERIFICATION_SOP_CLASS) {
    const ts = ctx.transferSyntaxes.find((t) => t === TransferSyntax.ImplicitVRLittleEndian || t === TransferSyntax.ExplicitVRLittleEndian);
    return ts === undefined
      ? { id: ctx.id, result: PresentationResult.TransferSyntaxesNotSupported, transferSyntax: fallbackTs }
      : { id: ctx.id, result: PresentationResult.Acceptance, transferSyntax: ts };
  }
  if (!isStorageSopClass(ctx.abstractSyntax)) {
    return { id: ctx.id, result: PresentationResult.AbstractSyntaxNotSupported, transferSyntax: fallbackTs };
  }
  // The sender lists its preference first; taking it stores the object exactly as the modality made it.
  const ts = ctx.transferSyntaxes.find((t) => STORAGE_TRANSFER_SYNTAXES.has(t));
  return ts === undefined
    ? { id: ctx.id, result: PresentationResult.TransferSyntaxesNotSupported, transferSyntax: fallbackTs }
    : { id: ctx.id, result: PresentationResult.Acceptance, transferSyntax: ts };
}

/** Distinct SOP classes and transfer syntaxes shown in one log line before the rest is only counted. */
const REFUSALS_SHOWN = 10;

/** The presentation contexts of one association that were not accepted, for its one log line. */
export interface ContextRefusals {
  /** Result 3: distinct abstract syntaxes, at most REFUSALS_SHOWN, then "(+N more)". */
  abstractSyntaxNotSupported: string;
  /** Result 4: distinct abstract syntaxes whose transfer syntaxes we could not take. */
  transferSyntaxesNotSupported: string;
  contextsRefused: number;
}

/**
 * Sums up the refused contexts of one A-ASSOCIATE-AC, so a peer proposing a hundred classes we do not take costs
 * one log line per association, not one per context. Undefined when every context was accepted.
 */
export function contextRefusals(proposed: ReadonlyArray<{ id: number; abstractSyntax: string }>, decisions: ReadonlyArray<ContextDecision>): ContextRefusals | undefined {
  const byResult = (result: number): string[] => [
    ...new Set(decisions.filter((d) => d.result === result).map((d) => proposed.find((p) => p.id === d.id)?.abstractSyntax ?? `context ${d.id}`)),
  ];
  const abstract = byResult(PresentationResult.AbstractSyntaxNotSupported);
  const transfer = byResult(PresentationResult.TransferSyntaxesNotSupported);
  const refused = decisions.filter((d) => d.result !== PresentationResult.Acceptance).length;
  if (refused === 0) return undefined;
  return { abstractSyntaxNotSupported: listed(abstract), transferSyntaxesNotSupported: listed(transfer), contextsRefused: refused };
}

function listed(uids: string[]): string {
  const shown = uids.slice(0, REFUSALS_SHOWN).join(' ');
  return uids.length > REFUSALS_SHOWN ? `${shown} (+${uids.length - REFUSALS_SHOWN} more)` : shown;
}

/** PS3.8 Table 9-21 reject reasons, named for metrics and logs (the number depends on the source). */
export type RejectReasonName =
  | 'no-reason-given'
  | 'application-context-not-supported'
  | 'calling-ae-not-recognized'
  | 'called-ae-not-recognized'
  | 'protocol-version-not-supported'
  | 'temporary-congestion'
  | 'local-limit-exceeded';

export function rejectReasonName(rj: AssociateRj): RejectReasonName {
  if (rj.source === RejectSource.ServiceUser) {
    if (rj.reason === RejectReason.ApplicationContextNotSupported) return 'application-context-not-supported';
    if (rj.reason === RejectReason.CallingAeNotRecognized) return 'calling-ae-not-recognized';
    if (rj.reason === RejectReason.CalledAeNotRecognized) return 'called-ae-not-recognized';
  } else if (rj.source === RejectSource.ServiceProviderAcse) {
    if (rj.reason === RejectReason.ProtocolVersionNotSupported) return 'protocol-version-not-supported';
  } else if (rj.source === RejectSource.ServiceProviderPresentation) {
    if (rj.reason === RejectReason.TemporaryCongestion) return 'temporary-congestion';
    if (rj.reason === RejectReason.LocalLimitExceeded) return 'local-limit-exceeded';
  }
  return 'no-reason-given';
}

/** What the peer showed, for a rejection by certificate name. */
function certWords(tlsPeer: TlsPeerIdentity | undefined): string {
  if (tlsPeer === undefined) return 'it came without TLS';
  if (tlsPeer.subject === '') return 'it sent no certificate';
  if (!tlsPeer.authorized) return `its certificate "${tlsPeer.subject}" is not verified (${tlsPeer.authorizationError ?? 'unknown reason'})`;
  return `its certificate names ${tlsPeer.names.map((n) => `"${n}"`).join(', ')}`;
}

function reject(source: number, reason: number, why: string): AdmissionDecision {
  return { kind: 'reject', rj: { result: RejectResult.Permanent, source, reason }, reason: why };
}
