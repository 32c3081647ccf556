import type pg from "pg";
import { driverOf, engineOf, type DB, type Tx } from "./client.server.ts";
import { retryableConflict } from "./errors.server.ts";
import { serializeWholeTransactionOn } from "./locks.server.ts";
import { isTx, transaction } from "./transaction.server.ts";

/**
 * Group commit. Jobs that arrive together share one transaction and one commit, each in its
 * own savepoint so that one failure cannot undo another: a job that throws is rolled back
 * alone and its caller gets the error, the rest of its batch commits. Nobody hears back
 * before the commit that holds their job. Idle, a batch is one job. One batch at a time per
 * database handle on SQLite, two on Postgres (`parallelOf`); the jobs that arrive meanwhile
 * make the next one, at most `maxBatch` jobs.
 *
 * SQLite: a commit writes every page a job touched to the WAL; sharing it is the gain.
 * Postgres: a batch holds one pooled connection, and saves per job what a transaction of its
 * own costs (BEGIN, COMMIT and its WAL flush, a round trip each). Several processes write at
 * once, so a batch takes every lock its jobs will ask for (`locksOf`, advisory locks by key)
 * at its start, in one statement, sorted: two processes' batches wait for each other there
 * rather than deadlock half-way. Counters the jobs move (`sumAtBatchEnd`) are written once, at
 * the end, so the hot row is locked only from then to the commit. A job that meets a deadlock
 * or a serialization failure anyway (a row another batch holds: the same new address signing
 * on two servers) makes the whole batch run again, as a transaction of its own would.
 *
 * At most 64 jobs on Postgres: each job's savepoint that writes gets a subtransaction id, and
 * past 64 in one transaction every other session's snapshot has to look them up on disk. And
 * there a batch first runs without savepoints (`runBatch`, optimistic): a round trip per job fewer.
 */
export function batchedWriter<Job, Result>(
  write: (tx: Tx, job: Job) => Promise<Result>,
  {
    maxBatch = 64,
    locksOf = () => [],
  }: { maxBatch?: number; locksOf?: (job: Job) => string[] } = {}
): (db: DB, job: Job) => Promise<Result> {
  type Queued = {
    job: Job;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  };
  type Queue = { waiting: Queued[]; running: number; parallel: number };
  const queues = new WeakMap<object, Queue>();
  const size = Math.max(1, Math.min(maxBatch, MAX_SUBTRANSACTIONS));

  function next(db: DB, queue: Queue) {
    if (queue.running >= queue.parallel || queue.waiting.length === 0) return;
    queue.running++;
    // After this turn of the event loop: the jobs that arrive with this one join it.
    setImmediate(() => {
      const batch = queue.waiting.splice(0, size);
      void commit(db, batch).finally(() => {
        queue.running--;
        next(db, queue);
      });
    });
  }

  async function commit(db: DB, batch: Queued[]) {
    try {
      const results = await runBatch(
        db,
        batch,
        engineOf(db) === "postgres"
      ).catch((error: unknown) => {
        // A job failed in a batch run without savepoints: that transaction is gone, so the batch
        // runs again, each job in its savepoint, and only the failing one is turned away.
        if (error instanceof NeedsSavepoints) return runBatch(db, batch, false);
        throw error;
      });
      results.forEach((settled, i) =>
        settled.ok
          ? batch[i]!.resolve(settled.result)
          : batch[i]!.reject(settled.error)
      );
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }

  /**
   * One attempt at a batch. `optimistic` (Postgres): no savepoints, a round trip per job fewer
   * and no subtransaction ids; almost no job throws (conflicts are ON CONFLICT clauses), and one
   * that does sends the batch round again with savepoints.
   */
  async function runBatch(db: DB, batch: Queued[], optimistic: boolean) {
    type Settled = { ok: true; result: Result } | { ok: false; error: unknown };
    return transaction(db, async (tx) => {
      // A transaction run again (Postgres, on a conflict) starts from nothing: a new tx, new sums.
      const state: BatchState = { sums: new Map(), job: null };
      batches.set(tx, state);
      await serializeWholeTransactionOn(
        tx,
        batch.flatMap(({ job }) => locksOf(job))
      );
      const settled: Settled[] = [];
      for (const [i, { job }] of batch.entries()) {
        const sums: Sums = new Map();
        state.job = sums;
        try {
          settled.push({
            ok: true,
            result: optimistic
              ? await write(tx, job)
              : await inSavepoint(tx, i, () => write(tx, job)),
          });
          addSums(state.sums, sums);
        } catch (error) {
          if (retryableConflict(error)) throw error;
          if (optimistic) throw new NeedsSavepoints();
          settled.push({ ok: false, error });
        } finally {
          state.job = null;
        }
      }
      // In key order: two batches that both write several sums take their rows in the same order.
      for (const key of [...state.sums.keys()].sort()) {
        const { amounts, write: writeSum } = state.sums.get(key)!;
        await writeSum(tx, amounts);
      }
      return settled;
    });
  }

  return (db, job) =>
    new Promise((resolve, reject) => {
      // A batch is a transaction of its own: it cannot join the caller's.
      if (isTx(db))
        throw new Error("batchedWriter: pass the database, not a transaction");
      let queue = queues.get(driverOf(db));
      if (!queue)
        queues.set(
          driverOf(db),
          (queue = { waiting: [], running: 0, parallel: parallelOf(db) })
        );
      queue.waiting.push({ job, resolve, reject });
      next(db, queue);
    });
}

const MAX_SUBTRANSACTIONS = 64;

/**
 * Batches in flight at once. SQLite: one (one connection, one writer). Postgres: two, on two
 * pooled connections: while one batch waits for a round trip or its commit's WAL flush, the
 * other runs its jobs, so the process's one thread is not idle between statements. Two
 * batches meet as two processes' batches do (the locks taken at their start, in order; the
 * counters at their end), so this adds no case several app servers did not already have.
 */
function parallelOf(db: DB) {
  return engineOf(db) === "postgres" ? 2 : 1;
}

/** A job threw in a batch run without savepoints (its error is seen again on the run with them). */
class NeedsSavepoints extends Error {}

/**
 * Run one job in a savepoint of the batch. SQLite: `transaction()`'s savepoint, which costs a
 * function call. Postgres: one savepoint name used again, the previous job's released in the
 * same round trip as this one's is made (a round trip per job instead of two). A job that
 * fails is rolled back to it; the savepoint stays, and the next job's round trip releases it.
 */
async function inSavepoint<T>(
  tx: Tx,
  index: number,
  work: () => Promise<T>
): Promise<T> {
  if (engineOf(tx) !== "postgres") return transaction(tx, () => work());
  const client = driverOf(tx) as pg.PoolClient;
  await client.query(
    index === 0
      ? "SAVEPOINT vigil_job"
      : "RELEASE SAVEPOINT vigil_job; SAVEPOINT vigil_job"
  );
  try {
    return await work();
  } catch (error) {
    await client.query("ROLLBACK TO SAVEPOINT vigil_job");
    throw error;
  }
}

type Amounts = Record<string, number>;
type Sums = Map<
  string,
  { amounts: Amounts; write: (tx: Tx, amounts: Amounts) => Promise<void> }
>;
type BatchState = { sums: Sums; job: Sums | null };
const batches = new WeakMap<Tx, BatchState>();

function addSums(into: Sums, from: Sums) {
  for (const [key, { amounts, write }] of from) {
    const sum = into.get(key);
    if (!sum) into.set(key, { amounts: { ...amounts }, write });
    else
      for (const [field, n] of Object.entries(amounts))
        sum.amounts[field] = (sum.amounts[field] ?? 0) + n;
  }
}

/**
 * Inside a batch's job: add `amounts` to the batch's sum under `key`, which `write` writes once
 * at the batch's end, in its transaction, if this job's savepoint was kept (a job rolled back
 * adds nothing). Answers false outside a batch: the caller writes now. The job itself does not
 * see the move, so only for writes nothing in the batch reads (counters), and only at the
 * job's own level (a savepoint the job opens inside and rolls back would not take it back).
 */
export function sumAtBatchEnd(
  tx: Tx,
  key: string,
  amounts: Amounts,
  write: (tx: Tx, amounts: Amounts) => Promise<void>
): boolean {
  const job = batches.get(tx)?.job;
  if (!job) return false;
  addSums(job, new Map([[key, { amounts, write }]]));
  return true;
}
