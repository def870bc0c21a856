/**
 * The released claims that the subject actually has (claims not present are simply absent). One rule for every
 * release: a survey's `release` list at launch, a client's `release` list for a SAML subject token.
 */
export function releasedClaims<V>(release: readonly string[], claims: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const name of release) {
    const value = claims[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
