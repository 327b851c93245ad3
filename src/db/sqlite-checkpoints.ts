/**
 * SQLite WAL checkpoints off the event loop, for the gateway's long-lived connection.
 *
 * better-sqlite3 is synchronous: with SQLite's automatic checkpoint, the commit that crosses
 * 1000 WAL pages copies them into the database file and fsyncs it, on the event loop. Every
 * request in flight waits, and an fsync stall shows up as the launch p99 (`npm run bench:launch`
 * at concurrency 50; figures in the README's performance section). Here a worker thread with its
 * own connection checkpoints every `intervalMs` in PASSIVE mode (never blocks writers), so the
 * WAL stays short (a long WAL makes every statement slower) and no request waits on the disk.
 * If the worker ever stops, the connection goes back to automatic checkpoints.
 * @see https://www.sqlite.org/wal.html#automatic_checkpoint
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

// A CommonJS body evaluated in the worker, so it runs the same under tsx and from dist/.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next interval tries again.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const AUTOMATIC_CHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpoints {
  stop(): Promise<void>;
}

export function checkpointInBackground(
  connection: SQLite.Database,
  file: string,
  intervalMs = 200,
): BackgroundCheckpoints {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs },
  });
  // It must not keep a process alive that is otherwise done.
  worker.unref();
  connection.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping && connection.open)
        connection.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
      resolve();
    });
  });
  worker.on('error', () => {
    // The 'exit' that follows restores automatic checkpoints.
  });
  return {
    async stop() {
      stopping = true;
      // Waiting for the exit must keep the process alive until it comes.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
