// Draws the app icon (two mirrored drives on a blue tile) into build/icon.png, 512×512 RGBA, with node:zlib only.
// Run once when the design changes: node electron/make-icon.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const N = 512;
const px = new Uint8Array(N * N * 4);
const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
  if (x < x0 || x >= x1 || y < y0 || y >= y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r - 1), cy = Math.min(Math.max(y, y0 + r), y1 - r - 1);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const paint = (test, [r, g, b]) => {
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) if (test(x, y)) px.set([r, g, b, 255], (y * N + x) * 4);
};
paint((x, y) => inRoundRect(x, y, 16, 16, 496, 496, 96), [37, 99, 235]);
for (const top of [112, 288]) {
  paint((x, y) => inRoundRect(x, y, 96, top, 416, top + 112, 28), [248, 250, 252]);
  paint((x, y) => (x - 360) ** 2 + (y - (top + 56)) ** 2 <= 16 ** 2, top === 112 ? [34, 197, 94] : [245, 158, 11]);
  paint((x, y) => inRoundRect(x, y, 136, top + 48, 300, top + 64, 8), [148, 163, 184]);
}
paint((x, y) => x >= 248 && x < 264 && y >= 224 && y < 288, [248, 250, 252]);

const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const head = Buffer.alloc(8); head.writeUInt32BE(data.length, 0); head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) Buffer.from(px.buffer, y * N * 4, N * 4).copy(raw, y * (N * 4 + 1) + 1);
mkdirSync('build', { recursive: true });
writeFileSync('build/icon.png', Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]));
console.log('wrote build/icon.png');
