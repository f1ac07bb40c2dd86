/**
 * Strict parsers for what the formats emit, written independently of shared/formats so the tests check
 * the output the way a SIEM would read it. They throw on anything malformed (an unescaped `=` that is
 * not preceded by a key, an unknown escape, a duplicate key, a missing header field).
 */

export interface CefMessage {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  /** Extension keys in order of appearance. */
  keys: string[];
  ext: Map<string, string>;
}

const CEF_KEY_CHAR = /[A-Za-z0-9_.[\]-]/;

export function parseCef(text: string): CefMessage {
  if (!text.startsWith('CEF:')) throw new Error('not CEF: ' + text.slice(0, 40));
  const fields: string[] = [];
  let cur = '';
  let i = 4;
  for (; i < text.length && fields.length < 7; i++) {
    const c = text[i];
    if (c === '\\') {
      const n = text[i + 1];
      if (n !== '\\' && n !== '|') throw new Error(`bad header escape \\${n} at ${i}`);
      cur += n;
      i++;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (fields.length !== 7) throw new Error('CEF header has ' + fields.length + ' fields');
  const extension = text.slice(i);
  const { keys, map } = parseCefExtension(extension);
  return {
    version: fields[0], vendor: fields[1], product: fields[2], deviceVersion: fields[3],
    signatureId: fields[4], name: fields[5], severity: fields[6], keys, ext: map,
  };
}

export function parseCefExtension(ext: string): { keys: string[]; map: Map<string, string> } {
  // Positions of unescaped '='.
  const eqs: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    if (ext[i] === '\\') { i++; continue; }
    if (ext[i] === '=') eqs.push(i);
  }
  const entries: Array<{ key: string; keyStart: number; eq: number }> = [];
  for (const eq of eqs) {
    let s = eq;
    while (s > 0 && CEF_KEY_CHAR.test(ext[s - 1])) s--;
    if (s === eq) throw new Error(`unescaped "=" without a key at ${eq}`);
    if (s !== 0 && ext[s - 1] !== ' ') throw new Error(`unescaped "=" inside a value at ${eq}`);
    entries.push({ key: ext.slice(s, eq), keyStart: s, eq });
  }
  if (ext.length > 0 && (entries.length === 0 || entries[0].keyStart !== 0)) throw new Error('extension does not start with a key');
  const keys: string[] = [];
  const map = new Map<string, string>();
  for (let k = 0; k < entries.length; k++) {
    const end = k + 1 < entries.length ? entries[k + 1].keyStart - 1 : ext.length;
    const raw = ext.slice(entries[k].eq + 1, end);
    if (map.has(entries[k].key)) throw new Error('duplicate key ' + entries[k].key);
    keys.push(entries[k].key);
    map.set(entries[k].key, unescapeCefValue(raw));
  }
  return { keys, map };
}

function unescapeCefValue(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') { out += c; continue; }
    const n = raw[++i];
    if (n === '\\' || n === '=') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else throw new Error(`bad extension escape \\${n}`);
  }
  return out;
}

export interface LeefMessage {
  vendor: string;
  product: string;
  version: string;
  eventId: string;
  delimiter: string;
  keys: string[];
  attrs: Map<string, string>;
}

export function parseLeef(text: string): LeefMessage {
  if (!text.startsWith('LEEF:2.0|')) throw new Error('not LEEF 2.0: ' + text.slice(0, 40));
  const parts: string[] = [];
  let rest = text.slice('LEEF:2.0|'.length);
  for (let n = 0; n < 5; n++) {
    const p = rest.indexOf('|');
    if (p < 0) throw new Error('LEEF header too short');
    parts.push(rest.slice(0, p));
    rest = rest.slice(p + 1);
  }
  const [vendor, product, version, eventId, delimField] = parts;
  const delimiter = /^(0?x)[0-9a-fA-F]{2}$/.test(delimField) ? String.fromCharCode(parseInt(delimField.replace(/^0?x/, ''), 16)) : delimField;
  if (delimiter.length !== 1) throw new Error('bad LEEF delimiter ' + delimField);
  const keys: string[] = [];
  const attrs = new Map<string, string>();
  for (const pair of rest.split(delimiter)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error('LEEF attribute without key: ' + JSON.stringify(pair.slice(0, 60)));
    const key = pair.slice(0, eq);
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new Error('bad LEEF key ' + JSON.stringify(key));
    if (attrs.has(key)) throw new Error('duplicate LEEF key ' + key);
    keys.push(key);
    attrs.set(key, pair.slice(eq + 1));
  }
  return { vendor, product, version, eventId, delimiter, keys, attrs };
}

export interface Rfc5424Message {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string | undefined;
  sdParams: Map<string, string>;
  msg: string;
}

const HEADER_5424 = /^<(\d{1,3})>1 ([!-~]+) ([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) /;

export function parseRfc5424(text: string): Rfc5424Message {
  const m = HEADER_5424.exec(text);
  if (!m) throw new Error('not an RFC 5424 header: ' + JSON.stringify(text.slice(0, 80)));
  let i = m[0].length;
  let sdId: string | undefined;
  const sdParams = new Map<string, string>();
  if (text[i] === '-') {
    i++;
  } else {
    if (text[i] !== '[') throw new Error('no structured data');
    i++;
    const idEnd = text.slice(i).search(/[ \]]/) + i;
    sdId = text.slice(i, idEnd);
    i = idEnd;
    while (text[i] === ' ') {
      i++;
      const eq = text.indexOf('=', i);
      const name = text.slice(i, eq);
      if (!/^[!-~]{1,32}$/.test(name) || /[ =\]"]/.test(name)) throw new Error('bad SD-NAME ' + name);
      if (text[eq + 1] !== '"') throw new Error('PARAM-VALUE not quoted');
      i = eq + 2;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) throw new Error('unterminated PARAM-VALUE');
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) { value += text[i + 1]; i += 2; continue; }
        if (c === '"') { i++; break; }
        if (c === ']') throw new Error('unescaped ] in PARAM-VALUE');
        value += c;
        i++;
      }
      if (sdParams.has(name)) throw new Error('duplicate SD param ' + name);
      sdParams.set(name, value);
    }
    if (text[i] !== ']') throw new Error('SD-ELEMENT not closed at ' + i);
    i++;
    if (text[i] === '[') throw new Error('unexpected second SD-ELEMENT');
  }
  if (i < text.length && text[i] !== ' ') throw new Error('no space before MSG');
  return {
    pri: Number(m[1]), timestamp: m[2], hostname: m[3], appName: m[4], procId: m[5], msgId: m[6],
    sdId, sdParams, msg: text.slice(i + 1),
  };
}

export interface Rfc3164Message {
  pri: number;
  timestamp: string;
  hostname: string;
  tag: string;
  content: string;
}

const MSG_3164 = /^<(\d{1,3})>([A-Z][a-z]{2} [ 1-3]\d \d{2}:\d{2}:\d{2}) ([!-~]+) ([!-9;-Z\\^-~]{1,32}): ([\s\S]*)$/;

export function parseRfc3164(text: string): Rfc3164Message {
  const m = MSG_3164.exec(text);
  if (!m) throw new Error('not an RFC 3164 message: ' + JSON.stringify(text.slice(0, 80)));
  return { pri: Number(m[1]), timestamp: m[2], hostname: m[3], tag: m[4], content: m[5] };
}
