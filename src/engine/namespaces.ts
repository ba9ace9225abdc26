import { randomUUID } from 'node:crypto';
import { enums } from './proto';
import { namespaceNotFound } from './grpc/errors';

const T = enums.IndexedValueType;

/** Search attributes every namespace has (the real server's system attributes are built in). */
export const SYSTEM_SEARCH_ATTRIBUTES: Record<string, number> = {
  WorkflowId: T.INDEXED_VALUE_TYPE_KEYWORD,
  RunId: T.INDEXED_VALUE_TYPE_KEYWORD,
  WorkflowType: T.INDEXED_VALUE_TYPE_KEYWORD,
  StartTime: T.INDEXED_VALUE_TYPE_DATETIME,
  CloseTime: T.INDEXED_VALUE_TYPE_DATETIME,
  ExecutionTime: T.INDEXED_VALUE_TYPE_DATETIME,
  ExecutionStatus: T.INDEXED_VALUE_TYPE_KEYWORD,
  TaskQueue: T.INDEXED_VALUE_TYPE_KEYWORD,
  HistoryLength: T.INDEXED_VALUE_TYPE_INT,
  ExecutionDuration: T.INDEXED_VALUE_TYPE_INT,
  ParentWorkflowId: T.INDEXED_VALUE_TYPE_KEYWORD,
  ParentRunId: T.INDEXED_VALUE_TYPE_KEYWORD,
  RootWorkflowId: T.INDEXED_VALUE_TYPE_KEYWORD,
  RootRunId: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalChangeVersion: T.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BuildIds: T.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BatcherUser: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalScheduledStartTime: T.INDEXED_VALUE_TYPE_DATETIME,
  TemporalScheduledById: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalSchedulePaused: T.INDEXED_VALUE_TYPE_BOOL,
  TemporalNamespaceDivision: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalWorkerDeploymentVersion: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalWorkflowVersioningBehavior: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalWorkerDeployment: T.INDEXED_VALUE_TYPE_KEYWORD,
  // Standalone activities' lists (ListActivityExecutions) filter on these.
  ActivityId: T.INDEXED_VALUE_TYPE_KEYWORD,
  ActivityType: T.INDEXED_VALUE_TYPE_KEYWORD,
};

/** Custom attributes registered out of the box, as in Temporal's test server. */
export const DEFAULT_CUSTOM_SEARCH_ATTRIBUTES: Record<string, number> = {
  CustomKeywordField: T.INDEXED_VALUE_TYPE_KEYWORD,
  CustomStringField: T.INDEXED_VALUE_TYPE_TEXT,
  CustomTextField: T.INDEXED_VALUE_TYPE_TEXT,
  CustomIntField: T.INDEXED_VALUE_TYPE_INT,
  CustomDoubleField: T.INDEXED_VALUE_TYPE_DOUBLE,
  CustomBoolField: T.INDEXED_VALUE_TYPE_BOOL,
  CustomDatetimeField: T.INDEXED_VALUE_TYPE_DATETIME,
};

/** Names used by `--search-attribute Name=Type` and the SDK's metadata `type`. */
export const INDEXED_TYPE_NAMES: Record<string, number> = {
  Text: T.INDEXED_VALUE_TYPE_TEXT,
  Keyword: T.INDEXED_VALUE_TYPE_KEYWORD,
  Int: T.INDEXED_VALUE_TYPE_INT,
  Double: T.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: T.INDEXED_VALUE_TYPE_BOOL,
  Datetime: T.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: T.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The name the real server writes in a search attribute payload's `type` metadata, by IndexedValueType. */
export const TYPE_NAME_OF: Record<number, string> = Object.fromEntries(Object.entries(INDEXED_TYPE_NAMES).map(([name, type]) => [type, name]));

export interface NamespaceState {
  name: string;
  id: string;
  description: string;
  retentionMs: number;
  /** Custom search attributes: name → IndexedValueType. */
  searchAttributes: Record<string, number>;
}

export function newNamespace(name: string, extra: Record<string, number> = {}): NamespaceState {
  return {
    name,
    id: randomUUID(),
    description: '',
    retentionMs: 24 * 3600_000,
    searchAttributes: { ...DEFAULT_CUSTOM_SEARCH_ATTRIBUTES, ...extra },
  };
}

export class Namespaces {
  readonly byName = new Map<string, NamespaceState>();

  constructor(
    /** Time-skipping test mode accepts any namespace, as Temporal's test server does. */
    private readonly acceptAny: boolean,
    private readonly onCreate: (ns: NamespaceState) => void,
  ) {}

  get(name: string | null | undefined): NamespaceState {
    const n = name || 'default';
    let ns = this.byName.get(n);
    if (!ns) {
      if (!this.acceptAny) throw namespaceNotFound(n);
      ns = newNamespace(n);
      this.byName.set(n, ns);
      this.onCreate(ns);
    }
    return ns;
  }

  /** Type of a search attribute in a namespace, undefined if not registered. */
  attributeType(ns: NamespaceState, name: string): number | undefined {
    return SYSTEM_SEARCH_ATTRIBUTES[name] ?? ns.searchAttributes[name];
  }
}
