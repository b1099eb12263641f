// Response headers as node and undici deliver them: lower-case names, a repeated header as an array.

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The header's value, or its first value when it was sent more than once. */
export function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}
