#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`so-preflight: Node ${process.versions.node} is too old; install Node 22.18 or newer`);
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
