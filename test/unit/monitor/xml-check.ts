// A tiny strict XML reader for tests: it throws on anything that is not well-formed (unbalanced or
// mis-nested tags, unquoted or duplicate attributes, a raw '<' or a bad '&' entity, two roots) and
// returns the element tree so a test can count what a chart holds. No dependency, no regular expressions.

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

function isNameStart(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_' || char === ':';
}

function isNameChar(char: string): boolean {
  return isNameStart(char) || (char >= '0' && char <= '9') || char === '-' || char === '.';
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r';
}

class Reader {
  position = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    const line = this.text.slice(0, this.position).split('\n').length;
    throw new Error(`not well-formed XML at line ${line}: ${message}`);
  }

  startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.position);
  }

  skipPast(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.position);
    if (end === -1) this.fail(`unterminated ${what}`);
    this.position = end + terminator.length;
  }

  skipSpace(): void {
    while (isSpace(this.text[this.position])) this.position++;
  }

  name(): string {
    const start = this.position;
    if (!isNameStart(this.text[this.position] ?? '')) this.fail(`expected a name, found ${JSON.stringify(this.text[this.position] ?? 'end')}`);
    while (isNameChar(this.text[this.position] ?? '')) this.position++;
    return this.text.slice(start, this.position);
  }

  /** Character data up to `stop`, with entities decoded and checked. */
  characters(stop: string): string {
    let out = '';
    while (this.position < this.text.length) {
      const char = this.text[this.position] as string;
      if (char === stop) return out;
      if (char === '<') this.fail('raw "<" in text or attribute');
      if (char === '&') {
        const end = this.text.indexOf(';', this.position);
        if (end === -1 || end - this.position > 10) this.fail('"&" that does not start an entity');
        const entity = this.text.slice(this.position + 1, end);
        out += decodeEntity(entity) ?? this.fail(`unknown entity &${entity};`);
        this.position = end + 1;
        continue;
      }
      out += char;
      this.position++;
    }
    return out;
  }
}

function decodeEntity(entity: string): string | undefined {
  if (entity.startsWith('#x')) {
    const code = Number.parseInt(entity.slice(2), 16);
    return Number.isInteger(code) && entity.length > 2 ? String.fromCodePoint(code) : undefined;
  }
  if (entity.startsWith('#')) {
    const digits = entity.slice(1);
    for (const digit of digits) if (digit < '0' || digit > '9') return undefined;
    return digits === '' ? undefined : String.fromCodePoint(Number(digits));
  }
  return ENTITIES.get(entity);
}

/** Parses `text` (an optional XML declaration and DOCTYPE first) and returns its single root element. */
export function parseXml(text: string): XmlElement {
  const reader: Reader = new Reader(text);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (reader.position < text.length) {
    if (reader.startsWith('<?')) {
      if (root !== undefined || stack.length > 0) reader.fail('processing instruction after the root');
      reader.skipPast('?>', 'processing instruction');
    } else if (reader.startsWith('<!--')) {
      reader.skipPast('-->', 'comment');
    } else if (reader.startsWith('<!DOCTYPE')) {
      if (root !== undefined || stack.length > 0) reader.fail('DOCTYPE after the root');
      reader.skipPast('>', 'DOCTYPE');
    } else if (reader.startsWith('<![CDATA[')) {
      if (stack.length === 0) reader.fail('CDATA outside the root');
      reader.skipPast(']]>', 'CDATA');
    } else if (reader.startsWith('</')) {
      reader.position += 2;
      const name = reader.name();
      reader.skipSpace();
      if (text[reader.position] !== '>') reader.fail(`expected ">" to close </${name}`);
      reader.position++;
      const open = stack.pop();
      if (open?.name !== name) reader.fail(`</${name}> closes <${open?.name ?? 'nothing'}>`);
    } else if (reader.startsWith('<')) {
      reader.position++;
      const element: XmlElement = { name: reader.name(), attributes: new Map(), children: [], text: '' };
      const attributes = element.attributes as Map<string, string>;
      for (;;) {
        const hadSpace = isSpace(text[reader.position]);
        reader.skipSpace();
        const char = text[reader.position];
        if (char === '>' || char === '/') break;
        if (!hadSpace) reader.fail(`attributes of <${element.name}> must be separated by spaces`);
        const name = reader.name();
        reader.skipSpace();
        if (text[reader.position] !== '=') reader.fail(`attribute ${name} of <${element.name}> has no value`);
        reader.position++;
        reader.skipSpace();
        const quote = text[reader.position];
        if (quote !== '"' && quote !== "'") reader.fail(`attribute ${name} of <${element.name}> is not quoted`);
        reader.position++;
        const value = reader.characters(quote);
        reader.position++;
        if (attributes.has(name)) reader.fail(`duplicate attribute ${name} on <${element.name}>`);
        attributes.set(name, value);
      }
      const parent = stack[stack.length - 1];
      if (parent === undefined && root !== undefined) reader.fail(`second root element <${element.name}>`);
      if (parent === undefined) root = element;
      else parent.children.push(element);
      if (text[reader.position] === '/') {
        reader.position++;
        if (text[reader.position] !== '>') reader.fail(`expected "/>" on <${element.name}>`);
        reader.position++;
      } else {
        reader.position++;
        stack.push(element);
      }
    } else {
      const chars = reader.characters('<');
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        for (const char of chars) if (!isSpace(char)) reader.fail('text outside the root element');
      } else parent.text += chars;
    }
  }
  if (stack.length > 0) reader.fail(`<${stack[stack.length - 1]?.name}> is never closed`);
  if (root === undefined) reader.fail('no root element');
  return root;
}

/** Every element under (and including) `element` with this name, in document order. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = element.name === name ? [element] : [];
  for (const child of element.children) found.push(...findAll(child, name));
  return found;
}

/** "x,y x,y ..." of a polyline: the number of coordinate pairs. */
export function polylinePointCount(element: XmlElement): number {
  const points = element.attributes.get('points') ?? '';
  let count = 0;
  for (const pair of points.split(' ')) {
    if (pair === '') continue;
    const [x, y, extra] = pair.split(',');
    if (extra !== undefined || !Number.isFinite(Number(x)) || !Number.isFinite(Number(y)) || x === '' || y === '') {
      throw new Error(`bad polyline point ${JSON.stringify(pair)}`);
    }
    count++;
  }
  return count;
}
