// A small XML property-list reader for `diskutil info -plist` (dict, array, string, integer, real, true/false, data, date).

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
  e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e] ?? m);

/** Parses the first value inside <plist>; throws on malformed input rather than guessing. */
export function parsePlist(xml: string): PlistValue {
  const tokens = [...xml.replace(/<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--[\s\S]*?-->/g, '')
    .matchAll(/<(\/?)(\w+)\s*(\/?)>|([^<]+)/g)];
  let i = 0;
  const skipText = () => { while (i < tokens.length && tokens[i]![4] !== undefined) i++; };
  const textUntil = (tag: string): string => {
    let s = '';
    while (i < tokens.length && !(tokens[i]![1] === '/' && tokens[i]![2] === tag)) s += tokens[i++]![0];
    i++;
    return decode(s);
  };
  const value = (): PlistValue => {
    skipText();
    const t = tokens[i++];
    if (!t || t[1] === '/') throw new Error('plist: expected a value');
    const tag = t[2]!;
    const selfClosing = t[3] === '/';
    switch (tag) {
      case 'true': case 'false':
        if (!selfClosing) textUntil(tag);
        return tag === 'true';
      case 'string': case 'date': case 'data': return selfClosing ? '' : tag === 'data' ? textUntil(tag).replace(/\s+/g, '') : textUntil(tag);
      case 'integer': case 'real': return Number(textUntil(tag).trim());
      case 'array': {
        const arr: PlistValue[] = [];
        if (selfClosing) return arr;
        for (;;) {
          skipText();
          if (tokens[i]?.[1] === '/' && tokens[i]?.[2] === 'array') { i++; return arr; }
          arr.push(value());
        }
      }
      case 'dict': {
        const dict: { [key: string]: PlistValue } = {};
        if (selfClosing) return dict;
        for (;;) {
          skipText();
          const k = tokens[i++];
          if (!k) throw new Error('plist: unterminated dict');
          if (k[1] === '/' && k[2] === 'dict') return dict;
          if (k[2] !== 'key') throw new Error(`plist: expected <key>, got <${k[2]}>`);
          const key = textUntil('key');
          dict[key] = value();
        }
      }
      case 'plist': return value();
      default: throw new Error(`plist: unknown element <${tag}>`);
    }
  };
  return value();
}
