/**
 * NotificationOperator (`type: notification`): sends a templated `message` to a
 * `channel`. A channel is a connection: its id is the channel name (`"channel": "slack"`
 * uses connection `slack`) unless `conn_id` names another; its `conn_type` picks the
 * transport (`webhook`, `slack`, `log`, `kafka`; see channels.ts).
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import type { ConnectionView } from '../../core/templating/index.ts';
import { CHANNEL_TYPES, deliver } from './channels.ts';

const NotificationArgsSchema = z.object({
  channel: z.string({ error: 'channel is required (the name of a connection, e.g. "slack")' }).min(1, 'channel must not be empty'),
  message: z.string({ error: 'message is required (a string)' }).min(1, 'message must not be empty'),
  conn_id: z.string().min(1).optional(),
}).strict();
export type NotificationArgs = z.infer<typeof NotificationArgsSchema>;

export class NotificationOperator extends BaseOperator<NotificationArgs> {
  readonly operatorType = 'notification';
  override readonly templateFields = ['message'];

  constructor(args: TaskArgs & NotificationArgs) {
    super(args, NotificationArgsSchema);
  }

  async execute(args: NotificationArgs, ctx: TaskContext): Promise<undefined> {
    const connId = args.conn_id ?? args.channel;
    let conn: ConnectionView;
    try {
      conn = await ctx.getConnection(connId);
    } catch (err) {
      if (err instanceof Error && err.name === 'UserInputError') {
        throw new Error(`notification channel "${args.channel}": connection "${connId}" is not defined; add it, e.g. `
          + `updraft connections add ${connId} --conn-type slack --conn-host https://hooks.slack.com/services/... `
          + `(conn_type one of ${CHANNEL_TYPES.join(', ')})`);
      }
      throw err;
    }
    await deliver(conn, { message: args.message, ctx });
    return undefined;
  }
}
