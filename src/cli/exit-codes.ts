/** Exit codes of every command, documented in `--help` and the README. */
export const ExitCode = {
  Ok: 0,
  /** A runtime failure: the daemon could not start, a database could not be read, a peer answered a failure status. */
  Failure: 1,
  /** Invalid configuration or command-line usage. */
  InvalidConfig: 2,
  /** The peer could not be reached or refused the association (or the service): nothing was done. */
  PeerUnreachable: 3,
  /** `send`: some files were not stored (each is listed with its DICOM status or reason). */
  FilesFailed: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  failure (daemon failed, database unreadable, peer answered a failure status)
  2  invalid configuration or usage
  3  peer unreachable, or it refused the association or service
  4  send: some files were not stored`;

/** A usage or configuration problem found by a command: main prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
