// Just enough of a ZIP reader for the import's "any other filename is a ZIP" path: the central directory, stored and
// deflated entries. Failures read like Go's archive/zip.
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
	name: string;
	isDir: boolean;
	read(): Buffer;
}

export class ZipError extends Error {}

export function readZip(buf: Buffer): ZipEntry[] {
	const eocd = findEndOfCentralDirectory(buf);
	if (eocd < 0) throw new ZipError('zip: not a valid zip file');
	const count = buf.readUInt16LE(eocd + 10);
	let p = buf.readUInt32LE(eocd + 16);
	const entries: ZipEntry[] = [];
	for (let i = 0; i < count; i++) {
		if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError('zip: not a valid zip file');
		const method = buf.readUInt16LE(p + 10);
		const compressedSize = buf.readUInt32LE(p + 20);
		const nameLength = buf.readUInt16LE(p + 28);
		const extraLength = buf.readUInt16LE(p + 30);
		const commentLength = buf.readUInt16LE(p + 32);
		const localOffset = buf.readUInt32LE(p + 42);
		const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
		p += 46 + nameLength + extraLength + commentLength;
		entries.push({
			name,
			isDir: name.endsWith('/'),
			read: () => {
				if (buf.readUInt32LE(localOffset) !== 0x04034b50) throw new ZipError('zip: not a valid zip file');
				const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
				const data = buf.subarray(start, start + compressedSize);
				if (method === 0) return Buffer.from(data);
				if (method === 8) return inflateRawSync(data);
				throw new ZipError('zip: unsupported compression algorithm');
			},
		});
	}
	return entries;
}

function findEndOfCentralDirectory(buf: Buffer): number {
	for (let p = buf.length - 22; p >= Math.max(0, buf.length - 22 - 0xffff); p--) {
		if (buf.readUInt32LE(p) === 0x06054b50) return p;
	}
	return -1;
}
