#!/usr/bin/env node
/**
 * CLI entry: `start` runs the daemon in the foreground; `check-config` validates a config file.
 * Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.
 */
import './threadpool.js'; // first: sizes libuv's pool before any file I/O
import { Command } from 'commander';
import { configPathFrom, formatProblems, loadConfig, type GatewayConfig } from './config/index.js';
import { GatewayError, describeError } from './errors.js';
import { createLogger } from './log.js';
import { join } from 'node:path';
import { OutboxRepo, openDatabase } from './db/index.js';
import { loadNerModel, runNlpJsonl } from './nlp/index.js';
import { Gateway } from './pipeline/index.js';

export const ExitCode = { Ok: 0, Failure: 1, InvalidConfig: 2 } as const;

function readConfig(cliPath: string | undefined): { config: Readonly<GatewayConfig>; source: string } {
  const result = loadConfig(configPathFrom(cliPath, process.env));
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.source, result.problems)}\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  return result;
}

async function start(cliPath: string | undefined): Promise<void> {
  const { config, source } = readConfig(cliPath);
  const log = createLogger({ level: config.log.level });
  log.info('configuration loaded', { source });
  const gateway = new Gateway(config, log);
  try {
    await gateway.start();
  } catch (err) {
    log.error('gateway failed to start', { err: describeError(err), code: err instanceof GatewayError ? err.code : undefined });
    process.exitCode = ExitCode.Failure;
    await gateway.stop().catch(() => {});
    return;
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('signal received', { signal });
    gateway.stop().then(
      () => process.exit(ExitCode.Ok),
      (err: unknown) => {
        log.error('shutdown failed', { err: describeError(err) });
        process.exit(ExitCode.Failure);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Renewed TLS certificates, without dropping open associations (systemd: ExecReload=kill -HUP $MAINPID).
  process.on('SIGHUP', () => gateway.reloadTls());
}

/** Re-sends an outbox item: through the running daemon's API, or in the database when no daemon answers. */
async function resend(idText: string, cliPath: string | undefined): Promise<void> {
  const { config } = readConfig(cliPath);
  const id = Number(idText);
  if (!Number.isInteger(id) || id < 1) {
    process.stderr.write(`resend: "${idText}" is not an outbox id (see GET /api/outbox)\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/api/outbox/${id}/resend`, { method: 'POST' });
    if (res.status === 202) {
      process.stdout.write(`outbox item ${id} queued for delivery now\n`);
      return;
    }
    process.stderr.write(`resend: ${((await res.json()) as { error?: string }).error ?? `HTTP ${res.status}`}\n`);
    process.exitCode = ExitCode.Failure;
    return;
  } catch {
    // No daemon listening: mark the row in the database; the daemon delivers it when it starts.
  }
  const db = openDatabase(join(config.dataDir, 'gateway.sqlite'));
  try {
    if (new OutboxRepo(db).resend(id, Date.now())) process.stdout.write(`outbox item ${id} will be delivered when the daemon starts\n`);
    else {
      process.stderr.write(`resend: no dead or pending outbox item ${id}\n`);
      process.exitCode = ExitCode.Failure;
    }
  } finally {
    db.close();
  }
}

const program = new Command()
  .name('pacs-ai-gateway')
  .description('DICOM/HL7 gateway that runs image and report AI next to a PACS')
  .showHelpAfterError();

program
  .command('start')
  .description('run the daemon in the foreground (SIGTERM/SIGINT drain open associations and exit 0)')
  .option('--config <path>', 'YAML config file (default: $PACS_AI_GATEWAY_CONFIG, else embedded defaults)')
  .action((opts: { config?: string }) => start(opts.config));

program
  .command('check-config')
  .description('validate a config file: prints each problem with its key path and exits 2, or exits 0')
  .option('--config <path>', 'YAML config file (default: $PACS_AI_GATEWAY_CONFIG)')
  .action((opts: { config?: string }) => {
    const { source } = readConfig(opts.config);
    process.stdout.write(`configuration OK (${source})\n`);
  });

program
  .command('resend')
  .description('deliver a dead-letter outbox item again (ids: GET /api/outbox)')
  .argument('<id>', 'outbox item id')
  .option('--config <path>', 'YAML config file (default: $PACS_AI_GATEWAY_CONFIG)')
  .action((id: string, opts: { config?: string }) => resend(id, opts.config));

program
  .command('nlp')
  .description('batch report NER: reads {"id","text","targets"?} JSON lines on stdin, writes {"id","findings","targets"} lines')
  .option('--jsonl', 'JSON lines in and out (the only format)')
  .option('--model-dir <dir>', 'token-classification model folder (default: models/report-ner)')
  .option('--rules-only', 'clinical rules without the NER model')
  .action(async (opts: { modelDir?: string; rulesOnly?: boolean }) => {
    const ner = opts.rulesOnly === true ? null : await loadNerModel(opts.modelDir === undefined ? {} : { modelDir: opts.modelDir });
    const summary = await runNlpJsonl(process.stdin, process.stdout, { ner });
    await ner?.dispose();
    // Bad lines get an {"error"} line each and processing goes on: the exit code stays 0.
    process.stderr.write(`${summary.lines} lines, ${summary.ok} ok, ${summary.errors} errors\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`pacs-ai-gateway: ${describeError(err)}\n`);
  process.exit(err instanceof GatewayError && err.code.startsWith('GW_ERR_CONFIG') ? ExitCode.InvalidConfig : ExitCode.Failure);
});
