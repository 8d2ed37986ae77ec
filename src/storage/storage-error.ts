import { GatewayError, errnoCode } from '../errors.js';

/** A spool failure as the GatewayError the peer's status comes from: out of space (A700) or any other (A701). */
export function storageError(err: unknown, action: string, path: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const errno = errnoCode(err);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new GatewayError('GW_ERR_STORAGE_FULL', `no space left to ${action}: free space in dataDir or raise retention`, {
      context: { path, errno },
      cause: err,
    });
  }
  return new GatewayError('GW_ERR_STORAGE_FAILED', `failed to ${action}`, {
    context: { path, ...(errno === undefined ? {} : { errno }) },
    cause: err,
  });
}
