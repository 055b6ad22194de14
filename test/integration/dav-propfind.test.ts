// PROPFIND Depth 0 and 1 written in one pass (core/server/dav/propfind.ts): what a listing says of each entry, and that
// the answer is byte for byte nephele's own for the same request (names, dead properties, locks, prefixes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as xml2js from 'xml2js';
import { DavPropfind } from '../../core/server/dav/dav-methods.ts';
import { etagOf } from '../../core/server/dav/resource-properties.ts';
import { davMirror, davServer, XML } from '../helpers/dav.ts';

/** An element as xml2js reads it (xmlns on, arrays everywhere): its text, its namespace, its children. */
type El = { _?: string; $ns: { uri: string; local: string } } & { [child: string]: El[] | undefined };
type Props = Map<string, string | El>;

/** The responses of a 207 by href, each as its propstats: status code → {namespace}name → text (or the element). */
async function responsesOf(xml: string): Promise<Map<string, Map<number, Props>>> {
  const parsed = await new xml2js.Parser({ xmlns: true, explicitArray: true }).parseStringPromise(xml) as { multistatus: El };
  const text = (el: El | string) => (typeof el === 'string' ? el : el._ ?? '');
  const out = new Map<string, Map<number, Props>>();
  for (const r of parsed.multistatus.response ?? []) {
    const stats = new Map<number, Props>();
    for (const ps of r.propstat ?? []) {
      const status = Number(/HTTP\/1\.1 (\d+)/.exec(text(ps.status![0]!))![1]);
      const props: Props = new Map();
      for (const [key, value] of Object.entries(ps.prop![0]!)) {
        if (key === '$' || key === '$ns') continue;
        const el = (value as El[])[0]!;
        props.set(`{${el.$ns.uri}}${el.$ns.local}`, typeof el === 'object' && '_' in el ? el._! : el);
      }
      stats.set(status, props);
    }
    out.set(text(r.href![0]!), stats);
  }
  return out;
}

const NAMES = ['a b.txt', 'ü.txt', 'this & that.pdf', 'a<b', 'plain'];

test('Depth 1 lists every entry of a folder with its href and properties; dead properties show; unknown ones are 404', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.mkdir('docs');
  await m.mkdir('docs/sub dir');
  for (const [i, name] of NAMES.entries()) await m.writeFile(`docs/${name}`, 'x'.repeat(i + 1));
  const ok = await s.req('PROPPATCH', `/dav/docs/${encodeURIComponent('ü.txt')}`, {
    headers: XML,
    body: '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:color>blue &amp; green</Z:color></D:prop></D:set></D:propertyupdate>',
  });
  assert.equal(ok.status, 207);
  assert.match(ok.text, /200 OK/);

  const all = await s.req('PROPFIND', '/dav/docs', { headers: { Depth: '1' } });
  assert.equal(all.status, 207);
  assert.equal(all.headers['content-location'], `${s.base}docs/`);
  assert.match(String(all.headers['content-type']), /^application\/xml; charset=utf-8$/);
  const listed = await responsesOf(all.text);
  const expected = new Map<string, string>([
    [`${s.base}docs/`, ''],
    [`${s.base}docs/sub%20dir/`, 'sub dir'],
    ...NAMES.map((n): [string, string] => [`${s.base}docs/${encodeURIComponent(n)}`, n]),
  ]);
  assert.deepEqual(new Set(listed.keys()), new Set(expected.keys()), 'every entry, hrefs percent-encoded, folders with a slash');
  assert.ok(all.text.includes(`<href>${s.base}docs/a%3Cb</href>`) && all.text.includes('this%20%26%20that.pdf'), 'the names are encoded in the href, never raw');
  for (const [href, name] of expected) {
    const path = name === '' ? 'docs' : `docs/${name}`;
    const st = await m.stat(path);
    const props = listed.get(href)!.get(200)!;
    assert.equal(props.get('{DAV:}getetag'), `"${etagOf(st)}"`, href);
    assert.equal(props.get('{DAV:}getlastmodified'), new Date(st.mtimeMs).toUTCString(), href);
    assert.equal(props.get('{DAV:}creationdate'), new Date(st.mtimeMs).toISOString(), href);
    const folder = st.type === 'dir';
    assert.equal(props.get('{DAV:}getcontentlength'), folder ? undefined : String(st.size), href);
    assert.equal(props.has('{DAV:}getcontenttype'), !folder, href);
    assert.equal(folder, 'collection' in (props.get('{DAV:}resourcetype') as El), href);
    assert.ok(props.has('{DAV:}supportedlock') && props.has('{DAV:}lockdiscovery'), href);
    assert.equal(props.get('{urn:example:z}color'), name === 'ü.txt' ? 'blue & green' : undefined, href);
  }
  assert.equal(listed.get(`${s.base}docs/this%20%26%20that.pdf`)!.get(200)!.get('{DAV:}getcontenttype'), 'application/pdf');

  const named = await s.req('PROPFIND', '/dav/docs/', {
    headers: { Depth: '1', ...XML },
    body: '<?xml version="1.0"?><propfind xmlns="DAV:" xmlns:z="urn:example:z"><prop><getcontentlength/><z:color/><z:nope/></prop></propfind>',
  });
  assert.equal(named.status, 207);
  const answered = await responsesOf(named.text);
  assert.equal(answered.size, NAMES.length + 2);
  const umlaut = answered.get(`${s.base}docs/%C3%BC.txt`)!;
  assert.deepEqual([...umlaut.get(200)!.entries()], [['{DAV:}getcontentlength', '2'], ['{urn:example:z}color', 'blue & green']]);
  assert.deepEqual([...umlaut.get(404)!.keys()], ['{urn:example:z}nope'], 'a requested property nobody set is a 404 propstat');
  assert.deepEqual([...answered.get(`${s.base}docs/`)!.get(404)!.keys()], ['{DAV:}getcontentlength', '{urn:example:z}color', '{urn:example:z}nope']);
  assert.equal(answered.get(`${s.base}docs/plain`)!.get(200)!.get('{DAV:}getcontentlength'), '5');

  const root = await s.req('PROPFIND', '/dav/', { headers: { Depth: '1' } });
  assert.deepEqual([...(await responsesOf(root.text)).keys()], [s.base, `${s.base}docs/`], '.nas-mirror is not listed');
  assert.equal((await s.req('PROPFIND', '/dav/docs/', { headers: { Depth: 'infinity' } })).status, 403);
  assert.equal((await s.req('PROPFIND', '/dav/docs/', { headers: { Depth: '2' } })).status, 400);
  assert.equal((await s.req('PROPFIND', '/dav/nothing/', { headers: { Depth: '1' } })).status, 404);
});

test('the one-pass answer is byte for byte what nephele writes: dead values, namespaces, prefixes, locks, 404s', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.mkdir('d');
  await m.mkdir('d/locked dir');
  await m.writeFile('d/a b&<ü.txt', 'hello');
  await m.writeFile('d/plain', '');
  await m.writeFile('d/other.jpg', 'jpg');
  await m.writeFile("d/it's (1) ~!*%20+;=,@$.TXT", 'odd');
  const patch = await s.req('PROPPATCH', '/dav/d/a%20b%26%3C%C3%BC.txt', {
    headers: XML,
    body: `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:x="http://example.com/x"><D:set><D:prop>
<Z:Win32LastModifiedTime>Mon, 01 Jan 2024 00:00:00 GMT</Z:Win32LastModifiedTime>
<x:complex a="1" x:b="2 &quot;q&quot;"><x:child>t &amp; u</x:child><x:child>v</x:child><other xmlns="urn:o">w</other></x:complex>
<D:displayname>Hello &lt;there&gt;</D:displayname>
<nsless xmlns="">plain</nsless>
<x:empty/>
<x:lang xml:lang="de">Hallo</x:lang>
</D:prop></D:set></D:propertyupdate>`,
  });
  assert.equal(patch.status, 207);
  assert.doesNotMatch(patch.text, /HTTP\/1\.1 [45]/);
  const patch2 = await s.req('PROPPATCH', '/dav/d/plain', {
    headers: XML,
    body: '<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop><q:tag xmlns:q="urn:q">one</q:tag><q:tag2 xmlns:q="urn:q"/></prop></set></propertyupdate>',
  });
  assert.equal(patch2.status, 207);
  const lock = await s.req('LOCK', '/dav/d/locked%20dir/', {
    headers: { ...XML, Depth: 'infinity' },
    body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://me/?a=1&amp;b=2</D:href></D:owner></D:lockinfo>',
  });
  assert.equal(lock.status, 200);

  const bodies: (string | undefined)[] = [
    undefined,
    '<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>',
    '<?xml version="1.0"?><A:propfind xmlns:A="DAV:"><A:allprop/><A:include><A:lockdiscovery/><A:getetag/></A:include></A:propfind>',
    '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/><x:complex xmlns:x="http://example.com/x"/><lockdiscovery/><nope xmlns="urn:nope"/><resourcetype/><getcontenttype/></prop></propfind>',
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:ns0="urn:taken" xmlns:Z="urn:schemas-microsoft-com:"><d:prop><Z:Win32LastModifiedTime/><ns0:x/><d:displayname/><d:displayname/><q:tag xmlns:q="urn:q"/><empty xmlns=""/></d:prop></d:propfind>',
    '<?xml version="1.0"?><propfind xmlns="DAV:"><prop/></propfind>',
  ];
  const answers = async (fast: boolean) => {
    const mock = fast ? null : t.mock.method(DavPropfind.prototype, 'answer', async () => false);
    const out: string[] = [];
    try {
      for (const path of ['/dav/', '/dav/d', '/dav/d/', '/dav/d/a%20b%26%3C%C3%BC.txt', '/dav/d/plain', '/dav/d/locked%20dir']) {
        for (const depth of ['0', '1']) {
          for (const body of bodies) {
            const r = await s.req('PROPFIND', path, { headers: { Depth: depth, ...(body ? XML : {}) }, body });
            const headers = ['content-type', 'content-location', 'content-length'].map((h) => `${h}: ${r.headers[h]}`).join('\n');
            // A lock's remaining time ticks down between the two answers.
            out.push(`${path} ${depth} ${body}\n${r.status}\n${headers}\n${r.text.replace(/Second-\d+/g, 'Second-N')}`);
          }
        }
      }
    } finally {
      mock?.mock.restore();
    }
    return out;
  };
  const nephele = await answers(false);
  const fast = await answers(true);
  for (const [i, expected] of nephele.entries()) assert.equal(fast[i], expected);
  assert.ok(fast.some((a) => a.includes('Win32LastModifiedTime') && a.includes('activelock')), 'the cases hold dead properties and locks');
});

test('propname and other shapes are still nephele\'s', async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.writeFile('f.txt', 'x');
  const names = await s.req('PROPFIND', '/dav/', { headers: { Depth: '1', ...XML }, body: '<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>' });
  assert.equal(names.status, 207);
  assert.match(names.text, /<getetag\/>/);
  assert.doesNotMatch(names.text, /"[0-9a-f]+-[0-9a-f]+"/, 'names only, no values');
  assert.equal((await s.req('PROPFIND', '/dav/f.txt', { headers: { Depth: '0', ...XML }, body: '<?xml version="1.0"?><nope xmlns="DAV:"/>' })).status, 400);
  assert.equal((await s.req('PROPFIND', '/dav/f.txt', { headers: { Depth: '0', Accept: 'text/html' } })).status, 406);
});

test('an answer of many chunks (thousands of entries, a dead property bigger than a chunk\'s share) is nephele\'s, byte for byte', { timeout: 120_000 }, async (t) => {
  const { m } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  await m.mkdir('many');
  // ~650 bytes an entry: 2,000 take more than one of the pool's 1 MiB chunks; names of every UTF-8 length.
  for (let i = 0; i < 2000; i++) await m.writeFile(`many/${i % 3 === 0 ? 'ü€𝄞' : 'file'}-${String(i).padStart(4, '0')}.txt`, 'x'.repeat(i % 17));
  const big = `${'long value ü '.repeat(30_000)}end`; // ~390,000 characters: written into a buffer of its own
  const patch = await s.req('PROPPATCH', `/dav/many/file-0001.txt`, {
    headers: XML,
    body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:note>${big}</Z:note></D:prop></D:set></D:propertyupdate>`,
  });
  assert.equal(patch.status, 207);
  assert.doesNotMatch(patch.text, /HTTP\/1\.1 [45]/);
  const answer = async (fast: boolean) => {
    const mock = fast ? null : t.mock.method(DavPropfind.prototype, 'answer', async () => false);
    try {
      return await s.req('PROPFIND', '/dav/many/', { headers: { Depth: '1' } });
    } finally {
      mock?.mock.restore();
    }
  };
  const nephele = await answer(false);
  const fast = await answer(true);
  assert.equal(fast.status, 207);
  assert.ok(fast.body.length > (1 << 20) + big.length, `entries over more than a chunk, and the big value: ${fast.body.length} bytes`);
  assert.equal(fast.headers['content-length'], String(fast.body.length));
  assert.equal(fast.headers['content-length'], nephele.headers['content-length']);
  assert.ok(fast.body.equals(nephele.body), 'the same bytes as nephele\'s own PROPFIND');
  assert.equal((await responsesOf(fast.text)).size, 2001);
  // Again: the chunks given back by the first answer are written over by this one, and the answer is the same.
  assert.ok((await answer(true)).body.equals(nephele.body));
});
