// One line per event, `key=value` facts. Only names, ids and status codes go in: never a token,
// a secret or a URL with a query string.

export function createLog(name, write = console.log) {
  return (event, facts = {}) => {
    const pairs = Object.entries(facts)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value).replace(/\s+/g, '_')}`);
    write([new Date().toISOString(), name, event, ...pairs].join(' '));
  };
}
