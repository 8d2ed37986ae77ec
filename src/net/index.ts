export { ADDRESS_BLOCK_RULE, AddressAllowList, isLoopbackAddress, normalizeAddress, parseAddressBlock, type AddressBlock, type AddressBlockResult } from './address.js';
