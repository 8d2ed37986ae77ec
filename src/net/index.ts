/** Who a peer is on the network: IP addresses, IP/CIDR allow-lists, and the AE title a DICOM peer goes by. */
export { AddressAllowList, isLoopbackAddress, normalizeAddress, parseAddressBlock, type AddressBlock, type AddressBlockResult } from './address.js';
export { parseAeTitle, type AeTitle, type AeTitleResult } from './ae-title.js';
