/** PS3.10 §7.1 File Meta Information: the 128-byte preamble, "DICM" and group 0002 in Explicit VR Little Endian. */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids.js';

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Who sent it (0002,0016): the calling AE title. */
  sourceAeTitle?: string;
}

function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const b = Buffer.alloc(8 + value.length);
  b.writeUInt16LE(0x0002, 0);
  b.writeUInt16LE(element, 2);
  b.write(vr, 4, 'latin1');
  b.writeUInt16LE(value.length, 6);
  value.copy(b, 8);
  return b;
}

function padded(text: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(text.length % 2 === 1 ? text + pad : text, 'latin1');
}

export function buildFileMetaHeader(fields: FileMetaFields): Buffer {
  const version = Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]); // (0002,0001) OB 00\01
  const elements = [
    version,
    shortElement(0x0002, 'UI', padded(fields.sopClassUid, '\0')),
    shortElement(0x0003, 'UI', padded(fields.sopInstanceUid, '\0')),
    shortElement(0x0010, 'UI', padded(fields.transferSyntaxUid, '\0')),
    shortElement(0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, '\0')),
    shortElement(0x0013, 'SH', padded(IMPLEMENTATION_VERSION_NAME, ' ')),
  ];
  if (fields.sourceAeTitle !== undefined && fields.sourceAeTitle !== '') {
    elements.push(shortElement(0x0016, 'AE', padded(fields.sourceAeTitle, ' ')));
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(body.length, 8);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, body]);
}
