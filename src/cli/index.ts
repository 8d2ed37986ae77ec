export { ExitCode, EXIT_CODES_HELP, UsageError, type ExitCodeValue } from './exit-codes.js';
export { CONFIG_OPTION_HELP, readConfigOrExit } from './config-file.js';
export { startCommand } from './start-command.js';
export { echoCommand } from './echo-command.js';
export { sendCommand } from './send-command.js';
export { statusCommand } from './status-command.js';
export { resendCommand } from './resend-command.js';
export { nlpCommand } from './nlp-command.js';

export { type DicomTarget } from './dicom-target.js';
