/**
 * The configuration schema: the one place that says which keys exist, their types and their defaults.
 * Every key is documented in config/example.yaml and docs/configuration.md (a test parses the example).
 */
import { isIP } from 'node:net';
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { modelSpecSchema } from '../ai/index.js';
import { isLoopbackAddress, parseAddressBlock, parseAeTitle, type AeTitle } from '../net/index.js';
import { AUTH_TOKEN_RULE, isValidAuthToken } from './http-auth.js';

/** Checked and trimmed by the parser every other entry point uses, so the title compared on the wire is this one. */
const aeTitle = z.string().transform((s, ctx): AeTitle => {
  const parsed = parseAeTitle(s);
  if (parsed.ok) return parsed.aeTitle;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

/** An IPv4/IPv6 address or a CIDR block (10.0.0.0/8): the parser the listeners build their allow-lists with. */
const hostOrCidr = z.string().superRefine((s, ctx) => {
  const parsed = parseAddressBlock(s);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

const listenHost = z.string().refine((s) => isIP(s) !== 0, 'expected an IP address to listen on, such as 0.0.0.0 or 127.0.0.1');
const port = z.number().int().min(0).max(65535);

const allowedPeer = z.strictObject({
  /** Calling AE title, or "*" for any. */
  aeTitle: z.union([z.literal('*'), aeTitle]),
  host: hostOrCidr,
  /** When set, the peer must come over TLS with a client certificate verified by dicom.tls.caFile whose subject CN or subjectAltName (DNS, email, IP) is this. */
  clientCertName: z.string().min(1).optional(),
});

// ───── TLS (docs/tls.md) ─────
const pemPath = z.string().min(1);

/** A TLS listener beside (or instead of) the plain one. Files are read and checked at config check and at start. */
const tlsListenerShape = (defaultPort: number) => ({
  port: port.default(defaultPort),
  certFile: pemPath,
  keyFile: pemPath,
  /** CAs for client certificates; without it none is asked for. */
  caFile: pemPath.optional(),
  /** Refuse clients without a certificate signed by caFile (the handshake fails). */
  requireClientCert: z.boolean().default(false),
  /** Keep the plain listener on the section's `port` too; false makes TLS the only way in. */
  keepPlainPort: z.boolean().default(true),
});
const clientCertNeedsCa = (t: { requireClientCert: boolean; caFile?: string | undefined }): boolean => !t.requireClientCert || t.caFile !== undefined;
const clientCertNeedsCaIssue = { message: 'requireClientCert needs caFile (the CA that signs client certificates)', path: ['caFile'] };
const dicomTls = z.strictObject(tlsListenerShape(2762)).refine(clientCertNeedsCa, clientCertNeedsCaIssue);
// No port is registered for MLLP over TLS: 2576 sits beside the plain 2575.
const hl7Tls = z
  .strictObject({
    ...tlsListenerShape(2576),
    /** Client certificate names (CN or subjectAltName) admitted on the TLS port; empty: any (allowedHosts still applies). */
    allowedClientNames: z.array(z.string().min(1)).default([]),
  })
  .refine(clientCertNeedsCa, clientCertNeedsCaIssue);

/** TLS to a destination. `{}` is TLS with the system CAs and the host name checked. */
const tlsClient = z
  .strictObject({
    /** CAs that sign the peer's certificate (default: the system's). */
    caFile: pemPath.optional(),
    /** Our client certificate and key, for peers that require one. */
    certFile: pemPath.optional(),
    keyFile: pemPath.optional(),
    /** Name the peer's certificate must carry (and SNI); default: the destination host. */
    servername: z.string().min(1).optional(),
    /** Verify the peer's certificate. false only for a throwaway test peer: anyone could stand in for it. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together', path: ['keyFile'] });
// ───── end TLS ─────

/** The result objects a DICOM destination may receive. */
export const RESULT_OBJECTS = ['sr', 'kos', 'summary', 'report-sr'] as const;
export type ResultObject = (typeof RESULT_OBJECTS)[number];

const dicomDestination = z.strictObject({
  /** Name used in logs, the outbox and model `destinations`. */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a destination name is 1–64 letters, digits, dot, dash or underscore'),
  aeTitle,
  host: z.string().min(1),
  port: port.refine((p) => p > 0, 'a destination needs a port'),
  /**
   * Which result objects this destination receives (docs/configuration.md): `sr` the AI SR (TID 1500), `kos` a Key
   * Object Selection of the key slices and the SR, `summary` a Secondary Capture with the finding drawn on the top
   * slice, `report-sr` the report's findings as an SR.
   */
  results: z
    .array(z.enum(RESULT_OBJECTS))
    .min(1, 'list at least one result object (sr, kos, summary, report-sr)')
    .refine((list) => new Set(list).size === list.length, 'a result object is listed twice')
    .default(['sr']),
  /** The older spelling of `results: [..., report-sr]`, kept as an alias. */
  reportSr: z.boolean().default(false),
  /** C-STORE over TLS (PS3.15 Annex B); absent: plain TCP. */
  tls: tlsClient.optional(),
}).transform((d) => {
  // One truth for every reader: `reportSr: true` adds report-sr to results, and reportSr says whether results has it.
  const results = d.reportSr && !d.results.includes('report-sr') ? [...d.results, 'report-sr' as const] : d.results;
  return { ...d, results, reportSr: results.includes('report-sr') };
});

const dicomSchema = z.strictObject({
  aeTitle: aeTitle.prefault('AIGATEWAY'),
  host: listenHost.default('127.0.0.1'),
  port: port.default(11112),
  allowedPeers: z.array(allowedPeer).default([{ aeTitle: '*', host: '127.0.0.1' }, { aeTitle: '*', host: '::1' }]),
  studyQuietSeconds: z.number().positive().max(86_400).default(10),
  maxAssociations: z.number().int().min(1).max(1000).default(32),
  /** Connections one source address may hold at once, counted from accept; capped at maxAssociations. */
  maxAssociationsPerPeer: z.number().int().min(1).max(1000).default(8),
  /** Largest PDU we accept; advertised in A-ASSOCIATE-AC. */
  maxPduBytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(256 * 1024),
  /** ARTIM: time allowed from connect to a complete A-ASSOCIATE-RQ, and from A-RELEASE-RP to close. */
  artimTimeoutMs: z.number().int().min(100).default(10_000),
  /** An established association with no bytes from the peer for this long is aborted. */
  idleTimeoutMs: z.number().int().min(100).default(60_000),
  /** A single PDU must arrive completely within this time once its header is read. */
  pduTimeoutMs: z.number().int().min(100).default(30_000),
  /** While a DIMSE message is arriving, the peer must send this many bytes per second, measured over each pduTimeoutMs; 0: off. */
  minDataRateBytesPerSec: z.number().int().min(0).max(100 * 1024 * 1024).default(1024),
  /** Hard cap on one association's lifetime. */
  associationMaxMs: z.number().int().min(1000).default(4 * 60 * 60 * 1000),
  /** On SIGTERM, open associations get this long to finish before they are aborted. */
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
  /** Where result SRs are sent (C-STORE from dicom.aeTitle). */
  destinations: z.array(dicomDestination).default([]),
  /** DICOM over TLS; 2762 is the registered dicom-tls port. Absent: no TLS listener. */
  tls: dicomTls.optional(),
});

const httpSchema = z
  .strictObject({
    host: listenHost.default('127.0.0.1'),
    port: port.default(8080),
    /**
     * Bearer token required on /metrics, /api/* (and so the status page's data) whenever one is set; required
     * when `host` is not a loopback address. /healthz and /readyz stay open for probes.
     */
    authToken: z.string().refine(isValidAuthToken, `the token must be ${AUTH_TOKEN_RULE}`).optional(),
    /** A file whose first line is the token (keeps the secret out of this YAML); exclusive with authToken. */
    authTokenFile: z.string().min(1).optional(),
  })
  .superRefine((http, ctx) => {
    if (http.authToken !== undefined && http.authTokenFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['authTokenFile'], message: 'set http.authToken or http.authTokenFile, not both' });
    }
    if (!isLoopbackAddress(http.host) && http.authToken === undefined && http.authTokenFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['authToken'],
        message: `http.host ${http.host} is reachable from other machines, so the API needs a bearer token: set http.authToken or http.authTokenFile (${AUTH_TOKEN_RULE}), or bind http.host to 127.0.0.1`,
      });
    }
  });

/**
 * Structure bounds per received HL7 message (src/hl7/message.ts), so its cost is linear in its size and a message
 * built to be expensive is refused cheaply with AR 207. Defaults, each several times what real senders use:
 * - segments 5000: a radiology ORU has < 2,000 even with one OBX per report line (the corpus's largest has 107);
 * - fields 256: the longest v2.5.1 segments have ~50 fields (PV1 52, OBR 50), v2.8 up to ~55; Z-segments vary;
 * - repetitions 2000: real repeating fields hold a handful (PID-3), a report sent as OBX-5 repetitions one per
 *   line stays well under 2,000 lines (~40 pages).
 */
const hl7Limits = z.strictObject({
  maxSegments: z.number().int().min(10).max(1_000_000).default(5000),
  maxFieldsPerSegment: z.number().int().min(25).max(100_000).default(256),
  maxRepetitionsPerField: z.number().int().min(1).max(1_000_000).default(2000),
});

const hl7Schema = z.strictObject({
  /** Listen for HL7 v2 over MLLP (reports from the RIS). */
  enabled: z.boolean().default(true),
  host: listenHost.default('127.0.0.1'),
  port: port.default(2575),
  /** Source addresses (IP or CIDR) allowed to connect; others are closed at once. */
  allowedHosts: z.array(hostOrCidr).default(['127.0.0.1', '::1']),
  /** Largest message accepted; larger frames get AR and are never buffered whole. Bytes. */
  maxMessageBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
  maxConnections: z.number().int().min(1).max(1000).default(32),
  /** A connection idle this long is closed. Milliseconds. */
  idleTimeoutMs: z.number().int().min(100).default(300_000),
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
  /** Where ORU^R01 messages with AI flags go (the RIS / worklist), through the outbox. */
  destinations: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a destination name is 1–64 letters, digits, dot, dash or underscore'),
        host: z.string().min(1),
        port: port.refine((p) => p > 0, 'a destination needs a port'),
        /** MSH-5 / MSH-6 of the messages (default: the destination name / empty). */
        application: z.string().max(180).optional(),
        facility: z.string().max(180).optional(),
        /** MLLP over TLS; absent: plain TCP. */
        tls: tlsClient.optional(),
      }),
    )
    .default([]),
  /** How long to wait for the ACK of a message we send. Milliseconds. */
  ackTimeoutMs: z.number().int().min(100).default(30_000),
  /** MLLP over TLS (default port 2576). Absent: no TLS listener. */
  tls: hl7Tls.optional(),
  /** Segments, fields per segment and repetitions per field of a received message; over one: AR 207. */
  limits: hl7Limits.default(hl7Limits.parse({})),
});

const logSchema = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

const storageSchema = z.strictObject({
  /** New associations are refused while free space in dataDir is below this. */
  minFreeBytes: z.number().int().min(0).default(512 * 1024 * 1024),
});

const outboxSchema = z.strictObject({
  /** Attempts before a delivery becomes a dead letter. */
  maxAttempts: z.number().int().min(1).default(10),
  /** First retry delay; doubles each attempt (with jitter) up to maxDelayMs. */
  baseDelayMs: z.number().int().min(100).default(5_000),
  maxDelayMs: z.number().int().min(1000).default(15 * 60 * 1000),
  /** Deliveries older than this become dead letters even with attempts left. */
  maxAgeHours: z.number().positive().default(72),
  /** Parallel sends per destination. */
  concurrency: z.number().int().min(1).max(16).default(2),
  /** Timeouts of one DICOM send: connect, A-ASSOCIATE-AC, each DIMSE response. */
  connectTimeoutMs: z.number().int().min(100).default(10_000),
  dimseTimeoutMs: z.number().int().min(100).default(60_000),
});

/**
 * The IHE ATNA audit trail (docs/audit.md): DICOM audit messages (PS3.15 A.5) in RFC 5424 syslog over TLS
 * (RFC 5425) to a collector, queued in SQLite first. Off by default.
 */
const auditSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The audit record repository: syslog over TLS (RFC 5425; 6514 is its registered port). */
    collector: z
      .strictObject({
        host: z.string().min(1),
        port: port.refine((p) => p > 0, 'the collector needs a port').default(6514),
        /** caFile (the collector's CA; default: the system's), certFile + keyFile (our client certificate), servername. */
        tls: tlsClient.default({ rejectUnauthorized: true }),
        /** Connect and TLS handshake within this long. Milliseconds. */
        connectTimeoutMs: z.number().int().min(100).default(10_000),
      })
      .optional(),
    /** AuditSourceID of every record (PS3.15 A.5.1); absent: this host's name. */
    sourceId: z.string().min(1).max(255).optional(),
    /** AuditEnterpriseSiteID: the site (hospital) this gateway belongs to. */
    enterpriseSiteId: z.string().min(1).max(255).optional(),
    /** Records kept while the collector is away; past this, new records are dropped (counted, logged). */
    maxQueuedRecords: z.number().int().min(100).max(100_000_000).default(1_000_000),
    /** Longest wait between two tries to send a record, once the collector is away. Milliseconds. */
    retryMaxDelayMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .refine((a) => !a.enabled || a.collector !== undefined, { message: 'audit.enabled needs audit.collector (host, port, tls)', path: ['collector'] });

/**
 * A node-cron expression: five fields (minute hour day month weekday) or six with seconds first. Checked here so a
 * typo fails `check-config` with the key named instead of at the first run.
 */
const cronSchedule = z.string().superRefine((s, ctx) => {
  const v = validateDetailed(s);
  if (!v.valid) ctx.addIssue({ code: 'custom', message: `"${s}" is not a cron expression (${v.errors.map((e) => e.message).join('; ') || 'expected 5 or 6 fields'}); e.g. "0 3 * * *" or, with seconds, "*/10 * * * * *"` });
});

/** Scheduled housekeeping (src/housekeeping). Retention is off unless a limit is set: deleting images is opt-in. */
const housekeepingSchema = z.strictObject({
  retention: z
    .strictObject({
      schedule: cronSchedule.default('15 3 * * *'),
      /** Purge the spool files of delivered studies whose last instance arrived more than this many days ago. Absent: no age limit. */
      maxAgeDays: z.number().positive().optional(),
      /** Purge delivered studies, oldest first, while the spool's instances exceed this many bytes. Absent: no size limit. */
      maxTotalBytes: z.number().int().positive().optional(),
    })
    .default({ schedule: '15 3 * * *' }),
  outboxSweep: z
    .strictObject({
      schedule: cronSchedule.default('*/5 * * * *'),
      /** Delivered outbox rows older than this are deleted (their history goes with them). */
      keepDeliveredDays: z.number().positive().default(30),
    })
    .default({ schedule: '*/5 * * * *', keepDeliveredDays: 30 }),
  /** WAL checkpoint (TRUNCATE) and PRAGMA optimize. */
  dbMaintenance: z.strictObject({ schedule: cronSchedule.default('45 3 * * *') }).default({ schedule: '45 3 * * *' }),
  /** Free-space check of dataDir against storage.minFreeBytes (six fields: seconds first). */
  diskCheck: z.strictObject({ schedule: cronSchedule.default('*/10 * * * * *') }).default({ schedule: '*/10 * * * * *' }),
  /** Completes studies past their quiet period that are still receiving (a completion its timer missed). */
  studySweep: z.strictObject({ schedule: cronSchedule.default('*/1 * * * *') }).default({ schedule: '*/1 * * * *' }),
});

/**
 * Report NLP (src/nlp). Bounds one report's analysis so a huge or pathological report cannot hold the process:
 * defaults as src/nlp DEFAULT_MAX_REPORT_CHARS and DEFAULT_TIME_BUDGET_MS.
 */
const nlpSchema = z.strictObject({
  /** Characters of a report's text analysed; the rest is not read and the result says it was truncated. */
  maxReportChars: z.number().int().min(1_000).max(16_777_216).default(65_536),
  /** Wall-clock budget per report analysis in ms; past it the report fails with GW_ERR_REPORT_OVER_BUDGET. */
  timeBudgetMs: z.number().int().min(100).max(3_600_000).default(10_000),
});

/** A PostgreSQL connection string, as node-postgres (pg-connection-string) reads it. */
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'a PostgreSQL URL starts with postgres:// or postgresql:// (e.g. postgres://gateway@db.example:5432/gateway?sslmode=verify-full)');

/**
 * Where the gateway keeps its state (docs/scale-out.md). Absent: SQLite in dataDir, the embedded default for one
 * node. With `url` (or `urlFile`, so the password stays out of this file): PostgreSQL, shared by every node of a
 * cluster; dataDir is then the shared spool every node mounts.
 */
const databaseSchema = z
  .strictObject({
    url: postgresUrl.optional(),
    /** A file holding the URL (mode 0600, like http.authTokenFile); read at start. */
    urlFile: z.string().min(1).optional(),
    /** Connections this node opens at most. */
    poolSize: z.number().int().min(2).max(200).default(10),
    /** A connect slower than this fails the operation (C-STORE answers a failure, MLLP an AE) instead of hanging it. */
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  })
  .refine((d) => !(d.url !== undefined && d.urlFile !== undefined), { message: 'give database.url or database.urlFile, not both', path: ['urlFile'] })
  .refine((d) => d.url !== undefined || d.urlFile !== undefined, { message: 'database needs url or urlFile (leave database out for the embedded SQLite)', path: ['url'] });

export const NODE_ROLES = ['intake', 'analysis', 'delivery'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

/** This node in a cluster (docs/scale-out.md). */
const clusterSchema = z.strictObject({
  /** Unique across the cluster; it owns this node's leases. Default: the host name and the DICOM port. */
  nodeName: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a node name is 1–128 letters, digits, dot, dash, colon or underscore').optional(),
  /**
   * What this node runs: intake (the DICOM and MLLP listeners, study completion), analysis (image AI and report
   * NLP), delivery (the outbox). All three by default; e.g. GPU nodes run analysis only.
   */
  roles: z
    .array(z.enum(NODE_ROLES))
    .min(1, 'a node needs at least one role')
    .refine((r) => new Set(r).size === r.length, 'a role is listed twice')
    .default([...NODE_ROLES]),
  /** How long a claimed analysis, report or delivery stays with a node that stops answering before another takes it over. */
  leaseSeconds: z.number().int().min(10).max(3_600).default(120),
  /** How often a node writes its heartbeat to the node register. */
  heartbeatSeconds: z.number().int().min(1).max(300).default(10),
  /** How often an idle worker looks for work another node queued (PostgreSQL only; one node is told at once). */
  pollMs: z.number().int().min(100).max(60_000).default(1_000),
});

/** A model given by the model-config.json shipped beside it (paths in it are relative to its folder). */
const modelFileEntry = z.strictObject({
  configFile: z.string().min(1),
  /** Demo models say "not for clinical use" in every SR and HL7 result. */
  demo: z.boolean().default(false),
  /** Destination names that receive this model's results; absent = all. Overrides the file's. */
  destinations: z.array(z.string().min(1)).optional(),
  providers: z.array(z.enum(['cuda', 'cpu'])).min(1).optional(),
});

/** A model described inline (the issue's `models:` contract); relative paths are taken from the working directory. */
const inlineModelEntry = modelSpecSchema.extend({ demo: z.boolean().default(false) });

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./var'),
  dicom: dicomSchema.default(dicomSchema.parse({})),
  http: httpSchema.default(httpSchema.parse({})),
  hl7: hl7Schema.default(hl7Schema.parse({})),
  nlp: nlpSchema.default(nlpSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
  storage: storageSchema.default(storageSchema.parse({})),
  outbox: outboxSchema.default(outboxSchema.parse({})),
  housekeeping: housekeepingSchema.default(housekeepingSchema.parse({})),
  audit: auditSchema.default(auditSchema.parse({})),
  /** Absent: SQLite in dataDir. */
  database: databaseSchema.optional(),
  cluster: clusterSchema.default(clusterSchema.parse({})),
  /** Image models. Absent: the shipped demo model (models/chest-ct-nodule-demo). `[]`: no image AI. */
  models: z.array(z.union([modelFileEntry, inlineModelEntry])).optional(),
}).superRefine((cfg, ctx) => {
  const names = new Set<string>();
  cfg.dicom.destinations.forEach((d, i) => {
    if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['dicom', 'destinations', i, 'name'], message: `duplicate destination name "${d.name}"` });
    names.add(d.name);
  });
  // One outbox holds both kinds, keyed by destination name: names are unique across DICOM and HL7.
  cfg.hl7.destinations.forEach((d, i) => {
    if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['hl7', 'destinations', i, 'name'], message: `destination name "${d.name}" is already used` });
    names.add(d.name);
  });
  (cfg.models ?? []).forEach((m, i) => {
    for (const name of m.destinations ?? []) {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'destinations'], message: `no destination named "${name}" in dicom.destinations` });
    }
  });
});

export type GatewayConfig = z.infer<typeof configSchema>;
/** What a config file may say: every key with a default is optional. */
export type GatewayConfigInput = z.input<typeof configSchema>;
export type AllowedPeer = z.infer<typeof allowedPeer>;
export type DicomDestination = z.infer<typeof dicomDestination>;
export type DicomTlsSettings = z.infer<typeof dicomTls>;
export type Hl7TlsSettings = z.infer<typeof hl7Tls>;
export type TlsClientSettings = z.infer<typeof tlsClient>;
export type AuditSettings = z.infer<typeof auditSchema>;
export type DatabaseSettings = z.infer<typeof databaseSchema>;
export type ClusterSettings = z.infer<typeof clusterSchema>;
export type ModelEntry = z.infer<typeof modelFileEntry> | z.infer<typeof inlineModelEntry>;

/** Keys that were renamed or retired: a file that still uses one fails with the replacement named. */
export const RETIRED_KEYS: ReadonlyArray<{ path: string; replacement: string }> = [
  { path: 'dicom.quietSeconds', replacement: 'dicom.studyQuietSeconds' },
  { path: 'dicom.ae', replacement: 'dicom.aeTitle' },
];
