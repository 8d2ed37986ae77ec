/** A logger that keeps its lines, for tests that assert what was logged. */
import type { Logger, LogFields } from '../../src/log.js';

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields: LogFields;
}

/** A logger that keeps every line, with its bindings merged in, for asserting what was logged. */
export function capturingLogger(lines: LogLine[] = [], bindings: LogFields = {}): Logger & { lines: LogLine[] } {
  const at = (level: LogLine['level']) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields: { ...bindings, ...fields } });
  };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}
