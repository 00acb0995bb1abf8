// Measures the first-load transfer: the JS and CSS that dist/index.html loads, raw, gzip -9 and brotli q11.
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const html = readFileSync(new URL('../dist/index.html', import.meta.url), 'utf8');
const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let raw = 0, gz = 0, br = 0;
for (const a of assets) {
  const b = readFileSync(new URL(`../dist${a}`, import.meta.url));
  const g = gzipSync(b, { level: 9 }).length;
  const r = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  raw += b.length; gz += g; br += r;
  console.log(`${a}\traw ${b.length}\tgzip ${g}\tbrotli ${r}`);
}
console.log(`total\traw ${raw}\tgzip ${gz}\tbrotli ${br}`);
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html) || /<style/.test(html)) {
  console.error('index.html has an inline script or style');
  process.exit(1);
}
