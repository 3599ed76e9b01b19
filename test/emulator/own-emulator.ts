import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator, EmulatorOptions } from '../../src/emulator/types.ts';

/**
 * Runs `use` with an emulator of its own (a test that must not disturb the file's shared one, or
 * needs it fresh), in a data folder of its own; both are gone afterwards, whatever happened.
 */
export async function withEmulator<T>(
  options: Omit<EmulatorOptions, 'dataDir'>,
  use: (emulator: Emulator) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'so-emu-own-'));
  try {
    const emulator = await startEmulator({ ...options, dataDir });
    try {
      return await use(emulator);
    } finally {
      await emulator.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
