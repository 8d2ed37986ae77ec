#!/usr/bin/env node
/**
 * CLI entry: registers the commands (each in its own module under src/cli/) and maps their results to exit codes:
 * 0 ok, 1 failure, 2 invalid configuration or usage, 3 peer unreachable, 4 some files not sent.
 */
import './threadpool.js'; // first: sizes libuv's pool before any file I/O
import { Command, CommanderError } from 'commander';
import {
  CONFIG_OPTION_HELP,
  EXIT_CODES_HELP,
  ExitCode,
  UsageError,
  echoCommand,
  nlpCommand,
  readConfigOrExit,
  resendCommand,
  sendCommand,
  startCommand,
  statusCommand,
  type ExitCodeValue,
} from './cli/index.js';
import { explainConfig } from './config/index.js';
import { GatewayError, describeError } from './errors.js';

/** Runs a command that returns its exit code. */
const exitWith = (run: Promise<ExitCodeValue>): Promise<void> => run.then((code) => void (process.exitCode = code));

const program = new Command()
  .name('pacs-ai-gateway')
  .description('DICOM/HL7 gateway that runs image and report AI next to a PACS')
  .showHelpAfterError()
  .exitOverride() // usage errors exit 2 (commander's own default is 1); inherited by the commands below
  .addHelpText('after', EXIT_CODES_HELP);

program
  .command('start')
  .description('run the daemon in the foreground (SIGTERM/SIGINT drain open associations and exit 0)')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .action((opts: { config?: string }) => startCommand(opts.config));

program
  .command('check-config')
  .description('validate a config file: prints each problem with its key path and exits 2, or exits 0')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .action((opts: { config?: string }) => {
    const { config, source } = readConfigOrExit(opts.config);
    process.stdout.write(`configuration OK (${source})\n`);
    for (const line of explainConfig(config)) process.stdout.write(`${line}\n`);
  });

program
  .command('echo')
  .description('C-ECHO a DICOM peer (AE@HOST:PORT, or a dicom.destinations name) from our SCU')
  .argument('<peer>', 'AE@HOST:PORT (e.g. ORTHANC@10.20.0.15:4242) or a configured destination name')
  .option('--aet <ae>', 'calling AE title (default: dicom.aeTitle)')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .addHelpText('after', '\nExit codes: 0 Success, 1 the peer answered a failure status, 2 bad usage/config, 3 unreachable or association/service refused')
  .action((peer: string, opts: { aet?: string; config?: string }) => exitWith(echoCommand(peer, opts)));

program
  .command('send')
  .description('C-STORE DICOM files (directories recurse) to a destination, as stored (no transcoding)')
  .argument('<files...>', 'DICOM Part-10 files or directories')
  .requiredOption('--to <dest>', 'a dicom.destinations name, or AE@HOST:PORT')
  .option('--aet <ae>', 'calling AE title (default: dicom.aeTitle)')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .addHelpText(
    'after',
    '\nA progress bar on stderr when it is a terminal, else one line per file on stdout; then a summary and each file not stored with its DICOM status.\n' +
      'Non-DICOM files found in directories are skipped. Exit codes: 0 all stored, 2 bad usage/config, 3 peer unreachable or association refused, 4 some files not stored',
  )
  .action((files: string[], opts: { to: string; aet?: string; config?: string }) => exitWith(sendCommand(files, opts)));

program
  .command('status')
  .description('queue depths, jobs by state, dead letters and last errors (from the running daemon, else read-only from its database)')
  .option('--json', 'print JSON instead of text')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .addHelpText('after', '\nExit codes: 0 shown, 1 no daemon answered and the database cannot be read, 2 bad config')
  .action((opts: { json?: boolean; config?: string }) => exitWith(statusCommand(opts)));

program
  .command('resend')
  .description('deliver a dead-letter outbox item again (ids: pacs-ai-gateway status, GET /api/outbox)')
  .argument('<id>', 'outbox item id')
  .option('--config <path>', CONFIG_OPTION_HELP)
  .addHelpText('after', '\nExit codes: 0 queued, 1 no such dead or pending item, 2 bad id/config')
  .action((id: string, opts: { config?: string }) => exitWith(resendCommand(id, opts.config)));

program
  .command('nlp')
  .description('batch report NER: reads {"id","text","targets"?} JSON lines on stdin, writes {"id","findings","targets"} lines')
  .option('--jsonl', 'JSON lines in and out (the only format)')
  .option('--model-dir <dir>', 'token-classification model folder (default: models/report-ner)')
  .option('--rules-only', 'clinical rules without the NER model')
  .action((opts: { modelDir?: string; rulesOnly?: boolean }) => nlpCommand(opts));

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help); --help and --version are not errors
    process.exit(err.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidConfig);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`pacs-ai-gateway: ${err.message}\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  process.stderr.write(`pacs-ai-gateway: ${describeError(err)}\n`);
  process.exit(err instanceof GatewayError && err.code.startsWith('GW_ERR_CONFIG') ? ExitCode.InvalidConfig : ExitCode.Failure);
});
