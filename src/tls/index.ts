export { readTlsFiles, inspectTlsFiles, type TlsServerFiles, type TlsClientFiles, type TlsMaterial, type TlsFileProblem } from './tls-files.js';
export { serverTlsOptions, serverSecureContext, clientTlsOptions, type TlsListenerConfig, type TlsClientConfig } from './tls-options.js';
export { tlsPeerIdentity, identityMatches, isTlsFailure, describeTlsFailure, type TlsPeerIdentity } from './peer-identity.js';
export { createScreenedTlsServer, type ScreenedTlsHooks } from './tls-listener.js';
