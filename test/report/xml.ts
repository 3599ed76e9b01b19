/** A tiny, strict XML parser for the JUnit tests: elements, attributes, CDATA; throws when not well-formed. */
export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s))
    throw new Error(`bare & in ${JSON.stringify(s)}`);
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_m, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] ?? ''),
  );
}

export function parseXml(xml: string): El {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml))
    throw new Error('illegal XML character');
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const skipWs = (): void => {
    while (i < xml.length && /\s/.test(xml[i] ?? '')) i++;
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  skipWs();
  const element = (): El => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(i))?.[0] ?? fail('expected a name');
    i += name.length;
    const el: El = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const attr = /^([A-Za-z_][\w.-]*)="([^"<]*)"/.exec(xml.slice(i)) ?? fail('bad attribute');
      if (attr[1] === undefined || attr[2] === undefined) return fail('bad attribute');
      if (attr[1] in el.attrs) fail(`duplicate attribute ${attr[1]}`);
      el.attrs[attr[1]] = decode(attr[2]);
      i += attr[0].length;
    }
    for (;;) {
      if (i >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith('<![CDATA[', i)) {
        const end = xml.indexOf(']]>', i);
        if (end < 0) fail('unclosed CDATA');
        el.text += xml.slice(i + 9, end);
        i = end + 3;
      } else if (xml.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!xml.startsWith(close, i)) fail(`expected ${close}`);
        i += close.length;
        return el;
      } else if (xml[i] === '<') {
        el.children.push(element());
      } else {
        const next = xml.indexOf('<', i);
        const chunk = xml.slice(i, next < 0 ? xml.length : next);
        if (chunk.includes('>') && chunk.includes(']]>')) fail('stray ]]>');
        el.text += decode(chunk);
        i = next < 0 ? xml.length : next;
      }
    }
  };
  const root = element();
  skipWs();
  if (i !== xml.length) fail('content after the root element');
  return root;
}
