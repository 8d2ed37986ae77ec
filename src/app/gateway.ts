/**
 * The composition root of the daemon: opens the stores, loads the engines, builds each flow with its collaborators,
 * connects the flows' events, serves the transports, and stops it all in order. Flows never call each other: every
 * arrow between them is an `events` line in `start()`.
 */
import { availableParallelism } from 'node:os';
import { ModelRegistry } from '../ai/index.js';
import { nodeNameOf, type GatewayConfig, type NodeRole } from '../config/index.js';
import { DicomScp } from '../dicom/index.js';
import { GatewayError, describeError } from '../errors.js';
import { Deliveries } from '../flows/delivery/index.js';
import { ImageFlow, resolveModelEntries } from '../flows/images/index.js';
import { ReportFlow, loadReportNer, reportAnalyzerIdentity } from '../flows/reports/index.js';
import { resultsFlow } from '../flows/results/index.js';
import { apiViews, metricsSources, recordScpEvent } from '../flows/status/index.js';
import { MllpServer } from '../hl7/index.js';
import { Housekeeping, type HousekeepingJobName, type RunOutcome } from '../housekeeping/index.js';
import { GatewayMetrics, HttpServer, type ApiAccess } from '../http/index.js';
import { SlicePreparer } from '../imaging/index.js';
import type { Logger } from '../log.js';
import { IntakeGate } from '../queue/index.js';
import { systemClock } from '../queue/index.js';
import { deliveryOf, launcherName, openAudit, type Audit } from './audit.js';
import { checkHealth, checkReady, type HealthDeps } from './health.js';
import { NodePresence } from './node-presence.js';
import { openStores, type Stores } from './stores.js';
import { logWorkerCrash } from './worker-crash.js';

/** Intake must be this quiet before the analysis takes a step. */
const INTAKE_QUIET_MS = 50;

export interface GatewayPorts {
  /** The plain DICOM port; undefined when dicom.tls.keepPlainPort is false. */
  dicom: number | undefined;
  http: number;
  /** Undefined when hl7.enabled is false (or hl7.tls.keepPlainPort is false). */
  hl7: number | undefined;
  /** The TLS ports; undefined without dicom.tls / hl7.tls. */
  dicomTls: number | undefined;
  hl7Tls: number | undefined;
}

/** Everything `start()` built, in one piece: `stop()` takes it apart in reverse. */
interface Running {
  stores: Stores;
  models: ModelRegistry;
  preparer: SlicePreparer;
  housekeeping: Housekeeping;
  presence: NodePresence;
  /** Undefined when this node does not run the delivery role. */
  deliveries: Deliveries | undefined;
  images: ImageFlow;
  /** Undefined when hl7.enabled is false. */
  reports: ReportFlow | undefined;
  scp: DicomScp;
  mllp: MllpServer | undefined;
  http: HttpServer;
  /** Undefined when audit.enabled is false. */
  audit: Audit | undefined;
}

export class Gateway {
  private running: Running | undefined;

  constructor(
    private readonly config: Readonly<GatewayConfig>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<GatewayPorts> {
    const { config, log } = this;
    const nodeName = nodeNameOf(config);
    const roles = new Set<NodeRole>(config.cluster.roles);
    const stores = await openStores(config, { nodeName, log });
    const { specs, demoModels } = resolveModelEntries(config.models);
    // Inference leaves one core to receiving: a study being analysed must not stall the SCP (issue #3 target).
    // A node without the analysis role loads no model (an intake node needs no GPU).
    const models = await ModelRegistry.load(roles.has('analysis') ? specs : [], { logger: log, onnx: { intraOpThreads: Math.max(1, availableParallelism() - 1) } });
    // Decoding for the analysis, off the main thread; half the spare cores (inference has the rest, one stays with receiving).
    const preparer = new SlicePreparer(Math.max(1, Math.floor((availableParallelism() - 1) / 2)), { onCrash: logWorkerCrash(log) });
    // Background work gives way to receiving: the analysis yields to any intake (instances and messages).
    const intake = new IntakeGate(INTAKE_QUIET_MS);
    let scp: DicomScp | undefined; // read by the metrics at scrape time only, once it exists
    let audit: Audit | undefined; // likewise
    const metrics = new GatewayMetrics(
      {
        ...metricsSources({ config, jobs: stores.jobs, outbox: stores.outbox, spool: stores.spool, openAssociations: () => scp?.openAssociations ?? 0 }),
        ...(config.audit.enabled ? { auditWaiting: () => audit?.queue.waiting() ?? Promise.resolve(0) } : {}),
      },
      { node: nodeName },
    );

    const ner = config.hl7.enabled && roles.has('analysis') ? await loadReportNer(log) : null;
    // The queues' lease owner: the node's name, stable across its restarts, so its own leases are taken back at start.
    const owner = nodeName;
    const leaseMs = config.cluster.leaseSeconds * 1000;
    const clock = systemClock;
    // The audit trail first: every later event (the start record included) has somewhere to go.
    audit = openAudit(config, { queue: stores.auditQueue(config.audit.maxQueuedRecords), instances: stores.instances, metrics, owner, clock, log });
    const audited = audit?.events;

    // The flows, each told what to do when another one's work is needed. These lines are every arrow between them.
    const deliveries = !roles.has('delivery') ? undefined : new Deliveries({
      config,
      outbox: stores.outboxQueue,
      owner,
      leaseMs,
      spool: stores.spool,
      metrics,
      ...(audited === undefined ? {} : { finished: (item, outcome) => void deliveryOf(config, stores.spool, item, outcome).then((d) => audited.delivered(d)) }),
      clock,
      log,
    });
    // On a node without the delivery role, the delivery nodes find the rows by polling the shared queue.
    const outboxQueued = (names: string[]): void => deliveries?.notify(names);
    // A study's results changed (analysed, or a report linked to it processed): tell the RIS, and the PACS when asked.
    const resultsChanged = resultsFlow({
      ...stores,
      outbox: stores.outboxQueue,
      outboxItems: stores.outbox,
      hl7Destinations: config.hl7.destinations,
      dicomDestinations: config.dicom.destinations,
      demoModels,
      reportAnalyzer: reportAnalyzerIdentity(ner),
      log,
      events: { outboxQueued },
    });
    const messageStored = audited === undefined ? undefined : (m: { sender: string; peerAddress: string; messageType: string; controlId: string; accessionNumber: string; studyInstanceUid: string; patientId: string }): void =>
      audited.messageStored({
        sender: { name: m.sender, address: m.peerAddress },
        messageType: m.messageType,
        controlId: m.controlId,
        study: m.studyInstanceUid === '' && m.accessionNumber === '' ? undefined : { studyInstanceUid: m.studyInstanceUid || `accession:${m.accessionNumber}`, accessionNumber: m.accessionNumber },
        patientId: m.patientId,
      });
    const reports = config.hl7.enabled
      ? new ReportFlow({ ...stores, jobs: stores.jobQueue, owner, leaseMs, clock, intake, ner, log, events: { resultsChanged, ...(messageStored === undefined ? {} : { messageStored }) }, nlp: config.nlp })
      : undefined;
    const images = new ImageFlow({
      ...stores,
      jobs: stores.jobQueue,
      owner,
      leaseMs,
      clock,
      studyQuietSeconds: config.dicom.studyQuietSeconds,
      models,
      preparer,
      intake,
      destinations: config.dicom.destinations,
      demoModels,
      log,
      events: { resultsChanged, outboxQueued, analysed: (modelId, ms) => metrics.studyAnalysed(modelId, ms / 1000) },
    });
    // Retention, outbox sweep, DB upkeep and the disk watermark run on their schedules (housekeeping.*).
    const housekeeping = new Housekeeping(config, {
      ...stores,
      outbox: stores.outboxQueue,
      maintainDatabase: () => stores.maintain(),
      log: log.child({ component: 'housekeeping' }),
      sweepStudies: () => images.sweepStudies(),
    });
    const presence = new NodePresence({ register: stores.nodes, name: nodeName, roles: config.cluster.roles, heartbeatMs: config.cluster.heartbeatSeconds * 1000, log });

    scp = new DicomScp(config.dicom, {
      handler: audited === undefined ? images.storeHandler : audited.storeHandler(images.storeHandler),
      log: log.child({ component: 'dicom.scp' }),
      refusing: () => housekeeping.disk.refusal,
      onEvent: (e) => {
        recordScpEvent(metrics, e);
        audited?.scpEvent(e);
      },
      onAssociationEnded: (summary) => {
        metrics.associationEnded(summary.outcome);
        audited?.associationEnded(summary);
      },
    });
    const mllp = reports === undefined ? undefined : new MllpServer(config.hl7, { handler: reports.handler, log: log.child({ component: 'hl7' }) });
    mllp?.on('message', (m) => metrics.hl7Received(m.ackCode));
    const health: HealthDeps = { probeDatabase: () => stores.probe(), spool: stores.spool, diskRefusal: () => housekeeping.disk.refusal, models: () => models.status() };
    const http = new HttpServer(config.http, {
      ...apiViews({ ...stores, config }),
      health: () => checkHealth(health),
      ready: () => checkReady(health),
      resendOutbox: (id) => this.resend(id),
      metrics,
      ...(audited === undefined ? {} : { onAccess: (a: ApiAccess) => audited.apiAccess(a) }),
      log: log.child({ component: 'http' }),
    });
    this.running = { stores, models, preparer, housekeeping, presence, deliveries, images, reports, scp, mllp, http, audit };

    // Work first (what was in flight at the last stop resumes), then the listeners.
    await presence.start();
    await audit?.trail.start();
    audited?.applicationStarted(launcherName());
    await deliveries?.start();
    const resumedStudies = await images.start({ analysis: roles.has('analysis'), intake: roles.has('intake') });
    if (roles.has('analysis')) await reports?.start();
    await housekeeping.start();
    return this.listen(this.running, resumedStudies, { nodeName, roles, engine: stores.engine });
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    this.log.info('gateway stopping');
    await running.housekeeping.stop();
    await Promise.all([running.scp.close(), running.mllp?.close()]);
    await running.images.stop();
    await running.reports?.stop();
    await running.deliveries?.stop();
    await running.models.close();
    await running.preparer.close();
    await running.http.close();
    // The stop record last, then a bounded wait for the collector to take what is queued.
    running.audit?.events.applicationStopped(launcherName());
    await running.audit?.trail.stop();
    await running.presence.stop();
    await running.stores.close();
    this.log.info('gateway stopped');
  }

  /** Runs a housekeeping job now instead of waiting for its schedule (tests, operators). */
  runHousekeeping(name: HousekeepingJobName): Promise<RunOutcome> {
    return this.running === undefined ? Promise.resolve({ kind: 'skipped' }) : this.running.housekeeping.run(name);
  }

  /**
   * SIGHUP: the TLS listeners take renewed certificate files for new connections (destinations read theirs at each
   * connect). Bad files are logged and the old certificates stay in use.
   */
  reloadTls(): void {
    for (const [name, listener] of [['dicom.tls', this.running?.scp], ['hl7.tls', this.running?.mllp]] as const) {
      const audited = this.running?.audit?.events;
      try {
        listener?.reloadTls();
      } catch (err) {
        this.log.error('TLS files not reloaded: keeping the current certificate', { listener: name, code: err instanceof GatewayError ? err.code : undefined, err: describeError(err) });
        audited?.tlsReload(name, { ok: false, reason: describeError(err) });
        continue;
      }
      if (listener !== undefined && (name === 'dicom.tls' ? this.config.dicom.tls : this.config.hl7.tls) !== undefined) {
        this.log.info('TLS files reloaded', { listener: name });
        audited?.tlsReload(name, { ok: true });
      }
    }
  }

  /** Operator resend (CLI or API): the row becomes due now. */
  async resend(id: number): Promise<boolean> {
    const running = this.running;
    if (running === undefined) return false;
    if (running.deliveries !== undefined) return running.deliveries.resend(id);
    // Not a delivery node: the row becomes due in the shared queue, and a delivery node takes it.
    return (await running.stores.outboxQueue.resend(id, Date.now())) !== undefined;
  }

  private async listen(running: Running, resumedStudies: number, node: { nodeName: string; roles: ReadonlySet<NodeRole>; engine: string }): Promise<GatewayPorts> {
    const { config } = this;
    const { scp, mllp } = running;
    // Only intake nodes take associations and messages; every node serves HTTP (health, API, status page).
    const intake = node.roles.has('intake');
    const ports: GatewayPorts = {
      dicom: !intake || config.dicom.tls?.keepPlainPort === false ? undefined : await scp.listen(),
      dicomTls: !intake || config.dicom.tls === undefined ? undefined : await scp.listenTls(),
      http: await running.http.listen(),
      hl7: !intake || mllp === undefined || config.hl7.tls?.keepPlainPort === false ? undefined : await mllp.listen(),
      hl7Tls: !intake || mllp === undefined || config.hl7.tls === undefined ? undefined : await mllp.listenTls(),
    };
    const at = (host: string, port: number | undefined): string => (port === undefined ? 'off' : `${host}:${port}`);
    this.log.info('gateway started', {
      aeTitle: config.dicom.aeTitle,
      dicom: at(config.dicom.host, ports.dicom),
      dicomTls: at(config.dicom.host, ports.dicomTls),
      http: `${config.http.host}:${ports.http}`,
      hl7: config.hl7.enabled ? at(config.hl7.host, ports.hl7) : 'disabled',
      hl7Tls: at(config.hl7.host, ports.hl7Tls),
      dataDir: config.dataDir,
      database: node.engine,
      node: node.nodeName,
      roles: [...node.roles].join(','),
      resumedStudies,
    });
    return ports;
  }
}
