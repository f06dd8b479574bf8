/**
 * Durable steps, on the Temporal dev server that `npm run standalone` starts (or
 * `bash scripts/temporal.sh start`).
 *
 * `charge` must happen once, whatever happens to the worker running it: it is durable,
 * so it runs as a Temporal activity with the task's retries as the retry policy, and the
 * charge commits together with the step's checkpoint. A worker killed during the slow
 * part after it does not charge again: the next attempt (on another worker) finds the
 * checkpoint. `receipt` is an ordinary task.
 */
import { randomUUID } from 'node:crypto';
import { DAG, task } from 'updraft';

const dag = new DAG({
  dag_id: 'example_durable_payment',
  schedule: null,
  start_date: '2026-01-01',
  tags: ['example', 'temporal'],
  params: { amount_cents: 1250 },
});

const charge = task({ task_id: 'charge', dag, durable: true, retries: 3, retry_delay: 5, retry_exponential_backoff: true },
  async (ctx) => {
    const done = await ctx.checkpoint.load<{ payment: string }>();
    if (done) {
      ctx.log.info(`already charged as payment ${done.payment}: not charging again`);
    } else {
      const payment = randomUUID();
      const amount = Number(ctx.params.amount_cents);
      // The charge and the checkpoint saying so commit in one transaction.
      await ctx.checkpoint.commitWith({ payment }, async (trx) => {
        await trx.raw('create table if not exists example_payments (payment uuid primary key, run_id text, amount_cents int)');
        await trx.raw('insert into example_payments values (?, ?, ?)', [payment, ctx.run_id, amount]);
      });
      ctx.log.info(`charged ${amount} cents as payment ${payment}`);
    }
    // The slow part (calling a bank, say): a crash here is retried without a second charge.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return (await ctx.checkpoint.load<{ payment: string }>())?.payment ?? null;
  });

const receipt = task({ task_id: 'receipt', dag }, async (ctx) => {
  const paymentId = await ctx.ti.xcom_pull({ task_ids: 'charge' });
  return `receipt for payment ${String(paymentId)}`;
});

charge.rshift(receipt);
