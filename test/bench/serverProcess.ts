// Starts the benchmark's server (serverMain.ts) in its own Node process and reads its addresses.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A running benchmark server process. */
export interface BenchServerProcess {
  /** The sync server's base URL. */
  url: string;
  /** The control server's base URL (seed, count, memory, floors). */
  control: string;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  close(): Promise<void>;
}

/** Spawns the benchmark server; resolves once it prints its addresses. BENCH_SERVER_PROFILE=dir writes its CPU profile there. */
export async function startBenchServer(): Promise<BenchServerProcess> {
  const profile = process.env.BENCH_SERVER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', new URL('./serverMain.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the benchmark server exited with code ${code} before it was ready`)));
  });
  const { url, control } = JSON.parse(first) as { url: string; control: string };
  return {
    url,
    control,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
