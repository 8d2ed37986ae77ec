/**
 * The composition root of the daemon: opens the database and spool, wires the SCP to the store handler and
 * the study assembler, and serves HTTP. `stop()` drains associations and closes everything in order.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import { DbWriter, Hl7MessagesRepo, InstancesRepo, JobKind, JobsRepo, OUTBOX_STATES, OutboxRepo, ResultsRepo, StatusRepo, StudiesRepo, openDatabase, type Db, type OutboxState } from '../db/index.js';
import { Housekeeping, type HousekeepingJobName, type RunOutcome } from '../housekeeping/index.js';
import { ModelRegistry } from '../ai/index.js';
import { SlicePreparer } from '../imaging/index.js';
import { DicomScp } from '../dicom/index.js';
import { MllpServer } from '../hl7/index.js';
import { GatewayMetrics, HttpServer, type HealthReport } from '../http/index.js';
import type { Logger } from '../log.js';
import { Spool } from '../storage/index.js';
import { StudyAssembler, systemClock, type Clock } from '../studies/index.js';
import { InstanceStoreHandler } from './store-instance.js';
import { listStudyViews } from './study-view.js';
import { reportIntakeHandler } from './report-intake.js';
import { ReportWorker } from './report-worker.js';
import { queueAiFlags, type AiFlagsDeps, type StudyResultsStores } from './ai-flags.js';
import { studySource } from './study-source.js';
import { queueReportSr, type ReportSrDeps } from './report-sr.js';
import { loadNerModel, REPORT_NLP_VERSION, type NerModel } from '../nlp/index.js';
import { GatewayError, describeError } from '../errors.js';
import { analyzeStudy } from './analyze-study.js';
import { JobWorker } from './job-worker.js';
import { resolveModelEntries } from './model-entries.js';
import { OutboxDelivery, type OutboxDeliveryDeps } from './outbox-delivery.js';
import { dicomSender, hl7Sender } from './senders.js';
import { IntakeGate } from './intake-gate.js';
import { metricsSources, recordScpEvent } from './metrics-wiring.js';
import { listDestinationHealth } from './destination-health.js';

/** Intake must be this quiet before background work (analysis, report NLP) takes a step. */
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

export class Gateway {
  private db: Db | undefined;
  private writer: DbWriter | undefined;
  private outbox: OutboxRepo | undefined;
  private models: ModelRegistry | undefined;
  private preparer: SlicePreparer | undefined;
  private analyzer: JobWorker | undefined;
  private readonly deliveries = new Map<string, OutboxDelivery>();
  private scp: DicomScp | undefined;
  private http: HttpServer | undefined;
  private mllp: MllpServer | undefined;
  private reports: ReportWorker | undefined;
  private ner: NerModel | null | undefined;
  private resultsChanged: ((studyUid: string) => void) | undefined;
  private assembler: StudyAssembler | undefined;
  private housekeeping: Housekeeping | undefined;

  constructor(
    private readonly config: Readonly<GatewayConfig>,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(): Promise<GatewayPorts> {
    const { config, log } = this;
    const spool = new Spool(config.dataDir);
    const dbPath = join(config.dataDir, 'gateway.sqlite');
    const db = openDatabase(dbPath);
    this.db = db;
    const writer = new DbWriter({ path: dbPath, studyQuietSeconds: config.dicom.studyQuietSeconds });
    this.writer = writer;
    const instances = new InstancesRepo(db, writer);
    const studies = new StudiesRepo(db);
    const results = new ResultsRepo(db);
    const jobs = new JobsRepo(db);
    const outbox = new OutboxRepo(db);
    this.outbox = outbox;
    const messages = new Hl7MessagesRepo(db);
    const { specs, demoModels } = resolveModelEntries(config.models);
    // Inference leaves one core to receiving: a study being analysed must not stall the SCP (issue #3 target).
    const models = await ModelRegistry.load(specs, { logger: log, onnx: { intraOpThreads: Math.max(1, availableParallelism() - 1) } });
    this.models = models;
    // Background work gives way to receiving. The analysis yields to any intake (instances and messages); the
    // report NLP only to HL7 intake, whose ACKs it would delay: under a day of DICOM traffic it must keep its pace.
    const intake = new IntakeGate(INTAKE_QUIET_MS);
    const hl7Intake = new IntakeGate(INTAKE_QUIET_MS);
    // Decoding for the analysis, off the main thread; half the spare cores (inference has the rest, one stays with receiving).
    const preparer = new SlicePreparer(Math.max(1, Math.floor((availableParallelism() - 1) / 2)));
    this.preparer = preparer;

    const metrics = new GatewayMetrics(metricsSources({ config, jobs, outbox, spoolRoot: spool.root, openAssociations: () => this.scp?.openAssociations ?? 0 }));
    const policy = { baseMs: config.outbox.baseDelayMs, maxMs: config.outbox.maxDelayMs, maxAttempts: config.outbox.maxAttempts };
    outbox.requeueSending(Date.now());
    const timeouts = { connectTimeoutMs: config.outbox.connectTimeoutMs, dimseTimeoutMs: config.outbox.dimseTimeoutMs, ackTimeoutMs: config.hl7.ackTimeoutMs };
    const addDelivery = (name: string, send: OutboxDeliveryDeps['send'], concurrency: number): void => {
      const delivery = new OutboxDelivery({ destination: name, outbox, policy, maxAgeMs: config.outbox.maxAgeHours * 3_600_000, concurrency, log: log.child({ component: 'outbox' }), send,
        onSettled: (item, outcome) => metrics.outboxSent(name, item.kind, outcome.kind === 'delivered') });
      this.deliveries.set(name, delivery);
      delivery.notify();
    };
    for (const dest of config.dicom.destinations) addDelivery(dest.name, dicomSender(dest, config.dicom.aeTitle, spool, timeouts), config.outbox.concurrency);
    // HL7 in order, one at a time: a RIS sees results in the sequence they were made.
    for (const dest of config.hl7.destinations) addDelivery(dest.name, hl7Sender(dest, timeouts, log.child({ component: 'hl7' }), (kind) => metrics.hl7Sent(dest.name, kind)), 1);
    const stores: StudyResultsStores = { studies, instances, results, messages, outbox, spool };
    const flagsDeps: AiFlagsDeps = { ...stores, destinations: config.hl7.destinations, demoModels };
    // A study's results changed (analysed, or a report linked to it processed): tell the RIS, and the PACS when asked.
    const resultsChanged = (studyUid: string): void => {
      const source = studySource(studyUid, stores);
      if (source === undefined) return;
      const notify = (names: string[]): void => names.forEach((n) => this.deliveries.get(n)?.notify());
      queueAiFlags(studyUid, source, flagsDeps, Date.now()).then(notify, (err: unknown) => log.error('AI flags for the RIS not queued', { err: describeError(err) }));
      queueReportSr(studyUid, source, { ...stores, destinations: config.dicom.destinations, analyzer: reportAnalyzerIdentity(this.ner ?? null) }, Date.now()).then(
        notify,
        (err: unknown) => log.error('report findings SR not written', { err: describeError(err) }),
      );
    };
    this.resultsChanged = resultsChanged;

    const analyzer = new JobWorker({
      kind: JobKind.AnalyzeStudy,
      jobs,
      policy: { baseMs: 10_000, maxMs: 10 * 60_000, maxAttempts: 5 },
      log: log.child({ component: 'analysis' }),
      handle: async (job) => {
        const outcome = await analyzeStudy(job, {
          instances,
          results,
          outbox,
          spool,
          models,
          preparer,
          intake,
          destinations: config.dicom.destinations,
          demoModels,
          log: log.child({ component: 'analysis' }),
          onQueued: (names) => names.forEach((n) => this.deliveries.get(n)?.notify()),
          onAnalysed: (modelId, ms) => metrics.studyAnalysed(modelId, ms / 1000),
        });
        if (outcome.kind === 'done') resultsChanged(job.studyInstanceUid);
        return outcome;
      },
    });
    this.analyzer = analyzer;
    analyzer.start();

    const assembler = new StudyAssembler(studies, {
      jobKind: JobKind.AnalyzeStudy,
      clock: this.clock,
      log: log.child({ component: 'studies' }),
      onComplete: () => analyzer.notify(),
    });
    this.assembler = assembler;
    const resumed = assembler.resume();

    // Retention, outbox sweep, DB upkeep and the disk watermark run on their schedules (housekeeping.*).
    const housekeeping = new Housekeeping(config, { db, outbox, spool, log: log.child({ component: 'housekeeping' }), sweepStudies: () => assembler.sweep() });
    this.housekeeping = housekeeping;
    await housekeeping.start();

    const scpLog = log.child({ component: 'dicom.scp' });
    this.scp = new DicomScp(config.dicom, {
      handler: new InstanceStoreHandler({
        spool,
        instances,
        log: scpLog,
        onRecorded: (p) => {
          intake.touch();
          assembler.instanceRecorded(p);
        },
        isOwnResult: (uid) => results.isOwnResult(uid),
      }),
      log: scpLog,
      refusing: () => housekeeping.disk.refusal,
      onEvent: (e) => recordScpEvent(metrics, e),
      onAssociationEnded: (summary) => metrics.associationEnded(summary.outcome),
    });
    this.http = new HttpServer(config.http, {
      health: () => this.health(spool.root),
      ready: () => this.ready(spool.root),
      listStudies: (q) => listStudyViews({ studies, jobs, results, outbox, messages }, q),
      listOutbox: (q) => outbox.list({ ...(isOutboxState(q.state) ? { state: q.state } : {}), limit: q.limit }),
      resendOutbox: (id) => this.resend(id),
      status: () => new StatusRepo(db).summary(),
      listDestinations: () => listDestinationHealth(config, outbox),
      metrics,
      log: log.child({ component: 'http' }),
    });
    if (config.hl7.enabled) {
      const hl7Log = log.child({ component: 'hl7' });
      const ner = await loadNerModel().catch((err: unknown) => {
        // Reports are still stored and ACKed; the lexicon and rules run without the model.
        log.error('report NER model not loaded: rules only', { err: describeError(err) });
        return null;
      });
      this.ner = ner;
      const reports = new ReportWorker({
        messages,
        ner,
        gate: hl7Intake,
        log: log.child({ component: 'nlp' }),
        onProcessed: (r) => studies.linkedTo(r.studyInstanceUid, r.accessionNumber).forEach((uid) => this.resultsChanged?.(uid)),
      });
      this.reports = reports;
      reports.notify();
      const onStored = (): void => {
        intake.touch();
        hl7Intake.touch();
        reports.notify();
      };
      this.mllp = new MllpServer(config.hl7, { handler: reportIntakeHandler({ messages, log: hl7Log, onStored }), log: hl7Log });
      this.mllp.on('message', (m) => metrics.hl7Received(m.ackCode));
    }
    const { scp, mllp } = this;
    const ports: GatewayPorts = {
      dicom: config.dicom.tls?.keepPlainPort === false ? undefined : await scp.listen(),
      dicomTls: config.dicom.tls === undefined ? undefined : await scp.listenTls(),
      http: await this.http.listen(),
      hl7: mllp === undefined || config.hl7.tls?.keepPlainPort === false ? undefined : await mllp.listen(),
      hl7Tls: mllp === undefined || config.hl7.tls === undefined ? undefined : await mllp.listenTls(),
    };
    const at = (host: string, port: number | undefined): string => (port === undefined ? 'off' : `${host}:${port}`);
    log.info('gateway started', {
      aeTitle: config.dicom.aeTitle,
      dicom: at(config.dicom.host, ports.dicom),
      dicomTls: at(config.dicom.host, ports.dicomTls),
      http: `${config.http.host}:${ports.http}`,
      hl7: config.hl7.enabled ? at(config.hl7.host, ports.hl7) : 'disabled',
      hl7Tls: at(config.hl7.host, ports.hl7Tls),
      dataDir: config.dataDir,
      resumedStudies: resumed,
    });
    return ports;
  }

  async stop(): Promise<void> {
    this.log.info('gateway stopping');
    await this.housekeeping?.stop();
    await Promise.all([this.scp?.close(), this.mllp?.close()]);
    this.assembler?.stop();
    await this.analyzer?.stop();
    await this.reports?.stop();
    await this.ner?.dispose();
    await Promise.all([...this.deliveries.values()].map((d) => d.stop()));
    await this.models?.close();
    await this.preparer?.close();
    await this.http?.close();
    await this.writer?.close();
    this.db?.close();
    this.log.info('gateway stopped');
  }

  /** Runs a housekeeping job now instead of waiting for its schedule (tests, operators). */
  runHousekeeping(name: HousekeepingJobName): Promise<RunOutcome> {
    if (this.housekeeping === undefined) return Promise.resolve({ kind: 'skipped' });
    return this.housekeeping.run(name);
  }

  /**
   * SIGHUP: the TLS listeners take renewed certificate files for new connections (destinations read theirs at each
   * connect). Bad files are logged and the old certificates stay in use.
   */
  reloadTls(): void {
    for (const [name, listener] of [['dicom.tls', this.scp], ['hl7.tls', this.mllp]] as const) {
      try {
        listener?.reloadTls();
      } catch (err) {
        this.log.error('TLS files not reloaded: keeping the current certificate', { listener: name, code: err instanceof GatewayError ? err.code : undefined, err: describeError(err) });
        continue;
      }
      if (listener !== undefined && (name === 'dicom.tls' ? this.config.dicom.tls : this.config.hl7.tls) !== undefined) this.log.info('TLS files reloaded', { listener: name });
    }
  }

  /** Operator resend (CLI or API): the row becomes due now. */
  resend(id: number): boolean {
    const ok = this.outbox?.resend(id, Date.now()) ?? false;
    const item = ok ? this.outbox?.get(id) : undefined;
    if (item !== undefined) this.deliveries.get(item.destination)?.notify();
    return ok;
  }

  private async ready(spoolRoot: string): Promise<HealthReport> {
    const health = await this.health(spoolRoot);
    const models = (this.models?.status() ?? []).map((m) => ({ ...m }));
    const failed = models.filter((m) => m.state !== 'loaded');
    health.checks.models = failed.length === 0 ? { ok: true } : { ok: false, detail: failed.map((m) => `${m.id}: ${m.error ?? m.state}`).join('; ') };
    return { ok: health.ok && health.checks.disk?.ok === true && failed.length === 0, checks: health.checks, models };
  }

  private async health(spoolRoot: string): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    try {
      // Taking the write lock proves the database file is writable, without writing anything.
      (this.db as Db).exec('BEGIN IMMEDIATE; ROLLBACK');
      checks.database = { ok: true };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message };
    }
    const probe = join(spoolRoot, '.tmp', `health-${randomUUID()}`);
    try {
      await writeFile(probe, 'ok');
      await unlink(probe);
      checks.spool = { ok: true };
    } catch (err) {
      checks.spool = { ok: false, detail: (err as Error).message };
    }
    // Low disk is reported but does not fail liveness: a restart would not free space (/readyz will say it).
    const lowDisk = this.housekeeping?.disk.refusal;
    checks.disk = lowDisk === undefined ? { ok: true } : { ok: false, detail: lowDisk };
    return { ok: checks.database.ok && checks.spool.ok, checks };
  }
}

/** The report analyser as SR device observer: the NER model plus rules, or the rules alone when it did not load. */
function reportAnalyzerIdentity(ner: NerModel | null): ReportSrDeps['analyzer'] {
  // The NER model is trained on synthetic sentences only: its SRs carry the demo disclaimer.
  return ner === null ? { id: 'report-rules', version: REPORT_NLP_VERSION, demo: false } : { id: 'report-ner', version: REPORT_NLP_VERSION, demo: true };
}

function isOutboxState(s: string | undefined): s is OutboxState {
  return (OUTBOX_STATES as readonly string[]).includes(s ?? '');
}
