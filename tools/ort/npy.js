'use strict';
// Minimal NumPy .npy reader/writer: versions 1.0-3.0, little-endian '<f4', '<i4', '<i8', '|u1', C order.
// Mirrors src/io/npy.{h,cc} so that files pass freely between plateau and ONNX Runtime.

const fs = require('fs');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

const TYPES = {
  '<f4': { type: 'float32', Array: Float32Array },
  '<i4': { type: 'int32', Array: Int32Array },
  '<i8': { type: 'int64', Array: BigInt64Array },
  '|u1': { type: 'uint8', Array: Uint8Array },
};

function descrOf(type) {
  for (const [descr, t] of Object.entries(TYPES)) if (t.type === type) return descr;
  throw new Error(`npy: element type '${type}' cannot be written (expected float32, int32, int64 or uint8)`);
}

function parseHeader(text, file) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${file}: malformed .npy header '${text.trim()}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    if (!/^\d+L?$/.test(s)) throw new Error(`${file}: bad dimension '${s}' in .npy header`);
    return parseInt(s, 10);
  });
  return { descr: descr[1], fortran: fortran[1] === 'True', dims };
}

// Returns { type, dims, data } where data is a typed array that owns its memory.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new Error(`${file}: not a .npy file (expected the magic string \\x93NUMPY at the start)`);
  }
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${file}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new Error(`${file}: .npy format version ${major}.${buf[7]} is not supported (expected 1.0-3.0)`);
  }
  if (buf.length < offset + headerLen) throw new Error(`${file}: truncated .npy header`);
  const header = parseHeader(buf.toString('latin1', offset, offset + headerLen), file);
  const t = TYPES[header.descr];
  if (!t) {
    throw new Error(`${file}: element type '${header.descr}' is not supported (expected '<f4', '<i4', '<i8' or '|u1')`);
  }
  if (header.fortran) throw new Error(`${file}: Fortran-order arrays are not supported`);
  const count = header.dims.reduce((a, b) => a * b, 1);
  const bytes = count * t.Array.BYTES_PER_ELEMENT;
  const start = offset + headerLen;
  if (buf.length - start < bytes) {
    throw new Error(`${file}: truncated .npy file: shape (${header.dims}) needs ${bytes} data bytes, found ${buf.length - start}`);
  }
  if (buf.length - start > bytes) throw new Error(`${file}: ${buf.length - start - bytes} unexpected bytes after the data`);
  // Copy into a fresh, aligned ArrayBuffer: the file buffer may start at any offset.
  const data = new t.Array(count);
  new Uint8Array(data.buffer).set(buf.subarray(start, start + bytes));
  return { type: t.type, dims: header.dims, data };
}

function encodeNpy(type, dims, data) {
  const descr = descrOf(type);
  const shape = dims.length === 0 ? '()' : dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (dict.length > 0xffff) throw new Error('npy: header too long for format 1.0');
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

function writeNpy(file, type, dims, data) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${file}: shape (${dims}) has ${count} elements but the data has ${data.length}`);
  fs.writeFileSync(file, encodeNpy(type, dims, data));
}

module.exports = { readNpy, writeNpy, encodeNpy };
