// The WebDAV share over a real mirror (temp folders, the real server): streaming PUT/GET with Range, ETag and
// conditions; MOVE/COPY/DELETE as engine operations; properties, locks, and nephele's five defects fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { DeadProperties } from '../../core/server/dav/dav-state.ts';
import { davMirror, davServer, hrefs, XML } from '../helpers/dav.ts';
import { text, treeOf } from '../helpers/engine.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';

test('PUT and GET stream through the engine: both members get the bytes; Range, ETag, Last-Modified and conditions work', async (t) => {
  const { m, A, B } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  const data = randomBytes(5 * 1024 * 1024 + 123);

  assert.equal((await s.req('PUT', '/dav/photos/big.bin', { body: data })).status, 409, 'no parent folder yet');
  assert.equal((await s.req('MKCOL', '/dav/photos')).status, 201);
  const put = await s.req('PUT', '/dav/photos/big.bin', { body: data });
  assert.equal(put.status, 201);
  assert.match(String(put.headers.location), /\/dav\/photos\/big\.bin$/);
  assert.deepEqual(Buffer.from(await m.readFile('photos/big.bin')), data);

  const get = await s.req('GET', '/dav/photos/big.bin');
  assert.equal(get.status, 200);
  assert.ok(get.body.equals(data));
  assert.equal(get.headers['content-length'], String(data.length));
  const etag = String(get.headers.etag);
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(get.headers['last-modified']);
  assert.equal((await s.req('HEAD', '/dav/photos/big.bin')).headers['content-length'], String(data.length));

  const range = await s.req('GET', '/dav/photos/big.bin', { headers: { Range: 'bytes=1000000-1999999' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers['content-range'], `bytes 1000000-1999999/${data.length}`);
  assert.ok(range.body.equals(data.subarray(1000000, 2000000)));
  const suffix = await s.req('GET', '/dav/photos/big.bin', { headers: { Range: 'bytes=-10' } });
  assert.ok(suffix.body.equals(data.subarray(data.length - 10)));
  assert.equal((await s.req('GET', '/dav/photos/big.bin', { headers: { Range: `bytes=${data.length + 5}-` } })).status, 416);

  assert.equal((await s.req('GET', '/dav/photos/big.bin', { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await s.req('GET', '/dav/photos/big.bin', { headers: { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() } })).status, 304);
  assert.equal((await s.req('PUT', '/dav/photos/big.bin', { body: 'lost update', headers: { 'If-Match': '"not-it"' } })).status, 412);
  assert.deepEqual(Buffer.from(await m.readFile('photos/big.bin')), data, 'a failed condition changes nothing');
  assert.equal((await s.req('PUT', '/dav/photos/big.bin', { body: 'second version', headers: { 'If-Match': etag } })).status, 204);
  assert.notEqual(String((await s.req('HEAD', '/dav/photos/big.bin')).headers.etag), etag, 'a new version has a new ETag');
  assert.equal((await s.req('PUT', '/dav/photos/new.txt', { body: 'x', headers: { 'If-None-Match': '*' } })).status, 201);
  assert.equal((await s.req('PUT', '/dav/photos/new.txt', { body: 'y', headers: { 'If-None-Match': '*' } })).status, 412);

  await m.drain();
  const [a, b] = [await treeOf(A), await treeOf(B)];
  assert.deepEqual(a, b, 'both members hold what the share wrote');
  assert.equal(Buffer.from(a.get('photos/big.bin')!, 'base64').toString(), 'second version');
});

test('a client dropping mid-PUT leaves the old file whole and creates nothing', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  assert.equal((await s.req('PUT', '/dav/keep.txt', { body: 'the old version' })).status, 201);
  for (const path of ['/dav/keep.txt', '/dav/never.bin']) {
    const aborted = new Promise<void>((resolve) => {
      const rq = httpRequest({ host: '127.0.0.1', port: s.port, method: 'PUT', path, headers: { 'Content-Length': String(64 << 20) } });
      rq.on('error', () => resolve());
      // 3 MiB of the promised 64, then the client vanishes.
      rq.write(randomBytes(3 << 20), () => { rq.destroy(); resolve(); });
    });
    await aborted;
    await s.dav.idle(); // the server has seen the end of that request, engine write included
  }
  assert.equal(text(await m.readFile('keep.txt')), 'the old version');
  await assert.rejects(m.stat('never.bin'), { code: 'ENOTFOUND' });
  assert.deepEqual((await m.readdir('')).map((e) => e.name), ['keep.txt']);
});

test('MOVE is one engine rename (Overwrite absent replaces, F refuses with a plain 412); COPY copies trees; DELETE removes them', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  const dest = (p: string) => ({ Destination: `${s.origin}/dav/${p}` });
  for (const d of ['a', 'a/b', 'a/b/c']) await m.mkdir(d);
  await m.writeFile('a/one.txt', 'one');
  await m.writeFile('a/b/c/deep.txt', 'deep');
  await m.writeFile('other.txt', 'other');

  // Defect 1: a refused MOVE/COPY onto one resource is a plain 412, never a 207 holding it.
  const refused = await s.req('MOVE', '/dav/a/one.txt', { headers: { ...dest('other.txt'), Overwrite: 'F' } });
  assert.equal(refused.status, 412);
  assert.equal((await s.req('COPY', '/dav/a/one.txt', { headers: { ...dest('other.txt'), Overwrite: 'F' } })).status, 412);
  assert.equal(text(await m.readFile('other.txt')), 'other');

  // Overwrite absent means T (RFC 4918 §10.6): the target is replaced.
  assert.equal((await s.req('MOVE', '/dav/a/one.txt', { headers: dest('other.txt') })).status, 204);
  assert.equal(text(await m.readFile('other.txt')), 'one');
  await assert.rejects(m.stat('a/one.txt'), { code: 'ENOTFOUND' });

  // A folder moves in one rename, contents and all; a folder replaces a folder.
  assert.equal((await s.req('MOVE', '/dav/a/b', { headers: dest('moved') })).status, 201);
  assert.equal(text(await m.readFile('moved/c/deep.txt')), 'deep');
  await m.mkdir('target');
  await m.writeFile('target/old.txt', 'old');
  assert.equal((await s.req('MOVE', '/dav/moved', { headers: dest('target') })).status, 204);
  assert.deepEqual((await m.readdir('target')).map((e) => e.name), ['c']);
  assert.equal((await s.req('MOVE', '/dav/target', { headers: dest('target/c/x') })).status, 403, 'not into itself');
  assert.equal((await s.req('MOVE', '/dav/target', { headers: dest('nowhere/x') })).status, 409, 'no parent at the destination');
  assert.equal((await s.req('MOVE', '/dav/target', { headers: { Destination: 'http://elsewhere.example/dav/x' } })).status, 502);

  // COPY of a tree: every file read and written through the engine.
  assert.equal((await s.req('COPY', '/dav/target', { headers: dest('copy') })).status, 201);
  assert.equal(text(await m.readFile('copy/c/deep.txt')), 'deep');
  assert.equal(text(await m.readFile('target/c/deep.txt')), 'deep');
  assert.equal((await s.req('COPY', '/dav/target', { headers: { ...dest('shallow'), Depth: '0' } })).status, 201);
  assert.deepEqual(await m.readdir('shallow'), []);

  assert.equal((await s.req('DELETE', '/dav/copy')).status, 204);
  await assert.rejects(m.stat('copy'), { code: 'ENOTFOUND' });
  assert.equal((await s.req('DELETE', '/dav/copy')).status, 404);
  assert.equal((await s.req('DELETE', '/dav/')).status, 403, "the share's root stays");
});

test('PROPFIND lists what the engine lists; Depth infinity (or none) is refused with propfind-finite-depth; .nas-mirror is invisible', async (t) => {
  const { m } = await davMirror(t, { base: RAM_DIR });
  const s = await davServer(t, { mirror: m });
  await m.mkdir('big');
  for (let i = 0; i < 2000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => m.writeFile(`big/f${String(i + j).padStart(4, '0')}.txt`, `${i + j}`)));
  }
  await m.drain();
  await m.writeFile('top.txt', 'top');

  const root = await s.req('PROPFIND', '/dav/', { headers: { Depth: '1' } });
  assert.equal(root.status, 207);
  assert.deepEqual(hrefs(root.text).sort(), ['/dav/', '/dav/big/', '/dav/top.txt']);
  assert.doesNotMatch(root.text, /nas-mirror/);
  const t0 = performance.now();
  const big = await s.req('PROPFIND', '/dav/big/', { headers: { Depth: '1' } });
  t.diagnostic(`PROPFIND Depth 1 of 2,000 entries: ${(performance.now() - t0).toFixed(0)} ms, ${big.body.length} bytes`);
  assert.equal(hrefs(big.text).length, 2001);
  const one = await s.req('PROPFIND', '/dav/top.txt', { headers: { Depth: '0', ...XML }, body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getcontentlength/><getetag/><quota-available-bytes/></prop></propfind>' });
  assert.match(one.text, /<getcontentlength>3<\/getcontentlength>/);
  assert.match(one.text, /<quota-available-bytes>\d+<\/quota-available-bytes>/);

  for (const depth of ['infinity', undefined]) {
    const r = await s.req('PROPFIND', '/dav/', { headers: depth ? { Depth: depth } : {} });
    assert.equal(r.status, 403);
    assert.match(r.text, /propfind-finite-depth/);
  }
  assert.equal((await s.req('PROPFIND', '/dav/.nas-mirror', { headers: { Depth: '0' } })).status, 404);
  assert.equal((await s.req('GET', '/dav/.nas-mirror/superblock.json')).status, 404);
  const put = await s.req('PUT', '/dav/.NAS-Mirror/x', { body: 'no' });
  assert.equal(put.status, 403);
  assert.match(put.text, /\.nas-mirror/);
  assert.equal((await s.req('MKCOL', '/dav/.nas-mirror')).status, 403);
});

test('PROPPATCH: dead properties are durable (a restart keeps them), follow MOVE and COPY, go with DELETE; same-name properties in other namespaces all come back (defect 3)', async (t) => {
  const { m } = await davMirror(t);
  const stateDir = await tempDir(t);
  const s = await davServer(t, { mirror: m, stateDir });
  await m.writeFile('doc.txt', 'doc');
  const names = ['alpha', 'beta', 'gamma'];
  const set = await s.req('PROPPATCH', '/dav/doc.txt', {
    headers: XML,
    body: `<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop>${names.map((n) => `<somename xmlns="http://example.com/${n}">value ${n}</somename>`).join('')}<x:color xmlns:x="urn:c">blue</x:color></prop></set></propertyupdate>`,
  });
  assert.equal(set.status, 207);
  const ask = `<?xml version="1.0"?><propfind xmlns="DAV:"><prop>${names.map((n) => `<somename xmlns="http://example.com/${n}"/>`).join('')}<x:color xmlns:x="urn:c"/></prop></propfind>`;
  const check = async (path: string) => {
    const r = await s.req('PROPFIND', path, { headers: { Depth: '0', ...XML }, body: ask });
    assert.equal(r.status, 207, r.text);
    for (const n of names) assert.match(r.text, new RegExp(`xmlns:(\\w+)="http://example.com/${n}"[^]*<\\1:somename[^>]*>value ${n}<`), `${n} in ${r.text}`);
    assert.match(r.text, />blue</);
  };
  await check('/dav/doc.txt');

  // A restart reads them back from the file the PROPPATCH was answered after.
  const reopened = await DeadProperties.open(stateDir);
  assert.equal(Object.keys(reopened.get(m.id, 'doc.txt')).length, 4);

  assert.equal((await s.req('COPY', '/dav/doc.txt', { headers: { Destination: `${s.origin}/dav/copy.txt` } })).status, 201);
  await check('/dav/copy.txt');
  assert.equal((await s.req('MOVE', '/dav/doc.txt', { headers: { Destination: `${s.origin}/dav/moved.txt` } })).status, 201);
  await check('/dav/moved.txt');
  assert.equal((await s.req('DELETE', '/dav/moved.txt')).status, 204);
  await m.writeFile('moved.txt', 'a new file at the old name');
  const fresh = await s.req('PROPFIND', '/dav/moved.txt', { headers: { Depth: '0', ...XML }, body: ask });
  assert.doesNotMatch(fresh.text, /value alpha/, 'a deleted resource takes its properties with it');
  const live = await s.req('PROPPATCH', '/dav/copy.txt', { headers: XML, body: '<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop><getetag>"forged"</getetag></prop></set></propertyupdate>' });
  assert.match(live.text, /403/, 'live properties are protected');
});

test('LOCK accepts an empty or absent <owner/> (defect 2); UNLOCK with a bogus token is a plain 409 (defect 1); a lock guards its file', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.writeFile('locked.txt', 'v1');
  const lockBody = (owner: string) => `<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype>${owner}</lockinfo>`;
  const lock = await s.req('LOCK', '/dav/locked.txt', { headers: { ...XML, Timeout: 'Second-600' }, body: lockBody('<owner></owner>') });
  assert.equal(lock.status, 200, lock.text);
  const token = String(lock.headers['lock-token']);
  assert.match(token, /^<urn:uuid:/);
  assert.match(lock.text, /<timeout>Second-\d+<\/timeout>/, 'whole seconds');

  assert.equal((await s.req('PUT', '/dav/locked.txt', { body: 'v2' })).status, 423);
  assert.equal((await s.req('DELETE', '/dav/locked.txt')).status, 423);
  assert.equal((await s.req('MOVE', '/dav/locked.txt', { headers: { Destination: `${s.origin}/dav/x.txt` } })).status, 423);
  assert.equal((await s.req('PUT', '/dav/locked.txt', { body: 'v2', headers: { If: `(${token})` } })).status, 204);
  assert.equal(text(await m.readFile('locked.txt')), 'v2');

  const bogus = await s.req('UNLOCK', '/dav/locked.txt', { headers: { 'Lock-Token': '<opaquelocktoken:foobar>' } });
  assert.equal(bogus.status, 409);
  assert.match(bogus.text, /lock-token-matches-request-uri/);
  assert.doesNotMatch(bogus.text, /multistatus/);
  assert.equal((await s.req('UNLOCK', '/dav/locked.txt', { headers: { 'Lock-Token': token } })).status, 204);

  const noOwner = await s.req('LOCK', '/dav/new-by-lock.txt', { headers: XML, body: lockBody('') });
  assert.equal(noOwner.status, 201, 'a LOCK on an unmapped URL makes an empty file (RFC 4918 §7.3)');
  assert.equal((await m.stat('new-by-lock.txt')).size, 0);
  assert.equal((await s.req('LOCK', '/dav/nowhere/x.txt', { headers: XML, body: lockBody('') })).status, 409);
});

test('malformed XML is a 400, never a 500 (defect 4); no answer carries a stack trace (defect 5)', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.writeFile('f.txt', 'f');
  const answers = [
    await s.req('PROPFIND', '/dav/f.txt', { headers: { Depth: '0', ...XML }, body: '<propfind xmlns="DAV:"><prop>' }),
    await s.req('PROPFIND', '/dav/f.txt', { headers: { Depth: '0', ...XML }, body: 'not xml at all' }),
    await s.req('PROPPATCH', '/dav/f.txt', { headers: XML, body: '<propertyupdate xmlns="DAV:"><set>' }),
    await s.req('PROPPATCH', '/dav/f.txt', { headers: XML, body: '<?xml version="1.0"?><propertyupdate xmlns="DAV:"/>' }),
    await s.req('LOCK', '/dav/f.txt', { headers: XML, body: '<lockinfo xmlns="DAV:"><lockscope>' }),
    await s.req('PROPFIND', '/dav/f.txt', { headers: { Depth: '0', ...XML }, body: `${'<a>'.repeat(200)}${'</a>'.repeat(200)}` }),
  ];
  for (const r of answers) assert.equal(r.status, 400, r.text);
  const errors = [...answers, await s.req('GET', '/dav/missing'), await s.req('PUT', '/dav/gz', { body: 'not gzip', headers: { 'Content-Encoding': 'gzip' } })];
  assert.equal(errors.at(-1)!.status, 400);
  for (const r of errors) {
    assert.doesNotMatch(r.text, /\bat .*\.(ts|js):\d+|"stack"|node_modules/, `no stack trace in: ${r.text}`);
    assert.match(String(r.headers['content-type']), /^(text\/plain|application\/xml)/);
  }
});
