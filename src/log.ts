/**
 * The root logger (winston, JSON lines on stdout). Modules take a child with their bindings
 * (`component`, `assoc`, `jobId`) so one grep tells a unit of work's story.
 * Patient names and IDs are never logged: fields with those names are dropped at every level.
 */
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/** Field names that may carry PHI; removed from every line. */
const PHI_FIELDS = new Set(['patientName', 'patientId', 'patientBirthDate', 'PatientName', 'PatientID']);

const dropPhi = winston.format((info) => {
  for (const key of Object.keys(info)) if (PHI_FIELDS.has(key)) delete info[key];
  return info;
});

export function createLogger(options: { level: LogLevel; stream?: NodeJS.WritableStream }): Logger {
  const transport =
    options.stream === undefined
      ? new winston.transports.Console()
      : new winston.transports.Stream({ stream: options.stream });
  const root = winston.createLogger({
    level: options.level,
    format: winston.format.combine(dropPhi(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
  return wrap(root);
}

/** A logger that drops everything: for unit tests and library use. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};

function wrap(w: winston.Logger): Logger {
  return {
    error: (message, fields) => w.error(message, fields ?? {}),
    warn: (message, fields) => w.warn(message, fields ?? {}),
    info: (message, fields) => w.info(message, fields ?? {}),
    debug: (message, fields) => w.debug(message, fields ?? {}),
    child: (bindings) => wrap(w.child(bindings)),
  };
}
