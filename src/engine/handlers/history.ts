import type { Engine } from '../engine';
import { invalidArgument, workflowNotFound } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import type { Execution } from '../model/state';
import { enums, type GetWorkflowExecutionHistoryReq, type GetWorkflowExecutionHistoryReverseReq, type HistoryEvent } from '../proto';
import { waitForRun } from './common';

interface PageToken {
  r: string;
  n: number;
}

function encodePage(t: PageToken): Buffer {
  return Buffer.from(JSON.stringify(t), 'utf8');
}

function decodePage(bytes: Uint8Array | null | undefined): PageToken | undefined {
  if (!bytes || !bytes.length) return undefined;
  try {
    const t = JSON.parse(Buffer.from(bytes).toString('utf8')) as PageToken;
    if (typeof t.r === 'string' && typeof t.n === 'number') return t;
  } catch {
    // fall through to the error below
  }
  throw invalidArgument('Invalid NextPageToken.');
}

const DEFAULT_PAGE = 1000;

export function historyHandlers(engine: Engine): Record<string, Handler> {
  const runFor = (ns: string, req: GetWorkflowExecutionHistoryReq, token: PageToken | undefined): Execution => {
    if (!token) return engine.findRun(ns, req.execution);
    const run = engine.runs.get(token.r);
    if (!run) throw workflowNotFound(req.execution?.workflowId ?? '', token.r);
    return run;
  };

  return {
    /**
     * Pages through a run's history; with waitNewEvent it long-polls for events past the page
     * token (or, filtered to the close event, for the run to close) as `result()` does.
     */
    GetWorkflowExecutionHistory: async (req: GetWorkflowExecutionHistoryReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const token = decodePage(req.nextPageToken);
      const run = runFor(ns, req, token);
      if (Number(req.historyEventFilterType) === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT) {
        if (run.open && req.waitNewEvent) await waitForRun(run, () => !run.open, ctx);
        if (run.open) return { history: { events: [] }, nextPageToken: req.waitNewEvent ? encodePage({ r: run.runId, n: 0 }) : undefined };
        return { history: { events: [run.lastEvent as HistoryEvent] } };
      }
      const from = Math.max(1, token?.n ?? 1);
      if (req.waitNewEvent && run.open && from > run.events.length) {
        await waitForRun(run, () => run.events.length >= from || !run.open, ctx);
      }
      const size = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE;
      const events = run.events.slice(from - 1, from - 1 + size);
      const next = from + events.length;
      const more = next <= run.events.length || (!!req.waitNewEvent && run.open);
      return { history: { events }, nextPageToken: more ? encodePage({ r: run.runId, n: next }) : undefined };
    },

    GetWorkflowExecutionHistoryReverse: (req: GetWorkflowExecutionHistoryReverseReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const token = decodePage(req.nextPageToken);
      const run = token ? engine.runs.get(token.r) : engine.findRun(ns, req.execution);
      if (!run) throw workflowNotFound(req.execution?.workflowId ?? '', token?.r);
      const end = token ? token.n : run.events.length;
      const size = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE;
      const start = Math.max(0, end - size);
      const events = run.events.slice(start, end).reverse();
      return { history: { events }, nextPageToken: start > 0 ? encodePage({ r: run.runId, n: start }) : undefined };
    },
  };
}
