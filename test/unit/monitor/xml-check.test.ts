// guards: the chart tests rely on this checker, so it must refuse what a browser's XML parser refuses.
import { describe, expect, it } from 'vitest';
import { findAll, parseXml, polylinePointCount } from './xml-check.js';

describe('parseXml', () => {
  it('reads a well-formed document into a tree', () => {
    const root = parseXml('<?xml version="1.0"?>\n<svg a="1" b=\'x &amp; y\'><g><line/><text>a &lt; b &#38; c</text></g><line /></svg>\n');
    expect(root.name).toBe('svg');
    expect(root.attributes.get('b')).toBe('x & y');
    expect(findAll(root, 'line')).toHaveLength(2);
    expect(findAll(root, 'text')[0]?.text).toBe('a < b & c');
  });

  it.each([
    ['an unclosed element', '<svg><g></svg>'],
    ['mis-nested elements', '<svg><g><text></g></text></svg>'],
    ['a stray closing tag', '<svg></g></svg>'],
    ['an unquoted attribute', '<svg width=10></svg>'],
    ['a duplicate attribute', '<svg a="1" a="2"></svg>'],
    ['a raw ampersand', '<svg><text>R&D</text></svg>'],
    ['an unknown entity', '<svg><text>&nbsp;</text></svg>'],
    ['a raw "<" in an attribute', '<svg a="<"></svg>'],
    ['two roots', '<svg></svg><svg></svg>'],
    ['text outside the root', '<svg></svg>trailing'],
    ['attributes run together', '<svg a="1"b="2"></svg>'],
    ['an unterminated comment', '<svg><!-- no end</svg>'],
    ['nothing at all', '   '],
  ])('refuses %s', (_what, text) => {
    expect(() => parseXml(text)).toThrow(/not well-formed/);
  });

  it('counts polyline points and refuses a malformed one', () => {
    const [line] = findAll(parseXml('<svg><polyline points="1,2 3,4 5.5,6"/></svg>'), 'polyline');
    expect(line && polylinePointCount(line)).toBe(3);
    const [bad] = findAll(parseXml('<svg><polyline points="1,2 3"/></svg>'), 'polyline');
    expect(() => bad && polylinePointCount(bad)).toThrow(/bad polyline point/);
  });
});
